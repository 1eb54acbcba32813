"""Checks shared by the derivations: their identities and the ``prior`` argument.

* :func:`require` and :func:`require_zero` check an identity while a derivation is formed
  and raise ``RuntimeError`` (``derivation check failed: ...``) if it does not hold;
* :func:`check_prior` validates a prior name against :data:`PRIORS` and raises
  :class:`cfgmft.errors.ParameterError` otherwise.
"""

from __future__ import annotations

import random

import sympy as sp

from cfgmft.conventions import IID_PRIORS as PRIORS
from cfgmft.errors import ParameterError

from .functions import to_elementary

__all__ = ["PRIORS", "check_prior", "require", "require_zero"]

#: the priors of the class means that the ``d -> infinity`` derivations treat: PRIORS (from
#: :mod:`cfgmft.conventions`)


def check_prior(prior) -> str:
    """Return ``prior`` if it is one of :data:`PRIORS`, else raise :class:`ParameterError`."""
    if prior not in PRIORS:
        raise ParameterError("prior", f"must be one of {', '.join(PRIORS)}, got {prior!r}")
    return prior


def require(condition: bool, what: str) -> None:
    """Raise ``RuntimeError("derivation check failed: <what>")`` unless ``condition``."""
    if not condition:
        raise RuntimeError(f"derivation check failed: {what}")


def _sample_value(sym, rnd: random.Random):
    if sym.is_integer:
        return sp.Integer(rnd.randint(3, 40))
    if sym.is_positive or sym.is_nonnegative:
        return sp.Rational(rnd.randint(11, 290), 100)
    return sp.Rational(rnd.randint(-190, 190), 100)


def require_zero(expr, what: str, *, points: int = 4, constraints: dict | None = None,
                 symbolic: bool = True) -> None:
    """Check ``expr == 0``: cheap symbolic cancellation first, else at random points.

    The numerical fallback evaluates ``expr`` to 30 digits at ``points`` random rational
    points (respecting the symbols' sign assumptions; ``constraints`` maps a symbol to a
    function of the other sampled values, e.g. ``lambda >= 1``) and requires
    ``|expr| < 1e-25`` (relative to the size of its terms). The points are seeded by
    ``what``, so a check is reproducible.
    """
    expr = sp.sympify(to_elementary(expr))
    if symbolic:
        try:
            if sp.cancel(sp.expand(expr)) == 0:
                return
        except Exception:  # pragma: no cover - fall back to numbers
            pass
    rnd = random.Random(sum(map(ord, what)))
    free = sorted(expr.free_symbols, key=lambda s_: s_.name)
    terms = sp.Add.make_args(expr)
    for _ in range(points):
        vals = {s_: _sample_value(s_, rnd) for s_ in free}
        for s_, fn in (constraints or {}).items():
            if s_ in vals:
                vals[s_] = fn(vals, rnd)
        val = expr.evalf(30, subs=vals)
        scale = 1 + sum(abs(term.evalf(30, subs=vals)) for term in terms)
        require(val.is_number and abs(val) < sp.Float("1e-25", 30) * scale, what)
