"""Where the streamed sums over classes run: the array backend and device of a Monte Carlo.

* ``"numpy"`` (default): this process, numpy on the CPU (:class:`~cfgmft.validation.scores.FiniteMixture`);
* ``"torch"``: torch on ``device`` (``cpu``, ``cuda``, ``cuda:N``), the sums of
  :class:`cfgmft.validation.torch_backend.TorchMixture` (needs torch: the ``diffusers`` extra).

The sampler's ``O(N d)`` update and its noise stay numpy float64 on the host in every case, so a
seed gives the same run on every backend to rounding. The torch module is imported only when it
is asked for: cfgmft itself never needs torch. Sharding one mixture's classes across the
workers of a dask cluster is :mod:`cfgmft.validation.sharded`.
"""

from __future__ import annotations

from cfgmft.errors import ParameterError, check_choice

__all__ = ["BACKENDS", "check_backend", "to_backend"]

#: The array backends of the streamed sums.
BACKENDS = ("numpy", "torch")


def check_backend(backend: str, device=None) -> tuple[str, str | None]:
    """``(backend, device)`` checked: the backend one of :data:`BACKENDS`; ``device`` only with
    torch (numpy runs on the CPU: ``None`` or ``'cpu'``)."""
    backend = check_choice("backend", backend, BACKENDS)
    if backend == "numpy" and device not in (None, "cpu"):
        raise ParameterError("device", f"numpy runs on the CPU only; --device {device} needs --backend torch")
    return backend, device


def to_backend(denoiser, backend: str = "numpy", device=None):
    """``denoiser`` with its streamed sums on ``backend``/``device`` (``numpy``: as it is).
    Only finite mixtures have sums over classes; a continuum denoiser asked for torch is
    refused (ParameterError naming ``backend``)."""
    from .scores import FiniteMixture

    backend, device = check_backend(backend, device)
    if backend == "numpy":
        return denoiser
    if not isinstance(denoiser, FiniteMixture):
        raise ParameterError("backend", f"{backend} runs the sums over the classes of a finite mixture; "
                                        f"{type(denoiser).__name__} (infinite classes) has none: use numpy")
    from .torch_backend import TorchMixture

    return TorchMixture.from_mixture(denoiser, device or "cpu")
