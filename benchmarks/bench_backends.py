"""Benchmark: where the sums over classes run. Per-step time of the guided sampler on the numpy
backend (float64, float32), the torch backend on the CPU device (float64, float32) and a mixture
sharded across a local dask cluster, side by side in one run, with the throughput as a fraction
of this machine's GEMM rate measured in the same run, and the sharded path's overhead per step.

Run: ``python benchmarks/bench_backends.py [--K 131072] [--d 32] [--N 256] [--steps 8]
[--repeat 3] [--workers 2] [--out results/bench_backends]``.

* Per-step time: :func:`cfgmft.validation.samplers.sample` (reverse SDE, default scheme: one
  posterior evaluation, mean and spread, per step) for ``--steps`` steps, wall seconds of the
  integration loop (``SampleResult.seconds``) over the steps, median of ``--repeat`` runs after a
  warm-up; the backends are interleaved.
* Throughput: each evaluation does two matrix products per chunk, ``2 x 2 N K (d + 2)`` flops;
  divided by the time per evaluation and by the median GEMM rate (``2048^3``) of the same dtype,
  measured in this process with the same BLAS threads. The ``exp`` and the rest are not
  counted: the fraction is how close a step is to what the matrix products alone would cost.
* Sharded: ``--workers`` single-threaded worker processes of a ``LocalCluster``, one shard each.
  Its time against the in-process numpy float64 time (one BLAS thread) at the same ``K``, and
  its overhead per step at ``K = 64`` (where the sums cost nothing): time per step sharded minus
  in-process.
* BLAS threads: 1 in this process (``OPENBLAS_NUM_THREADS`` etc. set before numpy is
  imported), torch set to 1 thread as well, so that every backend uses one core; the sharded run
  uses ``--workers`` cores.
* Agreement: the samples of every backend against numpy float64 (same seed), max absolute
  difference, printed beside the times.

Writes ``bench_backends.json`` (every number, with the parameters) into ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402

from cfgmft import __version__  # noqa: E402
from cfgmft.validation.samplers import sample  # noqa: E402
from cfgmft.validation.scores import FiniteMixture  # noqa: E402


def gemm_rate(dtype, n=2048, repeat=5):
    """Median GEMM rate (GFLOP/s, wall clock) of an ``n x n`` product in ``dtype``."""
    rng = np.random.default_rng(1)
    A, B = (rng.standard_normal((n, n)).astype(dtype) for _ in range(2))
    C = np.empty((n, n), dtype=dtype)
    np.matmul(A, B, out=C)
    rates = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        np.matmul(A, B, out=C)
        rates.append(2.0 * n**3 / (time.perf_counter() - t0) / 1e9)
    return float(np.median(rates))


class Counting:
    """Counts the posterior evaluations of a mixture (calls of ``partial_sums``)."""

    def __init__(self, mix):
        self.mix, self.calls = mix, 0
        inner = mix.partial_sums

        def counted(x, t):
            self.calls += 1
            return inner(x, t)

        mix.partial_sums = counted


def run(mix, args):
    r = sample(mix, mix.mean_of(0), args.sigma2, args.omega, sampler="sde", steps=args.steps, n=args.N,
               rng=args.seed, batch_size=args.N)
    return r.seconds / args.steps, r.x


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--K", type=int, default=2**17)
    p.add_argument("--d", type=int, default=32)
    p.add_argument("--N", type=int, default=256)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--sigma2", type=float, default=1.0)
    p.add_argument("--omega", type=float, default=2.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="results/bench_backends")
    args = p.parse_args()

    ss = np.random.SeedSequence(args.seed)
    K, d, N = args.K, args.d, args.N
    print(f"K = {K}, d = {d}, N = {N}, {args.steps} SDE steps per run, median of {args.repeat}; sphere prior, "
          f"sigma2 = {args.sigma2}, omega = {args.omega}; one BLAS/torch thread in this process")
    mixes = {"numpy float64": FiniteMixture.from_prior(K, d, "sphere", args.sigma2, rng=ss),
             "numpy float32": FiniteMixture.from_prior(K, d, "sphere", args.sigma2, rng=ss, precision="float32")}
    try:
        import torch

        torch.set_num_threads(1)
        from cfgmft.validation.backends import to_backend

        mixes["torch cpu float64"] = to_backend(mixes["numpy float64"], "torch", "cpu")
        mixes["torch cpu float32"] = to_backend(mixes["numpy float32"], "torch", "cpu")
        torch_version = torch.__version__
    except ImportError:
        torch_version = None
        print("torch is not installed: its rows are skipped (pip install 'cfgmft[diffusers]')")

    rates = {"float64": gemm_rate(np.float64), "float32": gemm_rate(np.float32)}
    print(f"machine GEMM (2048^3, one thread): float64 {rates['float64']:.1f} GFLOP/s, float32 {rates['float32']:.1f} GFLOP/s")

    counters = {name: Counting(m) for name, m in mixes.items()}
    times = {name: [] for name in mixes}
    samples = {}
    for name, m in mixes.items():  # warm-up
        _, samples[name] = run(m, args)
    evals_per_step = counters["numpy float64"].calls / args.steps
    for _ in range(args.repeat):
        for name, m in mixes.items():
            times[name].append(run(m, args)[0])

    sharded = {}
    try:
        from cfgmft.sweep import dask_client
        from cfgmft.validation.sharded import ShardedMixture

        with dask_client(f"local:{args.workers}") as client:
            big = ShardedMixture(client, K, d, "sphere", args.sigma2, ss)
            small = ShardedMixture(client, 64, d, "sphere", args.sigma2, ss)
            small_here = FiniteMixture.from_prior(64, d, "sphere", args.sigma2, rng=ss)
            _, samples["sharded float64"] = run(big, args)
            run(small, args)
            tb, ts, th = [], [], []
            for _ in range(args.repeat):
                tb.append(run(big, args)[0])
                ts.append(run(small, args)[0])
                th.append(run(small_here, args)[0])
            times["sharded float64"] = tb
            sharded = {"workers": args.workers, "overhead_per_step_s": float(np.median(ts) - np.median(th)),
                       "K64_sharded_per_step_s": float(np.median(ts)), "K64_in_process_per_step_s": float(np.median(th))}
    except ImportError:
        print("dask.distributed is not installed: the sharded rows are skipped (pip install 'cfgmft[cluster]')")

    flops = 2 * 2 * N * K * (d + 2) * evals_per_step
    ref = samples["numpy float64"]
    rows = {}
    base = float(np.median(times["numpy float64"]))
    print(f"\n{'backend':<20} {'s/step':>9} {'ratio':>10} {'GFLOP/s':>9} {'of GEMM':>8} {'max |x - x_numpy64|':>20}")
    for name, ts in times.items():
        med = float(np.median(ts))
        dtype = "float32" if "float32" in name else "float64"
        rate = flops / med / 1e9
        frac = rate / rates[dtype] if "sharded" not in name else rate / (rates[dtype] * args.workers)
        diff = float(np.max(np.abs(samples[name] - ref)))
        rows[name] = {"seconds_per_step": med, "all": ts, "gflops": rate, "fraction_of_gemm": frac, "max_abs_diff": diff,
                      "ratio_numpy64_over_this": base / med}
        print(f"{name:<20} {med:9.4f} {base / med:8.2f} x {rate:9.1f} {frac:8.0%} {diff:20.2g}")
    print("(ratio: numpy float64 time / this time; 'of GEMM': the two products' flops per second over the GEMM rate of "
          f"the dtype{', times ' + str(args.workers) + ' workers for the sharded row' if sharded else ''})")
    if sharded:
        print(f"ratio in-process numpy float64 / sharded on {args.workers} workers: {base / float(np.median(times['sharded float64'])):.2f} x")
        print(f"sharded overhead per step (K = 64, {args.workers} workers): {1e3 * sharded['overhead_per_step_s']:.1f} ms "
              f"({1e3 * sharded['K64_sharded_per_step_s']:.1f} ms sharded vs {1e3 * sharded['K64_in_process_per_step_s']:.2f} ms in process)")
    os.makedirs(args.out, exist_ok=True)
    out = {"version": __version__, "parameters": vars(args), "evaluations_per_step": evals_per_step,
           "gemm_gflops": rates, "rows": rows, "sharded": sharded, "torch": torch_version, "numpy": np.__version__,
           "machine": {"cpu_count": os.cpu_count(), "processor": platform.processor(), "platform": platform.platform()}}
    with open(os.path.join(args.out, "bench_backends.json"), "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {os.path.join(args.out, 'bench_backends.json')}")


if __name__ == "__main__":
    main()
