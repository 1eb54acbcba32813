"""Benchmark: peak memory of the guided sampler on a very large mixture, against the storage of
the class means.

Run: ``python benchmarks/bench_memory.py [--K 10000000] [--d 32] [--N 256] [--steps 1]
[--construct from_prior|draw_means]``.

A fresh subprocess (BLAS on one thread) builds a ``FiniteMixture`` of ``K`` classes in
dimension ``d`` (gaussian prior) and runs ``--steps`` steps of the reverse-SDE sampler on one
batch of ``N`` samples (each step streams the posterior mean and spread over all ``K`` classes).
It reports ``ru_maxrss`` (peak resident memory of the whole process: interpreter, numpy, the
mixture and the step) at each stage, and the tracemalloc peak of the numpy allocations made
during the step, against the storage of the class means, ``K d 8`` bytes (2.56 GB at
``K = 10^7``, ``d = 32``). Target: whole-process peak <= 1.3 x the means.

``--construct from_prior`` (default) draws the means block by block straight into the
mixture's storage (``FiniteMixture.from_prior``); ``draw_means`` builds
``FiniteMixture(draw_means(K, d))``, which holds the drawn array and the storage at once while
constructing (about 2.1 x the means at the peak).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

_CHILD = r"""
import json, resource, sys, time, tracemalloc
args = json.loads(sys.argv[1])
def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes
out = {}
import numpy as np
from cfgmft.validation.mixture import draw_means
from cfgmft.validation.samplers import sample
from cfgmft.validation.scores import FiniteMixture
out["rss_after_import"] = rss()
t0 = time.perf_counter()
K, d, N, s2 = args["K"], args["d"], args["N"], args["sigma2"]
if args["construct"] == "from_prior":
    mix = FiniteMixture.from_prior(K, d, "gaussian", s2, rng=args["seed"])
else:
    mix = FiniteMixture(draw_means(K, d, "gaussian", args["seed"]), s2)
out["build_seconds"] = time.perf_counter() - t0
out["rss_after_build"] = rss()
out["storage_bytes"] = mix._aug.nbytes
out["chunk_size"] = mix.chunk_size
tracemalloc.start()
t0 = time.perf_counter()
r = sample(mix, mix.means[0], s2, args["omega"], sampler="sde", T=args["T"], steps=args["steps"],
           n=N, rng=args["seed"], batch_size=N)
out["step_seconds"] = time.perf_counter() - t0
out["tracemalloc_peak_step"] = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
out["rss_peak"] = rss()
out["finite"] = bool(np.all(np.isfinite(r.x)))
print(json.dumps(out))
"""


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--K", type=int, default=10_000_000)
    p.add_argument("--d", type=int, default=32)
    p.add_argument("--N", type=int, default=256)
    p.add_argument("--steps", type=int, default=1)
    p.add_argument("--sigma2", type=float, default=0.1)
    p.add_argument("--omega", type=float, default=2.0)
    p.add_argument("--T", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--construct", choices=("from_prior", "draw_means"), default="from_prior")
    args = p.parse_args()
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(vars(args))], env=env, capture_output=True, text=True
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"child failed with exit code {proc.returncode}")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    means = args.K * args.d * 8
    gb = 1e9
    print(f"K = {args.K}, d = {args.d}, N = {args.N}, {args.steps} SDE step(s), float64, construct = {args.construct}, "
          f"chunk_size = {res['chunk_size']}")
    print(f"class means K*d*8          : {means / gb:.3f} GB")
    print(f"mixture storage [mu,|mu|^2,1]: {res['storage_bytes'] / gb:.3f} GB ({res['storage_bytes'] / means:.3f} x means)")
    print(f"peak RSS after imports     : {res['rss_after_import'] / gb:.3f} GB")
    print(f"peak RSS after building    : {res['rss_after_build'] / gb:.3f} GB ({res['build_seconds']:.1f} s)")
    print(f"peak RSS after the step(s) : {res['rss_peak'] / gb:.3f} GB ({res['step_seconds']:.1f} s)")
    print(f"numpy allocations during the step(s), tracemalloc peak: {res['tracemalloc_peak_step'] / 1e6:.1f} MB")
    ratio = res["rss_peak"] / means
    print(f"ratio whole-process peak / means: {ratio:.3f}   [target <= 1.3]  -> {'OK' if ratio <= 1.3 else 'ABOVE TARGET'}")
    print(f"samples finite: {res['finite']}")


if __name__ == "__main__":
    main()
