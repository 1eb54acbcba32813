"""The streamed sums over classes on a torch device (the ``diffusers`` extra installs torch).

:class:`TorchMixture` is a :class:`~cfgmft.validation.scores.FiniteMixture` whose
:meth:`~cfgmft.validation.scores.FiniteMixture.partial_sums` (the only part of a step that
grows with ``K``: two matrix products, the row maxima and the ``exp`` per chunk of classes) run
in torch on a device: ``"cpu"``, or ``"cuda"`` / ``"cuda:N"`` where one exists (not ``"mps"``,
which has no float64).
Everything else is the numpy mixture's: the sampler's ``O(N d)`` update, its noise (so that a
seed gives the same noise, the same ``x_T`` and, to rounding, the same samples on every
backend), the estimators, the Bayes classifier. The device holds its own copy of the storage
``[mu_k, |mu_k|^2, 1]`` (``K (d + 2)`` numbers in the mixture's precision); on the CPU device it
is the numpy storage itself, shared.

The algorithm is the numpy one (a running per-point shift, moved when a chunk's logits exceed
it by more than the slack, the accumulators rescaled), in the mixture's precision: float64, or
float32 with float64 accumulators and a float32 shift. Results differ from the numpy backend
only by the rounding of the matrix products and of ``exp`` (different BLAS and ``exp``
implementations): relative ``~1e-15`` on the sums in float64, the float32 rounding of the logits
(:meth:`~cfgmft.validation.scores.FiniteMixture.float32_logit_error`) in float32.

The core of cfgmft never imports torch: this module is loaded by
:func:`cfgmft.validation.backends.to_backend` when a torch backend is asked for.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np

from cfgmft.errors import ParameterError

try:
    import torch
except ImportError:  # pragma: no cover - exercised where torch is absent
    raise ParameterError("backend", "torch is not installed: pip install \"cfgmft[diffusers]\" "
                                    "(or torch itself) to use --backend torch") from None

from .scores import FiniteMixture

__all__ = ["TorchMixture", "torch_device"]


def torch_device(device) -> "torch.device":
    """``torch.device(device)`` if it exists here, else a ParameterError naming ``device``."""
    text = "cpu" if device is None else str(device)
    try:
        dev = torch.device(text)
    except (RuntimeError, TypeError, ValueError):
        raise ParameterError("device", f"must be a torch device such as cpu, cuda or cuda:0, got {text!r}") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ParameterError("device", f"{text!r} asked for, but torch.cuda.is_available() is False here "
                                           f"(torch {torch.__version__}); use --device cpu")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ParameterError("device", f"{text!r} does not exist: this machine has {torch.cuda.device_count()} CUDA device(s)")
    elif dev.type == "mps":
        raise ParameterError("device", "mps has no float64, which the accumulators of the sums need: use cpu or cuda")
    elif dev.type != "cpu":
        raise ParameterError("device", f"must be cpu, cuda or cuda:N, got {text!r}")
    else:
        dev = torch.device("cpu")
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", torch.cuda.current_device())
    return dev


class TorchMixture(FiniteMixture):
    """A :class:`FiniteMixture` whose streamed sums run in torch on ``device`` (module docstring).
    Build it with :meth:`from_mixture`; it shares the numpy mixture's storage on the host."""

    backend = "torch"
    #: rows of ``x`` per block on a GPU (the logit block is ``rows x chunk_size``)
    GPU_ROW_BLOCK = 4096

    @classmethod
    def from_mixture(cls, mixture: FiniteMixture, device="cpu") -> "TorchMixture":
        if not isinstance(mixture, FiniteMixture):
            raise ParameterError("backend", f"torch runs the sums of a finite mixture; got {type(mixture).__name__}")
        if mixture.prune > 0:
            raise ParameterError("backend", "pruned sums are numpy-only; use an unpruned mixture with --backend torch")
        dev = torch_device(device)
        self = copy.copy(mixture)
        self.__class__ = cls
        with warnings.catch_warnings():
            # the storage is read-only and never written: sharing it is safe
            warnings.simplefilter("ignore", UserWarning)
            host = torch.from_numpy(mixture._aug)
        self._taug = host if dev.type == "cpu" else host.to(dev)
        self._tdev = dev
        self.device = str(dev)
        if dev.type != "cpu":
            self.ROW_BLOCK = self.GPU_ROW_BLOCK
        return self

    def __repr__(self):
        return super().__repr__()[:-1] + f", backend='torch', device={self.device!r})"

    def pruned(self, fraction: float):
        raise ParameterError("prune", "pruned sums are numpy-only (the torch backend adds every class)")

    def with_precision(self, precision: str):
        other = super().with_precision(precision)
        return other if other is self else TorchMixture.from_mixture(other, self.device)

    def partial_sums(self, x: np.ndarray, t: float):
        a, b = self._coefficients(t)
        N, d = x.shape
        acc = np.empty((N, d + 2))
        shift = np.empty(N)
        rb = self.ROW_BLOCK
        with torch.no_grad():
            for r0 in range(0, N, rb):
                r1 = min(N, r0 + rb)
                A, s = self._rows(x[r0:r1], a, b)
                acc[r0:r1] = A.cpu().numpy()
                shift[r0:r1] = s.cpu().numpy()
        return acc, shift

    def _rows(self, x, a, b):
        """Streamed sums of one row block on the device: ``(acc, shift)`` as float64 tensors."""
        dev, aug = self._tdev, self._taug
        f64 = torch.float64
        low = aug.dtype == torch.float32
        slack = self._SHIFT_SLACK32 if low else self._SHIFT_SLACK
        n, d = x.shape
        xs = torch.empty((n, d + 2), dtype=aug.dtype, device=dev)
        xs[:, :d] = torch.as_tensor(x * a, device=dev)
        xs[:, d] = -b
        xs[:, d + 1] = 0.0
        acc = torch.zeros((n, d + 2), dtype=f64, device=dev)
        shift = None
        for start, stop in self._chunks():
            B = aug[start:stop]
            L = xs @ B.T
            cmax = L.max(dim=1).values
            if shift is None:
                # the first chunk fixes the shift at its row maxima (exactly a number of the
                # storage's precision, so that the one subtracted in the product is the one added
                # back in lse)
                shift = cmax.to(f64)
                xs[:, d + 1] = -cmax
                L = L - cmax[:, None]
            elif bool((cmax > slack).any()):
                move = cmax > slack
                new = torch.where(move, (shift + cmax.to(f64)).to(aug.dtype).to(f64), shift)
                acc *= torch.exp(shift - new)[:, None]
                shift = new
                xs[:, d + 1] = (-new).to(aug.dtype)
                L = xs @ B.T
            torch.exp(L, out=L)
            part = L @ B
            acc += part.to(f64) if low else part
        return acc, shift
