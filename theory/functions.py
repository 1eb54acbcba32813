"""Special functions used to write numerically stable closed forms.

``expm1`` and ``log1p`` come from :mod:`sympy.codegen.cfunctions` (printed as
``numpy.expm1`` / ``numpy.log1p``). :class:`exprel` is added here: it removes the
``0/0`` of ``(exp(x) - 1)/x`` at ``x = 0`` and is printed as ``scipy.special.exprel``.
"""

from __future__ import annotations

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

__all__ = ["exprel", "expm1", "log1p", "to_elementary"]


class exprel(sp.Function):
    """Relative exponential ``exprel(x) = (exp(x) - 1) / x``, with ``exprel(0) = 1``.

    Entire function, positive for real ``x``; ``scipy.special.exprel`` evaluates it
    without cancellation near ``x = 0``.
    """

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_zero:
            return sp.S.One
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        (a,) = self.args
        # d/dx (e^x - 1)/x = (x e^x - e^x + 1)/x^2
        return (a * sp.exp(a) - sp.exp(a) + 1) / a**2

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return (sp.exp(arg) - 1) / arg

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        if self.args[0].is_real:
            return True
        return None


def to_elementary(expr):
    """Rewrite ``exprel``, ``expm1`` and ``log1p`` in terms of ``exp`` and ``log``."""
    expr = sp.sympify(expr)
    return expr.replace(
        lambda e: isinstance(e, exprel), lambda e: (sp.exp(e.args[0]) - 1) / e.args[0]
    ).replace(
        lambda e: isinstance(e, expm1), lambda e: sp.exp(e.args[0]) - 1
    ).replace(
        lambda e: isinstance(e, log1p), lambda e: sp.log(1 + e.args[0])
    )
