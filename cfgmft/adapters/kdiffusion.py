"""A k-diffusion-style CFG denoiser with a guidance schedule ``w(sigma)`` (``torch`` extra).

k-diffusion's samplers (``sample_euler``, ``sample_euler_ancestral``, ``sample_heun``,
``sample_dpmpp_2m``...) call ``model(x, sigma * s_in, **extra_args)`` and expect the denoised
``D``. :class:`ScheduledCFGDenoiser` wraps a conditional/unconditional denoiser ``inner(x,
sigma, cond)`` into such a model, combining ``D = D_u + w(sigma) (D_c - D_u)`` with ``w`` read
from a :class:`cfgmft.adapters.GuidanceTable` at the noise level of each call
(:meth:`~cfgmft.adapters.GuidanceTable.w_at_sigma`): exactly the table's rows for samplers that
evaluate once per step at its start; Heun's corrector at ``sigma_{i+1}`` reads row ``i + 1``.
``w`` may be below 1 (negative guidance) or 0 (unconditional); ``w = 1`` skips the
unconditional call.
"""

from __future__ import annotations

try:
    import torch
except ImportError as e:  # pragma: no cover
    raise ImportError("cfgmft.adapters.kdiffusion needs torch: pip install \"cfgmft[diffusers]\"") from e

from ..errors import ParameterError
from .guidance import GuidanceTable

__all__ = ["ScheduledCFGDenoiser"]


class ScheduledCFGDenoiser(torch.nn.Module):
    """``model(x, sigma) = D_u + w(sigma) (D_c - D_u)``; ``inner(x, sigma, cond: bool)``
    returns the conditional (``cond=True``) or unconditional denoiser; ``table`` a
    :class:`GuidanceTable` (or anything :meth:`GuidanceTable.from_export` reads)."""

    def __init__(self, inner, table):
        super().__init__()
        self.inner = inner
        self.table = table if isinstance(table, GuidanceTable) else GuidanceTable.from_export(table)

    def forward(self, x, sigma, **extra_args):
        s = torch.as_tensor(sigma).reshape(-1)
        w_all = self.table.w_at_sigma(s)
        if (w_all != w_all[0]).any():
            raise ParameterError("sigma", "the batch mixes noise levels of different guidance rows (ScheduledCFGDenoiser "
                                          "takes one guidance scale per call)")
        w = float(w_all[0])
        d_c = self.inner(x, sigma, cond=True, **extra_args)
        if w == 1.0:
            return d_c
        d_u = self.inner(x, sigma, cond=False, **extra_args)
        return d_u + w * (d_c - d_u)
