"""Benchmark: the streamed exact posterior mean of a large mixture inside the guided sampler,
against a straightforward dense numpy implementation, side by side.

Run: ``python benchmarks/bench_scores.py [--K 131072] [--d 32] [--N 256] [--steps 20]
[--repeat 5] [--blas-threads 1] [--exp both] [--chunks 512,1024,2048,4096,8192]``.

* fast: :func:`cfgmft.validation.samplers.sample` (reverse SDE, default local-Gaussian scheme,
  which asks the denoiser for the posterior mean and spread at every step) on a
  :class:`~cfgmft.validation.scores.FiniteMixture`.
* fast32: the same, with the mixture in float32 (``FiniteMixture(..., precision='float32')``:
  float32 means, float32 matrix products, shift and ``exp``, float64 accumulators, float64
  sampler state and noise).
* dense: the same sampler, same seed, on a subclass whose posterior statistics are the
  straightforward implementation: the full ``N x K`` float64 logits, softmax, posterior mean
  (and ``sum_k w_k |mu_k|^2`` for the spread) by matrix products.
* Timing: ``SampleResult.seconds`` (the integration loop alone); the three are interleaved,
  ``--repeat`` times each, and medians are reported, with the ratios dense / fast and
  fast / fast32.
* Statistics unchanged: the samples of the runs (same seed) are compared elementwise (fast
  against dense to rounding; fast32 against fast to the float32 rounding of the logits).
* Machine rate: median GFLOP/s of a float64 ``2048 x 2048`` matrix product; the fast path's
  rate counts its two matrix products per step and chunk, ``2 x 2 N K (d + 2)`` flops per step
  (the ``exp``, the row maxima and the rest are not counted).
* BLAS threads: ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS``/``MKL_NUM_THREADS`` are set to
  ``--blas-threads`` (default 1) before numpy is imported; on this 2-core machine a second BLAS
  thread does not help these products (and slows small ones down).
* ``--exp``: the float64 ``exp`` of the fast path (:mod:`cfgmft.validation._fastexp`):
  ``both`` (default) times the fast path twice in the same interleaved loop, with the numba
  ``exp`` (``fast``) and with numpy's (``fast-npexp``, the path before it), and reports both
  ratios to dense; ``numba``/``numpy``/``auto`` time the one (``auto``: numba unless numpy's
  float64 ``exp`` has its AVX-512 loop). The dense baseline always uses numpy's ``exp``. The
  CPU's avx2 / avx512f flags are printed.
* ``--chunks`` also times the fast path for each listed chunk size (how the default was chosen).
"""

from __future__ import annotations

import argparse
import os


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--K", type=int, default=2**17)
    p.add_argument("--d", type=int, default=32)
    p.add_argument("--N", type=int, default=256)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--sigma2", type=float, default=0.1)
    p.add_argument("--omega", type=float, default=2.0)
    p.add_argument("--T", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--blas-threads", type=int, default=1)
    p.add_argument("--chunks", type=str, default="", help="comma-separated chunk sizes to sweep")
    p.add_argument("--chunk-repeat", type=int, default=3)
    p.add_argument("--exp", choices=("both", "auto", "numba", "numpy"), default="both",
                   help="float64 exp of the fast path (both: numba and numpy side by side)")
    return p.parse_args()


ARGS = _parse()
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(ARGS.blas_threads)

import time  # noqa: E402

import numpy as np  # noqa: E402

from cfgmft.validation.samplers import sample  # noqa: E402
from cfgmft.validation import _fastexp  # noqa: E402
from cfgmft.validation.scores import FiniteMixture  # noqa: E402


class DenseMixture(FiniteMixture):
    """Same mixture, posterior statistics by the straightforward dense computation."""

    def __init__(self, mix: FiniteMixture):
        self.__dict__.update(mix.__dict__)
        self.dense_means = np.ascontiguousarray(mix.means)
        self.dense_norms2 = np.ascontiguousarray(mix.norms2)

    def _stream(self, x, t, want_mean=True, want_spread=False):
        a, b = self._coefficients(t)
        L = a * (x @ self.dense_means.T) - b * self.dense_norms2  # N x K
        Lmax = L.max(axis=1, keepdims=True)
        W = np.exp(L - Lmax)
        S = W.sum(axis=1, keepdims=True)
        W /= S
        E = W @ self.dense_means
        lse = Lmax[:, 0] + np.log(S[:, 0])
        c = None
        if want_spread:
            c = np.maximum(W @ self.dense_norms2 - np.einsum("nd,nd->n", E, E), 0.0) / self.d
        return E, lse, c


def gemm_rate(n=2048, repeat=7):
    """Median float64 GEMM rate (GFLOP/s), by wall-clock and by process CPU time."""
    rng = np.random.default_rng(1)
    A, B = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    C = np.empty((n, n))
    np.matmul(A, B, out=C)
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        np.matmul(A, B, out=C)
        wall.append(2.0 * n**3 / (time.perf_counter() - t0) / 1e9)
        cpu.append(2.0 * n**3 / (time.process_time() - c0) / 1e9)
    return float(np.median(wall)), float(np.median(cpu))


def run(mix, args, exp=None):
    """One timed sampler run; ``exp`` (``'numba'``/``'numpy'``/``'auto'``) sets the float64
    ``exp`` backend of the streamed sums for this run."""
    if exp is not None:
        _fastexp.set_exp_backend(exp)
    c0 = time.process_time()
    r = _sample(mix, args)
    r.cpu_seconds = time.process_time() - c0
    return r


def cpu_flags_text():
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((ln.split(":", 1)[1].split() for ln in f if ln.startswith("flags")), [])
    except OSError:
        flags = []
    return (f"CPU flags: avx2={'avx2' in flags}, fma={'fma' in flags}, avx512f={'avx512f' in flags}; "
            f"numpy float64 exp AVX-512 loop: {_fastexp.numpy_has_simd_exp64()}")


def _sample(mix, args):
    return sample(
        mix,
        mix.means[0],
        args.sigma2,
        args.omega,
        sampler="sde",
        T=args.T,
        steps=args.steps,
        n=args.N,
        rng=args.seed,
        batch_size=args.N,
    )


def main(args):
    print(f"K = {args.K}, d = {args.d}, N = {args.N}, {args.steps} SDE steps, sigma2 = {args.sigma2}, "
          f"omega = {args.omega}, T = {args.T}, float64 (fast, dense) and float32 (fast32), BLAS threads = {args.blas_threads} "
          f"(OPENBLAS_NUM_THREADS/OMP_NUM_THREADS set before importing numpy)")
    t0 = time.perf_counter()
    mix = FiniteMixture.from_prior(args.K, args.d, "gaussian", args.sigma2, rng=args.seed)
    mix32 = mix.with_precision("float32")
    dense = DenseMixture(mix)
    print(f"means drawn in {time.perf_counter() - t0:.2f} s; chunk_size = {mix.chunk_size}, row block = {mix.ROW_BLOCK}")

    g_wall, g_cpu = gemm_rate()
    print(f"machine float64 GEMM (2048^3), median of 7: {g_wall:.1f} GFLOP/s by wall clock, "
          f"{g_cpu:.1f} GFLOP/s by process CPU time")

    print(cpu_flags_text())
    both = args.exp == "both"
    exp_fast = "numba" if both else args.exp
    t0 = time.perf_counter()
    _fastexp.set_exp_backend(exp_fast)
    _fastexp.warm_up()
    print(f"fast path exp: {exp_fast} (-> {'numba' if _fastexp.use_fast_exp() else 'numpy'}); numba kernels "
          f"loaded/compiled in {time.perf_counter() - t0:.2f} s"
          + ("; fast-npexp: the same with numpy's exp" if both else ""))
    run(mix, args, exp_fast)  # warm-up (page faults, BLAS buffers)
    run(mix32, args)
    t_fast, t_dense, c_fast, c_dense, t_32, c_32 = [], [], [], [], [], []
    t_np, c_np = [], []
    x_fast = x_dense = x_32 = x_np = None
    for _ in range(args.repeat):
        r = run(mix, args, exp_fast)
        t_fast.append(r.seconds)
        c_fast.append(r.cpu_seconds)
        x_fast = r.x
        if both:
            r = run(mix, args, "numpy")
            t_np.append(r.seconds)
            c_np.append(r.cpu_seconds)
            x_np = r.x
        r = run(mix32, args)
        t_32.append(r.seconds)
        c_32.append(r.cpu_seconds)
        x_32 = r.x
        r = run(dense, args)
        t_dense.append(r.seconds)
        c_dense.append(r.cpu_seconds)
        x_dense = r.x
    evals = int(np.count_nonzero(r.omega_grid))
    mf, md = float(np.median(t_fast)), float(np.median(t_dense))
    cf, cd = float(np.median(c_fast)), float(np.median(c_dense))
    fmt = lambda v: ", ".join(f"{u:.2f}" for u in v)  # noqa: E731
    print(f"fast : median {mf:.3f} s wall, {cf:.3f} s CPU  (wall runs: {fmt(t_fast)})")
    print(f"dense: median {md:.3f} s wall, {cd:.3f} s CPU  (wall runs: {fmt(t_dense)})")
    print(f"ratio dense / fast (medians): {md / mf:.2f}x wall-clock, {cd / cf:.2f}x CPU time   [target >= 2.5x]")
    if both:
        mn, cn = float(np.median(t_np)), float(np.median(c_np))
        print(f"fast-npexp: median {mn:.3f} s wall, {cn:.3f} s CPU  (wall runs: {fmt(t_np)})")
        print(f"ratio dense / fast-npexp (medians, numpy's exp: the path before the numba exp): {md / mn:.2f}x wall-clock, "
              f"{cd / cn:.2f}x CPU time; numba exp speeds the fast path up {mn / mf:.2f}x (wall)")
        dnp = float(np.abs(x_fast - x_np).max())
        print(f"same seed: max |x_fast - x_fast_npexp| = {dnp:.2e} (relative {dnp / float(np.abs(x_np).max()):.1e})")
    m32, c32 = float(np.median(t_32)), float(np.median(c_32))
    print(f"fast32: median {m32:.3f} s wall, {c32:.3f} s CPU  (wall runs: {fmt(t_32)})")
    print(f"ratio fast / fast32 (medians): {mf / m32:.2f}x wall-clock, {cf / c32:.2f}x CPU time; "
          f"dense / fast32: {md / m32:.2f}x wall-clock")
    scale = float(np.abs(x_dense).max())
    diff = float(np.abs(x_fast - x_dense).max())
    print(f"same seed: max |x_fast - x_dense| = {diff:.2e} (max |x| = {scale:.2f}; relative {diff / scale:.1e})"
          f" -> {'unchanged' if diff <= 1e-10 * max(scale, 1.0) else 'CHANGED'}")
    diff32 = float(np.abs(x_32 - x_fast).max())
    print(f"same seed: max |x_fast32 - x_fast| = {diff32:.2e} (relative {diff32 / scale:.1e}; "
          f"estimated float32 logit rounding at t = 0: {mix32.float32_logit_error(0.0):.1e})")
    mu = mix.means[0]
    m_fast = x_fast @ mu / float(mu @ mu)
    m_dense = x_dense @ mu / float(mu @ mu)
    m_32 = x_32 @ mu / float(mu @ mu)
    print(f"overlap m: fast {m_fast.mean():.12f}, dense {m_dense.mean():.12f}, fast32 {m_32.mean():.12f} "
          f"(stderr {m_fast.std(ddof=1) / np.sqrt(m_fast.size):.1e}; max paired |m32 - m64| {np.abs(m_32 - m_fast).max():.1e})")
    flops = evals * 2 * 2.0 * args.N * args.K * (args.d + 2)
    rate, rate_cpu = flops / mf / 1e9, flops / cf / 1e9
    print(f"fast path: {evals} posterior evaluations, {flops / 1e9:.1f} GFLOP in its matrix products -> "
          f"{rate:.1f} GFLOP/s by wall clock = {rate / g_wall:.0%} of the measured GEMM rate; "
          f"{rate_cpu:.1f} GFLOP/s by CPU time = {rate_cpu / g_cpu:.0%} of it")
    ns = mf / (evals * args.N * args.K) * 1e9
    print(f"fast path: {ns:.2f} ns per (sample, class) pair per step; fast32: {m32 / (evals * args.N * args.K) * 1e9:.2f} ns; "
          f"dense: {md / (evals * args.N * args.K) * 1e9:.2f} ns")

    if args.chunks:
        print("\nchunk-size sweep (fast path, median of --chunk-repeat runs, interleaved):")
        sizes = [int(c) for c in args.chunks.split(",")]
        mixes = {c: FiniteMixture.__new__(FiniteMixture) for c in sizes}
        for c, m in mixes.items():
            m.__dict__.update(mix.__dict__)
            m.chunk_size = c
        times = {c: [] for c in sizes}
        for _ in range(args.chunk_repeat):
            for c in sizes:
                r = run(mixes[c], args, exp_fast)
                times[c].append((r.seconds, r.cpu_seconds))
        for c in sizes:
            w = [v[0] for v in times[c]]
            u = [v[1] for v in times[c]]
            print(f"  chunk {c:6d}: median {np.median(w):.3f} s wall, {np.median(u):.3f} s CPU  (wall runs: {fmt(w)})")


if __name__ == "__main__":
    main(ARGS)
