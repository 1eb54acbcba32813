"""``cfgmft schedule frontier``: the trade-off of variance ratio against separability.

:func:`run_frontier` runs :func:`cfgmft.api.frontier` (for each family, the largest
separability with ``v_perp/sigma2`` at or above each floor of a sweep, in the theory: the
margin over the best competitor in the exponential regime, the log-odds of the implicit
classifier in the infinite-class limit) and returns the JSON object of ``--json``: every
parameter, the version and the convention, one curve per family, and the numbers of constant
CFG at the peak and of ``omega = 0``. With ``out`` it writes ``frontier.json`` and
``frontier.png`` (:func:`frontier_figure`: one curve per family, constant CFG and ``omega = 0``
marked) there. :func:`format_frontier` is the text form.
"""

from __future__ import annotations

import time
from pathlib import Path

from .. import __version__
from ..api import frontier
from ..conventions import CONVENTION

__all__ = ["run_frontier", "format_frontier", "frontier_figure", "JSON_NAME", "FIGURE_NAME"]

JSON_NAME, FIGURE_NAME = "frontier.json", "frontier.png"


def run_frontier(*, out=None, **kwargs) -> dict:
    """The frontier as a JSON-able dict (module docstring); with ``out`` (a folder, created and
    checked before anything is computed) also ``frontier.json`` and ``frontier.png`` there,
    listed under ``files``."""
    from ..solvers.frontier import check_frontier

    check_frontier(**kwargs)  # bad arguments are refused before the folder is created
    folder = None
    if out is not None:
        from ..io import output_folder

        folder = output_folder(out)
    t0 = time.perf_counter()
    from ..guidance import as_rule

    rule = as_rule(kwargs.get("rule"))
    f = frontier(**kwargs)
    r = {"version": __version__, "convention": (CONVENTION + " (guidance scale w = 1 + omega)" if rule.kind == "cfg"
                                                else rule.convention), "guidance": rule.spec, "precision": "float64"}
    r.update(f.to_dict())
    _short_schedules(r)
    r["seconds"] = time.perf_counter() - t0
    if folder is not None:
        from ..io import save_json

        r["files"] = [str(folder / JSON_NAME), str(folder / FIGURE_NAME)]
        frontier_figure(r, folder / FIGURE_NAME)
        save_json(folder / JSON_NAME, {k: v for k, v in r.items() if k not in ("version", "convention")})
    return r


def _title(r: dict) -> str:
    m = r["model"]
    where = "infinite-class limit" if m["alpha"] is None else f"alpha = {m['alpha']:g}"
    return f"{m['prior']} prior, sigma2 = {m['sigma2']:g}, {where}, {m['sampler'].upper()}, peak {r['peak']:g}"


def _short_schedules(r: dict) -> None:
    """Each feasible point's ``schedule_short``: its schedule with the fewest significant digits that
    keep its prediction within :data:`~cfgmft.commands.schedule_design.SHORT_TOL` (the text table
    prints it; ``schedule`` keeps the full form)."""
    from .schedule_design import shortest_schedule, theory_model

    model = theory_model(r["model"], r.get("guidance"))
    for c in r["curves"].values():
        for p in c["points"]:
            if p.get("feasible") and p.get("schedule"):
                p["schedule_short"] = shortest_schedule(p["schedule"], model)


def frontier_figure(r: dict, path, ax=None) -> None:
    """One curve per family (separability against the variance ratio reached at each floor,
    dashed for the non-negative families), constant CFG at the peak and ``omega = 0`` marked,
    ``v = 1`` drawn. With ``ax`` it draws there and writes nothing."""
    import matplotlib

    if ax is None:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(7.2, 4.8))
    for k, (name, c) in enumerate(r["curves"].items()):
        pts = [p for p in c["points"] if p["feasible"]]
        # the best schedule can exceed its floor: plot what it reaches
        ax.plot([p["var_ratio"] for p in pts], [p["separability"] for p in pts], ls="--" if c["nonnegative"] else "-",
                marker="o", ms=3, color=f"C{k % 10}", lw=1.4 if c["nonnegative"] else 2.2, label=name)
    ax.plot([r["constant"]["var_ratio"]], [r["constant"]["separability"]], "k*", ms=12,
            label=f"constant CFG, omega = {r['peak']:g}")
    ax.plot([r["unguided"]["var_ratio"]], [r["unguided"]["separability"]], "ks", ms=8, mfc="none", label="omega = 0")
    ax.axvline(1.0, color="k", lw=0.8, ls=":")
    ax.set(xlabel="v_perp / sigma2 (exact sampling: 1)",
           ylabel=f"{r['separability']} ({'per dimension' if r['separability'] == 'margin' else '(log P_0(x|c) - log P_0(x))/d'})",
           title=_title(r))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    if own:
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)


def format_frontier(r: dict) -> str:
    """A readable table of :func:`run_frontier`'s result: per family and floor, the best
    schedule's variance ratio and separability."""
    s = r["search"]
    lines = [f"cfgmft {r['version']} schedule frontier: max {r['separability']} subject to v_perp/sigma2 >= floor",
             f"  {r['model']['theory']}; {_title(r)}",
             f"  convention: {r['convention']}; {r['precision']}",
             f"  search per floor: {s['n_global']} Sobol points, {s['n_starts']} COBYLA start(s), maxiter "
             f"{s['maxiter']}, seed {s['seed']}, t_max {s['t_max']:g}",
             f"  constant CFG at {r['peak']:g}: var_ratio {r['constant']['var_ratio']:.6g}, "
             f"{r['separability']} {r['constant']['separability']:.6g};  omega = 0: var_ratio "
             f"{r['unguided']['var_ratio']:.6g}, {r['separability']} {r['unguided']['separability']:.6g}", ""]
    lines.append(f"  {'family':<12} {'floor':>9} {'var_ratio':>11} {r['separability']:>12}  schedule")
    for name, c in r["curves"].items():
        for p in c["points"]:
            if p["feasible"]:
                lines.append(f"  {name:<12} {p['floor']:>9.5f} {p['var_ratio']:>11.6f} {p['separability']:>12.6f}  "
                             f"{p.get('schedule_short', p['schedule'])}")
            else:
                lines.append(f"  {name:<12} {p['floor']:>9.5f} {'-':>11} {'-':>12}  infeasible (largest var_ratio "
                             f"seen {p['var_ratio']:.6g})")
    from .schedule_design import SHORT_TOL

    lines += ["", f"  schedules rounded to the fewest digits that keep their prediction within {SHORT_TOL:g} "
                  "(the full form is in --json and frontier.json)"]
    if r.get("files"):
        lines += ["", f"  written: {', '.join(r['files'])}"]
    return "\n".join(lines)
