"""C6: a schedule with a negative-guidance window restores the variance while keeping class
separability. Three parts: the design tool confirmed by Monte Carlo
(:func:`cfgmft.commands.schedule_confirm.confirm`: ``cfgmft schedule design`` on the finite-d
model at the simulated ``d``, then paired Monte Carlo of the design, constant CFG and
``omega = 0`` on common random numbers, judged by C6's one criterion,
:data:`cfgmft.commands.schedule_confirm.CRITERION`); the same at large ``d``, read from the
committed results of ``scripts/c6_large_d.py`` (``results/c6_large_d``); and the earlier grid
design on the d -> infinity mean field (:func:`cfgmft.solvers.design.design_negative_window`)
simulated against constant guidance."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..commands.schedule_confirm import CRITERION
from .report import Verdict, save_figure
from .report import section as _section
from .settings import Settings

NAME = "C6"
FIGURE = "c6.png"
PRIOR, SAMPLER, OMEGA = "sphere", "sde", 2.0
#: the confirmation of the design tool: sigma2 = 1, peak 3, SDE, at alpha 0.3 and 0.6
CONFIRM_PEAK, CONFIRM_ALPHAS = 3.0, (0.3, 0.6)
#: the ODE's confirmation point (prior, alpha), in the full report only
CONFIRM_ODE = (("sphere", 0.3),)



#: the note under a table of rounded schedules
ROUNDED_NOTE = ("Schedules are printed with the fewest significant digits that keep their d -> infinity prediction "
                "within 1e-4; `results.json` and the cell records keep the full form.")


def _short(r: dict) -> str:
    """A cell's designed schedule with the fewest significant digits that keep its ``d -> infinity``
    prediction within :data:`~cfgmft.commands.schedule_design.SHORT_TOL` (the tables print it; the
    record keeps the full form)."""
    import math

    from ..commands.schedule_design import shortest_schedule
    from ..errors import ParameterError
    from ..solvers.design import TheoryModel

    try:
        model = TheoryModel(r["prior"], float(r.get("sigma2", 1.0)), r["sampler"],
                            math.inf if r.get("alpha") is None else float(r["alpha"]))
        return shortest_schedule(r["schedule"], model)
    except (ParameterError, ArithmeticError, ValueError, KeyError):
        return r["schedule"]

def confirm_settings(s: Settings) -> dict:
    """The confirmation's sizes (kept here: the design tool's cost is per candidate).
    ``points``: every ``(prior, alpha, sampler)`` confirmed, at each of ``dims``: the SDE at
    every prior and alpha of :data:`CONFIRM_ALPHAS`, and (full report only) the ODE at
    :data:`CONFIRM_ODE`."""
    if s.quick:
        priors, ode = ("sphere",), ()
        c = {"dims": (8,), "samples": 1000, "disorder": 2,
             "design": {"finite_d_samples": 1000, "finite_d_global": 8, "finite_d_maxiter": 12, "n_global": 32}}
    else:
        priors, ode = ("sphere", "gaussian"), CONFIRM_ODE
        c = {"dims": (8, 12), "samples": 4000, "disorder": 4,
             "design": {"finite_d_samples": 4000, "finite_d_global": 32, "finite_d_maxiter": 30, "n_global": 64}}
    c["priors"] = priors
    c["points"] = tuple((p, a, SAMPLER) for p in priors for a in CONFIRM_ALPHAS) + tuple((p, a, "ode") for p, a in ode)
    return c


#: the frontier's problems: (prior, alpha) at sigma2 = 1, peak CONFIRM_PEAK, SDE; the
#: infinite-class limit (gaussian prior, log-odds) in the full report only
FRONTIER_PROBLEMS = (("sphere", 0.3), ("sphere", 0.6))
FRONTIER_FULL_EXTRA = (("gaussian", math.inf),)
FRONTIER_FIGURE = "c6_frontier.png"


def frontier_settings(s: Settings) -> dict:
    """The frontier's problems and search sizes (quick: the exponential regime only, a few
    seconds)."""
    if s.quick:
        return {"problems": FRONTIER_PROBLEMS, "search": {"n_global": 16, "maxiter": 15}}
    return {"problems": FRONTIER_PROBLEMS + FRONTIER_FULL_EXTRA, "search": {"n_global": 32, "maxiter": 30}}


def _frontiers(s: Settings) -> list:
    from ..commands.schedule_frontier import run_frontier

    c = frontier_settings(s)
    return [run_frontier(prior=prior, sigma2=s.sigma2, sampler=SAMPLER, alpha=a, peak=CONFIRM_PEAK, seed=s.seed,
                         **c["search"]) for prior, a in c["problems"]]


def frontier_figure(frontiers: list, path: Path) -> None:
    """One panel per problem: the frontier of each family (:mod:`cfgmft.commands.schedule_frontier`)."""
    import matplotlib.pyplot as plt

    from ..commands.schedule_frontier import frontier_figure as panel

    fig, axes = plt.subplots(1, len(frontiers), figsize=(6.2 * len(frontiers), 4.6), squeeze=False)
    for ax, r in zip(axes[0], frontiers):
        panel(r, None, ax=ax)
    fig.suptitle("C6: the trade-off frontier, max separability with v_perp/sigma2 >= floor (d -> infinity theory)")
    save_figure(fig, path)


def _frontier_lines(frontiers: list) -> list:
    """The frontier in the report: per problem, each family's separability at v = 1 (or the
    largest variance ratio it reaches), against constant CFG and omega = 0."""
    lines = ["", "**The trade-off frontier** (`cfgmft schedule frontier`, `cfgmft.solvers.frontier.frontier`): for each "
             "family, the largest separability with v_perp/sigma2 at or above a floor, on the d -> infinity theory "
             f"(peak {CONFIRM_PEAK:g}, {SAMPLER.upper()}; figure {FRONTIER_FIGURE}). At the floor v = 1:", "",
             "| problem | separability | constant CFG (v, sep.) | omega = 0 (sep.) | negwin at v >= 1 | negramp at v >= 1 | "
             "best non-negative at v >= 1 | largest v of a non-negative family |",
             "|---|---|---|---|---|---|---|---|"]
    for r in frontiers:
        m = r["model"]
        where = "infinite-class" if m["alpha"] is None else f"alpha = {m['alpha']:g}"

        def at1(c):
            p = [q for q in c["points"] if q["floor"] == 1.0]
            return p[0] if p and p[0]["feasible"] else None

        def cell(name):
            c = r["curves"].get(name)
            p = None if c is None else at1(c)
            return "-" if p is None else f"{p['separability']:.4f} (v = {p['var_ratio']:.4f})"

        nonneg = [c for c in r["curves"].values() if c["nonnegative"]]
        best = max((at1(c)["separability"] for c in nonneg if at1(c)), default=None)
        lines.append(f"| {m['prior']}, {where} | {r['separability']} | {r['constant']['var_ratio']:.4f}, "
                     f"{r['constant']['separability']:.4f} | {r['unguided']['separability']:.4f} | {cell('negwin')} | "
                     f"{cell('negramp')} | {'-' if best is None else f'{best:.4f}'} | "
                     f"{max(c['max_var_ratio'] for c in nonneg):.12f} |")
    lines += ["", "A non-negative family reaches v = 1 only by switching guidance off (its separability there is omega = "
              "0's) and never goes above it (C5); the negative families reach v >= 1 and keep more separability than "
              "omega = 0 where the negwin/negramp cells exceed it."]
    return lines


def _confirmations(s: Settings) -> list:
    from ..commands.schedule_confirm import confirm

    c = confirm_settings(s)
    return [confirm(prior, a, d, CONFIRM_PEAK, smp, sigma2=s.sigma2, samples=c["samples"], disorder=c["disorder"],
                    steps=s.steps, seed=s.seed, **c["design"])
            for prior, a, smp in c["points"] for d in c["dims"]]


def compute(s: Settings) -> dict:
    from ..api import predict_finite_d
    from ..params import Guidance, Mixture, Problem, Sampler
    from ..schedules import Constant
    from ..solvers.design import design_negative_window
    from ..api import simulate_paired
    from ..validation.montecarlo import paired

    a, prior, smp, w = s.c6_alpha, PRIOR, SAMPLER, OMEGA
    des = design_negative_window(prior, s.sigma2, a, w, smp)
    design = des.schedule
    rows = []
    for d in s.c6_dims:
        # paired design: both schedules run on the same mixtures with the same noise (common
        # random numbers), so the disorder cancels in their difference
        probs = {name: Problem(Mixture(sigma2=s.sigma2, prior=prior, alpha=a, d=d), Guidance(schedule=sc),
                               Sampler(smp, steps=s.steps)) for name, sc in (("constant", Constant(w)), ("designed", design))}
        seed_d = int(np.random.SeedSequence([s.seed, 60, d]).generate_state(1)[0])
        runs = simulate_paired(probs, samples=s.c6_samples, disorder=s.c6_disorder, seed=seed_d)
        res = {name: {k: r[k] for k in ("m_final", "var_ratio", "accuracy", "margin")} for name, r in runs["runs"].items()}
        diff = paired(runs, "designed", "constant", "var_ratio").to_dict()
        gain = diff["mean"] / diff["stderr"] if diff["stderr"] > 0 else math.inf
        acc = min(res["constant"]["accuracy"]["mean"], res["designed"]["accuracy"]["mean"])
        improved, separable = gain > 3, res["designed"]["accuracy"]["mean"] >= 0.99
        fd = {}
        for name, sc in (("constant", Constant(w)), ("designed", design)):
            prob = Problem(Mixture(sigma2=s.sigma2, prior=prior, alpha=a, d=d), Guidance(schedule=sc), Sampler(smp, steps=s.steps))
            f = predict_finite_d(prob, samples=s.fd_samples, seed=s.seed)
            fd[name] = {k: f[k] for k in ("m_final", "var_ratio")}
            for k in ("m_final", "var_ratio"):
                mc = res[name][k]
                fd[name][k] = dict(fd[name][k], z=(mc["mean"] - f[k]["mean"]) / math.hypot(mc["stderr"], f[k]["stderr"]))
        rows.append(dict(d=d, K=runs["runs"]["constant"]["K"], constant=res["constant"], designed=res["designed"],
                         var_gain=diff, z_gain=gain, improved=improved, separable=separable, min_accuracy=acc,
                         finite_d=fd))
    return {"confirmation": _confirmations(s), "large_d": large_d_cells(), "frontiers": _frontiers(s), "design": design.spec, "candidates": len(des.admissible),
            "theory": {"constant": des.baseline.to_dict(), "designed": des.prediction.to_dict()},
            "monte_carlo": rows, "_settings": s, "_design": des}


def _cell_check(r: dict) -> str:
    """A confirmation cell's check name: where it is, and the criterion's own reason (which
    states each part's outcome, so a failed check never reads as met)."""
    return f"design {r['prior']}, alpha = {r['alpha']:g}, {r['sampler'].upper()}, d = {r['d']} ({r['reason']})"


def judge(data: dict) -> Verdict:
    base, pred = data["_design"].baseline, data["_design"].prediction
    checks = {"theory_ok": abs(pred.var_ratio - 1) <= abs(base.var_ratio - 1) / 4 and pred.margin > 0}
    for r in data["confirmation"]:
        checks[_cell_check(r)] = r["confirmed"]
    for r in data.get("large_d", []):
        checks["large d: " + _cell_check(r)] = r["confirmed"]
    for r in data["monte_carlo"]:
        checks[f"d = {r['d']}: variance improved"] = r["improved"]
        checks[f"d = {r['d']}: separable"] = r["separable"]
    return Verdict(checks, recorded=("theory_ok",))


#: the committed results of scripts/c6_large_d.py, one JSON file per cell
LARGE_D = Path(__file__).resolve().parents[2] / "results" / "c6_large_d"
_LARGE_D_KEYS = ("cell", "prior", "alpha", "d", "K", "sampler", "samples", "disorder", "steps", "seed", "precision",
                 "schedule", "monte_carlo", "paired", "predicted", "in_band", "resolved", "separability_kept", "confirmed",
                 "reason", "seconds", "seconds_design", "seconds_monte_carlo", "criterion")


def large_d_cells(path: Path = LARGE_D) -> list:
    """The cells of ``scripts/c6_large_d.py`` committed under ``path`` (their summaries: the
    numbers, the verdict and the wall times), sorted by sampler, alpha, prior and d; ``[]`` where
    there are none (an installed package without the repository's results)."""
    import json

    path = Path(path)
    cells = [json.loads(f.read_text()) for f in sorted(path.glob("*.json"))] if path.is_dir() else []
    cells = [{k: r.get(k) for k in _LARGE_D_KEYS} for r in cells if "confirmed" in r]
    return sorted(cells, key=lambda r: (r["sampler"] != "sde", r["alpha"], r["prior"] != "sphere", r["d"]))


def _large_d_lines(cells: list) -> list:
    """The large-d table and the trend of the gains with d."""
    if not cells:
        return ["", f"**Large d** (`scripts/c6_large_d.py`): no committed results found under {LARGE_D.name}."]
    lines = ["", "**Large d** (`scripts/c6_large_d.py`, committed results in `results/c6_large_d`; docs/guide/c6.md): "
             "the design at each d on the finite-d model, then paired Monte Carlo of the design and omega = 0 on common "
             "random numbers; the accuracy and margin gains are paired differences (design minus omega = 0) with their "
             "paired standard errors, beside the margin gain the d -> infinity theory predicts for the same schedule:", "",
             "| prior | alpha | sampler | d | K | draws x samples | schedule | v_perp/sigma2 (MC) | accuracy: design, omega = 0 | "
             "accuracy gain (paired) | margin gain (paired) | predicted margin gain | wall s | verdict |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in cells:
        mc, pr = r.get("monte_carlo") or {}, r.get("paired") or {}
        cell = lambda e: "-" if e is None else f"{e['mean']:.4f} ± {e['stderr']:.4f}"  # noqa: E731
        g = pr.get("design - unguided: accuracy")
        z = "" if g is None or not g["stderr"] else f" ({g['mean'] / g['stderr']:+.1f} se)"
        acc = "-" if not mc else f"{mc['design']['accuracy']['mean']:.4f}, {mc['unguided']['accuracy']['mean']:.4f}"
        pg = (r.get("predicted") or {}).get("gain")
        lines.append(f"| {r['prior']} | {r['alpha']:g} | {r['sampler'].upper()} | {r['d']} | {r['K']} | "
                     f"{r['disorder']} x {r['samples']} | `{_short(r)}` | {cell(mc.get('design', {}).get('var_ratio'))} | "
                     f"{acc} | {cell(g)}{z} | {cell(pr.get('design - unguided: margin'))} | "
                     f"{'-' if pg is None else f'{pg:.4f}'} | {r['seconds']:.0f} | "
                     f"{'confirmed' if r['confirmed'] else 'not confirmed'}: {r['reason']} |")
    lines += ["", ROUNDED_NOTE]
    return lines


CONFIRM_FIGURE = "c6_confirm.png"


def confirm_figure(conf: list, path: Path) -> None:
    """The design tool's confirmation: Monte Carlo variance ratio (with the band) and Bayes
    accuracy of the design, constant CFG and omega = 0 at each (prior, alpha, d)."""
    import matplotlib.pyplot as plt

    pts = [r for r in conf if r.get("monte_carlo")]
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    labels = [f"{r['prior']} {r['sampler'].upper()}\nalpha={r['alpha']:g}, d={r['d']}" for r in pts]
    x = np.arange(len(pts))
    for k, name in enumerate(("design", "constant", "unguided")):
        for ax, key in zip(axes, ("var_ratio", "accuracy")):
            vals = [r["monte_carlo"][name][key] for r in pts]
            ax.errorbar(x + 0.12 * (k - 1), [v["mean"] for v in vals], yerr=[v["stderr"] for v in vals], fmt="o",
                        capsize=3, color=f"C{k}", label=name)
    if pts:
        lo, hi = pts[0]["band"]
        axes[0].axhspan(lo, hi, color="C0", alpha=0.15, label=f"band {lo:g}:{hi:g}")
    axes[0].set(title="Monte Carlo variance ratio", ylabel="v_perp / sigma2")
    axes[1].set(title="Monte Carlo Bayes accuracy", ylabel="fraction assigned to c")
    for ax in axes:
        ax.set_xticks(x, labels, fontsize=7)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"C6: designs on the finite-d model at the simulated d, peak {CONFIRM_PEAK:g}")
    save_figure(fig, path)


def figure(data: dict, path: Path) -> None:
    import matplotlib.pyplot as plt

    confirm_figure(data["confirmation"], Path(path).with_name(CONFIRM_FIGURE))
    if data.get("frontiers"):
        frontier_figure(data["frontiers"], Path(path).with_name(FRONTIER_FIGURE))

    s, des, rows = data["_settings"], data["_design"], data["monte_carlo"]
    base, pred, design = des.baseline, des.prediction, des.schedule
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    tt = np.linspace(0, 3, 600)
    axes[0].plot(tt, np.full_like(tt, OMEGA), label=f"constant:{OMEGA:g}")
    axes[0].plot(tt, design(tt), label=design.spec)
    axes[0].axhline(0, color="k", lw=0.8, ls=":")
    axes[0].axvline(base.t_commit, color="C0", lw=0.8, ls="--", label="t_commit (constant)")
    axes[0].axvline(pred.t_commit, color="C1", lw=0.8, ls="--", label="t_commit (designed)")
    axes[0].set(xlabel="t (sampling runs from right to left)", ylabel="omega(t)", title="schedules")
    labels = ["theory d -> inf"] + [f"MC d={r['d']}" for r in rows]
    x = np.arange(len(labels))
    for k, (name, th) in enumerate((("constant", base), ("designed", pred))):
        v = [th.var_ratio] + [r[name]["var_ratio"]["mean"] for r in rows]
        ve = [0] + [r[name]["var_ratio"]["stderr"] for r in rows]
        axes[1].errorbar(x + 0.1 * (2 * k - 1), v, yerr=ve, fmt="o", capsize=3, color=f"C{k}", label=name)
        axes[1].plot(x[1:] + 0.1 * (2 * k - 1) + 0.08, [r["finite_d"][name]["var_ratio"]["mean"] for r in rows], "D",
                     mfc="none", color=f"C{k}", label=f"{name}: finite-d prediction")
        marg = [th.margin] + [r[name]["margin"]["mean"] for r in rows]
        me = [0] + [r[name]["margin"]["stderr"] for r in rows]
        axes[2].errorbar(x + 0.1 * (2 * k - 1), marg, yerr=me, fmt="o", capsize=3, color=f"C{k}", label=name)
    axes[1].axhline(1, color="k", lw=0.8, ls=":")
    axes[2].axhline(0, color="k", lw=0.8, ls=":")
    for ax, title, yl in ((axes[1], "variance ratio", "v_perp / sigma2 (exact: 1)"),
                          (axes[2], "class separability", "log-likelihood margin per dimension")):
        ax.set_xticks(x, labels)
        ax.set(title=title, ylabel=yl)
        ax.grid(alpha=0.3)
    for ax in axes:
        ax.legend(fontsize=7)
    fig.suptitle(f"C6: {PRIOR} prior, alpha = {s.c6_alpha:g}, sigma2 = {s.sigma2:g}, {SAMPLER.upper()}")
    save_figure(fig, path)


def _points_text(cs: dict) -> str:
    """The confirmation points of :func:`confirm_settings`, in words."""
    by = {}
    for prior, a, smp in cs["points"]:
        by.setdefault(smp, []).append(f"{prior} alpha = {a:g}")
    return "; ".join(f"{smp.upper()}: {', '.join(v)}" for smp, v in by.items())


def _grid_text(des) -> str:
    """The candidate grid of the design, in words."""
    sch = [c.schedule for c in des.candidates]
    depths = list(dict.fromkeys(sc.omega_neg for sc in sch))
    lates = list(dict.fromkeys(sc.omega_late for sc in sch))
    return (f"W in {', '.join(f'{x:g}' for x in depths)}; windows in [{min(sc.t_lo for sc in sch):g}, "
            f"{max(sc.t_hi for sc in sch):g}]; omega_late {' or '.join(f'{x:g}' for x in lates)}")


def section(data: dict, verdict: Verdict) -> str:
    s, des, rows = data["_settings"], data["_design"], data["monte_carlo"]
    base, pred, design = des.baseline, des.prediction, des.schedule
    conf = data["confirmation"]
    cs = confirm_settings(s)
    lines = [
        f"**The design tool, confirmed by Monte Carlo.** `cfgmft schedule design --peak {CONFIRM_PEAK:g}` "
        f"(family negwin, band 0.98:1.02, sigma2 = {s.sigma2:g}; {_points_text(cs)}) at each d on the finite-d model "
        f"({cs['design']['finite_d_samples']} model samples, {cs['design']['finite_d_global']} scan points plus COBYLA), "
        f"then exact-score Monte Carlo ({cs['samples']} samples x {cs['disorder']} mixtures, {s.steps} steps) of the "
        "design, of constant CFG at the peak and of omega = 0 on common random numbers (the same class means, initial "
        "noise and Brownian increments: `cfgmft.api.simulate_paired`). **The C6 criterion** "
        f"(`cfgmft.commands.schedule_confirm.CRITERION`, applied to every cell here and at large d): {CRITERION}. "
        "Separability (Bayes accuracy, margin over the best competitor, log-odds of the implicit classifier) beside it; "
        "the gains over omega = 0 are paired differences (`cfgmft.validation.estimators.paired_difference`):",
        "",
        "| prior | alpha | sampler | d | K | design | schedule | v_perp/sigma2 (finite-d model) | v_perp/sigma2 (MC) | accuracy | margin | log_odds | gain over omega = 0 (paired): accuracy; margin (predicted) | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in conf:
        if r.get("monte_carlo") is None:
            lines.append(f"| {r['prior']} | {r['alpha']:g} | {r['sampler'].upper()} | {r['d']} | {r['K']} | - | - | - | - | - | - | - | - | "
                         f"not confirmed: {r['reason']} |")
            continue
        fd = r["design"]["finite_d"]
        for name in ("design", "constant", "unguided"):
            q = r["monte_carlo"][name]
            sched = {"design": f"`{_short(r)}`", "constant": f"`constant:{CONFIRM_PEAK:g}`",
                     "unguided": "`constant:0`"}[name]
            fdv = fd[name]["var_ratio"] if fd else None
            cell = lambda e: "n/a" if e is None else f"{e['mean']:.4f} ± {e['stderr']:.4f}"  # noqa: E731
            verdict_cell = (("confirmed" if r["confirmed"] else "not confirmed") + f": {r['reason']}") \
                if name == "design" else ""
            gain_cell = ""
            if name == "design" and r.get("paired"):
                pg = (r.get("predicted") or {}).get("gain")
                gain_cell = (f"{cell(r['paired'].get('design - unguided: accuracy'))}; "
                             f"{cell(r['paired'].get('design - unguided: margin'))} "
                             f"({'-' if pg is None else f'{pg:.4f}'})")
            lines.append(f"| {r['prior']} | {r['alpha']:g} | {r['sampler'].upper()} | {r['d']} | {r['K']} | {name} | {sched} | {cell(fdv)} | "
                         f"{cell(q['var_ratio'])} | {cell(q['accuracy'])} | {cell(q['margin'])} | {cell(q['log_odds'])} | "
                         f"{gain_cell} | {verdict_cell} |")
    lines += _large_d_lines(data.get("large_d", []))
    if data.get("frontiers"):
        lines += _frontier_lines(data["frontiers"])
    lines += [
        "",
        "**The earlier grid design.** "
        f"Exponential regime, {PRIOR} prior, alpha = {s.c6_alpha:g}, sigma2 = {s.sigma2:g}, {SAMPLER.upper()}. Design on the "
        f"d -> infinity theory (`cfgmft.solvers.design.design_negative_window`): among {data['candidates']} "
        f"negative-window schedules `negwin:{OMEGA:g}:W:T_LO:T_HI:W_LATE` ({_grid_text(des)}) that commit and keep at "
        "least half the margin of constant guidance, the one with v_perp/sigma2 closest to 1:",
        "",
        "| schedule | E[m] | v_perp/sigma2 | margin | t_commit |",
        "|---|---|---|---|---|",
        f"| `constant:{OMEGA:g}` | {base.m_final:.4f} | {base.var_ratio:.4f} | {base.margin:.4f} | {base.t_commit:.4f} |",
        f"| `{design.spec}` | {pred.m_final:.4f} | {pred.var_ratio:.4f} | {pred.margin:.4f} | {pred.t_commit:.4f} |",
        "",
        f"Theory: the variance defect shrinks by {abs(base.var_ratio - 1) / max(abs(pred.var_ratio - 1), 1e-16):.0f}x and "
        f"the margin stays positive: {'yes' if verdict.checks['theory_ok'] else 'NO'}. The window must act before "
        "commitment: after t_commit guidance is inert, so windows near t = 0 change nothing in this regime.",
        "",
        f"Monte Carlo (`cfgmft.api.simulate_paired`), {s.c6_samples} samples x {s.c6_disorder} mixtures "
        "per point, both schedules on common random numbers; standard errors over the mixtures (`cfgmft.results.over_draws`: "
        "the spread over the mixtures, floored by the sampling error of one mixture); the variance gain below is the paired "
        "difference of the per-sample terms (`cfgmft.validation.estimators.paired_difference`):",
        "",
        "| d | K | schedule | E[m] | v_perp/sigma2 | finite-d prediction: E[m] (z), v_perp/sigma2 (z) | Bayes accuracy | margin |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        for name in ("constant", "designed"):
            q, f = r[name], r["finite_d"][name]
            lines.append(f"| {r['d']} | {r['K']} | {name} | {q['m_final']['mean']:.4f} ± {q['m_final']['stderr']:.4f} | "
                         f"{q['var_ratio']['mean']:.4f} ± {q['var_ratio']['stderr']:.4f} | "
                         f"{f['m_final']['mean']:.4f} ({f['m_final']['z']:+.1f}), {f['var_ratio']['mean']:.4f} ({f['var_ratio']['z']:+.1f}) | "
                         f"{q['accuracy']['mean']:.4f} ± {q['accuracy']['stderr']:.4f} | "
                         f"{q['margin']['mean']:.4f} ± {q['margin']['stderr']:.4f} |")
    lines += [
        "",
        "Variance gain of the designed schedule over constant guidance (paired difference): "
        + ", ".join(f"d = {r['d']}: {r['var_gain']['mean']:+.4f} ± {r['var_gain']['stderr']:.4f} ({r['z_gain']:.1f} se)"
                    for r in rows) + ". At these d the Monte Carlo distortion is larger "
        "than the d -> infinity one and the restoration is partial: the schedule moves the variance towards 1, as "
        "predicted, but does not reach it. The finite-d prediction (`cfgmft theory --d D --finite-d`, the reduced model of "
        "C2, run with each schedule; z = (MC - prediction)/combined standard error) gives the size of that finite-d "
        "effect for both schedules: not part of the verdict, it says whether the partial restoration is the expected "
        "finite-size behaviour of the same mechanism.",
        "",
        "Criterion: the C6 criterion stated above at every (prior, alpha, d) of the design tool's table and of the large-d "
        "table; and, for the grid design, theory: the designed schedule's variance defect at most a quarter of constant "
        "guidance's, with a positive margin; Monte Carlo at every d: its variance ratio above constant guidance's by more "
        "than 3 paired standard errors, and Bayes accuracy of its samples >= 0.99 (class separability kept).",
    ]
    extra = (CONFIRM_FIGURE, FRONTIER_FIGURE) if data.get("frontiers") else (CONFIRM_FIGURE,)
    return _section(NAME, lines, FIGURE, verdict, extra_figures=extra)
