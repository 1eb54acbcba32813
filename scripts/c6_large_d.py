"""C6 at large d: the negative-window design on the finite-d model, confirmed by paired Monte
Carlo, at alpha = 0.3 for d up to 40 and alpha = 0.6 for d up to 20 (K = round(e^(alpha d)) up to
1.6e5), both priors, SDE, and the ODE at two points.

Run: ``nice -n 15 python scripts/c6_large_d.py [--only NAME,...] [--max-cost SECONDS] [--out results/c6_large_d]``.

Each cell is one :func:`cfgmft.commands.schedule_confirm.confirm` (``cfgmft schedule design
--peak 3`` on the finite-d model at the cell's d, family negwin, band 0.98:1.02, then exact-score
Monte Carlo of the design and of omega = 0, and of constant CFG at the peak where it is cheap,
on common random numbers: the same class means, initial noise and Brownian increments), judged
by C6's one criterion (:data:`cfgmft.commands.schedule_confirm.CRITERION`). The cells run from
the cheapest to the dearest (estimated cost: samples x draws x schedules x the per-sample
cost of K classes at 400 steps); each is written to ``OUT/<cell>.json`` as soon as it is done
(a re-run skips the cells already there), with its parameters, seed and wall times, and the
progress goes to ``OUT/log.txt``.

Sizes: 4 draws of the class means per cell (the least that estimates the spread over draws with
3 degrees of freedom; the standard errors are floored by the within-draw error), 500 samples
per draw (2000 in all: the variance ratio's standard error about 0.01 at d >= 12, below the
criterion's resolution limit of 0.02, and the accuracy gains seen at d = 8-12, 0.1-0.2, lie
many paired standard errors from the threshold); at K = 1.6e5, 2 draws of 250 samples (the
per-sample cost is ~2 s there on one core).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from pathlib import Path

SEED = 20260223
PEAK, STEPS = 3.0, 400
#: the design tool's search, per prior: the gaussian prior's finite-d model costs ~10x the sphere's
#: per evaluation (its energy law is two-dimensional), so it gets the smaller search of the quick report
DESIGN = {"sphere": {"finite_d_samples": 2000, "finite_d_global": 16, "finite_d_maxiter": 20, "n_global": 32},
          "gaussian": {"finite_d_samples": 1000, "finite_d_global": 8, "finite_d_maxiter": 12, "n_global": 32}}
#: rough seconds of the design stage on one core (sphere measured 69 s, gaussian ~730 s at the sphere's search)
DESIGN_SECONDS = {"sphere": 70.0, "gaussian": 200.0}

#: (prior, alpha, d, sampler): the cells
CELLS = [(prior, 0.3, d, "sde") for prior in ("sphere", "gaussian") for d in (12, 20, 30, 40)] + \
        [(prior, 0.6, d, "sde") for prior in ("sphere", "gaussian") for d in (8, 12, 16, 20)] + \
        [("sphere", 0.3, 20, "ode"), ("sphere", 0.6, 12, "ode")]


def sizes(K: int) -> dict:
    """Samples per draw, draws, whether constant CFG is simulated too (K <= 1500 only), precision."""
    if K > 50000:
        return {"samples": 250, "disorder": 2, "with_constant": False, "precision": "float32"}
    return {"samples": 500, "disorder": 4, "with_constant": K <= 1500, "precision": "float64"}


def per_sample_seconds(K: int) -> float:
    """Rough seconds per sample and schedule at 400 steps on one core (measured at K = 403 and 8103)."""
    return 0.016 + 8.5e-6 * K


def name_of(prior, alpha, d, sampler) -> str:
    return f"{prior}_a{alpha:g}_d{d}_{sampler}"


def estimated_cost(cell) -> float:
    prior, alpha, d, sampler = cell
    K = int(round(math.exp(alpha * d)))
    s = sizes(K)
    f = 0.5 if s["precision"] == "float32" else 1.0
    return DESIGN_SECONDS[prior] + s["samples"] * s["disorder"] * (2 if s["with_constant"] else 1) * per_sample_seconds(K) * f


def table(out: str) -> str:
    """The compact Markdown table of the cells under ``out`` (docs/guide/c6.md), cheapest cell first
    within each sampler, alpha and prior, by d."""
    import glob

    rows = [json.load(open(f)) for f in glob.glob(os.path.join(out, "*.json"))]
    rows.sort(key=lambda r: (r["sampler"] != "sde", r["alpha"], r["prior"] != "sphere", r["d"]))
    pm = lambda e: "-" if e is None else f"{e['mean']:.4f} ± {e['stderr']:.4f}"  # noqa: E731
    lines = ["| cell | d | K | draws x samples | v_perp/sigma2 (MC) | accuracy: design, omega = 0 | "
             "accuracy gain (paired) | margin gain (paired) | predicted margin gain (d -> inf) | wall s | verdict |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        mc, pr = r.get("monte_carlo") or {}, r.get("paired") or {}
        g = pr.get("design - unguided: accuracy")
        z = "" if g is None or not g["stderr"] else f" ({g['mean'] / g['stderr']:+.1f} se)"
        acc = "-" if not mc else f"{mc['design']['accuracy']['mean']:.3f}, {mc['unguided']['accuracy']['mean']:.3f}"
        pg = (r.get("predicted") or {}).get("gain")
        why = [] if r["confirmed"] else [w for w, ok in (("variance out of band", r["in_band"]),
                                                         ("variance unresolved", r["resolved"]),
                                                         ("separability not kept", r["separability_kept"])) if not ok]
        lines.append(f"| {r['prior']}, alpha {r['alpha']:g}, {r['sampler'].upper()} | {r['d']} | {r['K']} | "
                     f"{r['disorder']} x {r['samples']} | {pm(mc.get('design', {}).get('var_ratio'))} | {acc} | "
                     f"{pm(g)}{z} | {pm(pr.get('design - unguided: margin'))} | {'-' if pg is None else f'{pg:.4f}'} | "
                     f"{r['seconds']:.0f} | {'confirmed' if r['confirmed'] else 'not confirmed (' + ', '.join(why) + ')'} |")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default=None, help="comma-separated cell names")
    p.add_argument("--max-cost", type=float, default=math.inf, help="skip cells estimated above this (seconds)")
    p.add_argument("--out", default="results/c6_large_d")
    p.add_argument("--table", action="store_true", help="print the Markdown table of the cells in --out and stop")
    p.add_argument("--rerun", action="store_true", help="run the --only cells again even where their file exists "
                   "(the file is replaced; use with --disorder/--samples to decide a cell with more draws)")
    p.add_argument("--disorder", type=int, default=None, help="draws of the class means (default: by K, see sizes)")
    p.add_argument("--samples", type=int, default=None, help="samples per draw (default: by K, see sizes)")
    p.add_argument("--design-search", choices=sorted(DESIGN), default=None,
                   help="use this prior's design search settings (default: the cell's own prior's)")
    args = p.parse_args()
    if args.table:
        print(table(args.out))
        return

    from cfgmft import __version__
    from cfgmft.commands.schedule_confirm import confirm
    from cfgmft.sweep import atomic_write_text

    os.makedirs(args.out, exist_ok=True)
    log = open(os.path.join(args.out, "log.txt"), "a")

    def say(msg):
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        log.write(line + "\n")
        log.flush()

    cells = sorted(CELLS, key=estimated_cost)
    only = None if args.only is None else set(args.only.split(","))
    for cell in cells:
        name = name_of(*cell)
        path = os.path.join(args.out, name + ".json")
        if only is not None and name not in only:
            continue
        if os.path.exists(path) and not (args.rerun and only is not None):
            continue
        cost = estimated_cost(cell)
        if cost > args.max_cost:
            say(f"{name}: skipped (estimated {cost:.0f} s > --max-cost)")
            continue
        prior, alpha, d, sampler = cell
        K = int(round(math.exp(alpha * d)))
        s = sizes(K)
        if args.disorder is not None:
            s["disorder"] = args.disorder
        if args.samples is not None:
            s["samples"] = args.samples
        design = DESIGN[args.design_search or prior]
        say(f"{name}: K = {K}, {s}, design search {design}, estimated {cost:.0f} s (at the default sizes)")
        clock = time.perf_counter()
        r = confirm(prior, alpha, d, PEAK, sampler, samples=s["samples"], disorder=s["disorder"], steps=STEPS,
                    seed=SEED, with_constant=s["with_constant"], precision=s["precision"], **design)
        extra = "".join(f" --{k.replace('_', '-')} {v}" for k, v in (("disorder", args.disorder), ("samples", args.samples),
                                                                      ("design_search", args.design_search)) if v is not None)
        r.update(cell=name, seconds=time.perf_counter() - clock, estimated_seconds=cost, design_settings=design,
                 version=__version__, machine=platform.machine(), cpus=os.cpu_count(),
                 command=f"python scripts/c6_large_d.py --only {name}" + (" --rerun" + extra if extra else ""))
        atomic_write_text(Path(path), json.dumps(r, indent=1, default=str))
        say(f"{name}: {'confirmed' if r['confirmed'] else 'not confirmed'} in {r['seconds']:.0f} s: {r['reason']}")


if __name__ == "__main__":
    main()
