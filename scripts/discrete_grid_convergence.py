"""The variance ratio of constant CFG and of a negative-window schedule on Karras grids of 10 to
1000 steps, against the continuous-time theory (docs/explanation/discrete-grids.md).

    python scripts/discrete_grid_convergence.py [--out results/discrete_grid]

Writes OUT/convergence.png and OUT/convergence.json (every number of the figure). Theory only
(moment maps, no Monte Carlo): a few seconds.

Panels: (left) infinite-class limit, gaussian prior, sigma2 = 1 (exact at every d), constant:2
and negwin:2:-0.8:0.05:0.6; (right) exponential regime, sphere prior, alpha = 0.3 (d -> infinity),
constant:2 and the C6 design negwin:2:-0.3:0.4:1:2. Rules euler, heun (ODE limit) and ancestral
(SDE limit); ddim is the euler map on the same grid. Grid karras:N:0.002:80:7 started from
N(0, 80^2 I) in EDM's scale; the dashed lines are the continuous-time theory from T = t_0 =
log1p(80^2)/2 (the start N(0, I) of the mixture's scale there; the discrete start's variance is
smaller by 6400/6401), the dotted lines the T -> infinity values of `cfgmft theory`.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from cfgmft import __version__
from cfgmft.conventions import CONVENTION
from cfgmft.grids import sigma_grid
from cfgmft.solvers.discrete_grid import predict_discrete
from cfgmft.solvers.exponential import predict_exponential
from cfgmft.solvers.infinite_class import predict_infinite_class
from cfgmft.updates import CONTINUUM_SAMPLER

PANELS = [
    {"title": "infinite-class limit, gaussian prior (exact at any d)", "prior": "gaussian", "alpha": None,
     "schedules": ["constant:2", "negwin:2:-0.8:0.05:0.6"]},
    {"title": "exponential regime, sphere prior, alpha = 0.3 (d -> inf)", "prior": "sphere", "alpha": 0.3,
     "schedules": ["constant:2", "negwin:2:-0.3:0.4:1:2"]},
]
RULES = ("euler", "heun", "ancestral")
STEPS = sorted({int(round(x)) for x in np.logspace(1, 3, 31)})


def _continuous(prior, alpha, schedule, sampler, T):
    if alpha is None:
        return predict_infinite_class(prior, 1.0, schedule, sampler, T=T)
    return predict_exponential(prior, 1.0, schedule, sampler, alpha=alpha, T=T)


def compute() -> dict:
    out = {"version": __version__, "convention": CONVENTION + " (w = 1 + omega)", "sigma2": 1.0,
           "grid": "karras:N:0.002:80:7", "steps": STEPS, "panels": []}
    for panel in PANELS:
        rec = {**panel, "curves": []}
        for sch in panel["schedules"]:
            for rule in RULES:
                vr = [predict_discrete(panel["prior"], 1.0, sch, rule, f"karras:{n}:0.002:80:7",
                                       alpha=panel["alpha"]).var_ratio for n in STEPS]
                t0 = float(sigma_grid("karras:10:0.002:80:7").t[0])
                smp = CONTINUUM_SAMPLER[rule]
                rec["curves"].append({"schedule": sch, "update": rule, "var_ratio": vr,
                                      "continuous_T_t0": _continuous(panel["prior"], panel["alpha"], sch, smp, t0).var_ratio,
                                      "continuous_T_inf": _continuous(panel["prior"], panel["alpha"], sch, smp, None).var_ratio,
                                      "T_t0": t0, "sampler_limit": smp})
        out["panels"].append(rec)
    return out


def plot(data: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"euler": "C0", "heun": "C1", "ancestral": "C2"}
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    for ax, panel in zip(axes, data["panels"]):
        for c in panel["curves"]:
            ls = "-" if c["schedule"].startswith("constant") else "--"
            marker = "o" if c["schedule"].startswith("constant") else "s"
            ax.plot(data["steps"], c["var_ratio"], ls, marker=marker, ms=3, color=colors[c["update"]],
                    label=f"{c['update']}, {c['schedule']}")
            ax.axhline(c["continuous_T_t0"], color=colors[c["update"]], lw=0.8, ls=":",
                       alpha=0.9)
        ax.axhline(1.0, color="k", lw=0.6)
        ax.set_xscale("log")
        ax.set_xlabel("steps N (karras:N:0.002:80:7)")
        ax.set_ylabel("variance ratio v_perp / sigma2")
        ax.set_title(panel["title"], fontsize=10)
        ax.legend(fontsize=7, loc="center right" if panel["alpha"] is None else "lower right")
    fig.suptitle("CFG on a discrete grid: variance ratio vs steps; dotted: continuous-time theory "
                 "(ODE for euler/heun, SDE for ancestral)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/discrete_grid")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = compute()
    (out / "convergence.json").write_text(json.dumps(data, indent=1, allow_nan=False))
    plot(data, out / "convergence.png")
    for panel in data["panels"]:
        for c in panel["curves"]:
            vr = dict(zip(data["steps"], c["var_ratio"]))
            print(f"{panel['prior']:<8} alpha={panel['alpha']} {c['schedule']:<24} {c['update']:<9} "
                  + " ".join(f"N={n}: {vr[n]:.4f}" for n in (10, 22, 46, 100, 215, 464, 1000) if n in vr)
                  + f" | continuous (T=t0) {c['continuous_T_t0']:.4f}, T=inf {c['continuous_T_inf']:.4f}")
    print(f"written to {out}/convergence.png, convergence.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
