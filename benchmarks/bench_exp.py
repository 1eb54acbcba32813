"""Benchmark: the numba float64 ``exp`` of :mod:`cfgmft.validation._fastexp` against numpy's
float64 and float32 ``exp``, and its accuracy.

Run: ``python benchmarks/bench_exp.py [--repeat 31] [--points 10000000]``.

* CPU: the flags of ``/proc/cpuinfo`` that matter here (``avx2``, ``fma``, ``avx512f``), whether
  numpy's float64 ``exp`` has its AVX-512 loop (``X86_V4``) on this CPU, and the target numba
  compiles for (``NUMBA_CPU_NAME`` / ``NUMBA_CPU_FEATURES``). To see an AVX2-only machine on an
  AVX-512 one: ``NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR"`` (numpy's scalar
  float64 ``exp``) and ``NUMBA_CPU_NAME=haswell NUMBA_CPU_FEATURES=<host features with every
  avx512*/avx10 one turned off>`` (``--print-avx2-features`` prints that string).
* Speed: ns per element of an in-place ``exp`` of a ``256 x 2048`` block (the logit block of
  :class:`~cfgmft.validation.scores.FiniteMixture` at the default chunk size and row block),
  values uniform in ``[-50, 0]`` (the bulk of the shifted logits; the subnormal range costs
  more everywhere) and, as a second row, uniform in ``[-745, 0]``; median of ``--repeat``
  interleaved repeats.
* Accuracy: max ulp distance to ``np.exp`` on ``--points`` uniform points of ``[-745, 64]``
  (the shifted logits are ``<= 0`` plus the shift slack 64), on ``[-745.2, -708]`` (subnormal
  results) and on ``[-ln2/2, ln2/2]``.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402


def cpu_flags():
    """``{'avx2': bool, 'fma': bool, 'avx512f': bool, 'model': str}`` from /proc/cpuinfo."""
    flags, model = set(), "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags") and not flags:
                    flags = set(line.split(":", 1)[1].split())
                elif line.startswith("model name") and model == "?":
                    model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return {"avx2": "avx2" in flags, "fma": "fma" in flags, "avx512f": "avx512f" in flags, "model": model}


def avx2_feature_string():
    """The host's LLVM feature string with every AVX-512 / AVX10 / AMX feature turned off."""
    import llvmlite.binding as ll

    out = []
    for k, v in ll.get_host_cpu_features().items():
        off = k.startswith(("avx512", "avx10", "amx", "evex512"))
        out.append(("+" if v and not off else "-") + k)
    return ",".join(out)


def numba_target():
    import llvmlite.binding as ll
    from numba.core import config

    name = config.CPU_NAME or ll.get_host_cpu_name()
    feats = config.CPU_FEATURES
    if feats is None:
        avx512 = bool(ll.get_host_cpu_features().get("avx512f", False))
    else:
        avx512 = "+avx512f" in feats.split(",")
    return name, avx512


def ulp_distance(a, b):
    return np.abs(a.view(np.int64) - b.view(np.int64))


def time_inplace(fn, src, buf, repeat):
    out = []
    for _ in range(repeat):
        buf[...] = src
        t0 = time.perf_counter()
        fn(buf)
        out.append(time.perf_counter() - t0)
    return out


def measure(repeat=31, points=10_000_000, seed=0, shape=(256, 2048), out=print):
    """Print and return ``{'ns': {...}, 'ulp': {...}}``."""
    t0 = time.perf_counter()
    from cfgmft.validation import _fastexp as fe

    fe.warm_up()
    first = time.perf_counter() - t0
    fl = cpu_flags()
    name, n_avx512 = numba_target()
    out(f"CPU: {fl['model']}; flags avx2={fl['avx2']} fma={fl['fma']} avx512f={fl['avx512f']}; "
        f"numpy float64 exp AVX-512 loop: {fe.numpy_has_simd_exp64()}; numba target {name} "
        f"(AVX-512 {'on' if n_avx512 else 'off'}); CFGMFT_EXP auto -> "
        f"{'numba' if not fe.numpy_has_simd_exp64() else 'numpy'}")
    out(f"import numba + load/compile the kernels: {first:.2f} s")
    rng = np.random.default_rng(seed)
    res = {"ns": {}, "ulp": {}}
    n = shape[0] * shape[1]
    for lo in (-50.0, -745.0):
        src = rng.uniform(lo, 0.0, shape)
        s32 = src.astype(np.float32)
        b64, b32 = np.empty_like(src), np.empty_like(s32)
        cases = {
            "np.exp float64": (lambda b: np.exp(b, out=b), src, b64),
            "np.exp float32": (lambda b: np.exp(b, out=b), s32, b32),
            "numba exp float64": (lambda b: fe.exp_inplace(b.reshape(-1)), src, b64),
        }
        times = {k: [] for k in cases}
        for _ in range(repeat):  # interleaved
            for k, (fn, s, b) in cases.items():
                times[k] += time_inplace(fn, s, b, 1)
        row = {k: float(np.median(v)) / n * 1e9 for k, v in times.items()}
        res["ns"][lo] = row
        out(f"ns/element, {shape[0]}x{shape[1]} block, x uniform in [{lo:g}, 0], median of {repeat}: "
            + ", ".join(f"{k} {v:.2f}" for k, v in row.items())
            + f"  -> numba/np float64 speed-up {row['np.exp float64'] / row['numba exp float64']:.2f}x")
    for lo, hi, m in ((-745.0, 64.0, points), (-745.2, -708.0, points // 10), (-0.3466, 0.3466, points // 10)):
        x = rng.uniform(lo, hi, m)
        y = x.copy()
        fe.exp_inplace(y)
        u = ulp_distance(y, np.exp(x))
        res["ulp"][(lo, hi)] = int(u.max())
        out(f"max ulp |numba exp - np.exp| on {m:.0e} uniform points of [{lo:g}, {hi:g}]: {int(u.max())} "
            f"(fraction not bit-equal {np.mean(u > 0):.3f})")
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=31)
    p.add_argument("--points", type=int, default=10_000_000)
    p.add_argument("--print-avx2-features", action="store_true")
    a = p.parse_args()
    if a.print_avx2_features:
        print(avx2_feature_string())
        return
    measure(a.repeat, a.points)


if __name__ == "__main__":
    main()
