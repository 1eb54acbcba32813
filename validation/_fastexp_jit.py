"""The numba kernels of :mod:`cfgmft.validation._fastexp` (imported on first use only, so that
numba is not imported where numpy's ``exp`` is used): a float64 ``exp`` that LLVM vectorizes
without AVX-512.

numpy's float64 ``exp`` has a SIMD loop only for AVX-512 (``X86_V4``); on an AVX2-only CPU it
calls the C library's scalar ``exp`` (measured ~3-10 ns per element, against ~1-2 ns for the
float32 ``exp``), which made the ``exp`` of the logit block the largest cost of
:class:`~cfgmft.validation.scores.FiniteMixture`'s streamed sums in float64. This module's
:func:`exp_inplace` is a branch-free loop that LLVM turns into 4-wide AVX2 (``vfmadd``,
``vpsllq``, ``vblendvpd``) code:

* range reduction (Cody-Waite): ``x = k ln2 + r`` with ``k = rint(x / ln2)`` (by the
  ``1.5 * 2^52`` shifter: the float's low bits are then ``k`` as an integer, so no
  float-to-int64 conversion, which AVX2 lacks) and ``r = (x - k LN2_HI) - k LN2_LO``, ``LN2_HI``
  the fdlibm split with 32 trailing zero bits (``k LN2_HI`` is exact for ``|k| < 2^20``),
  ``|r| <= ln2 / 2`` (plus rounding);
* ``exp(r) = 1 + r + r^2 q(r)``, ``q`` the degree-10 Chebyshev interpolant of
  ``(e^r - 1 - r) / r^2`` on ``[-ln2/2, ln2/2]`` (coefficients derived with mpmath at 50
  digits, rounded to float64; the approximation error with the rounded coefficients is
  ``3e-19`` relative, ``0.003`` ulp), by Estrin's scheme (FMA contraction allowed: it only
  makes each step more exact);
* ``2^k`` from bits: ``(k + 1023) << 52`` viewed as a float64. Subnormal results
  (``x < -708.40``) are rounded by integer arithmetic rather than by a subnormal product (which
  costs a microcode assist on Intel CPUs in every lane of the vector; measured 15x slower):
  ``z = p 2^(k + 1074)`` (normal), ``z + 2^52`` rounds it once to an integer, to nearest even,
  as the product would round, and that integer is the subnormal's bit pattern. For ``x > 709``
  the scale is ``2^(k-1)`` and the product is doubled. ``x`` is clamped to ``[-746, 710]``
  first, so ``x <= -745.1332191019412`` gives exactly 0, ``x >= 709.79`` gives ``inf``,
  ``-inf`` gives 0 and ``+inf`` gives ``inf``; NaN gives NaN.

Accuracy: within 1 ulp of numpy's ``np.exp`` on ``1e7`` random points of ``[-745, 64]``, on
the subnormal range and on the edge cases
(``tests/test_fastexp.py``, ``benchmarks/bench_exp.py``); exact (bit for bit) at 0, -0 and
for results 0 / inf.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

__all__ = ["exp_inplace", "exp_scalar", "warm_up"]

_LOG2E = 1.4426950408889634  # 1 / ln 2
_LN2_HI = 6.93147180369123816490e-01  # 0x3FE62E42FEE00000: 32 trailing zero bits
_LN2_LO = 1.90821492927058770002e-10  # ln2 - LN2_HI
_SHIFTER = 6755399441055744.0  # 1.5 * 2^52: x + SHIFTER rounds x to an integer in the low bits
_SHIFTER_BITS = 0x4338000000000000
_TWO52 = 4503599627370496.0  # 2^52
_TWO52_BITS = 0x4330000000000000

# q(r) = (exp(r) - 1 - r) / r^2 ~ sum_i Q[i] r^i on [-ln2/2, ln2/2] (Chebyshev interpolant of
# degree 10 at 50 digits, rounded to float64)
_Q0 = 0.5
_Q1 = 0.1666666666666667
_Q2 = 0.04166666666666667
_Q3 = 0.008333333333326141
_Q4 = 0.0013888888888883752
_Q5 = 0.00019841269874800493
_Q6 = 2.4801587325533363e-05
_Q7 = 2.7557255425746435e-06
_Q8 = 2.7557273661348637e-07
_Q9 = 2.510520637395701e-08
_Q10 = 2.0914679376583935e-09


@intrinsic
def _f2i(typingctx, x):
    """The bits of a float64 as an int64 (a bitcast, free in vector code)."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


@intrinsic
def _i2f(typingctx, x):
    """The float64 whose bits are the int64 ``x``."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


# 'contract' lets LLVM fuse a * b + c into an FMA (one rounding instead of two); no other
# fast-math flag (no reassociation, no finite-math assumptions: NaN/inf keep their meaning)
_FM = {"contract"}


@njit(cache=True, inline="always", fastmath=_FM)
def _exp1(x):
    # clamp to [-746, 710]; NaN fails both comparisons and stays NaN (and so does the result).
    # (Written so, and not as a final select on x == x: LLVM turned that select into a masked
    # store, vmaskmovpd, which ran ~10x slower than a plain store on the test machine.)
    xc = -746.0 if x < -746.0 else x
    xc = 710.0 if xc > 710.0 else xc
    t = xc * _LOG2E + _SHIFTER
    kf = t - _SHIFTER
    k = _f2i(t) - _SHIFTER_BITS
    r = xc - kf * _LN2_HI
    r = r - kf * _LN2_LO
    # q by Estrin's scheme (shorter dependency chains than Horner's: 3% faster measured; q is
    # multiplied by r^2 <= 0.121, so its own rounding barely reaches the result)
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    q = (((_Q0 + _Q1 * r) + r2 * (_Q2 + _Q3 * r))
         + r4 * ((_Q4 + _Q5 * r) + r2 * (_Q6 + _Q7 * r))
         + r8 * ((_Q8 + _Q9 * r) + r2 * _Q10))
    p = 1.0 + (r + r2 * q)
    # 2^k from bits (always a normal scale). Subnormal results (x < -708.40, below
    # log 2^-1022 = -708.3964) are built without subnormal floating-point arithmetic, which
    # costs a microcode assist (~100+ cycles) on Intel CPUs, in every lane of a vector: with
    # z = p 2^(k + 1074) (the result in units of the smallest subnormal 2^-1074, a normal
    # number below 2^52), z + 2^52 rounds z to an integer once, to nearest even, exactly as
    # the product p 2^k rounds into the subnormals, and the bits of z + 2^52 minus those of
    # 2^52 are that integer, i.e. the bit pattern of the subnormal result (2^52 itself, when
    # z rounds up to it, is the bit pattern of the smallest normal 2^-1022, also right; z < 1/2
    # gives +0). Above 709 the scale is 2^(k - 1) and the product is doubled (2^1024 is not a
    # float64).
    low = xc < -708.40
    high = xc > 709.0
    kb = k + 1074 if low else k
    kb = kb - 1 if high else kb
    y = p * _i2f((kb + 1023) << 52)
    ys = _i2f(_f2i(y + _TWO52) - _TWO52_BITS)
    y = y * 2.0 if high else y
    return ys if low else y


@njit(cache=True, fastmath=_FM)
def exp_scalar(x):
    """``exp(x)`` of one float64 (the kernel of :func:`exp_inplace`; for tests)."""
    return _exp1(x)


@njit(cache=True, fastmath=_FM, boundscheck=False)
def exp_inplace(a):
    """``a[:] = exp(a)`` for a contiguous 1-D float64 array (in place)."""
    for j in range(a.size):
        a[j] = _exp1(a[j])


def warm_up() -> None:
    """Compile (or load from numba's cache) the kernels."""
    a = np.zeros(4)
    exp_inplace(a)
    exp_scalar(0.0)
