"""The Gaussian mixture's exact denoiser as a torch module, for real samplers (``torch`` extra).

The model of docs/explanation/model.md: class ``c`` has density ``N(mu_c, sigma2 I_d)`` in the mixture's
units; the data are ``x_data = S x`` (data scale ``S``). In EDM's scale the noised point is
``x = x0 + sigma n`` (``sigma`` in the data's units), and the exact denoisers are

* conditional on ``c``: ``D_c(x, sigma) = mu_c + sigma2 / (sigma2 + s^2) (x - mu_c)`` with
  ``s = sigma/S`` (all in mixture units, the result times ``S``);
* unconditional, a finite mixture of means ``mu_1..mu_K`` (equal weights):
  ``D_u = sum_k w_k D_k`` with ``w = softmax_k(-|x - mu_k|^2 / (2 (sigma2 + s^2)))``;
* unconditional, the infinite-class limit with the gaussian prior (``mu ~ N(0, I_d)``, so
  ``x0 ~ N(0, (1 + sigma2) I)``): ``D_u = (1 + sigma2) / (1 + sigma2 + s^2) x``.

:class:`ExactMixtureDenoiser` gives ``D`` (k-diffusion's denoiser convention,
``model(x, sigma) -> D``) and the outputs diffusers' schedulers expect of a network:
:meth:`~ExactMixtureDenoiser.vp_output` for variance-preserving schedulers (``x_vp =
sqrt(alpha_bar) x0 + sqrt(1 - alpha_bar) eps``, ``sigma^2 = (1 - alpha_bar)/alpha_bar``;
``prediction_type`` ``epsilon``, ``sample`` or ``v_prediction``) and
:meth:`~ExactMixtureDenoiser.edm_output` for EDM-preconditioned ones (diffusers'
``EDMEulerScheduler``: input ``c_in x``, output ``F`` with ``D = c_skip x + c_out F``). All
arithmetic is float64 on the module's device.
"""

from __future__ import annotations

import math

try:
    import torch
except ImportError as e:  # pragma: no cover - exercised where torch is absent
    raise ImportError("cfgmft.adapters.torch_exact needs torch: pip install \"cfgmft[diffusers]\"") from e

from ..errors import ParameterError, check_int, check_real

__all__ = ["ExactMixtureDenoiser", "PREDICTION_TYPES"]

#: the network outputs :meth:`ExactMixtureDenoiser.vp_output` can give
PREDICTION_TYPES = ("epsilon", "sample", "v_prediction")


def _tensor(name: str, value, kw):
    """``value`` as a float64 tensor, or a :class:`ParameterError` naming ``name``."""
    try:
        return torch.as_tensor(value, **kw)
    except (TypeError, ValueError, RuntimeError):
        raise ParameterError(name, f"must be an array of numbers, got {type(value).__name__}") from None


class ExactMixtureDenoiser(torch.nn.Module):
    """Exact denoisers of a Gaussian mixture (module docstring).

    Parameters
    ----------
    means : ``(K, d)`` array or tensor of class means (mixture units), or ``None`` with
        ``d`` for the infinite-class limit with the gaussian prior.
    sigma2 : class variance ``> 0``.
    target : the conditioning class (an index into ``means``), or its mean ``(d,)`` in the
        infinite-class limit.
    data_scale : ``S > 0``.
    """

    def __init__(self, means, sigma2: float, target, *, d: int | None = None, data_scale: float = 1.0,
                 device=None):
        super().__init__()
        self.sigma2 = check_real("sigma2", sigma2, lo=0.0, lo_open=True)
        self.data_scale = check_real("data_scale", data_scale, lo=1e-6, hi=1e6)
        try:
            kw = dict(dtype=torch.float64, device=torch.device("cpu") if device is None else torch.device(device))
        except (TypeError, ValueError, RuntimeError):
            raise ParameterError("device", f"must be a torch device (cpu, cuda, cuda:N), got {device!r}") from None
        if d is not None:
            d = check_int("d", d, lo=1, strict=True)
        if means is None:
            mu_c = _tensor("target", target, kw)
            if mu_c.ndim != 1 or (d is not None and mu_c.shape[0] != d):
                raise ParameterError("target", "must be the target class mean, a (d,) vector, in the infinite-class limit")
            self.register_buffer("means", None)
            self.infinite_class = True
        else:
            m = _tensor("means", means, kw)
            if m.ndim != 2 or m.shape[0] < 2:
                raise ParameterError("means", f"must be a (K, d) array with K >= 2, got shape {tuple(m.shape)}")
            if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < m.shape[0]:
                raise ParameterError("target", f"must be a class index in [0, {m.shape[0] - 1}], got {target!r}")
            self.register_buffer("means", m)
            self.register_buffer("_norm2", (m * m).sum(dim=1))
            mu_c = m[target]
            self.infinite_class = False
        if not torch.all(torch.isfinite(mu_c)):
            raise ParameterError("means", "must be finite")
        self.register_buffer("mu_c", mu_c.clone())
        self.d = int(mu_c.shape[0])

    # -- the denoisers, EDM scale -------------------------------------------------------------
    def _s2(self, sigma, x):
        s = _tensor("sigma", sigma, dict(dtype=torch.float64, device=x.device))
        if not bool(torch.all(torch.isfinite(s))) or bool(torch.any(s < 0)) or s.ndim > 1 or (s.ndim and s.shape[0] != x.shape[0]):
            raise ParameterError("sigma", f"must be finite noise levels >= 0, a number or one per row of x ({x.shape[0]}), "
                                          f"got shape {tuple(s.shape)}")
        s = s / self.data_scale
        return (s * s).reshape(-1, *([1] * (x.ndim - 1))) if s.ndim else s * s

    def denoise(self, x, sigma, cond: bool = True):
        """``D(x, sigma)`` (EDM scale, data units): conditional on the target class, or
        unconditional; ``x`` ``(N, d)``, ``sigma`` a number or ``(N,)``; float64 ``(N, d)``."""
        x = _tensor("x", x, dict(dtype=torch.float64, device=self.mu_c.device))
        if x.ndim != 2 or x.shape[1] != self.d or not bool(torch.all(torch.isfinite(x))):
            raise ParameterError("x", f"must be a finite (N, {self.d}) array, got shape {tuple(x.shape)}")
        x = x / self.data_scale
        s2 = self._s2(sigma, x)
        gain = self.sigma2 / (self.sigma2 + s2)
        if cond:
            out = self.mu_c + gain * (x - self.mu_c)
        elif self.infinite_class:
            out = (1.0 + self.sigma2) / (1.0 + self.sigma2 + s2) * x
        else:
            # -|x - mu_k|^2 / (2 v) up to a k-independent term: (x.mu_k - |mu_k|^2/2) / v
            v = self.sigma2 + s2
            logits = (x @ self.means.T - 0.5 * self._norm2) / v
            w = torch.softmax(logits, dim=1)
            out = w @ self.means + gain * (x - w @ self.means)
        if not torch.all(torch.isfinite(out)):
            raise FloatingPointError("the exact denoiser gave a non-finite value")
        return out * self.data_scale

    def forward(self, x, sigma, cond: bool = True):
        """k-diffusion's denoiser convention: ``model(x, sigma) -> D``."""
        return self.denoise(x, sigma, cond)

    # -- network outputs for diffusers' schedulers --------------------------------------------
    def vp_output(self, x_vp, alpha_bar, cond: bool = True, prediction_type: str = "epsilon"):
        """Output of a variance-preserving network at ``x_vp = sqrt(ab) x0 + sqrt(1 - ab) eps``."""
        if prediction_type not in PREDICTION_TYPES:
            raise ParameterError("prediction_type", f"must be one of {', '.join(PREDICTION_TYPES)}, got {prediction_type!r}")
        ab = torch.as_tensor(alpha_bar, dtype=torch.float64, device=x_vp.device)
        a, b = torch.sqrt(ab), torch.sqrt(1.0 - ab)
        x = torch.as_tensor(x_vp).to(torch.float64)
        D = self.denoise(x / a, b / a, cond)
        if prediction_type == "sample":
            return D
        eps = (x - a * D) / b
        return eps if prediction_type == "epsilon" else a * eps - b * D

    def edm_output(self, x_in, sigma, cond: bool = True, sigma_data: float = 0.5, prediction_type: str = "epsilon"):
        """EDM's raw network output ``F`` (diffusers' ``EDMEulerScheduler``): the input is
        ``c_in x``, ``c_in = 1/sqrt(sigma^2 + sigma_data^2)``, and ``D = c_skip x + c_out F``
        with ``c_skip = sigma_data^2/(sigma^2 + sigma_data^2)``, ``c_out = +-sigma
        sigma_data/sqrt(sigma^2 + sigma_data^2)`` (``-`` for ``v_prediction``)."""
        if prediction_type not in ("epsilon", "v_prediction"):
            raise ParameterError("prediction_type", f"must be epsilon or v_prediction, got {prediction_type!r}")
        sigma = float(sigma)
        root = math.sqrt(sigma * sigma + sigma_data * sigma_data)
        x = torch.as_tensor(x_in).to(torch.float64) * root
        c_skip = sigma_data ** 2 / root ** 2
        c_out = sigma * sigma_data / root * (1.0 if prediction_type == "epsilon" else -1.0)
        return (self.denoise(x, sigma, cond) - c_skip * x) / c_out
