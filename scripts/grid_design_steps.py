"""How many sampler steps before the continuous-time design is good enough: the variance ratio of
a designed negative window on Karras grids of 10 to 1000 steps, designed on the grid
(`cfgmft schedule design --grid`) against designed in continuous time and exported to the grid
(docs/guide/diffusers.md, "Designing on the sampler's grid").

    python scripts/grid_design_steps.py [--out results/grid_design_steps] [--figure docs/figures/grid_design_steps.png]

Writes OUT/grid_design_steps.json (every number), OUT/grid_design_steps.md (the table) and the
figure. Theory only (the discrete-grid moment maps); about a minute per case on one core.

Cases: the exponential regime, sphere prior, alpha = 0.3, peak 3, band 0.98:1.02, reverse SDE
(grid update ancestral), the example of `cfgmft schedule design --prior sphere --alpha 0.3 --peak 3`;
and the infinite-class limit, gaussian prior, sigma2 = 1, peak 3, band 0.95:1.05, probability-flow
ODE (update euler). Grids karras:N:0.002:80:7. "Steps needed" is the smallest N of the list at
which the continuous-time design, exported, is within half the band's width of its designed
variance ratio and mean (the test of `cfgmft schedule export --design`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cfgmft import __version__
from cfgmft.api import design_schedule, predict
from cfgmft.errors import InfeasibleError
from cfgmft.params import Mixture, Problem

STEPS = (10, 15, 20, 30, 50, 100, 200, 500, 1000)
CASES = [
    {"name": "sphere, alpha = 0.3, SDE (ancestral)", "prior": "sphere", "alpha": 0.3, "sampler": "sde",
     "update": "ancestral", "band": (0.98, 1.02)},
    {"name": "gaussian continuum, ODE (euler)", "prior": "gaussian", "alpha": None, "sampler": "ode",
     "update": "euler", "band": (0.95, 1.05)},
]
PEAK = 3.0


def _problem(case, schedule):
    mix = {"classes": "inf"} if case["alpha"] is None else {"alpha": case["alpha"]}
    return Problem.from_dict({"prior": case["prior"], "sigma2": 1.0, **mix, "schedule": schedule,
                              "sampler": case["sampler"]})


def run_case(case) -> dict:
    mix = Mixture(prior=case["prior"], sigma2=1.0, **({} if case["alpha"] is None else {"alpha": case["alpha"]}))
    kw = dict(band=case["band"], family="negwin", seed=0)
    cont = design_schedule(mix, PEAK, case["sampler"], **kw)
    lo, hi = case["band"]
    tol = 0.5 * (hi - lo)
    rows = []
    for n in STEPS:
        grid = f"karras:{n}:0.002:80:7"
        p = predict(_problem(case, cont.schedule.spec), grid=grid, update=case["update"])
        row = {"steps": n, "grid": grid, "continuous_design_on_grid": {"var_ratio": p["var_ratio"], "m": p["m_final"]}}
        row["continuous_design_ok"] = (abs(p["var_ratio"] - cont.design["var_ratio"]) <= tol
                                       and abs(p["m_final"] - cont.design["m_final"]) <= tol)
        try:
            g = design_schedule(mix, PEAK, case["sampler"], grid=grid, update=case["update"], **kw)
            row["grid_design"] = {"schedule": g.schedule.spec, "var_ratio": g.design["var_ratio"],
                                  "m": g.design["m_final"], "separability": g.design["separability"]}
        except InfeasibleError as e:
            row["grid_design"] = {"infeasible": str(e)}
        rows.append(row)
        print(case["name"], n, row["continuous_design_on_grid"]["var_ratio"], row["grid_design"].get("var_ratio"),
              flush=True)
    needed = next((r["steps"] for r in rows if r["continuous_design_ok"]
                   and all(q["continuous_design_ok"] for q in rows if q["steps"] >= r["steps"])), None)
    return {**case, "band": list(case["band"]), "peak": PEAK,
            "continuous_design": {"schedule": cont.schedule.spec, "var_ratio": cont.design["var_ratio"],
                                  "m": cont.design["m_final"], "separability": cont.design["separability"]},
            "rows": rows, "steps_needed": needed, "tolerance": tol}


def _display(spec: str) -> str:
    """``spec`` with its numbers to 4 significant digits, leftovers below 1e-12 as 0 (for reading only)."""
    import re

    name, _, rest = spec.partition(":")
    fmt = lambda m: "0" if abs(float(m.group())) < 1e-12 else f"{float(m.group()):.4g}"  # noqa: E731
    return name + (":" + re.sub(r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?", fmt, rest) if rest else "")


def _markdown(results) -> str:
    out = []
    for r in results:
        needed = (f"from **{r['steps_needed']}** steps on" if r["steps_needed"] is not None
                  else f"at **none** of the step counts tried (up to {max(q['steps'] for q in r['rows'])})")
        out.append(f"**{r['name']}**, peak {r['peak']:g}, band {r['band'][0]:g}:{r['band'][1]:g}; continuous-time "
                   f"design `{_display(r['continuous_design']['schedule'])}` (variance ratio "
                   f"{r['continuous_design']['var_ratio']:.4f}; its numbers printed to 4 significant digits, "
                   f"the full values are in the JSON); the continuous design is good enough (within "
                   f"{r['tolerance']:g}) {needed}.\n")
        out.append("| steps | continuous design on the grid: var ratio | m | designed on the grid: var ratio | m |")
        out.append("|---|---|---|---|---|")
        for row in r["rows"]:
            c, g = row["continuous_design_on_grid"], row["grid_design"]
            gv = "infeasible" if "infeasible" in g else f"{g['var_ratio']:.4f}"
            gm = "" if "infeasible" in g else f"{g['m']:.4f}"
            out.append(f"| {row['steps']} | {c['var_ratio']:.4f} | {c['m']:.4f} | {gv} | {gm} |")
        out.append("")
    return "\n".join(out)


def _figure(results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(5.2 * len(results), 3.8))
    for ax, r in zip(axes, results):
        n = [row["steps"] for row in r["rows"]]
        ax.plot(n, [row["continuous_design_on_grid"]["var_ratio"] for row in r["rows"]], "o-",
                label="designed in continuous time, exported")
        gn = [row["steps"] for row in r["rows"] if "var_ratio" in row["grid_design"]]
        ax.plot(gn, [row["grid_design"]["var_ratio"] for row in r["rows"] if "var_ratio" in row["grid_design"]], "s-",
                label="designed on the grid")
        ax.axhspan(*r["band"], color="0.85", label="band")
        ax.axhline(r["continuous_design"]["var_ratio"], ls=":", color="k", lw=1, label="continuous-time design")
        ax.set_xscale("log")
        ax.set_xlabel("Karras steps N (karras:N:0.002:80:7)")
        ax.set_ylabel("variance ratio on the grid")
        ax.set_title(r["name"], fontsize=10)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/grid_design_steps")
    ap.add_argument("--figure", default="docs/figures/grid_design_steps.png")
    args = ap.parse_args(argv)
    results = [run_case(c) for c in CASES]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "grid_design_steps.json").write_text(json.dumps({"version": __version__, "steps": list(STEPS),
                                                            "cases": results}, indent=2, allow_nan=False))
    (out / "grid_design_steps.md").write_text(_markdown(results))
    _figure(results, Path(args.figure))
    print(_markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
