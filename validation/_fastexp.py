"""The float64 ``exp`` of :class:`~cfgmft.validation.scores.FiniteMixture`'s streamed sums.

numpy's float64 ``exp`` has a SIMD loop only for AVX-512 (numpy's ``X86_V4`` target); on an
AVX2-only CPU it calls the C library's scalar ``exp`` (3-10 ns per element, against 1-2 ns for
numpy's float32 ``exp``), and far slower where results are subnormal. :func:`exp_inplace` is
the numba kernel of :mod:`cfgmft.validation._fastexp_jit` (Cody-Waite reduction, a degree-12
polynomial, ``2^k`` from integer bits, subnormal results by integer rounding: branch-free,
4-wide AVX2 + FMA), within 1 ulp of ``np.exp`` over the whole float64 range
(``tests/test_fastexp.py``, ``benchmarks/bench_exp.py``).

Which one the streamed sums use: ``CFGMFT_EXP`` (read on first use) or
:func:`set_exp_backend`, one of

* ``auto`` (default): the numba ``exp`` unless numpy's float64 ``exp`` has its AVX-512 loop on
  this CPU (where it measured faster on the logit blocks, ``benchmarks/bench_scores.py``);
* ``numba``: always the numba ``exp``;
* ``numpy``: always ``np.exp`` (the path before this module, for comparison).

numba is imported (and the kernel loaded from its on-disk cache, or compiled: ~1-1.5 s once)
only when the numba ``exp`` is first used.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["EXP_BACKENDS", "exp_inplace", "exp_scalar", "numpy_has_simd_exp64", "set_exp_backend",
           "use_fast_exp", "warm_up"]

#: Accepted values of ``CFGMFT_EXP`` / :func:`set_exp_backend`.
EXP_BACKENDS = ("auto", "numba", "numpy")

_state = {"fast": None}


def numpy_has_simd_exp64() -> bool:
    """Whether numpy's float64 ``exp`` runs its AVX-512 loop on this CPU (with
    ``NPY_DISABLE_CPU_FEATURES`` taken into account)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as feats
    except ImportError:  # numpy < 2
        try:
            from numpy.core._multiarray_umath import __cpu_features__ as feats
        except ImportError:
            return False
    if "X86_V4" in feats:  # numpy >= 2.4 groups the AVX-512 targets
        return bool(feats["X86_V4"])
    return bool(feats.get("AVX512_SKX", False) or feats.get("AVX512F", False))


def _resolve(value: str) -> bool:
    value = (value or "auto").strip().lower()
    if value not in EXP_BACKENDS:
        from cfgmft.errors import ParameterError

        raise ParameterError("CFGMFT_EXP", f"must be one of {', '.join(EXP_BACKENDS)}, got {value!r}")
    if value == "auto":
        return not numpy_has_simd_exp64()
    return value == "numba"


def use_fast_exp() -> bool:
    """Whether the float64 streamed sums use the numba :func:`exp_inplace`."""
    fast = _state["fast"]
    if fast is None:
        fast = _state["fast"] = _resolve(os.environ.get("CFGMFT_EXP", "auto"))
    return fast


def set_exp_backend(value: str) -> bool:
    """Choose the float64 ``exp`` of the streamed sums (``'auto'``, ``'numba'`` or ``'numpy'``);
    returns whether the numba one is now used."""
    fast = _state["fast"] = _resolve(value)
    return fast


def exp_inplace(a: np.ndarray) -> None:
    """``a[:] = exp(a)`` for a contiguous 1-D float64 array, by the numba kernel."""
    from ._fastexp_jit import exp_inplace as kernel

    kernel(a)


def exp_scalar(x: float) -> float:
    """The numba kernel's ``exp`` of one float64."""
    from ._fastexp_jit import exp_scalar as kernel

    return kernel(x)


def warm_up() -> None:
    """Import numba and load (or compile) the kernels."""
    from ._fastexp_jit import warm_up as w

    w()
