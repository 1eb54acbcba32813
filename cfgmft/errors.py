"""Errors raised at the public boundary of cfgmft.

Every bad value raises :class:`ParameterError` (a ``ValueError``) whose message names the
argument and the allowed range; the CLI prints it as one line and exits with code 2.
"""

from __future__ import annotations

import math
from numbers import Integral, Real


class ParameterError(ValueError):
    """A user-supplied value is outside its allowed range.

    ``argument`` is the name of the offending argument (as the user wrote it, e.g.
    ``"sigma2"`` or ``"--sigma2"``); the message always starts with it.
    """

    def __init__(self, argument: str, message: str):
        self.argument = argument
        super().__init__(f"{argument}: {message}")


class NumericalError(ArithmeticError):
    """A computation produced NaN or inf, or a solver failed to meet its tolerance."""


def check_real(name: str, value, *, lo: float | None = None, hi: float | None = None,
               lo_open: bool = False, hi_open: bool = False) -> float:
    """Return ``value`` as a finite float, or raise :class:`ParameterError`.

    ``lo``/``hi`` bound the allowed range (closed unless ``lo_open``/``hi_open``).
    """
    rng = _range_text(lo, hi, lo_open, hi_open)
    if isinstance(value, bool) or not isinstance(value, (Real, str)):
        raise ParameterError(name, f"must be a real number{rng}, got {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ParameterError(name, f"must be a real number{rng}, got {value!r}") from None
    if not math.isfinite(x):
        raise ParameterError(name, f"must be a finite number{rng}, got {value!r}")
    if lo is not None and (x < lo or (lo_open and x == lo)):
        raise ParameterError(name, f"must be a finite number{rng}, got {value!r}")
    if hi is not None and (x > hi or (hi_open and x == hi)):
        raise ParameterError(name, f"must be a finite number{rng}, got {value!r}")
    return x


def check_int(name: str, value, *, lo: int | None = None, hi: int | None = None, strict: bool = False) -> int:
    """Return ``value`` as an int within ``[lo, hi]``, or raise :class:`ParameterError`.

    ``strict``: integers only (not ``3.0`` or ``"3"``, which are taken otherwise)."""
    rng = _range_text(lo, hi, False, False)
    if isinstance(value, bool) or (strict and not isinstance(value, Integral)):
        raise ParameterError(name, f"must be an integer{rng}, got {value!r}")
    if isinstance(value, Integral):
        n = int(value)
    elif isinstance(value, Real) and float(value).is_integer():
        n = int(value)
    elif isinstance(value, str):
        try:
            n = int(value)
        except ValueError:
            raise ParameterError(name, f"must be an integer{rng}, got {value!r}") from None
    else:
        raise ParameterError(name, f"must be an integer{rng}, got {value!r}")
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        raise ParameterError(name, f"must be an integer{rng}, got {value!r}")
    return n


#: largest seed (numpy's SeedSequence takes any integer >= 0; this keeps it a 128-bit entropy)
SEED_MAX = 2**128 - 1


def check_seed(name: str, value) -> int:
    """``value`` as a random seed: an integer in ``[0, 2^128 - 1]`` (not a bool, a float or a
    text), or a :class:`ParameterError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Integral) or not 0 <= int(value) <= SEED_MAX:
        raise ParameterError(name, f"must be an integer in [0, 2^128 - 1], got {value!r}")
    return int(value)


def check_choice(name: str, value, choices, *, fold_case: bool = False) -> str:
    """Return ``value`` if it is one of ``choices``, else raise :class:`ParameterError`.

    ``fold_case``: a text is compared (and returned) in lower case."""
    if fold_case and isinstance(value, str):
        value = value.lower()
    if fold_case and not isinstance(value, str) or value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ParameterError(name, f"must be one of {allowed}, got {value!r}")
    return value


def _range_text(lo, hi, lo_open, hi_open) -> str:
    if lo is None and hi is None:
        return ""
    if hi is None:
        return f" {'>' if lo_open else '>='} {lo:g}"
    if lo is None:
        return f" {'<' if hi_open else '<='} {hi:g}"
    left = "(" if lo_open else "["
    right = ")" if hi_open else "]"
    return f" in {left}{lo:g}, {hi:g}{right}"


class InfeasibleError(RuntimeError):
    """A search (e.g. a schedule design) found nothing that meets its constraints; the CLI
    prints the message as one line and exits with code 1 (the input was valid)."""
