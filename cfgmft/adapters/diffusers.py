"""A diffusers guider that applies a cfgmft guidance table per step (``diffusers`` extra).

:func:`table_guider` returns a ``diffusers.guiders.ClassifierFreeGuidance`` whose scale is the
table's ``w_i = 1 + omega_i`` at step ``i`` (set by the pipeline's ``guider.set_state(step=i,
num_inference_steps=N, ...)``), in diffusers' own formulation ``pred = pred_uncond + w
(pred_cond - pred_uncond)``, which is cfgmft's ``s = (1 + omega) s_c - omega s_u``.

Negative guidance (``w < 1``) works: the guider turns guidance off only where ``w = 1``
exactly (then it needs no unconditional prediction). Note that diffusers' classic pipelines
(``StableDiffusionPipeline`` and those built like it) decide ``do_classifier_free_guidance =
guidance_scale > 1`` once and then never compute the unconditional branch: a schedule with
``w < 1`` (or ``w = 0``, unconditional) is silently not applied there. Use a guider-based
(modular) pipeline, or a hand-written loop with :func:`cfgmft.adapters.w_for_sigmas`.
"""

from __future__ import annotations

import math

try:
    from diffusers.configuration_utils import register_to_config
    from diffusers.guiders import ClassifierFreeGuidance
except ImportError as e:  # pragma: no cover
    raise ImportError("cfgmft.adapters.diffusers needs diffusers and torch: pip install \"cfgmft[diffusers]\"") from e

from ..errors import ParameterError, check_real
from .guidance import GuidanceTable

__all__ = ["TableGuidance", "table_guider"]


class TableGuidance(ClassifierFreeGuidance):
    """``ClassifierFreeGuidance`` with a per-step scale ``w_per_step[i]`` (module docstring)."""

    @register_to_config
    def __init__(self, w_per_step: list = (), guidance_rescale: float = 0.0, enabled: bool = True):
        try:
            w = [float(x) for x in w_per_step]
        except (TypeError, ValueError):
            w = []
        if not w or not all(math.isfinite(x) and x >= 0.0 for x in w):
            raise ParameterError("w_per_step", "must be one finite guidance scale w = 1 + omega >= 0 per step, "
                                               f"got {w_per_step!r}")
        guidance_rescale = check_real("guidance_rescale", guidance_rescale, lo=0.0, hi=1.0)
        super().__init__(guidance_scale=w[0], guidance_rescale=guidance_rescale, use_original_formulation=False,
                         start=0.0, stop=1.0, enabled=enabled)
        self.w_per_step = w

    def set_state(self, step: int, num_inference_steps: int, timestep) -> None:
        if num_inference_steps != len(self.w_per_step):
            raise ParameterError("num_inference_steps", f"the guidance table has {len(self.w_per_step)} steps, "
                                                        f"the pipeline runs {num_inference_steps}")
        if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step < len(self.w_per_step):
            raise ParameterError("step", f"must be an integer in [0, {len(self.w_per_step) - 1}], got {step!r}")
        super().set_state(step, num_inference_steps, timestep)
        self.guidance_scale = self.w_per_step[step]

    def _is_cfg_enabled(self) -> bool:
        return self._enabled and not math.isclose(self.guidance_scale, 1.0, rel_tol=0.0, abs_tol=0.0)


def table_guider(table, sigmas=None, *, guidance_rescale: float = 0.0) -> TableGuidance:
    """The guider of ``table`` (a :class:`GuidanceTable` or an exported table). With ``sigmas``
    (the scheduler's ``N + 1`` noise levels in the data's units, e.g. ``scheduler.sigmas`` of an
    Euler or EDM scheduler), the per-step scales on that grid (:meth:`GuidanceTable.w_for_sigmas`);
    without, the table's own rows (its grid must be the scheduler's)."""
    t = table if isinstance(table, GuidanceTable) else GuidanceTable.from_export(table)
    w = t.w if sigmas is None else t.w_for_sigmas(sigmas).tolist()
    return TableGuidance(w_per_step=list(w), guidance_rescale=guidance_rescale)
