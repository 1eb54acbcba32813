"""The frontier of separability against the variance ratio for every guidance rule in the
exponential regime (K = round(e^(alpha d)) classes, sphere prior, sigma2 = 1), below and above
the critical line, both samplers, with paired exact-score Monte Carlo at the points of equal
separability.

    nice -n 5 python scripts/rules_frontier.py [--only CELL,...] [--out results/rules_frontier]
    python scripts/rules_frontier.py --report      # the table and the figure from the cells in --out

What a cell computes (``run_cell``), for one regime (alpha and cfg's reference strength), one
sampler and one dimension d:

* the theory's frontier (``d -> infinity``, :func:`cfgmft.solvers.rules.predict_rule`): for each
  rule of C7 (:data:`cfgmft.reproduce.c7.RULES`, at C7's parameters) the curve (variance ratio,
  separability) traced by its constant strength, and cfg's negative window (C7's shape
  :data:`cfgmft.reproduce.c7.NEGWIN`) traced by its peak W. The separability of the exponential
  regime is the ``margin``: the per-dimension log-likelihood margin at t = 0 of the target over
  its best competitor;
* the points at equal separability, as C7 does in the infinite-class limit: each rule (and the
  window) at the strength where its theory's margin equals cfg's at the regime's reference
  strength ``omega0`` (brentq on the strength; a rule whose margin saturates below is reported as
  not reaching it), with ``alpha_c`` of the rule at that strength (:func:`cfgmft.solvers.phase.alpha_c`,
  ``alpha_c_schedule`` for the window) to check that the point lies on the regime's side of the
  critical line;
* paired Monte Carlo with exact scores at those points (:func:`cfgmft.api.simulate_paired`: the
  same class means, initial noise and Brownian increments for every rule; one step count for all,
  ``STEPS x max(1, omega_max/2)``, as C7 does, so that the increments are common), with each rule's
  difference to cfg and its paired standard error
  (:func:`cfgmft.validation.estimators.paired_difference`), for ``E[m]``, ``v/sigma2``, the margin,
  the Bayes accuracy and the Gaussian KL per dimension (the difference of the plug-in KLs, its
  error by the paired linearisation);
* two finite-size references that say why the Monte Carlo differs from the ``d -> infinity``
  theory: the margin the theory's final ``(M, S)`` has against ``K - 1`` competitors at this
  finite ``K`` (the exact mean of the largest of ``K - 1`` cosines on the sphere of R^d instead of
  its ``d -> infinity`` limit ``sqrt(1 - e^(-2 alpha))``: the extreme-value correction alone), and,
  for cfg and its window, the finite-d reduced model (:func:`cfgmft.solvers.finite_d.predict_finite_d`,
  which covers cfg only).

The agreement criterion is C7's, unchanged: ``|MC - theory| <= AGREE_K se + FINITE_D_C/d`` for
``E[m]``, ``v/sigma2`` and the margin; a row that misses it is reported as a disagreement with its
cause, not absorbed by a larger allowance.

Each cell is written to ``OUT/<cell>.json`` when done (a re-run skips the cells there), with its
parameters, seed, wall and CPU seconds, commit and command; ``--report`` writes
``OUT/rules_frontier.md`` and ``OUT/rules_frontier.png`` from the cells present. Conventions:
omega is the strength (w = 1 + omega), rules as in cfgmft.guidance, float64,
m = x.mu_c/|mu_c|^2, var_ratio = v_perp/sigma2.
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import os
import platform
import sys
import time

import numpy as np

from cfgmft.reproduce.c7 import FINITE_D_C, NEGWIN, RULES
from cfgmft.reproduce.common import AGREE_K

SEED = 20260223
SIGMA2 = 1.0
PRIOR = "sphere"
STEPS = 400
#: the regimes: alpha and cfg's reference strength omega0 (the target separability is cfg's margin
#: there). Below: C7's alpha = 0.3 and omega0 = 2 (every rule's alpha_c(omega) is above 0.3 for
#: omega >= 0.5, so the points commit). Above: alpha = 0.75 with omega0 = 1, above every rule's
#: alpha_c at its equal-separability strength (0.66-0.73); at omega0 = 2 cfg's alpha_c is 0.80-0.89
#: and the regime above it would need alpha ~ 1, i.e. d ~ 7 for K of a few thousand.
REGIMES = {"below": {"alpha": 0.3, "omega0": 2.0}, "above": {"alpha": 0.75, "omega0": 1.0}}
#: the entries compared: the rules at constant strength, and cfg's negative window with peak W
NEGWIN_NAME = "cfg negwin"
ENTRIES = tuple(RULES) + (NEGWIN_NAME,)
#: the cells: (regime, d, sampler). d is chosen so that K = round(e^(alpha d)) is a few hundred to a few
#: thousand (below: d = 20, K = 403; above: d = 10, K = 1808), and other d per regime (below: d = 14, K = 67,
#: and d = 26, K = 2440; above: d = 8, K = 403) to see how the gap to the d -> infinity theory moves with d
CELLS = [("below", 20, "sde"), ("below", 20, "ode"), ("above", 10, "sde"), ("above", 10, "ode"),
         ("below", 14, "sde"), ("below", 14, "ode"), ("above", 8, "sde"), ("above", 8, "ode"),
         ("below", 26, "sde"), ("below", 26, "ode")]
DRAWS, SAMPLES = 4, 500
#: strengths of the theory's frontier curves (the window's peak W on the same grid)
CURVE_OMEGAS = tuple(np.round(np.concatenate([np.linspace(0.0, 2.0, 11)[1:], np.linspace(2.5, 8.0, 12),
                                              [10.0, 12.0, 16.0]]), 6))
KEYS = ("m_final", "var_ratio", "margin", "accuracy")


def cell_name(regime: str, d: int, sampler: str) -> str:
    return f"{regime}_a{REGIMES[regime]['alpha']:g}_d{d}_{sampler}"


def _strength_text(entry: str, omega: float):
    """``(rule, omega)`` for the theory and the Monte Carlo: the rule at constant strength, or cfg
    with the negative window of peak ``omega``."""
    if entry == NEGWIN_NAME:
        return "cfg", NEGWIN.format(w=float(omega))
    return entry, float(omega)


def theory(entry: str, omega: float, sampler: str, alpha: float) -> dict:
    """The ``d -> infinity`` prediction of ``entry`` at strength (peak) ``omega``."""
    from cfgmft.solvers.rules import predict_rule

    rule, om = _strength_text(entry, omega)
    p = predict_rule(PRIOR, SIGMA2, om, sampler, rule, alpha=alpha)
    return {"m_final": p.m_final, "var_ratio": p.var_ratio, "log_var_ratio": p.log_var_ratio, "margin": p.margin,
            "kl_per_dim": p.kl_per_dim, "t_commit": p.t_commit, "status": p.status}


def slopes(entry: str, omega: float, sampler: str, alpha: float, rel: float = 1e-4) -> dict:
    """``dX/dmargin`` along ``entry``'s theory curve at strength ``omega`` (central differences in the
    strength), for ``X`` = KL per dimension, ``v/sigma2`` and ``E[m]``: the first-order change of each
    when the strength moves the margin by one unit."""
    h = rel * max(omega, 1e-2)
    lo, hi = theory(entry, omega - h, sampler, alpha), theory(entry, omega + h, sampler, alpha)
    dmg = hi["margin"] - lo["margin"]
    return {k: (hi[k] - lo[k]) / dmg for k in ("kl_per_dim", "var_ratio", "m_final")}


def at_cfg_margin(row: dict, alpha: float, sampler: str) -> dict:
    """The paired differences to cfg of KL, ``v`` and ``E[m]`` moved, to first order along the row's
    theory curve, to the strength where the row's Monte Carlo margin would equal cfg's:
    ``Delta X - (dX/dmargin) Delta margin``; standard error bounded by ``se_X + |dX/dmargin| se_margin``
    (the two paired differences are correlated, their correlation not stored: the bound holds for any)."""
    sl = slopes(row["entry"], row["omega"], sampler, alpha)
    dm, se_m = row["paired_vs_cfg"]["margin"]
    return {k: [row["paired_vs_cfg"][k][0] - sl[k] * dm, row["paired_vs_cfg"][k][1] + abs(sl[k]) * se_m, sl[k]]
            for k in ("kl_per_dim", "var_ratio", "m_final")}


def frontier_curve(entry: str, sampler: str, alpha: float, omegas=CURVE_OMEGAS) -> list:
    """The theory's curve of ``entry``: ``[omega, var_ratio, margin, m_final]`` along the strengths."""
    out = []
    for w in omegas:
        if entry == NEGWIN_NAME and w <= 0:
            continue
        p = theory(entry, w, sampler, alpha)
        out.append([float(w), p["var_ratio"], p["margin"], p["m_final"]])
    return out


def critical_alpha(entry: str, omega: float, sampler: str) -> float:
    """``alpha_c`` of ``entry`` at strength (peak) ``omega``: commitment before t = 0 iff alpha < alpha_c."""
    from cfgmft.solvers.phase import alpha_c, alpha_c_schedule

    rule, om = _strength_text(entry, omega)
    if isinstance(om, str):
        return float(alpha_c_schedule(om, sampler=sampler, prior=PRIOR, sigma2=SIGMA2, xtol=1e-7, rule=rule))
    return float(alpha_c(om, sampler=sampler, prior=PRIOR, sigma2=SIGMA2, xtol=1e-7, rule=rule))


def equal_separability_points(regime: str, sampler: str, omega_max: float = 64.0) -> dict:
    """Each entry at the strength where its theory's margin equals cfg's at the regime's ``omega0``
    (``None`` where the margin stays below it up to ``omega_max``), with its theory and ``alpha_c``."""
    from scipy.optimize import brentq

    alpha, omega0 = REGIMES[regime]["alpha"], REGIMES[regime]["omega0"]
    target = theory("cfg", omega0, sampler, alpha)["margin"]
    points = {}
    for entry in ENTRIES:
        if entry == "cfg":
            w = omega0
        else:
            f = lambda v: theory(entry, v, sampler, alpha)["margin"] - target  # noqa: E731
            lo = 1e-3 if entry == NEGWIN_NAME else 0.0
            hi = 1.0
            while f(hi) < 0 and hi < omega_max:
                hi *= 2.0
            if f(hi) < 0:
                points[entry] = {"omega": None, "note": f"its margin stays below cfg's for strengths <= {omega_max:g}"}
                continue
            w = brentq(f, lo, hi, xtol=1e-10, rtol=1e-12)
        th = theory(entry, w, sampler, alpha)
        a_c = critical_alpha(entry, w, sampler)
        side = "below" if alpha < a_c else "above"
        points[entry] = {"omega": float(w), "theory": th, "alpha_c": a_c, "side": side, "on_regime_side": side == regime}
    return {"alpha": alpha, "omega0": omega0, "target_margin": target, "points": points}


def mean_max_cosine(d: int, n: int) -> float:
    """``E max(y_1..y_n)`` for ``n`` i.i.d. cosines ``y = u.e`` of ``u`` uniform on the unit sphere
    of R^d (density proportional to ``(1 - y^2)^((d-3)/2)``): ``1 - int_{-1}^{1} F(y)^n dy``."""
    from scipy.special import betainc

    y = np.linspace(-1.0, 1.0, 20001)
    F = betainc(0.5 * (d - 1), 0.5 * (d - 1), 0.5 * (1.0 + y))
    g = np.exp(n * np.log(np.clip(F, 1e-300, 1.0)))
    return float(1.0 - np.sum(0.5 * (g[1:] + g[:-1]) * np.diff(y)))


def finite_k_margin(M: float, S: float, d: int, K: int, sigma2: float = SIGMA2) -> float:
    """The margin of the final law ``(M, S)`` against ``K - 1`` sphere competitors at dimension
    ``d``: ``(M - sqrt(M^2 + S) E max y)/sigma2`` (its ``d -> infinity`` limit, with
    ``max y -> sqrt(1 - e^(-2 alpha))``, is the theory's margin)."""
    return (M - math.sqrt(M * M + S) * mean_max_cosine(d, K - 1)) / sigma2


def _kl(m, v):
    return 0.5 * (m - 1.0) ** 2 / SIGMA2 + 0.5 * (v - 1.0 - math.log(v))


def _kl_terms(m_i, v_i):
    """Per-sample linearisation of the plug-in KL ``(m - 1)^2/(2 sigma2) + (v - 1 - log v)/2`` at the
    sample means: terms whose mean is the KL to first order (for the paired error of a KL difference)."""
    m, v = float(np.mean(m_i)), float(np.mean(v_i))
    return _kl(m, v) + (m - 1.0) / SIGMA2 * (m_i - m) + 0.5 * (1.0 - 1.0 / v) * (v_i - v)


def run_cell(regime: str, d: int, sampler: str, *, samples: int = SAMPLES, draws: int = DRAWS, steps: int = STEPS,
             seed: int = SEED, with_finite_d: bool = True, points: dict | None = None) -> dict:
    """One cell (module docstring): the theory's points at equal separability and their paired Monte
    Carlo at dimension ``d``; a JSON-able dict."""
    from cfgmft.api import simulate_paired
    from cfgmft.params import Guidance, Mixture, Problem, Sampler
    from cfgmft.validation.estimators import PAIRED_CONVENTION, paired_difference

    clock, cpu = time.perf_counter(), time.process_time()
    alpha = REGIMES[regime]["alpha"]
    pts = points or equal_separability_points(regime, sampler)
    K = int(round(math.exp(alpha * d)))
    reached = [e for e in ENTRIES if pts["points"][e]["omega"] is not None]
    w_max = max(pts["points"][e]["omega"] for e in reached)
    n_steps = max(steps, int(math.ceil(steps * w_max / 2.0)))
    mix = Mixture(sigma2=SIGMA2, prior=PRIOR, alpha=alpha, d=d)
    problems = {}
    for e in reached:
        rule, om = _strength_text(e, pts["points"][e]["omega"])
        g = Guidance(schedule=om, rule=rule) if isinstance(om, str) else Guidance(omega=om, rule=rule)
        problems[e] = Problem(mix, g, Sampler(sampler, steps=n_steps))
    sim = simulate_paired(problems, samples=samples, disorder=draws, seed=seed)
    ps = sim["per_sample"]
    y_max = mean_max_cosine(d, K - 1)
    rows = []
    for e in ENTRIES:
        p = pts["points"][e]
        row = {"entry": e, **p}
        if p["omega"] is not None:
            run = sim["runs"][e]
            th = p["theory"]
            row["mc"] = {k: [run[k]["mean"], run[k]["stderr"]] for k in KEYS}
            row["mc"]["kl_per_dim"] = _kl(run["m_final"]["mean"], run["var_ratio"]["mean"])
            row["paired_vs_cfg"] = {}
            for k in KEYS:
                diff = paired_difference(ps[e][k], ps["cfg"][k], what=f"{e} - cfg: {k}")
                row["paired_vs_cfg"][k] = [float(diff.value), float(diff.stderr)]
            kl_a = [_kl_terms(m, v) for m, v in zip(ps[e]["m_final"], ps[e]["var_ratio"])]
            kl_b = [_kl_terms(m, v) for m, v in zip(ps["cfg"]["m_final"], ps["cfg"]["var_ratio"])]
            diff = paired_difference(kl_a, kl_b, what=f"{e} - cfg: KL (linearised)")
            row["paired_vs_cfg"]["kl_per_dim"] = [float(diff.value), float(diff.stderr)]  # value replaced below
            row["theory_finite_k_margin"] = (th["m_final"] - math.sqrt(th["m_final"] ** 2 + th["var_ratio"] * SIGMA2)
                                             * y_max) / SIGMA2
            row["agrees"] = {k: abs(row["mc"][k][0] - th[k]) <= AGREE_K * row["mc"][k][1] + FINITE_D_C / d
                             for k in ("m_final", "var_ratio", "margin")}
            row["seconds_sampling"] = sim["seconds"][e]
        rows.append(row)
    cfg_row = next(r for r in rows if r["entry"] == "cfg")
    for r in rows:  # the KL difference's value: the difference of the plug-in KLs (its error: the paired linearisation)
        if r.get("mc") is not None:
            r["paired_vs_cfg"]["kl_per_dim"][0] = r["mc"]["kl_per_dim"] - cfg_row["mc"]["kl_per_dim"]
    finite_d = {}
    if with_finite_d:
        from cfgmft.schedules import as_schedule
        from cfgmft.solvers.finite_d import predict_finite_d

        for e in ("cfg", NEGWIN_NAME):
            if pts["points"][e]["omega"] is None:
                continue
            _, om = _strength_text(e, pts["points"][e]["omega"])
            fd = predict_finite_d(PRIOR, SIGMA2, as_schedule(om) if isinstance(om, str) else om, sampler, K=K, d=d,
                                  steps=1000, samples=5000, seed=seed)
            finite_d[e] = {k: [fd[k]["mean"], fd[k]["stderr"]] for k in ("m_final", "var_ratio")}
    import cfgmft

    return {"cell": cell_name(regime, d, sampler), "regime": regime, "alpha": alpha, "omega0": pts["omega0"],
            "target_margin": pts["target_margin"], "d": d, "K": K, "sampler": sampler, "prior": PRIOR,
            "sigma2": SIGMA2, "samples": samples, "draws": draws, "steps": n_steps, "base_steps": steps, "seed": seed,
            "precision": "float64", "negwin": NEGWIN, "max_cosine_mean": y_max,
            "max_cosine_limit": math.sqrt(1.0 - math.exp(-2.0 * alpha)), "rows": rows, "finite_d_model": finite_d,
            "criterion": f"|MC - theory| <= {AGREE_K:g} se + {FINITE_D_C:g}/d (C7's, for E[m], v/sigma2 and the margin)",
            "paired_convention": PAIRED_CONVENTION,
            "convention": "omega strength, w = 1 + omega; m = x.mu_c/|mu_c|^2; var_ratio = v_perp/sigma2; margin: "
                          "per-dimension log-likelihood margin of the target over its best competitor at t = 0",
            "seconds": time.perf_counter() - clock, "cpu_seconds": time.process_time() - cpu,
            "version": cfgmft.__version__, "machine": platform.machine(), "cpus": os.cpu_count()}


def _commit() -> str:
    from cfgmft.io import source_commit

    return source_commit() or "unknown"


def _pm(pair, digits=4):
    return "-" if pair is None else f"{pair[0]:.{digits}f} ± {pair[1]:.{digits}f}"


def load_cells(out: str) -> list:
    cells = [json.load(open(f)) for f in glob.glob(os.path.join(out, "*.json")) if not f.endswith("curves.json")]
    order = {name: i for i, name in enumerate(cell_name(*c) for c in CELLS)}
    return sorted(cells, key=lambda c: order.get(c["cell"], 99))


def _signed(pair, digits=4):
    return "-" if pair is None else f"{pair[0]:+.{digits}f} ± {pair[1]:.{digits}f}"


def summary(c: dict) -> str:
    """One line per cell: the least distorting entry (smallest KL per dimension) in the theory and in
    the Monte Carlo, the largest variance ratio, and the rows that meet the agreement criterion."""
    rows = [r for r in c["rows"] if r.get("mc") is not None]
    th_kl = min(rows, key=lambda r: r["theory"]["kl_per_dim"])
    mc_kl = min(rows, key=lambda r: r["mc"]["kl_per_dim"])
    th_v = max(rows, key=lambda r: r["theory"]["var_ratio"])
    mc_v = max(rows, key=lambda r: r["mc"]["var_ratio"][0])
    bad = [f"`{r['entry']}` ({', '.join(k for k in ('m_final', 'var_ratio', 'margin') if not r['agrees'][k])})"
           for r in rows if not all(r["agrees"].values())]
    return (f"Smallest KL per dimension: theory `{th_kl['entry']}` ({th_kl['theory']['kl_per_dim']:.4f}), Monte Carlo "
            f"`{mc_kl['entry']}` ({mc_kl['mc']['kl_per_dim']:.4f}, {_signed(mc_kl['paired_vs_cfg']['kl_per_dim'])} against "
            f"cfg, paired). Largest variance ratio: theory `{th_v['entry']}` ({th_v['theory']['var_ratio']:.4f}), Monte "
            f"Carlo `{mc_v['entry']}` ({_pm(mc_v['mc']['var_ratio'])}). Agreement with the `d -> infinity` theory: "
            f"{len(rows) - len(bad)} of {len(rows)} rows" + (f"; missed by {', '.join(bad)}." if bad else "."))


def markdown(cells: list) -> str:
    """The table of every cell: theory and Monte Carlo at equal separability, paired differences to cfg
    (with the theory's difference beside each)."""
    lines = [f"Generated by `scripts/rules_frontier.py --report` from the cells in `results/rules_frontier/`. "
             f"Sphere prior, `sigma2 = {SIGMA2:g}`, `K = round(e^(alpha d))`; each rule (C7's parameters) and cfg's "
             f"window `{NEGWIN.format(w='W')}` (`cfg negwin`, peak `W`) at the strength where its `d -> infinity` "
             "margin equals cfg's at `omega0`. Monte Carlo: exact scores, the same means, `x_T` and noise for every row "
             "of a cell; differences to cfg with their paired standard error, the theory's difference in brackets. "
             f"`ok` (`E[m]`, `v`, margin): `|MC - theory| <= {AGREE_K:g} se + {FINITE_D_C:g}/d` (C7's criterion). "
             "`@K`: the theory's final law scored against `K - 1` competitors at this `d` (the extreme-value "
             "correction of the margin alone). KL: the Gaussian KL per dimension from `E[m]` and `v` (Monte Carlo: "
             "plug-in, paired error by linearisation). At finite `d` the rows' Monte Carlo margins differ from cfg's "
             "(the margin column): *at cfg's MC margin* moves each paired difference to first order along the row's "
             "theory curve to the strength where its Monte Carlo margin would equal cfg's, `Delta X - (dX/dmargin) "
             "Delta margin`, with the error bound `se_X + |dX/dmargin| se_margin` (a first-order correction: not "
             "meaningful where the margin gap is large, as for the window below the critical line).", ""]
    for c in cells:
        lines += [f"**{c['regime']} the critical line: alpha = {c['alpha']:g}, {c['sampler'].upper()}, d = {c['d']}, "
                  f"K = {c['K']}**: target margin {c['target_margin']:.4f} (cfg's at omega = {c['omega0']:g}); "
                  f"{c['draws']} draws x {c['samples']} samples, {c['steps']} steps, seed {c['seed']}; "
                  f"{c['seconds']:.0f} s wall, {c['cpu_seconds']:.0f} s CPU.", "",
                  "| rule | `omega` | `alpha_c` there | `v`: theory, MC | `v - v_cfg` (paired) [theory] | `E[m]`: theory, MC | "
                  "`E[m] - cfg` (paired) [theory] | margin: theory, @K, MC | margin `- cfg` (paired) | KL/dim: theory, MC | "
                  "KL `- cfg` (paired) [theory] | at cfg's MC margin: KL `- cfg`, `v - v_cfg` | ok |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        cfg = next(r for r in c["rows"] if r["entry"] == "cfg")["theory"]
        for r in c["rows"]:
            if r["omega"] is None:
                lines.append(f"| `{r['entry']}` | - | - | {r['note']} ||||||||| |")
                continue
            th, mc, pd = r["theory"], r["mc"], r["paired_vs_cfg"]
            ok = " ".join("y" if r["agrees"][k] else "**n**" for k in ("m_final", "var_ratio", "margin"))
            cor = "-" if r["entry"] == "cfg" else (lambda a: f"{_signed(a['kl_per_dim'][:2])}, {_signed(a['var_ratio'][:2])}")(
                at_cfg_margin(r, c["alpha"], c["sampler"]))
            lines.append(f"| `{r['entry']}` | {r['omega']:.3f} | {r['alpha_c']:.3f} | {th['var_ratio']:.4f}, "
                         f"{_pm(mc['var_ratio'])} | {_signed(pd['var_ratio'])} [{th['var_ratio'] - cfg['var_ratio']:+.4f}] | "
                         f"{th['m_final']:.4f}, {_pm(mc['m_final'])} | {_signed(pd['m_final'])} "
                         f"[{th['m_final'] - cfg['m_final']:+.4f}] | {th['margin']:.4f}, {r['theory_finite_k_margin']:.4f}, "
                         f"{_pm(mc['margin'])} | {_signed(pd['margin'])} | {th['kl_per_dim']:.4f}, {mc['kl_per_dim']:.4f} | "
                         f"{_signed(pd['kl_per_dim'])} [{th['kl_per_dim'] - cfg['kl_per_dim']:+.4f}] | {cor} | {ok} |")
        fd = c.get("finite_d_model") or {}
        lines += ["", summary(c)]
        if fd:
            lines += ["", "The finite-d reduced model at this `d` and `K` (`cfgmft.solvers.finite_d`, cfg only): " + "; ".join(
                f"`{e}`: `E[m]` {_pm(v['m_final'])}, `v` {_pm(v['var_ratio'])}" for e, v in fd.items()) + "."]
        lines.append("")
    return "\n".join(lines)


def figure(cells: list, curves: dict, path: str) -> None:
    """Separability (margin) against the variance ratio: the theory's curve of each rule per regime and
    sampler, the Monte Carlo at the equal-separability points (largest d of the regime) with error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 9.5))
    colours = {e: f"C{i}" for i, e in enumerate(ENTRIES)}
    for i, regime in enumerate(REGIMES):
        for j, sampler in enumerate(("sde", "ode")):
            ax = axes[i, j]
            key = f"{regime}|{sampler}"
            for e in ENTRIES:
                pts = np.array(curves.get(key, {}).get(e, []))
                if pts.size:
                    ax.plot(pts[:, 1], pts[:, 2], "--" if e == NEGWIN_NAME else "-", color=colours[e], lw=1.3,
                            label=e if e != NEGWIN_NAME else f"cfg, {NEGWIN.format(w='W')}")
            mine = [c for c in cells if c["regime"] == regime and c["sampler"] == sampler]
            if mine:  # the same curves scored against K - 1 competitors at the largest d of the panel
                big = max(mine, key=lambda c: c["d"])
                for e in ENTRIES:
                    pts = np.array(curves.get(key, {}).get(e, []))
                    if pts.size:
                        mk = (pts[:, 3] - np.sqrt(pts[:, 3] ** 2 + pts[:, 1] * SIGMA2) * big["max_cosine_mean"]) / SIGMA2
                        ax.plot(pts[:, 1], mk, ":", color=colours[e], lw=1.0, alpha=0.8,
                                label=f"theory scored at K = {big['K']} (d = {big['d']})" if e == "cfg" else None)
            for c, mk in zip(sorted(mine, key=lambda c: -c["d"]), ("o", "s", "^")):
                for r in c["rows"]:
                    if r.get("mc") is None:
                        continue
                    ax.errorbar(r["mc"]["var_ratio"][0], r["mc"]["margin"][0], xerr=r["mc"]["var_ratio"][1],
                                yerr=r["mc"]["margin"][1], fmt=mk, color=colours[r["entry"]], ms=5, mfc="none",
                                label=f"MC d = {c['d']} (K = {c['K']})" if r["entry"] == "cfg" else None)
                    ax.plot(r["theory"]["var_ratio"], r["theory_finite_k_margin"], "x", color=colours[r["entry"]], ms=6)
            if mine:
                t = mine[0]["target_margin"]
                ax.axhline(t, color="grey", lw=0.8, ls=":")
            ax.axvline(1.0, color="k", lw=0.6, ls=":")
            a = REGIMES[regime]
            ax.set(xlabel="v_perp / sigma2", ylabel="margin per dimension (separability)",
                   title=f"alpha = {a['alpha']:g} ({regime} alpha_c), {sampler.upper()}: theory d -> inf (solid), "
                         f"at finite K (dotted, x), MC (open)")
            ax.title.set_fontsize(8)
            ax.grid(alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/rules_frontier")
    ap.add_argument("--only", default=None, help="comma-separated cell names (default: every cell of CELLS)")
    ap.add_argument("--samples", type=int, default=SAMPLES)
    ap.add_argument("--draws", type=int, default=DRAWS)
    ap.add_argument("--report", action="store_true", help="write the table and the figure from the cells in --out")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    if args.report:
        cells = load_cells(args.out)
        cpath = os.path.join(args.out, "curves.json")
        if os.path.exists(cpath):
            curves = json.load(open(cpath))
        else:
            curves = {f"{reg}|{smp}": {e: frontier_curve(e, smp, REGIMES[reg]["alpha"]) for e in ENTRIES}
                      for reg in REGIMES for smp in ("sde", "ode")}
            with open(cpath, "w") as fh:
                json.dump({**curves, "_omegas": list(CURVE_OMEGAS), "_columns": "omega, var_ratio, margin, m_final"},
                          fh, indent=1)
        curves = {k: v for k, v in curves.items() if not k.startswith("_")}
        with open(os.path.join(args.out, "rules_frontier.md"), "w") as fh:
            fh.write(markdown(cells) + "\n")
        figure(cells, curves, os.path.join(args.out, "rules_frontier.png"))
        print(f"wrote {args.out}/rules_frontier.md and rules_frontier.png from {len(cells)} cells")
        return 0
    only = None if args.only is None else set(args.only.split(","))
    log = open(os.path.join(args.out, "log.txt"), "a")
    for regime, d, sampler in CELLS:
        name = cell_name(regime, d, sampler)
        path = os.path.join(args.out, name + ".json")
        if (only is not None and name not in only) or os.path.exists(path):
            continue
        log.write(f"{time.strftime('%H:%M:%S')} {name}: start\n")
        log.flush()
        r = run_cell(regime, d, sampler, samples=args.samples, draws=args.draws)
        r.update(commit=_commit(), date=time.strftime("%Y-%m-%d"),
                 command=f"python scripts/rules_frontier.py --only {name} --samples {args.samples} --draws {args.draws}")
        with open(path + ".tmp", "w") as fh:
            json.dump(r, fh, indent=1, default=str)
        os.replace(path + ".tmp", path)
        msg = (f"{time.strftime('%H:%M:%S')} {name}: K = {r['K']}, {r['steps']} steps, {r['seconds']:.0f} s wall, "
               f"{r['cpu_seconds']:.0f} s CPU")
        print(msg, flush=True)
        log.write(msg + "\n")
        log.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
