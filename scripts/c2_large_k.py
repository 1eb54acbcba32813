"""C2 at large K: the Monte Carlo of the exponential regime at the largest K affordable here,
beside the finite-d prediction and the d -> infinity theory, with wall times.

Run: ``python scripts/c2_large_k.py [--dims 70] [--alpha 0.2] [--samples 256] [--steps 800]
[--precision float32] [--scheduler local:2] [--out results/c2_large_k]``.

Each dimension is one ``cfgmft simulate`` (``cfgmft.api.simulate``: sphere prior, sigma2 = 1,
omega = 2, reverse SDE, ``K = round(e^(alpha d))``, fixed ``--steps``; the step study's 800 steps
met 1e-3 on ``E[m]`` and the variance ratio in every case it measured, docs/explanation/step-control.md) and
one ``cfgmft theory --d D --finite-d`` (``cfgmft.api.predict_finite_d``); the d -> infinity
value is ``cfgmft theory --alpha``. z = (MC - finite-d) / combined standard error. Every
number, the parameters and the wall times go to ``OUT/c2_large_k.json``, written after each
dimension (a re-run skips the dimensions already there).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dims", default="70")
    p.add_argument("--alpha", type=float, default=0.2)
    p.add_argument("--samples", type=int, default=256)
    p.add_argument("--steps", type=int, default=800)
    p.add_argument("--precision", default="float32", choices=("float64", "float32"))
    p.add_argument("--scheduler", default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="results/c2_large_k")
    args = p.parse_args()

    from cfgmft import __version__
    from cfgmft.api import predict, predict_finite_d, simulate
    from cfgmft.params import Guidance, Mixture, Problem, Sampler
    from cfgmft.sweep import atomic_write_text

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "c2_large_k.json")
    data = json.load(open(path)) if os.path.exists(path) else {"version": __version__, "points": {}}
    for d in [int(v) for v in args.dims.split(",")]:
        key = f"d={d},alpha={args.alpha:g},samples={args.samples},steps={args.steps},{args.precision},seed={args.seed}"
        if key in data["points"]:
            print(f"{key}: already in {path}")
            continue
        problem = Problem(Mixture(prior="sphere", sigma2=1.0, alpha=args.alpha, d=d), Guidance(omega=2.0),
                          Sampler("sde", steps=args.steps))
        t0 = time.perf_counter()
        fd = predict_finite_d(problem)
        t_fd = time.perf_counter() - t0
        inf = predict(Problem(Mixture(prior="sphere", sigma2=1.0, alpha=args.alpha), Guidance(omega=2.0), Sampler("sde")))
        t0 = time.perf_counter()
        mc = simulate(problem, samples=args.samples, seed=args.seed, precision=args.precision, progress=True,
                      scheduler=args.scheduler)
        wall = time.perf_counter() - t0
        fdv = fd.to_dict() if hasattr(fd, "to_dict") else fd
        row = {"d": d, "K": mc["K"], "alpha": args.alpha, "samples": args.samples, "steps": mc["steps"],
               "precision": args.precision, "backend": mc["backend"], "device": mc["device"],
               "wall_seconds": wall, "seconds_sampling": mc["seconds_sampling"], "finite_d_seconds": t_fd,
               "mc": {k: mc[k] for k in ("m_final", "var_ratio", "accuracy", "margin")},
               "finite_d": fdv, "d_infinity": inf.to_dict() if hasattr(inf, "to_dict") else inf}
        data["points"][key] = row
        atomic_write_text(__import__("pathlib").Path(path), json.dumps(row and data, indent=1, default=str) + "\n")
        print(json.dumps({k: row[k] for k in ("d", "K", "steps", "wall_seconds", "mc")}, indent=1))


if __name__ == "__main__":
    main()
