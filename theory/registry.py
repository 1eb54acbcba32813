"""The registry of derivations: topic -> factory of the formed derivation objects.

:data:`DERIVATIONS` maps a topic (the names ``cfgmft derive --only`` accepts) to a factory
that returns the topic's derivations, formed (each checks its identities when formed: a
few seconds of sympy). :func:`derivations` calls the factories in order. This module imports
no sympy itself; the factories import the derivation modules when called.
"""

from __future__ import annotations

from typing import Callable

from cfgmft.errors import ParameterError

__all__ = ["DERIVATIONS", "derivations"]


def _infinite_class() -> tuple:
    from .infinite_class import InfiniteClassGaussian, InfiniteClassSphere

    return (InfiniteClassGaussian(), InfiniteClassSphere())


def _random_energy() -> tuple:
    from .rem import rem_derivation

    return (rem_derivation("gaussian"), rem_derivation("sphere"))


def _exponential_class() -> tuple:
    from .exponential import exponential_derivation

    return (exponential_derivation("gaussian"), exponential_derivation("sphere"))


def _guidance_rules() -> tuple:
    from .rules import RULE_KINDS, rule_derivation

    return tuple(rule_derivation(kind) for kind in RULE_KINDS)


#: topic -> factory returning the topic's formed :class:`~cfgmft.theory.derivation.Derivation`
#: objects (gaussian prior first, then sphere)
DERIVATIONS: dict[str, Callable[[], tuple]] = {
    "infinite-class": _infinite_class,
    "random-energy": _random_energy,
    "exponential-class": _exponential_class,
    "guidance-rules": _guidance_rules,
}


def derivations(only: str | None = None) -> list:
    """The formed derivation objects of every topic, or of the topic ``only``, in registry order."""
    if only is not None and only not in DERIVATIONS:
        raise ParameterError("only", f"must be one of {', '.join(DERIVATIONS)}, got {only!r}")
    return [der for topic, factory in DERIVATIONS.items() if only is None or topic == only for der in factory()]
