"""The run numbers of docs/guide/diffusers.md and docs/howto/design-and-export.md, from committed
results files:

* ``results/export_doc_checks/PART.json`` (``python scripts/export_doc_checks.py --only PART``):
  the design and export examples, the grid designs, the no-go search on a grid, the finite-``d``
  model on the grid, and diffusers' schedulers against cfgmft (the runs of
  ``tests/test_adapters_torch.py``);
* ``results/grid_design_steps/grid_design_steps.json`` (``python scripts/grid_design_steps.py``);
* ``results/grid_frontier_example/frontier.json`` (``cfgmft schedule frontier ... --out
  results/grid_frontier_example``).

``main()`` writes the generated includes (``ex_*.md``), ``substitutions()`` the prose numbers
(``ex_*``); nothing here types a number of a run.
"""

from __future__ import annotations

import math

import results_tables as rt

OUT = None  # set by results_tables.main before main() runs

CHECKS = "results/export_doc_checks"
STEPS = "results/grid_design_steps/grid_design_steps.json"
FRONTIER = "results/grid_frontier_example/frontier.json"
AGREE = 3.0  # combined standard errors within which a model and a Monte Carlo agree (the tests' criterion)


def _rel(name: str) -> str:
    return f"{CHECKS}/{name}.json"


def _record(name: str) -> dict:
    return rt._load(_rel(name))


def _part(name: str) -> dict:
    return _record(name)["result"]


def _prov(*names: str) -> str:
    return rt.provenance(*(_rel(n) for n in names))


def _f(x, digits=3) -> str:
    return f"{x:.{digits}f}"


def _pm(e, digits=3) -> str:
    return f"{e['mean']:.{digits}f} ± {e['stderr']:.{digits}f}"


def _z(a, b) -> float:
    """(a - b) in combined standard errors; b a number or an estimate."""
    if isinstance(b, dict):
        return (a["mean"] - b["mean"]) / math.hypot(a["stderr"], b["stderr"])
    return (a["mean"] - b) / a["stderr"]


def _series(values) -> str:
    """``a, b and c``."""
    values = list(values)
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def _short(spec: str) -> str:
    return rt._short(spec)


def _deciding_digits(design: float, values, tol: float, least: int = 3) -> int:
    """Decimals (at least ``least``) at which every printed value's distance from the printed design
    value falls on the same side of ``tol`` as the raw one: a value just outside the tolerance must
    not print as at or within it."""
    for digits in range(least, 10):
        d = round(design, digits)
        if all((abs(round(v, digits) - d) <= tol + 1e-12) == (abs(v - design) <= tol) for v in values):
            return digits
    return 10


def _steps_case(prior: str) -> dict:
    return next(c for c in rt._load(STEPS)["cases"] if c["prior"] == prior)


# -- the generated includes -------------------------------------------------------------------------

def export_warning() -> str:
    """The warning of ``cfgmft schedule export --design`` on the 30-step grid, as printed."""
    r = _part("design")
    warn = r["export30"]["stderr"].strip()
    return ("```text\n" + warn + "\n```\n\n"
            f"*The warning of `{r['export30']['command']}`, `design.json` being `{r['design']['command']}`: "
            f"{_prov('design')}*\n")


def check_commands() -> str:
    """Steps 2 and 3 of the how-to, on the schedule that step 1's command designs now."""
    r = _part("design")
    spec = r["design"]["output"]["schedule_short"]
    return (f"```bash\n"
            f"cfgmft theory   --alpha 0.3 --prior sphere --schedule {spec} \\\n"
            f"    --grid karras:32:0.002:80:7 --update euler --json\n"
            f"cfgmft simulate --alpha 0.3 --prior sphere --schedule {spec} --d 12 \\\n"
            f"    --grid karras:32:0.002:80:7 --update euler\n"
            f"```\n\n"
            f"*`{spec}` is the schedule `{r['design']['command']}` prints (`schedule_short`). "
            f"{_prov('design')}*\n")


def export_commands() -> str:
    r = _part("design")
    spec = r["design"]["output"]["schedule_short"]
    return (f"```bash\n"
            f"cfgmft schedule export --schedule {spec} --grid karras:32:0.002:80:7 > table.json\n"
            f"cfgmft schedule export --schedule {spec} --grid karras:32:0.002:80:7 --format csv\n"
            f"```\n\n"
            f"*The schedule of step 1 (`schedule_short`). {_prov('design')}*\n")


_SCHEDULERS = {
    "ddim": ("`DDIMScheduler` (scaled-linear betas, `set_alpha_to_one`, eta 0)", "epsilon"),
    "euler": ("`EulerDiscreteScheduler` (Karras sigmas)", "epsilon"),
    "edm": ("`EDMEulerScheduler` (Karras, `sigma_data = 0.5`)", "EDM `F`"),
}


def diffusers_checks() -> str:
    part = _record("diffusers")
    r = part["result"]
    z = r["z"]
    out = [f"{_prov('diffusers')} `{part['command']}` (cfgmft commit `{part['commit']}`): the runs of "
           f"`tests/test_adapters_torch.py`, with its helpers and seeds: diffusers {r['diffusers']}, torch "
           f"{r['torch']}, exact-score model, `d = {r['d']}`, {r['samples']} samples, {r['steps']} steps, "
           f"`sigma2 = {r['sigma2']:g}`; agreement means within {z:g} standard errors (the test's criterion).", "",
           "**Infinite-class limit** (gaussian prior), diffusers' samples against cfgmft's exact discrete-grid "
           "prediction on the scheduler's own grid, and the continuous-time prediction beside them:", "",
           "| scheduler (diffusers) | model output | guidance | `m`: diffusers | grid prediction | z | "
           "`var_ratio`: diffusers | grid prediction | z | continuous time `m`, `var_ratio` | agrees |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in r["infinite"]:
        name, output = _SCHEDULERS[row["kind"]]
        out.append(f"| {name} | {output} | `{row['schedule']}` | {_pm(row['m'])} | {row['pred_m']:.3f} | "
                   f"{_z(row['m'], row['pred_m']):+.1f} | {_pm(row['var_ratio'], 4)} | {row['pred_var_ratio']:.4f} | "
                   f"{_z(row['var_ratio'], row['pred_var_ratio']):+.1f} | {row['continuous_m']:.3f}, "
                   f"{row['continuous_var_ratio']:.3f} | {'yes' if row['agrees'] else '**no**'} |")
    out += ["", f"**A finite mixture** (`K = {r['finite'][0]['K']}`, `{r['finite'][0]['schedule']}`), diffusers' "
            "samples against cfgmft's Monte Carlo on the same grid, with the same update and start:", "",
            "| scheduler (diffusers) | model output | `m`: diffusers | cfgmft MC | z | `var_ratio`: diffusers | "
            "cfgmft MC | z | Bayes accuracy: diffusers | cfgmft MC | z | agrees |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in r["finite"]:
        name, output = _SCHEDULERS[row["kind"]]
        cells = []
        for key in ("m", "var_ratio", "accuracy"):
            c = row[key]
            dg = 4 if key == "accuracy" else 3
            cells += [_pm(c["diffusers"], dg), _pm(c["cfgmft_mc"], dg), "-" if c["z"] is None else f"{c['z']:+.1f}"]
        out.append(f"| {name} | {output} | " + " | ".join(cells) + f" | {'yes' if row['agrees'] else '**no**'} |")
    return "\n".join(out) + "\n"


def main() -> None:
    rt.write_to(OUT, "ex_export_warning.md", export_warning())
    rt.write_to(OUT, "ex_check_commands.md", check_commands())
    rt.write_to(OUT, "ex_export_commands.md", export_commands())
    rt.write_to(OUT, "ex_diffusers_checks.md", diffusers_checks())


# -- the prose numbers ------------------------------------------------------------------------------

def _design_subs() -> dict[str, str]:
    r = _part("design")
    sub = {}
    o = r["design"]["output"]
    sub["ex_design_schedule"] = f"`{o['schedule_short']}`"
    sub["ex_design_var"] = _f(o["design"]["var_ratio"])
    g30 = r["export30"]["grid_check"]
    sub["ex_design_on30_var"] = _f(g30["on_grid"]["var_ratio"])
    g1000 = r["export1000"]["grid_check"]
    silent = not r["export1000"]["stderr"].strip()
    sub["ex_design_on1000"] = (f"gives {_f(g1000['on_grid']['var_ratio'])} and the export is "
                               + ("silent" if silent else "**not** silent (it warns)"))
    d30 = r["design30"]["output"]
    sub["ex_design30_schedule"] = f"`{d30['schedule_short']}`"
    sub["ex_design30_var"] = _f(d30["design"]["var_ratio"])
    silent30 = not r["export30_grid_design"]["stderr"].strip()
    sub["ex_design30_export"] = "silent: it survives" if silent30 else "it warns: check the design"
    d12 = _part("design_d12")
    cpu = d12.get("cpu_seconds")
    sub["ex_design_d12_time"] = (f"about {_minutes(cpu)} of CPU time" if cpu else
                                 f"{_minutes(d12['seconds'])} of wall time on a shared 2-core machine")
    sub["ex_design_d12_K"] = str(d12["output"]["finite_d"]["K"]) if d12["output"].get("finite_d") else "n/a"
    return sub


def _gauss12_subs() -> dict[str, str]:
    r = _part("gauss12")
    return {"ex_g12_var": f"{r['grid_design']['var_ratio']:.4f}",
            "ex_g12_mc": _pm(r["monte_carlo"]["var_ratio"]),
            "ex_g12_mc_z": f"{abs(_z(r['monte_carlo']['var_ratio'], r['grid_design']['var_ratio'])):.1f}",
            "ex_g12_cont": _f(r["continuous_design"]["on_grid_var_ratio"])}


def _steps_subs() -> dict[str, str]:
    sub = {}
    sph = _steps_case("sphere")
    rows = {row["steps"]: row for row in sph["rows"]}
    listed = [n for n in (10, 30, 100, 500, 1000) if n in rows]
    digits = _deciding_digits(sph["continuous_design"]["var_ratio"],
                              [rows[n]["continuous_design_on_grid"]["var_ratio"] for n in listed], sph["tolerance"])
    sub["ex_gs_sph_design_var"] = _f(sph["continuous_design"]["var_ratio"], digits)
    sub["ex_gs_sph_series"] = _series(
        [f"{rows[n]['continuous_design_on_grid']['var_ratio']:.{digits}f} on {n}" for n in listed])
    sub["ex_gs_sph_tol"] = f"{sph['tolerance']:.2g}"
    sub["ex_gs_sph_needed"] = (f"only from {sph['steps_needed']} steps on (of the list)" if sph["steps_needed"]
                               else "at no step count of the list")
    feasible = [row["steps"] for row in sph["rows"] if "var_ratio" in row["grid_design"]]
    infeasible = [row["steps"] for row in sph["rows"] if "infeasible" in row["grid_design"]]
    lo, hi = sph["band"]
    meets = [row["steps"] for row in sph["rows"] if "var_ratio" in row["grid_design"]
             and lo - 1e-9 <= row["grid_design"]["var_ratio"] <= hi + 1e-9]
    sub["ex_gs_sph_grid"] = (f"it meets the band from {min(meets)} steps on" if meets == feasible and meets
                             else f"it meets the band on {', '.join(map(str, meets))} steps")
    sub["ex_gs_sph_infeasible"] = (f"{_series([str(n) for n in infeasible])} steps: no negative window with peak "
                                   f"{sph['peak']:g} reaches the band" if infeasible else "every step count feasible")
    ga = _steps_case("gaussian")
    rows = {row["steps"]: row for row in ga["rows"]}
    listed = [n for n in (10, 15, 20, 50, 1000) if n in rows]
    digits = _deciding_digits(ga["continuous_design"]["var_ratio"],
                              [rows[n]["continuous_design_on_grid"]["var_ratio"] for n in listed], ga["tolerance"])
    sub["ex_gs_ga_series"] = _series(
        [f"{rows[n]['continuous_design_on_grid']['var_ratio']:.{digits}f} on {n}" for n in listed])
    from50 = [row["continuous_design_on_grid"]["m"] for row in ga["rows"] if row["steps"] >= 50]
    sub["ex_gs_ga_m_from50"] = f"{min(from50):.2f}-{max(from50):.2f}"
    sub["ex_gs_ga_design_m"] = f"{ga['continuous_design']['m']:.2f}"
    few = [row for row in ga["rows"] if row["steps"] < 50]
    sub["ex_gs_ga_m_few"] = _series([f"{row['continuous_design_on_grid']['m']:.2f} on {row['steps']}" for row in few])
    sub["ex_gs_ga_needed"] = (f"from {ga['steps_needed']} steps on" if ga["steps_needed"]
                              else "at no step count of the list")
    gv = [row["grid_design"]["var_ratio"] for row in ga["rows"] if "var_ratio" in row["grid_design"]]
    lo3, hi3 = f"{min(gv):.3f}", f"{max(gv):.3f}"
    every = len(gv) == len(ga["rows"])
    sub["ex_gs_ga_grid"] = (f"{lo3} at every step count" if lo3 == hi3 and every
                            else f"{lo3}-{hi3}" + ("" if every else " where feasible"))
    t0 = _part("gaussian_t0")
    sub["ex_gs_ga_t0"] = f"{t0['t0']:.2f}"
    sub["ex_gs_ga_t0_m"] = f"{t0['m']:.3f}"
    return sub


def _frontier_subs() -> dict[str, str]:
    f = rt._load(FRONTIER)
    pts = [p for p in f["curves"]["negwin"]["points"] if p.get("feasible")]
    sub = {"ex_fr_floors": _series([f"{p['floor']:.1f}" for p in pts]),
           "ex_fr_theory": _series([f"{p['var_ratio']:.4f}" for p in pts]),
           "ex_fr_mc": _series([_pm(p["monte_carlo"]["var_ratio"], 4) for p in pts]),
           "ex_fr_steps": str(pts[0]["monte_carlo"]["steps"])}
    zs = [abs(_z(p["monte_carlo"]["var_ratio"], p["var_ratio"])) for p in pts]
    sub["ex_fr_max_z"] = f"{max(zs):.1f}"
    gaps = []
    for p in pts:
        g = p["monte_carlo"]["separability"]["mean"] - p["separability"]
        gaps.append(f"{abs(g):.{2 if abs(g) >= 0.01 else 3}f} {'below' if g < 0 else 'above'} it at {p['floor']:.1f}")
    gaps[0] = gaps[0].replace(" it at ", " the theory at ", 1)
    sub["ex_fr_sep_gaps"] = _series(gaps)
    sub["ex_fr_draws"] = str(pts[0]["monte_carlo"]["disorder"])
    iv = f["curves"]["interval"]
    same = math.isclose(iv["max_var_ratio"], f["unguided"]["var_ratio"], rel_tol=1e-9)
    sub["ex_fr_interval"] = (f"`omega = 0`'s {f['unguided']['var_ratio']:.3f}" if same else
                             f"{iv['max_var_ratio']:.3f} (`omega = 0`: {f['unguided']['var_ratio']:.3f})")
    return sub


def _regime(row_or_reg: dict) -> str:
    a = row_or_reg.get("alpha")
    if a is None:
        return f"in the infinite-class limit ({row_or_reg['prior']} prior)"
    return f"at `alpha = {a:g}`"


def _nogo_subs() -> dict[str, str]:
    r = _part("nogo12")
    o = r["output"]
    ung = o["unguided"]
    vals = {f"{v:.3f}" for v in ung.values()}
    regs = {reg["name"]: reg for reg in o["regimes"]}
    sub = {"ex_nogo_unguided": vals.pop() if len(vals) == 1 else
           _series([f"{v:.3f} ({_regime(regs[n])})" for n, v in ung.items()]),
           "ex_nogo_max_nonneg": (f"that same {o['max_nonnegative']:.3f}"
                                  if math.isclose(o["max_nonnegative"], max(ung.values()), rel_tol=1e-9)
                                  else f"{o['max_nonnegative']:.3f}")}
    neg = [row for row in o["rows"] if not row["nonnegative"]]
    sub["ex_nogo_negwin"] = _series([f"{row['best_var_ratio']:.3f} {_regime(row)}" for row in neg])
    return sub


def _finite_d_subs() -> dict[str, str]:
    r = _part("finite_d")
    sub = {}

    def three(o, key, shift=0.0):
        th, fd, mc = o["theory"][key], o["finite_d"][key], o["monte_carlo"][key]
        return (f"{th - shift:.4f}, {fd['mean'] - shift:.4f} ± {fd['stderr']:.4f} and "
                f"{mc['mean'] - shift:.4f} ± {mc['stderr']:.4f}")

    o32 = r["d32_K400_grid"]["output"]
    sub["ex_fd32_var"], sub["ex_fd32_shift"] = three(o32, "var_ratio"), three(o32, "m_final", 1.0)
    g, c = r["d12_K20_grid"]["output"], r["d12_K20_ode"]["output"]
    zg = _z(g["finite_d"]["var_ratio"], g["monte_carlo"]["var_ratio"])
    zc = _z(c["finite_d"]["var_ratio"], c["monte_carlo"]["var_ratio"])
    pair = lambda o: f"{_pm(o['finite_d']['var_ratio'], 4)} against {_pm(o['monte_carlo']['var_ratio'], 4)}"  # noqa: E731
    # the verdict from the z's: off means beyond AGREE combined standard errors (the tests' criterion)
    off_g, off_c = abs(zg) > AGREE, abs(zc) > AGREE
    if off_g and off_c:
        lead = "With few competitors the model loses accuracy, on the grid as in continuous time"
    elif off_g or off_c:
        lead = (f"With few competitors the model loses accuracy {'on the grid' if off_g else 'in continuous time'} "
                f"but stays within {AGREE:g} standard errors {'in continuous time' if off_g else 'on the grid'}")
    else:
        lead = f"With few competitors the model stays within {AGREE:g} standard errors, on the grid and in continuous time"
    sub["ex_fd12_sentence"] = (
        f"{lead}: at `d = 12`, `K = 20` "
        f"its `var_ratio` is {abs(zg):.1f} standard errors from the Monte Carlo on the grid ({pair(g)}), and "
        f"{abs(zc):.1f} in continuous time there ({pair(c)}, ODE; the same command with `--sampler ode` "
        "for `--grid`/`--update`).")
    return sub


def _finite_d_design_subs() -> dict[str, str]:
    r = _part("finite_d_design")
    o = r["design"]["output"]
    ev = r["evaluate"]["output"]
    return {"ex_fdd_schedule": f"`{o['schedule_short']}`",
            "ex_fdd_var": _pm(o["finite_d"]["design"]["var_ratio"]),
            "ex_fdd_theory": _f(o["design"]["var_ratio"]),
            "ex_fdd_eval": _pm(ev["finite_d"]["var_ratio"]),
            "ex_fdd_mc": _pm(ev["monte_carlo"]["var_ratio"])}


def _diffusers_subs() -> dict[str, str]:
    rec = _record("diffusers")
    r = rec["result"]
    w3 = [row for row in r["infinite"] if row["schedule"] == "constant:2"]
    pv = [row["pred_var_ratio"] for row in w3]
    zi = [abs(_z(row[k], row[f"pred_{k}"])) for row in r["infinite"] for k in ("m", "var_ratio")]
    zf = [abs(row[k]["z"]) for row in r["finite"] for k in ("m", "var_ratio", "accuracy") if row[k]["z"] is not None]
    cont = {f"{row['continuous_var_ratio']:.2f}" for row in w3}
    n_agree = sum(row["agrees"] for row in r["infinite"] + r["finite"])
    n_all = len(r["infinite"]) + len(r["finite"])
    return {"ex_dif_w3_range": f"{min(pv):.2f}-{max(pv):.2f}",
            "ex_dif_w3_cont": " / ".join(sorted(cont)),
            "ex_dif_verdict": _diffusers_verdict(r, n_agree, n_all, zi, zf),
            "ex_extra_size": f"{sum(r['installed_bytes'].values()) / 1e9:.2f} GB for the two packages themselves"}


def _diffusers_verdict(r: dict, n_agree: int, n_all: int, zi: list, zf: list) -> str:
    """Whether the real schedulers follow the discrete-grid prediction and not the continuous one,
    from the runs: each run's ``agrees`` (the test's criterion) and, for the infinite-class runs, how
    many standard errors their larger observable is from the continuous-time value."""
    counts = (f"{n_agree} of the {n_all} runs agree: the infinite-class runs are within {max(zi):.1f} standard "
              f"errors of the exact grid prediction, the finite mixture within {max(zf):.1f} combined standard "
              "errors of cfgmft's Monte Carlo")
    zc = [max(abs(_z(row[k], row[f"continuous_{k}"])) for k in ("m", "var_ratio")) for row in r["infinite"]]
    near = sum(z <= AGREE for z in zc)
    cont = (f"against the continuous-time values the infinite-class runs are {min(zc):.0f} to {max(zc):.0f} standard "
            "errors off" if not near else
            f"{near} of the {len(zc)} infinite-class runs are also within {AGREE:g} standard errors of the "
            "continuous-time values")
    if n_agree == n_all and not near:
        return f"the real schedulers follow the discrete-grid prediction, not the continuous one ({counts}; {cont})"
    if n_agree == n_all:
        return (f"the real schedulers agree with the discrete-grid prediction ({counts}), but the runs do not all "
                f"tell it from the continuous one ({cont})")
    return f"the real schedulers do not all follow the discrete-grid prediction ({counts}; {cont})"


def substitutions() -> dict[str, str]:
    sub = {}
    for part in (_design_subs, _gauss12_subs, _steps_subs, _frontier_subs, _nogo_subs, _finite_d_subs,
                 _finite_d_design_subs, _diffusers_subs):
        sub.update(part())
    return sub
