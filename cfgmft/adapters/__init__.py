"""From a cfgmft guidance schedule to a real sampler.

* :mod:`cfgmft.adapters.guidance` (numpy only): :class:`GuidanceTable`, the per-step guidance
  of an exported table (``cfgmft schedule export``) or of any schedule on a sampler's grid, and
  :func:`w_for_sigmas`, the per-step scales ``w_i = 1 + omega_i`` for any hand-written loop;
* :mod:`cfgmft.adapters.torch_exact` and :mod:`cfgmft.adapters.kdiffusion` (the ``torch``
  extra, ``pip install "cfgmft[diffusers]"``): the Gaussian mixture's exact denoiser as a torch
  module in the prediction types samplers expect
  (:class:`~cfgmft.adapters.torch_exact.ExactMixtureDenoiser`), and a k-diffusion-style CFG
  denoiser with ``w(sigma)`` (:class:`~cfgmft.adapters.kdiffusion.ScheduledCFGDenoiser`);
  a diffusers guider applying the table per step is
  :func:`~cfgmft.adapters.diffusers.table_guider` (the ``diffusers.guiders`` API), negative
  ``omega`` (``w < 1``) included;
* :mod:`cfgmft.adapters.diffusers`: :class:`~cfgmft.adapters.diffusers.TabulatedGuidance`, a
  diffusers guider (``BaseGuidance``) that reads the table by step index, applies a cfgmft rule
  through diffusers' own class for it, and saves with ``save_pretrained`` (docs/guide/diffusers.md).

The core of cfgmft never imports torch; importing a torch adapter without it raises an
ImportError that says which extra to install.
"""

from .guidance import GuidanceTable, w_for_sigmas

__all__ = ["GuidanceTable", "w_for_sigmas"]
