"""Study: the step error of the default integrator on the default grid, against a step-converged
reference with common random numbers, as a function of the number of steps.

Run: ``python benchmarks/study_step_error.py [--n 512] [--ref 3200] [--out results/step_error]
[--cases infinite,below,above,negwin] [--samplers sde,ode] [--validate-tol 1e-3] [--stages 1|2]``.

``--stages 2``: the predictor-corrector (two posterior evaluations per step, the ``--tol``
path's scheme for the SDE), in the study and in the tolerance check. The README's numbers:
``--stages 2 --samplers sde --n 2048 --validate-tol 1e-3 --out results/step_error_stages2``.

For each case and sampler, the default sampler (``local_gaussian`` scheme, order 2, ``logsnr``
grid, ``T = 12``) runs at ``25, 50, ..., ref`` steps (``ref = 3200`` by default) on nested
grids with the same ``x_T`` and, for the SDE, the same Brownian path
(:class:`cfgmft.validation.stepcontrol.NestedNoise`). The error of an observable at ``N``
steps is the paired mean difference to the reference run, with its paired standard error; the
reference's own error is estimated from ``ref/2`` and ``ref`` by Richardson with the order
measured between ``ref/4``, ``ref/2`` and ``ref`` (clipped to [1, 2]).

Cases (sphere prior, sigma2 = 1, d = 10):

* ``infinite``: infinite-class limit (``ContinuumSphere``), omega = 2;
* ``below``: exponential regime alpha = 0.4 (K = 55), omega = 2, below alpha_c(2) = 0.80 (SDE)
  / 0.89 (ODE);
* ``above``: alpha = 0.8 (K = 2981), omega = 1, above alpha_c(1) = 0.66 (SDE) / 0.71 (ODE);
* ``negwin``: alpha = 0.4, schedule ``negwin:2:-0.5:0.3:1.5`` (a negative window).

With ``--validate-tol TOL`` it then runs the tolerance controller
(:func:`cfgmft.validation.stepcontrol.steps_for_tolerance`, its own pilot seed) in every case
and measures the achieved error of the chosen step count on held-apart samples (another seed)
against a reference at 8 times the chosen steps.

Writes ``step_error.json`` (every number) and ``step_error.png`` into ``--out``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from cfgmft import __version__  # noqa: E402
from cfgmft.schedules import parse_schedule  # noqa: E402
from cfgmft.validation.scores import ContinuumSphere, FiniteMixture  # noqa: E402
from cfgmft.validation.stepcontrol import CONTROLLED, run_levels, steps_for_tolerance  # noqa: E402

D = 10
CASES = {
    "infinite": dict(alpha=None, omega=2.0, label="infinite-class, omega=2"),
    "below": dict(alpha=0.4, omega=2.0, label="exp. alpha=0.4 (K=55), omega=2 (below alpha_c)"),
    "above": dict(alpha=0.8, omega=1.0, label="exp. alpha=0.8 (K=2981), omega=1 (above alpha_c)"),
    "negwin": dict(alpha=0.4, omega="negwin:2:-0.5:0.3:1.5", label="exp. alpha=0.4, negwin:2:-0.5:0.3:1.5"),
}
OBS = ("m", "var_ratio", "accuracy")


def make_case(name, seed=1):
    spec = CASES[name]
    if spec["alpha"] is None:
        den = ContinuumSphere(D, 1.0)
        rng = np.random.default_rng(seed)
        z = rng.standard_normal(D)
        mu_c = math.sqrt(D) * z / np.linalg.norm(z)
        c = None
    else:
        K = int(round(math.exp(spec["alpha"] * D)))
        den = FiniteMixture.from_prior(K, D, "sphere", 1.0, rng=seed)
        mu_c = den.means[0].astype(np.float64)
        c = 0
    omega = spec["omega"]
    if isinstance(omega, str):
        omega = parse_schedule(omega)
    return den, mu_c, omega, c


def order_between(run, a, b, c, name):
    """Observed order from the differences (a, b) and (b, c), clipped to [1, 2]."""
    d1, _ = run.diff(a, b, name)
    d2, _ = run.diff(b, c, name)
    if d2 == 0.0 or d1 == 0.0:
        return 2.0
    return float(np.clip(math.log2(abs(d1) / abs(d2)), 1.0, 2.0))


def study(args):
    levels = []
    N = args.ref
    while N >= 25:
        levels.append(N)
        N //= 2
    levels = sorted(levels)
    out = {"version": __version__, "n": args.n, "ref": args.ref, "d": D, "levels": levels, "stages": args.stages,
           "cases": {}}
    for name in args.cases:
        den, mu_c, omega, c = make_case(name)
        for sampler in args.samplers:
            clock = time.perf_counter()
            run = run_levels(den, mu_c, 1.0, omega, sampler, levels, n=args.n, rng=args.seed, c=c, stages=args.stages)
            ref = levels[-1]
            rows = []
            for N in levels[:-1]:
                row = {"steps": N, "seconds": run.seconds[N], "evaluations": run.evaluations[N]}
                for o in OBS:
                    if o in run.terms[N]:
                        dm, se = run.diff(N, ref, o)
                        row[o] = dm
                        row[o + "_se"] = se
                rows.append(row)
            ref_err = {}
            for o in OBS:
                if o in run.terms[ref]:
                    p = order_between(run, ref // 4, ref // 2, ref, o)
                    dm, se = run.diff(ref // 2, ref, o)
                    ref_err[o] = {"order": p, "estimate": abs(dm) / (2.0**p - 1.0), "se": se / (2.0**p - 1.0)}
            key = f"{name}/{sampler}"
            out["cases"][key] = {"label": CASES[name]["label"], "sampler": sampler, "rows": rows,
                                 "reference": {"steps": ref, **{o: run.value(ref, o) for o in OBS if o in run.terms[ref]}},
                                 "reference_error": ref_err, "seconds": time.perf_counter() - clock}
            print(f"\n{key}: {CASES[name]['label']}  (reference {ref} steps, {time.perf_counter() - clock:.1f} s)")
            print(f"  reference: " + ", ".join(f"{o} = {run.value(ref, o):.5f} (its step error ~{ref_err[o]['estimate']:.1e}, "
                                              f"order {ref_err[o]['order']:.2f})" for o in ref_err))
            print(f"  {'steps':>6} " + " ".join(f"{'err ' + o:>24}" for o in OBS if o in run.terms[ref]))
            for row in rows:
                print(f"  {row['steps']:>6} " + " ".join(f"{row[o]:>+12.2e} +- {row[o + '_se']:<8.1e}" for o in OBS if o in row))
    return out


def validate(args, out):
    tol = args.validate_tol
    res = {}
    print(f"\n== tolerance controller, tol = {tol:g} (pilot seed {args.seed + 100}, held-apart seed {args.seed + 200})")
    for name in args.cases:
        den, mu_c, omega, c = make_case(name)
        for sampler in args.samplers:
            clock = time.perf_counter()
            choice = steps_for_tolerance(den, mu_c, 1.0, omega, sampler, tol, rng=args.seed + 100, stages=args.stages)
            t_pilot = time.perf_counter() - clock
            N = choice.steps
            run = run_levels(den, mu_c, 1.0, omega, sampler, [N, 8 * N], n=args.n, rng=args.seed + 200, c=c,
                             stages=args.stages)
            ach = {}
            for o in OBS:
                if o in run.terms[N]:
                    dm, se = run.diff(N, 8 * N, o)
                    ach[o] = {"error": dm, "se": se}
            ok = all(abs(ach[o]["error"]) <= tol for o in CONTROLLED)
            key = f"{name}/{sampler}"
            res[key] = {"choice": choice.to_dict(), "achieved": ach, "met": ok, "pilot_seconds": t_pilot,
                        "main_evaluations_per_sample": int(N) * args.stages,
                        "pilot_evaluations": choice.pilot_evaluations}
            print(f"  {key:<16} steps {N:>5}  achieved |err| m {abs(ach['m']['error']):.1e} +- {ach['m']['se']:.1e}, "
                  f"var_ratio {abs(ach['var_ratio']['error']):.1e} +- {ach['var_ratio']['se']:.1e}"
                  + (f", accuracy {ach['accuracy']['error']:+.1e}" if "accuracy" in ach else "")
                  + f"  {'met' if ok else 'NOT MET'}; pilot {choice.pilot_evaluations} point-steps, {t_pilot:.1f} s")
    out["tolerance"] = {"tol": tol, "cases": res}


def figure(out, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    colors = {name: f"C{i}" for i, name in enumerate(CASES)}  # one colour a case in every panel
    for key, case in out["cases"].items():
        steps = [r["steps"] for r in case["rows"]]
        for ax, o in zip(axes, OBS):
            if o not in case["rows"][0]:
                continue
            err = [abs(r[o]) if r[o] != 0 else np.nan for r in case["rows"]]  # exact zeros not drawn
            ax.loglog(steps, err, "o-" if case["sampler"] == "sde" else "s--", label=key, ms=4,
                      color=colors.get(key.split("/")[0]))
    for ax, o in zip(axes, OBS):
        ax.axhline(1e-3, color="k", lw=0.8, ls=":")
        ax.axvline(800, color="grey", lw=0.8, ls=":")
        ax.set_xlabel("steps")
        ax.set_title(f"|step error| of {o} (vs {out['ref']} steps)")
    axes[0].legend(fontsize=7)
    if "stages" in out:
        fig.suptitle(f"{out['stages']} posterior evaluation(s) per step, {out['n']} samples", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=512)
    p.add_argument("--ref", type=int, default=3200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cases", type=lambda s: s.split(","), default=list(CASES))
    p.add_argument("--samplers", type=lambda s: s.split(","), default=["sde", "ode"])
    p.add_argument("--validate-tol", type=float, default=None)
    p.add_argument("--stages", type=int, choices=(1, 2), default=1,
                   help="posterior evaluations per step: 1 (default scheme) or 2 (predictor-corrector)")
    p.add_argument("--skip-study", action="store_true")
    p.add_argument("--replot", metavar="JSON", help="only redraw the figure from a step_error.json")
    p.add_argument("--out", default="results/step_error")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.replot:
        with open(args.replot) as f:
            figure(json.load(f), os.path.join(args.out, "step_error.png"))
        return
    out = {"version": __version__, "cases": {}}
    if not args.skip_study:
        out = study(args)
        figure(out, os.path.join(args.out, "step_error.png"))
    if args.validate_tol is not None:
        validate(args, out)
    name = "step_error.json" if not args.skip_study else "tolerance.json"
    with open(os.path.join(args.out, name), "w") as f:
        json.dump(out, f, indent=1)
    print(f"\nwrote {os.path.join(args.out, name)}")


if __name__ == "__main__":
    main()
