"""A schedule design confirmed by Monte Carlo (claim C6, docs/explanation/model.md section 6).

:func:`confirm` designs a schedule on the finite-``d`` model at the dimension ``d`` it will be
simulated at (:func:`cfgmft.api.design_schedule` with ``d``), then runs exact-score Monte Carlo
of the design, of ``omega = 0`` and (by default) of constant CFG at the peak on common random
numbers (:func:`cfgmft.api.simulate_paired`: the same class means, the same
initial noise and the same Brownian increments for every schedule). :func:`criterion` is C6's
criterion, stated here once (:data:`CRITERION`) and used by every C6 verdict.

Separability is reported beside it, with error bars, for the schedules: the Bayes accuracy, the
margin over the best competitor and the log-odds of the implicit classifier; the gains of the
design over ``omega = 0`` are paired differences
(:func:`cfgmft.validation.estimators.paired_difference`), next to the gain the ``d -> infinity``
theory predicts for the margin.
"""

from __future__ import annotations

import math
import time

from ..api import design_schedule
from ..errors import InfeasibleError
from ..params import Guidance, Mixture, Problem, Sampler
from ..schedules import Constant

__all__ = ["confirm", "criterion", "CRITERION", "SIGMAS"]

#: the criterion's width, in Monte Carlo standard errors
SIGMAS = 3.0
#: C6's criterion, in words (the one statement every report and result quotes)
CRITERION = (f"the design's Monte Carlo variance ratio v_perp/sigma2 inside the band within {SIGMAS:g} standard errors "
             "(LO - 3 se <= v <= HI + 3 se), with that standard error at most half the band's width (else the cell is "
             f"undecided: too few samples to tell), AND its Bayes accuracy above omega = 0's by more than {SIGMAS:g} "
             "standard errors of the paired difference (per-draw, per-sample differences on common random numbers)")
_KEYS = ("m_final", "mean_shift", "var_ratio", "kl_per_dim", "accuracy", "margin", "log_odds")


def _pm(e: dict) -> str:
    return f"{e['mean']:.4f} +- {e['stderr']:.4f}"


def criterion(var_ratio: dict, accuracy_gain: dict | None, band=(0.98, 1.02), designed_to: float | None = None) -> dict:
    """C6's criterion (:data:`CRITERION`) on the design's Monte Carlo ``var_ratio`` and its paired
    ``accuracy_gain`` over ``omega = 0`` (both ``{"mean", "stderr"}``; ``accuracy_gain`` ``None``
    where there is no Bayes accuracy). Returns ``in_band``, ``resolved``, ``separability_kept``,
    ``confirmed`` and ``reason``: one sentence per part, each stating that part's own outcome,
    so that the reason never contradicts the verdict."""
    lo, hi = band
    v, se = var_ratio["mean"], var_ratio["stderr"]
    in_band = bool(lo - SIGMAS * se <= v <= hi + SIGMAS * se)
    resolved = bool(se <= (hi - lo) / 2)
    if not resolved:
        band_text = (f"variance undecided: Monte Carlo var_ratio {_pm(var_ratio)} has a standard error above half the "
                     f"band's width {(hi - lo) / 2:g}")
    elif in_band:
        band_text = f"variance in band: Monte Carlo var_ratio {_pm(var_ratio)} inside {lo:g}:{hi:g} within {SIGMAS:g} se"
    else:
        gap = (lo - v) if v < lo else (v - hi)
        band_text = (f"variance NOT in band: Monte Carlo var_ratio {_pm(var_ratio)} lies {gap / se if se > 0 else math.inf:.1f} "
                     f"se outside {lo:g}:{hi:g}")
        if designed_to is not None:
            band_text += f" (the model it was designed on gives {designed_to:.4f})"
    if accuracy_gain is None:
        separable, sep_text = False, "separability not checked: no Bayes accuracy (no finite mixture)"
    else:
        g, gse = accuracy_gain["mean"], accuracy_gain["stderr"]
        z = g / gse if gse > 0 else (math.inf if g > 0 else -math.inf)
        separable = bool(z > SIGMAS)
        sep_text = (f"separability {'kept' if separable else 'NOT kept'}: Bayes accuracy gain over omega = 0 "
                    f"{g:+.4f} +- {gse:.4f} (paired), {z:+.1f} paired se "
                    f"({'>' if separable else 'needs >'} {SIGMAS:g})")
    confirmed = in_band and resolved and separable
    return {"in_band": in_band, "resolved": resolved, "separability_kept": bool(separable), "confirmed": bool(confirmed),
            "reason": band_text + "; " + sep_text}


def confirm(prior: str, alpha: float, d: int, peak: float = 3.0, sampler: str = "sde", *, sigma2: float = 1.0,
            band=(0.98, 1.02), family: str = "negwin", samples: int = 2000, disorder: int = 2, steps: int = 400,
            seed: int = 0, with_constant: bool = True, precision: str = "float64", **design_kwargs) -> dict:
    """Design at ``d`` on the finite-d model, then paired Monte Carlo of the design, ``omega = 0``
    and (``with_constant``) constant CFG at ``peak`` (module docstring); a JSON-able dict with
    the :func:`criterion` outcome (``confirmed``, ``reason``, ...), the paired gains
    (``paired``), the theory's predicted separability gain (``predicted``) and wall times."""
    from ..validation.estimators import PAIRED_CONVENTION
    from ..api import simulate_paired
    from ..validation.montecarlo import paired

    mix = Mixture(sigma2=sigma2, prior=prior, alpha=alpha, d=d)
    out = {"prior": prior, "alpha": alpha, "d": d, "K": mix.K, "peak": peak, "sampler": sampler, "sigma2": sigma2,
           "band": list(band), "family": family, "samples": samples, "disorder": disorder, "steps": steps,
           "seed": seed, "precision": precision, "criterion": CRITERION, "paired_convention": PAIRED_CONVENTION}
    clock = time.perf_counter()
    try:
        des = design_schedule(mix, peak, sampler, band=band, family=family, seed=seed, **design_kwargs)
    except InfeasibleError as e:
        out.update(confirmed=False, in_band=False, resolved=False, separability_kept=False,
                   reason=f"no design: {e}", schedule=None, seconds_design=time.perf_counter() - clock)
        return out
    out["seconds_design"] = time.perf_counter() - clock
    out["schedule"] = des.schedule.spec
    out["design"] = des.to_dict()
    schedules = {"design": des.schedule, "unguided": Constant(0.0)}
    if with_constant:
        schedules["constant"] = Constant(peak)
    clock = time.perf_counter()
    res = simulate_paired({name: Problem(mix, Guidance(schedule=sch), Sampler(sampler, steps=steps))
                           for name, sch in schedules.items()}, samples=samples, disorder=disorder, seed=seed,
                          precision=precision)
    out["seconds_monte_carlo"] = time.perf_counter() - clock
    out["seconds_sampling"] = res["seconds"]
    mc = {name: {k: r.get(k) for k in _KEYS} for name, r in res["runs"].items()}
    out["monte_carlo"] = mc
    pair = {}
    for key in ("accuracy", "margin", "var_ratio"):
        if key in res["per_sample"]["design"]:
            pair[f"design - unguided: {key}"] = paired(res, "design", "unguided", key).to_dict()
            if with_constant:
                pair[f"design - constant: {key}"] = paired(res, "design", "constant", key).to_dict()
    out["paired"] = pair
    th = des.design.get("separability"), des.unguided.get("separability")
    out["predicted"] = {"separability": des.separability,
                        "gain": None if None in th else th[0] - th[1],
                        "design": th[0], "unguided": th[1],
                        "note": "the d -> infinity theory's separability of the design minus omega = 0's"}
    fd_v = des.finite_d["design"]["var_ratio"]["mean"] if des.finite_d else des.design["var_ratio"]
    out.update(criterion(mc["design"]["var_ratio"], pair.get("design - unguided: accuracy"), band, designed_to=fd_v))
    return out
