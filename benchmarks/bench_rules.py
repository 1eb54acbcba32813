"""Benchmark: the mean-field phase diagram of every guidance rule against cfg's, per grid point.

Run: ``python benchmarks/bench_rules.py [--alpha 0.02:1:41] [--omega 0:8:21] [--repeat 5] [--threads 1]``.

The same grid (sphere prior, sigma2 = 1, SDE and ODE), the same numba kernel
(:mod:`cfgmft.solvers.exponential`): cfg runs its generated CFG equations, every other rule the
generated coefficients of :mod:`cfgmft.theory.rules`. The kernels are compiled (or loaded) before
timing; the grids run interleaved, rule after rule, ``--repeat`` times; printed: the median time per
grid point of each rule and its ratio to cfg's median on the same machine in the same run. The
target is a ratio within 2. Also printed: the reference (scipy ``solve_ivp`` on the rules' numpy
code) per prediction on a few points, for scale.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

from cfgmft.solvers import exponential as ex
from cfgmft.solvers.phase import phase_diagram
from cfgmft.solvers.rules import predict_rule

RULES = ("cfg", "powerlaw:beta=0.5", "apg:eta=0,r=0.05", "zerostar", "rescale:phi=0.7")


def _grid(text):
    a, b, n = text.split(":")
    return np.linspace(float(a), float(b), int(n))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alpha", default="0.02:1:41")
    ap.add_argument("--omega", default="0:8:21")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    alphas, omegas = _grid(args.alpha), _grid(args.omega)
    n = alphas.size * omegas.size
    ex.prepare()
    for rule in RULES:  # compile / load every path once
        phase_diagram(alphas[:2], omegas[:2], rule=rule, threads=args.threads)
    print(f"cfgmft bench_rules: {alphas.size} x {omegas.size} = {n} points, sphere prior, sigma2 = 1, "
          f"threads = {args.threads}, repeat = {args.repeat}; {platform.processor() or platform.machine()}")
    for sampler in ("sde", "ode"):
        times = {r: [] for r in RULES}
        for _ in range(args.repeat):
            for rule in RULES:
                t0 = time.perf_counter()
                phase_diagram(alphas, omegas, sampler=sampler, rule=rule, threads=args.threads)
                times[rule].append((time.perf_counter() - t0) / n)
        base = statistics.median(times["cfg"])
        for rule in RULES:
            med = statistics.median(times[rule])
            print(f"  {sampler} {rule:20s} {1e6 * med:9.1f} us/point   ratio to cfg {med / base:5.2f}")
    pts = [(0.3, 2.0), (0.6, 4.0), (float("inf"), 2.0)]
    for rule in RULES[1:]:
        t0 = time.perf_counter()
        for a, w in pts:
            predict_rule("sphere", 1.0, w, "sde", rule, alpha=a, method="reference")
        print(f"  reference (scipy on the numpy rule) {rule:20s} {1e3 * (time.perf_counter() - t0) / len(pts):8.1f} "
              "ms/prediction")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
