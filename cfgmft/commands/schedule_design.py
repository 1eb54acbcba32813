"""``cfgmft schedule design``: a schedule that restores the variance while keeping separability.

:func:`design` runs :func:`cfgmft.api.design_schedule` and returns the JSON object of
``--json``: ``schedule`` (the text form ``--schedule`` accepts), its predicted numbers
(``design``), the same numbers for constant CFG at the peak (``constant``) and for ``omega = 0``
(``unguided``), the finite-d model's numbers where the design was corrected at ``--d``
(``finite_d``), the search's record and notes, with the version and the convention.
:func:`format_design` is the text form.
"""

from __future__ import annotations

import math
import re

from .. import __version__
from ..api import design_schedule
from ..conventions import CONVENTION

__all__ = ["design", "format_design", "short_spec", "shortest_schedule", "theory_model", "DESIGN_ROWS", "SHORT_TOL"]

#: the printed schedule keeps the d -> infinity prediction (variance ratio, separability) within this
#: absolute tolerance of the full schedule's (the JSON keeps the full form)
SHORT_TOL = 1e-4
#: numbers of a schedule smaller than this in magnitude are first tried as 0 in the printed form
TINY = 1e-9

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")

#: the rows of the text table: (key, meaning)
DESIGN_ROWS = (
    ("var_ratio", "v_perp / sigma2 (exact sampling: 1)"),
    ("mean_shift", "E[m] - 1"),
    ("kl_per_dim", "KL(generated || target) / d"),
    ("separability", "the design's objective (log_odds or margin)"),
    ("log_odds", "(log P_0(x|c) - log P_0(x))/d (infinite-class limit)"),
    ("margin", "log-likelihood margin over the best competitor (exponential regime)"),
    ("t_commit", "commitment time"),
    ("status", "theory's status"),
)


def design(mixture, peak, sampler, *, band, family, seed=0, **search) -> dict:
    """The design as a JSON-able dict (module docstring)."""
    from ..guidance import as_rule

    r = design_schedule(mixture, peak, sampler, band=band, family=family, seed=seed, **search)
    rule = as_rule(search.get("rule"))
    out = {"version": __version__, "convention": (CONVENTION + " (guidance scale w = 1 + omega)" if rule.kind == "cfg"
                                                  else rule.convention),
           "guidance": rule.spec, "precision": "float64"}
    out.update(r.to_dict())
    out["schedule_short"] = short_spec(out)
    inert = _window_after_commitment(out)
    if inert:
        out["notes"] = list(out.get("notes", [])) + [inert]
    return out


def theory_model(m: dict, rule=None):
    """The ``d -> infinity`` model a result's ``model`` record names: its prior, variance, sampler,
    ``alpha``, ``T``, guidance rule (``m['guidance']``, else ``rule``, else cfg) and sampler grid
    and update where it was computed on one."""
    from ..solvers.design import TheoryModel

    alpha = math.inf if m.get("alpha") is None else m["alpha"]
    grid = m.get("grid")
    return TheoryModel(m["prior"], m["sigma2"], m["sampler"], alpha, None if grid is not None else m.get("T"),
                       rule=m.get("guidance", rule), grid=grid, update=m.get("update") if grid is not None else None)


def shortest_schedule(full: str, model, keys=("var_ratio", "separability"), tol: float = SHORT_TOL, ref=None,
                      accept=None) -> str:
    """``full`` (a schedule's text form) with the fewest significant digits (at least 2) whose
    prediction by ``model`` is within ``tol`` (absolute) of the full schedule's in every one of
    ``keys`` (and, with ``accept``, for which ``accept(numbers)`` is true: a design's band); ``full``
    itself where no shorter form is."""
    from ..errors import ParameterError
    from ..schedules import parse_schedule

    ref = model(parse_schedule(full)) if ref is None else ref
    name, _, rest = full.partition(":")
    if not rest:
        return full

    def fmt(v: float, digits: int, tiny: float) -> str:
        return "0" if abs(v) < tiny else f"{v:.{digits}g}"

    for tiny in (TINY, 0.0):  # first with the optimiser's leftovers (|x| < TINY, e.g. 3.8e-19) written as 0
        for digits in range(2, 17):
            text = name + ":" + _NUMBER.sub(lambda mt: fmt(float(mt.group()), digits, tiny), rest)
            if text == full:
                return full
            try:
                nums = model(parse_schedule(text))
            except (ParameterError, ValueError, ArithmeticError):
                continue
            if all(nums.get(k) is not None and ref.get(k) is not None and abs(nums[k] - ref[k]) <= tol for k in keys) \
                    and (accept is None or accept(nums)):
                return text
    return full


def short_spec(r: dict, tol: float = SHORT_TOL) -> str:
    """The design's schedule with the fewest significant digits (at least 2) whose
    ``d -> infinity`` prediction (on the design's grid and for its rule, where it has them) is
    within ``tol`` of the full schedule's in the variance ratio and the separability; the full
    text form where no shorter one is."""
    from ..schedules import parse_schedule

    lo, hi = (float(x) for x in r["variance_band"])
    model = theory_model(r["model"], r.get("guidance"))
    ref = model(parse_schedule(r["schedule"]))
    # a design in its band stays in it (the band is the d -> infinity theory's unless the finite-d model
    # corrected the design: then the full form is the one that model validated, as the text says)
    in_band = r.get("finite_d") is None and lo <= ref["var_ratio"] <= hi
    return shortest_schedule(r["schedule"], model, tol=tol, ref=ref,
                             accept=(lambda n: lo <= n["var_ratio"] <= hi) if in_band else None)


def _window_after_commitment(r: dict) -> str | None:
    """The note of a design whose d -> infinity numbers are constant CFG's: its window acts after
    the commitment time, where that theory's guidance is inert."""
    d, c = r["design"], r["constant"]
    if r["model"].get("alpha") is None or d.get("t_commit") is None:
        return None
    same = all(d.get(k) is not None and c.get(k) is not None and abs(d[k] - c[k]) <= 1e-9 * max(1.0, abs(c[k]))
               for k in ("var_ratio", "mean_shift"))
    if not same:
        return None
    return (f"the window acts after commitment (t < t_commit = {d['t_commit']:.4g}); in the d -> infinity theory it "
            "changes nothing (its columns equal constant CFG's); the finite-d rows are the prediction")


def _cell(v) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    if isinstance(v, dict):
        return f"{v['mean']:.5g} +- {v['stderr']:.2g}"
    return f"{v:.6g}"


def format_design(r: dict) -> str:
    """A readable summary of :func:`design`'s result."""
    m = r["model"]
    short = r.get("schedule_short", r["schedule"])
    lines = [f"cfgmft {r['version']} schedule design: {short}"
             + ("" if short == r["schedule"] else f"   (rounded: d -> infinity prediction within {SHORT_TOL:g}"
                + (", in the band" if r.get("finite_d") is None else "; the finite-d model validated the full form")
                + "; full form in --json)"),
             f"  family {r['family']}, peak {r['peak']:g}, variance band {r['variance_band'][0]:g}:"
             f"{r['variance_band'][1]:g}; maximised: {r['separability']}",
             f"  {m['theory']}; prior {m['prior']}, sigma2 = {m['sigma2']:g}, sampler {m['sampler']}"
             + (f", d = {m['d']}, K = {m['K']}" if m.get("d") is not None else ""),
             f"  convention: {r['convention']}; {r['precision']}", "",
             f"  {'quantity':<13} {'design':>14} {'constant W':>14} {'omega = 0':>14}   meaning"]
    for key, meaning in DESIGN_ROWS:
        lines.append(f"  {key:<13} {_cell(r['design'].get(key)):>14} {_cell(r['constant'].get(key)):>14} "
                     f"{_cell(r['unguided'].get(key)):>14}   {meaning}")
    fd = r.get("finite_d")
    if fd:
        lines += ["", f"  finite-d model at d = {fd['d']}, K = {fd['K']} ({fd['note']}):"]
        for key in ("var_ratio", "mean_shift"):
            lines.append(f"  {key:<13} {_cell(fd['design'][key]):>20} {_cell(fd['constant'][key]):>20} "
                         f"{_cell(fd['unguided'][key]):>20}")
    s = r["search"]
    lines += ["", f"  search: {s['global_evaluations']} global + {s['local_evaluations']} local evaluations, "
                  f"{s['feasible_evaluations']} feasible in the theory ({s['method']})"]
    if "finite_d_feasible_evaluations" in s:
        # the band applies to the finite-d model there: the theory stage only gives its start
        lines.append(f"  finite-d search: {s['finite_d_global_evaluations']} global + "
                     f"{s['finite_d_local_evaluations']} local evaluations, {s['finite_d_feasible_evaluations']} "
                     f"feasible on the finite-d model (the band's judge; started from {s['finite_d_start']})")
    for note in r.get("notes", []):
        lines.append(f"  note: {note}")
    return "\n".join(lines)
