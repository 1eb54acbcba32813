"""diffusers guiders that apply a cfgmft guidance table per step (``diffusers`` extra).

:class:`TabulatedGuidance` is a ``diffusers.guiders.BaseGuidance`` of its own: it reads the table's
strength by step index, applies any cfgmft guidance rule that diffusers implements through
diffusers' own class (``cfg`` and ``rescale``: ``ClassifierFreeGuidance``; ``zerostar``:
``ClassifierFreeZeroStarGuidance``; ``apg``: ``AdaptiveProjectedGuidance`` in the papers' form),
and keeps its whole state in a JSON config, so ``save_pretrained``/``from_pretrained`` round-trip
and a modular pipeline takes it with ``pipe.update_components(guider=...)``
(docs/guide/diffusers.md).

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
    from diffusers.guiders import (
        AdaptiveProjectedGuidance, BaseGuidance, ClassifierFreeGuidance, ClassifierFreeZeroStarGuidance,
    )
except ImportError as e:  # pragma: no cover
    raise ImportError("cfgmft.adapters.diffusers needs diffusers and torch: pip install \"cfgmft[diffusers]\"") from e

from ..errors import ParameterError, check_int, check_real
from ..guidance import APG, CFG, Rescale, ZeroStar, as_rule
from .guidance import GuidanceTable

__all__ = ["TableGuidance", "table_guider", "TabulatedGuidance", "DIFFUSERS_RULES"]

#: the cfgmft rules diffusers has a class for
DIFFUSERS_RULES = ("cfg", "rescale", "zerostar", "apg")


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


class TabulatedGuidance(BaseGuidance):
    """A diffusers guider applying a cfgmft guidance table per step, with a cfgmft rule.

    Parameters (all in the JSON config):

    * ``w_per_step``: the guidance scale ``w_i = 1 + omega_i`` of step ``i`` (one per scheduler step;
      :meth:`from_table` reads it off a table, on the table's grid or the scheduler's);
    * ``rule``: a cfgmft rule's text form (``cfg``, ``rescale:phi=P``, ``zerostar[:zero_init=N]``,
      ``apg:eta=E,r=R[,momentum=M]``; ``powerlaw`` has no diffusers class and is refused); its
      grid-only options are diffusers' ``zero_init_steps`` and ``adaptive_projected_guidance_momentum``
      (the same as the two parameters below, which may be given instead, not both);
    * ``data_scale``: ``S``, the data's units per mixture unit (APG's threshold is ``r S sqrt(D)``
      in diffusers' unscaled L2 norm over the ``D`` elements of a sample);
    * ``sigmas``: the grid the table was made for (``N + 1`` noise levels), kept for the record and
      checked against ``w_per_step``'s length; optional;
    * ``zero_init_steps`` (``zerostar`` only): CFG-Zero*'s zero-init steps, a grid-only option
      (default 0: the rule cfgmft models);
    * ``apg_momentum`` (``apg`` only): APG's momentum, a grid-only option (default ``None``: none).

    At step ``i`` the inner diffusers guider gets ``guidance_scale = w_i`` (``omega_i`` for APG,
    in ``use_original_formulation=True``): the guided prediction is cfgmft's rule at ``omega_i``
    applied to the model's raw output (docs/guide/guidance-rules.md, "Mapping to diffusers": APG
    is the papers' rule on an ``x0``-predicting model; ``rescale`` and ``zerostar`` on an
    eps-predicting one; ``cfg`` on any). Where ``w_i = 1`` (``omega_i = 0``) the guider asks for the
    conditional prediction only (``num_conditions == 1``).
    """

    _input_predictions = ["pred_cond", "pred_uncond"]

    @register_to_config
    def __init__(self, w_per_step: list | None = None, rule: str = "cfg", data_scale: float = 1.0,
                 sigmas: list | None = None, zero_init_steps: int = 0, apg_momentum: float | None = None,
                 enabled: bool = True):
        super().__init__(start=0.0, stop=1.0, enabled=enabled)
        if w_per_step is None or isinstance(w_per_step, (str, bytes)) or len(w_per_step) == 0:
            raise ParameterError("w_per_step", "must be one finite guidance scale w = 1 + omega per step (a list)")
        self.w_per_step = [check_real("w_per_step", x, lo=-1e6, hi=1e6) for x in w_per_step]
        r = as_rule(rule)
        if not isinstance(r, (CFG, Rescale, ZeroStar, APG)):
            raise ParameterError("rule", f"must be one of the rules diffusers implements ({', '.join(DIFFUSERS_RULES)}); "
                                 f"{r.kind} has no diffusers class")
        # the rule's grid-only options are these two parameters of diffusers' classes
        opts = r.grid_options
        if "zero_init" in opts:
            if zero_init_steps not in (0, opts["zero_init"]):
                raise ParameterError("zero_init_steps", f"is {zero_init_steps!r}, the rule {r.spec} says "
                                                        f"zero_init={opts['zero_init']}: give one of them")
            zero_init_steps = opts["zero_init"]
        if "momentum" in opts:
            if apg_momentum is not None and apg_momentum != opts["momentum"]:
                raise ParameterError("apg_momentum", f"is {apg_momentum!r}, the rule {r.spec} says "
                                                     f"momentum={opts['momentum']!r}: give one of them")
            apg_momentum = opts["momentum"]
        self.rule = r
        self.data_scale = check_real("data_scale", data_scale, lo=1e-6, hi=1e6)
        if sigmas is not None:
            sig = [check_real("sigmas", x, lo=0.0) for x in sigmas]
            if len(sig) != len(self.w_per_step) + 1 or any(b >= a for a, b in zip(sig, sig[1:])):
                raise ParameterError("sigmas", f"must be the table's {len(self.w_per_step) + 1} noise levels, "
                                     "strictly decreasing")
        self.zero_init_steps = check_int("zero_init_steps", zero_init_steps, lo=0, hi=len(self.w_per_step))
        if self.zero_init_steps and r.kind != "zerostar":
            raise ParameterError("zero_init_steps", f"is a zerostar option; the rule is {r.kind} (use 0)")
        if apg_momentum is not None:
            apg_momentum = check_real("apg_momentum", apg_momentum, lo=-1.0, hi=1.0)
            if r.kind != "apg":
                raise ParameterError("apg_momentum", f"is an apg option; the rule is {r.kind} (use None)")
        self.apg_momentum = apg_momentum
        self._inner = self._make_inner(enabled)

    # -- the diffusers class doing the work ---------------------------------------------------
    def _scale(self, step: int) -> float:
        w = self.w_per_step[step]
        return w - 1.0 if isinstance(self.rule, APG) else w

    def _make_inner(self, enabled: bool):
        g0 = self._scale(0)
        r = self.rule
        if isinstance(r, APG):
            # the threshold is set per call, from the number of elements of a sample
            return AdaptiveProjectedGuidance(guidance_scale=g0, adaptive_projected_guidance_momentum=self.apg_momentum,
                                             adaptive_projected_guidance_rescale=0.0, eta=r.eta,
                                             use_original_formulation=True, enabled=enabled)
        if isinstance(r, ZeroStar):
            return ClassifierFreeZeroStarGuidance(guidance_scale=g0, zero_init_steps=self.zero_init_steps, enabled=enabled)
        phi = r.phi if isinstance(r, Rescale) else 0.0
        return ClassifierFreeGuidance(guidance_scale=g0, guidance_rescale=phi, enabled=enabled)

    @property
    def inner(self):
        """The diffusers guider that combines the predictions (its scale is the current step's)."""
        return self._inner

    # -- BaseGuidance --------------------------------------------------------------------------
    def enable(self):
        super().enable()
        self._inner.enable()

    def disable(self):
        super().disable()
        self._inner.disable()

    def set_state(self, step: int, num_inference_steps: int, timestep) -> None:
        n = len(self.w_per_step)
        if num_inference_steps != n:
            raise ParameterError("num_inference_steps", f"the guidance table has {n} steps, the pipeline runs "
                                 f"{num_inference_steps}: export the table on the scheduler's grid "
                                 "(TabulatedGuidance.from_table(table, sigmas=scheduler.sigmas))")
        if not 0 <= step < n:
            raise ParameterError("step", f"must be in [0, {n - 1}], got {step}")
        super().set_state(step, num_inference_steps, timestep)
        self._inner.guidance_scale = self._scale(step)
        self._inner.set_state(step, num_inference_steps, timestep)

    def prepare_inputs(self, data):
        return self._inner.prepare_inputs(data)

    def prepare_inputs_from_block_state(self, data, input_fields):
        return self._inner.prepare_inputs_from_block_state(data, input_fields)

    def forward(self, pred_cond, pred_uncond=None):
        if isinstance(self.rule, APG):
            d = pred_cond[0].numel() if pred_cond.ndim > 1 else pred_cond.numel()
            self._inner.adaptive_projected_guidance_rescale = self.rule.r * self.data_scale * math.sqrt(d)
        return self._inner.forward(pred_cond, pred_uncond)

    @property
    def is_conditional(self) -> bool:
        return self._count_prepared == 1

    @property
    def num_conditions(self) -> int:
        return self._inner.num_conditions

    # -- making one ----------------------------------------------------------------------------
    @classmethod
    def from_table(cls, table, sigmas=None, *, rule=None, **kwargs) -> "TabulatedGuidance":
        """The guider of ``table`` (a :class:`GuidanceTable`, an exported table or a file) with
        ``rule`` (``None``: the table's own, ``cfgmft schedule export --guidance``; ``cfg`` for a
        table that records none): with ``sigmas`` (the scheduler's ``N + 1`` noise levels in the
        data's units, e.g. ``scheduler.sigmas``) the per-step scales on that grid; without, the
        table's rows."""
        t = table if isinstance(table, GuidanceTable) else GuidanceTable.from_export(table)
        if rule is None:
            rule = t.rule
        if sigmas is None:
            w, grid = list(t.w), list(t.sigmas)
        else:
            w = t.w_for_sigmas(sigmas).tolist()
            s = sigmas.detach().cpu().tolist() if hasattr(sigmas, "detach") else [float(x) for x in sigmas]
            grid = [float(x) for x in s]
        rule_text = as_rule(rule).spec
        return cls(w_per_step=[float(x) for x in w], rule=rule_text, data_scale=t.data_scale, sigmas=grid, **kwargs)
