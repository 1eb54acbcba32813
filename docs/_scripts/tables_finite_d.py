"""The finite-d prediction against exact-score Monte Carlo (docs/explanation/finite-d.md and the
pages that quote it), from committed results files:

* ``results/finite_d/table.json`` and ``results/finite_d_extra/table.json``: the two tables of
  ``python notebooks/finite_d_vs_monte_carlo.py --out results/finite_d --points ...`` and
  ``... --extra --out results/finite_d_extra`` (with each point's Monte Carlo and prediction files
  beside them);
* ``results/finite_d_scaling/scaling.json``: ``python scripts/finite_d_scaling.py``;
* ``docs/full_run/results.json.gz``: the finite-d columns of C3 and C6 in the full reproduce run.

Writes ``finite_d_table.md`` and ``finite_d_extra.md``; substitutions ``fd_*``.
"""

from __future__ import annotations

import json
import math

from results_tables import ROOT, _load, provenance, write_to

OUT = None
MAIN, EXTRA = "results/finite_d/table.json", "results/finite_d_extra/table.json"
SCALING = "results/finite_d_scaling/scaling.json"
OBS = ("m_final", "var_ratio")
ZMAX = 3.0  # the agreement criterion: |z| <= 3 combined standard errors


def _notebook():
    """notebooks/finite_d_vs_monte_carlo.py as a module (its table writer and its point lists)."""
    import importlib.util
    import sys

    name = "finite_d_vs_monte_carlo_for_docs"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "notebooks" / "finite_d_vs_monte_carlo.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        sys.modules[name] = mod
    return sys.modules[name]


def _table(rows) -> str:
    """The notebook's own table writer, so the page shows what the script prints."""
    return _notebook().table(rows)


def main() -> None:
    for rel, name in ((MAIN, "finite_d_table.md"), (EXTRA, "finite_d_extra.md")):
        rows = _load(rel)["points"]
        folder = rel.rsplit("/", 1)[0]
        write_to(OUT, name, f"{provenance(rel)} Each point's Monte Carlo and prediction, with their parameters, "
                            f"are in `{folder}/` (`mc_*.json`, `fd_*.json`); `z = (MC - prediction) / combined "
                            "standard error`; float64.\n\n" + _table(rows) + "\n")


def _label(r) -> str:
    extra = "" if (r["sigma2"], r["sampler"]) == (1.0, "sde") else f"{r['sampler'].upper()} at `sigma2 = {r['sigma2']:g}`, "
    guid = "" if r["guidance"] == "constant:2" else f", `{r['guidance']}`"
    return f"{extra}{r['prior']}, alpha {r['alpha']:g}, `d = {r['d']}` (`K = {r['K']}`){guid}"


def _up(x: float, digits: int = 2) -> str:
    """``x`` rounded up: the page states it as a bound (``|z| <= x``)."""
    return f"{math.ceil(x * 10 ** digits - 1e-9) / 10 ** digits:.{digits}f}"


def _off(rows) -> list:
    return [r for r in rows if any(abs(r[k]["z"]) > ZMAX for k in OBS)]


def substitutions() -> dict[str, str]:
    main, extra = _load(MAIN)["points"], _load(EXTRA)["points"]
    sub = {}
    sphere = {a: next(r for r in main if r["prior"] == "sphere" and r["alpha"] == a) for a in (0.1, 0.2)}
    for a, key in ((0.1, "a01"), (0.2, "a02")):
        sub[f"fd_theory_m_{key}"] = f"{sphere[a]['m_final']['theory_inf']:.4f}"
        sub[f"fd_theory_v_{key}"] = f"{sphere[a]['var_ratio']['theory_inf']:.4f}"
    above = [(r["m_final"]["mc"]["mean"] - r["m_final"]["theory_inf"]) / r["m_final"]["mc"]["stderr"] for r in main]
    if min(above) <= 0:  # the page says "above"
        raise ValueError(f"{MAIN}: a Monte Carlo E[m] at or below the d -> infinity theory; rewrite finite-d.md")
    sub["fd_mc_above_theory"] = f"{min(above):.1f} to {max(above):.0f}"
    sub["fd_main_n"] = str(len(main))
    for k, key in (("m_final", "m"), ("var_ratio", "v")):
        zs = [r[k]["z"] for r in main]
        sub[f"fd_main_{key}_maxz"] = f"{max(map(abs, zs)):.2f}"
        sub[f"fd_main_{key}_chi2"] = f"{sum(z * z for z in zs):.1f}"
    off = _off(main)
    sub["fd_main_verdict"] = (f"Every row is within {ZMAX:g} combined standard errors of the finite-`d` prediction"
                              if not off else f"{len(main) - len(off)} of {len(main)} rows are within {ZMAX:g} combined "
                              f"standard errors of the finite-`d` prediction (not: {'; '.join(map(_label, off))})")
    # per column: the sum of z^2 against its chi-square law (rows independent: each its own Monte
    # Carlo, though the gaussian rows of one d with 4 and 32 mixtures share one prediction)
    from scipy.stats import chi2 as chi2_law

    parts = []
    for k, name in (("m_final", "`E[m]`"), ("var_ratio", "`v_perp/sigma2`")):
        zs = [r[k]["z"] for r in main]
        c2, n = sum(z * z for z in zs), len(zs)
        pv = chi2_law.sf(c2, n)
        if pv < 0.01:
            se = sorted(math.hypot(r[k]["mc"]["stderr"], r[k]["prediction"]["stderr"]) for r in main)[n // 2]
            parts.append(f"in {name} the sum of `z^2`, {c2:.1f} over {n} rows, is more than chance allows "
                         f"(p = {pv:.1g}): the model has an error of its own, about {math.sqrt(c2 / n - 1) * se:.3f} "
                         f"(`sqrt(sum z^2/n - 1)` times the median combined standard error)")
        else:
            parts.append(f"in {name} the sum of `z^2`, {c2:.1f} over {n} rows, is within chance (p = {pv:.2g}): "
                         "the model's own error is not resolved")
    sub["fd_chi2_sentence"] = parts[0][0].upper() + parts[0][1:] + "; " + parts[1]
    worst = max(main, key=lambda r: max(abs(r[k]["z"]) for k in OBS))
    wk = max(OBS, key=lambda k: abs(worst[k]["z"]))
    sub["fd_main_worst"] = (f"{'E[m]' if wk == 'm_final' else 'v_perp/sigma2'} at {_label(worst)}, "
                            f"`z` = {worst[wk]['z']:+.2f}")
    g = [r for r in main if r["prior"] == "gaussian" and r["disorder"] >= 16]
    if g:
        r = min(g, key=lambda r: r["d"])
        sub["fd_gauss_spread"] = f"{r['m_final']['mc']['stderr'] * math.sqrt(r['disorder']):.2f}"
        sub["fd_gauss_spread_d"] = str(r["d"])
    eoff = _off(extra)
    sub["fd_extra_n"] = str(len(extra))
    sub["fd_extra_verdict"] = (f"Every row is within {ZMAX:g} standard errors" if not eoff else
                               f"{len(extra) - len(eoff)} of {len(extra)} rows are within {ZMAX:g} standard errors; "
                               "not: " + "; ".join(f"{_label(r)} (`z` = " + ", ".join(f"{r[k]['z']:+.2f}" for k in OBS) + ")"
                                                   for r in eoff))
    w = max(extra, key=lambda r: abs(r["m_final"]["z"]))
    if w["d"] >= 40:  # the page says "at small d"
        raise ValueError(f"{EXTRA}: the largest |z| in E[m] is at d = {w['d']}; rewrite finite-d.md")
    sub["fd_extra_worst_gap"] = (f"{w['m_final']['mc']['mean'] - w['m_final']['prediction']['mean']:+.3f} "
                                 f"(`z` = {w['m_final']['z']:+.2f}, {_label(w)})")
    big = [r for r in main + extra if r["d"] >= 40]
    sub["fd_large_d_maxz"] = _up(max(abs(r[k]["z"]) for r in big for k in OBS))
    allrows = main + extra
    sub["fd_rows_total"] = str(len(allrows))
    sub["fd_rows_within"] = str(len(allrows) - len(_off(allrows)))
    sub["fd_d_range"] = f"{min(r['d'] for r in allrows)}–{max(r['d'] for r in allrows)}"
    offs = _off(allrows)
    sub["fd_exceptions"] = ("no exception" if not offs else
                            "the exception" + ("s" if len(offs) > 1 else "") + ": " + "; ".join(
                                f"{_label(r)}, largest `|z|` {max(abs(r[k]['z']) for k in OBS):.2f}" for r in offs))
    # the largest Monte Carlo point: its sampling time, from its own file
    top = max(main, key=lambda r: r["K"])
    mc = json.loads((ROOT / "results/finite_d" / f"mc_{top['prior']}_a{top['alpha']:g}_d{top['d']}"
                     f"{'' if (top['samples'], top['disorder']) == (1024, 4) else '_n%dx%d' % (top['samples'], top['disorder'])}.json").read_text())
    sub["fd_largest_k"] = str(top["K"])
    sub["fd_largest_point"] = (f"{top['prior']} prior, alpha {top['alpha']:g}, `d = {top['d']}`, {top['samples']} samples x "
                               f"{top['disorder']} mixtures, {mc['steps']} steps")
    sub["fd_largest_minutes"] = f"{mc['seconds_sampling'] / 60:.0f} min"
    # the reduced model's approach to the d -> infinity theory
    sc = _load(SCALING)
    rows = sc["rows"]
    sub["fd_sc_ds"] = ", ".join(str(r["d"]) for r in rows)
    sub["fd_sc_excess"] = ", ".join(f"{r['excess_m']:.4f}" for r in rows)
    ses = [r["m_final"]["stderr"] for r in rows]
    sub["fd_sc_se"] = f"{max(ses):.4f} to {min(ses):.4f}"
    sub["fd_sc_v"] = ", ".join(f"{r['var_ratio']['mean']:.4f}" for r in rows)
    sub["fd_sc_theory_m"] = f"{sc['theory']['m_final']:.4f}"
    sub["fd_sc_theory_v"] = f"{sc['theory']['var_ratio']:.4f}"
    sub["fd_sc_params"] = f"{sc['samples']} samples, {sc['steps']} steps, seed {sc['seed']}"
    sub["fd_sc_overall"] = f"{sc['overall_exponent']:.2f}" if sc["overall_exponent"] is not None else "undefined"
    # the exponent of the excess between two d, with its standard error from the two excesses'
    # (independent runs): the page says where it is between 1/sqrt(d) and 1/d, and where near 1/d
    by_d = {r["d"]: r for r in rows}

    def expo(d0, d1):
        a, b = by_d[d0], by_d[d1]
        e = math.log(b["excess_m"] / a["excess_m"]) / math.log(d1 / d0)
        se = math.hypot(a["m_final"]["stderr"] / a["excess_m"], b["m_final"]["stderr"] / b["excess_m"]) / math.log(d1 / d0)
        return e, se

    ex = [r["excess_m"] for r in rows]
    if not (all(a > b for a, b in zip(ex, ex[1:])) and ex[-1] < ex[0] / 4):
        raise ValueError(f"{SCALING}: the excess does not shrink steadily ({ex}); rewrite finite-d.md's scaling paragraph")
    e, se = expo(40, 160)
    if not (abs(e + 1) > 2.5 * se and abs(e + 0.5) > 3 * se and -1 < e < -0.5):
        raise ValueError(f"{SCALING}: exponent {e:.2f} +- {se:.2f} between d = 40 and 160 is not clearly between "
                         "1/sqrt(d) and 1/d; rewrite finite-d.md's scaling paragraph")
    sub["fd_sc_40_160"] = f"{e:.2f} ± {se:.2f}"
    hi = [expo(d0, d1) for d0 in by_d for d1 in by_d if 80 <= d0 < d1]
    sub["fd_sc_beyond_80"] = f"{min(x for x, _ in hi):.2f} to {max(x for x, _ in hi):.2f}"
    if not all(abs(x + 1) <= 3 * s_ for x, s_ in hi):
        raise ValueError(f"{SCALING}: beyond d = 80 an exponent is not within 3 se of -1; rewrite finite-d.md")
    last = rows[-1]
    sub["fd_sc_last"] = f"{last['excess_m']:.4f} ± {last['m_final']['stderr']:.4f} at `d` = {last['d']}"
    # the full reproduce run's finite-d columns (C6 at alpha 0.3; C3 with K = 10 fixed)
    full = _load("docs/full_run/results.json.gz")
    zs = [abs(e["finite_d"][s][k]["z"]) for e in full["C6"]["monte_carlo"] for s in ("constant", "designed") for k in OBS]
    sub["fd_c6_max_z"] = _up(max(zs))
    sub["fd_c6_dims"] = " and ".join(str(e["d"]) for e in full["C6"]["monte_carlo"])
    st = full["settings"]
    sub["fd_c6_samples"] = str(st["c6_samples"] * st["c6_disorder"])
    c3 = full["C3"]["monte_carlo"]["sphere K = 10"]["finite_d"]
    sub["fd_c3_max_z"] = f"{c3['max_abs_z']['m_final']:.1f}"
    sub["fd_c3_d"] = str(min(p["d"] for p in c3["points"] if abs(p["m_final"]["z"]) == c3["max_abs_z"]["m_final"]))
    sub["fd_c3_assessed"] = ("assessed" if c3["assessed"] else
                             "not assessed: one mixture per `d`, whose standard error leaves the spread between "
                             "mixtures out")
    # the opening paragraph: the Monte Carlo against the theory along the sphere alpha = 0.2 series
    series = sorted((r for r in main if r["prior"] == "sphere" and r["alpha"] == 0.2), key=lambda r: r["d"])
    sub["fd_intro_series"] = (f"`E[m]` = {series[0]['m_final']['mc']['mean']:.3f} at `d = {series[0]['d']}`, "
                              f"{series[-1]['m_final']['mc']['mean']:.3f} at `d = {series[-1]['d']}`")
    if not all(r["m_final"]["mc"]["mean"] > r["m_final"]["theory_inf"] for r in series):
        raise ValueError(f"{MAIN}: a sphere alpha 0.2 Monte Carlo E[m] not above the theory; rewrite finite-d.md")
    # which points the main table holds, against the notebook's default list
    nb = _notebook()
    default = {(p["prior"], p["alpha"], p["d"], p.get("samples"), p.get("disorder")) for p in nb._parse(nb.DEFAULT_POINTS)}
    have = {(r["prior"], r["alpha"], r["d"], r["samples"], r["disorder"]) for r in main}
    missing = sorted(default - have)
    added = sorted(have - default)
    words = f"{len(default & have)} of the script's {len(default)} default points"
    if missing:
        words += " (not run here: " + ", ".join(f"`{p}:{a:g}:{d}:{n}:{m}`" for p, a, d, n, m in missing) + ")"
    if added:
        words += " and " + ", ".join(f"`{p}:{a:g}:{d}:{n}:{m}`" for p, a, d, n, m in added)
    sub["fd_points"] = words
    return sub
