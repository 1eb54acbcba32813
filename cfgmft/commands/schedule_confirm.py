"""A schedule design confirmed by Monte Carlo (claim C6, docs/explanation/model.md section 6).

:func:`confirm` designs a schedule on the finite-``d`` model at the dimension ``d`` it will be
simulated at (:func:`cfgmft.api.design_schedule` with ``d``), then runs exact-score Monte Carlo
(:func:`cfgmft.api.simulate`) of the design, of constant CFG at the peak and of ``omega = 0`` on
the same mixtures and noise (one seed). The criterion:

* **confirmed** when the Monte Carlo variance ratio of the design lies inside the band within
  3 standard errors (``LO - 3 se <= v <= HI + 3 se``; 3 standard errors is the project's
  threshold for the finite-``d`` model, docs/explanation/model.md section 6);
* and the design keeps separability: its Monte Carlo Bayes accuracy exceeds that of ``omega = 0``
  by more than 3 combined standard errors (a schedule that meets the band by switching guidance
  off is not a design);
* otherwise **not confirmed**, with the reason (the Monte Carlo ratio and how far it is from the
  band, and the finite-``d`` model's value it was designed to), or the design's own failure.

Separability is reported beside it, with error bars, for the three schedules: the Bayes
accuracy, the margin over the best competitor and the log-odds of the implicit classifier.
"""

from __future__ import annotations

import math

from ..api import design_schedule, simulate
from ..errors import InfeasibleError
from ..params import Guidance, Mixture, Problem, Sampler
from ..schedules import Constant

__all__ = ["confirm", "SIGMAS"]

#: the criterion's width, in Monte Carlo standard errors
SIGMAS = 3.0
_KEYS = ("m_final", "mean_shift", "var_ratio", "kl_per_dim", "accuracy", "margin", "log_odds")


def confirm(prior: str, alpha: float, d: int, peak: float = 3.0, sampler: str = "sde", *, sigma2: float = 1.0,
            band=(0.98, 1.02), family: str = "negwin", samples: int = 2000, disorder: int = 2, steps: int = 400,
            seed: int = 0, **design_kwargs) -> dict:
    """Design at ``d`` on the finite-d model, then Monte Carlo of the design, constant CFG at
    ``peak`` and ``omega = 0`` (module docstring); a JSON-able dict with ``confirmed`` and
    ``reason``."""
    mix = Mixture(sigma2=sigma2, prior=prior, alpha=alpha, d=d)
    out = {"prior": prior, "alpha": alpha, "d": d, "K": mix.K, "peak": peak, "sampler": sampler, "sigma2": sigma2,
           "band": list(band), "family": family, "samples": samples, "disorder": disorder, "steps": steps,
           "seed": seed, "criterion": (f"Monte Carlo var_ratio of the design inside the band within {SIGMAS:g} stderr, and its "
                                       f"Bayes accuracy above omega = 0's by more than {SIGMAS:g} combined stderr")}
    try:
        des = design_schedule(mix, peak, sampler, band=band, family=family, seed=seed, **design_kwargs)
    except InfeasibleError as e:
        out.update(confirmed=False, reason=f"no design: {e}", schedule=None)
        return out
    out["schedule"] = des.schedule.spec
    out["design"] = des.to_dict()
    mc = {}
    for name, sch in (("design", des.schedule), ("constant", Constant(peak)), ("unguided", Constant(0.0))):
        r = simulate(Problem(mix, Guidance(schedule=sch), Sampler(sampler, steps=steps)), samples=samples,
                     disorder=disorder, seed=seed)
        mc[name] = {k: r.get(k) for k in _KEYS}
    out["monte_carlo"] = mc
    v, se = mc["design"]["var_ratio"]["mean"], mc["design"]["var_ratio"]["stderr"]
    lo, hi = band
    in_band = lo - SIGMAS * se <= v <= hi + SIGMAS * se
    fd_v = des.finite_d["design"]["var_ratio"]["mean"] if des.finite_d else des.design["var_ratio"]
    # separability kept: the design's Bayes accuracy above omega = 0's by more than SIGMAS combined
    # standard errors (a design that restores the variance by switching guidance off is no design)
    a_d, a_u = mc["design"].get("accuracy"), mc["unguided"].get("accuracy")
    if a_d is not None and a_u is not None:
        se_gain = math.hypot(a_d["stderr"], a_u["stderr"])
        gain = a_d["mean"] - a_u["mean"]
        separable = gain > SIGMAS * se_gain
        sep_text = (f"Bayes accuracy {a_d['mean']:.4f} +- {a_d['stderr']:.4f} against omega = 0's "
                    f"{a_u['mean']:.4f} +- {a_u['stderr']:.4f} ({gain / se_gain if se_gain > 0 else math.inf:+.1f} stderr)")
    else:
        separable, sep_text = False, "no Bayes accuracy (no finite mixture): separability not checked"
    out["separability_kept"] = bool(separable)
    out["confirmed"] = bool(in_band and separable)
    if in_band:
        band_text = f"Monte Carlo var_ratio {v:.4f} +- {se:.4f} is inside {lo:g}:{hi:g} within {SIGMAS:g} stderr"
    else:
        gap = (lo - v) if v < lo else (v - hi)
        band_text = (f"Monte Carlo var_ratio {v:.4f} +- {se:.4f} lies {gap / se:.1f} stderr outside {lo:g}:{hi:g}; "
                     f"the model it was designed on gives {fd_v:.4f}")
    out["reason"] = band_text + "; " + sep_text + (
        "" if separable else f": separability not kept (needs more than {SIGMAS:g} stderr above omega = 0)")
    return out
