"""Class means of the Gaussian mixture and random-number plumbing.

The data model (docs/explanation/model.md, section 2): ``K`` classes of equal weight, class ``k`` is
``N(mu_k, sigma2 I_d)``, the means drawn i.i.d. from a prior:

* ``'gaussian'``: ``mu ~ N(0, I_d)`` (``|mu|^2 / d -> 1`` with ``O(d^{-1/2})`` fluctuations);
* ``'sphere'``: ``mu`` uniform on the sphere of radius ``sqrt(d)`` (``|mu|^2 = d`` exactly).

Randomness is always passed in: every public function takes ``rng``, a
``numpy.random.Generator``, an integer seed, a ``numpy.random.SeedSequence`` or ``None``
(fresh operating-system entropy, not reproducible).
"""

from __future__ import annotations

import numbers

import numpy as np

from cfgmft.conventions import IID_PRIORS as PRIORS
from cfgmft.errors import ParameterError, check_choice, check_int
from cfgmft.ranges import D_MAX

__all__ = ["PRIORS", "as_generator", "as_seed_sequence", "draw_means", "antipodal_means"]

#: Priors accepted by :func:`draw_means`.


def as_generator(rng) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``rng``.

    ``rng`` may be a ``Generator`` (returned as is, so its state advances), an integer seed,
    a ``SeedSequence`` or ``None`` (fresh entropy).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(check_int("rng", rng, lo=0))
    raise TypeError(
        "rng must be a numpy.random.Generator, a non-negative int seed, a SeedSequence or None; "
        f"got {type(rng).__name__}"
    )


def as_seed_sequence(rng) -> np.random.SeedSequence:
    """Return a ``SeedSequence`` derived deterministically from ``rng``.

    An integer seed or a ``SeedSequence`` maps to itself (so ``seed=3`` always means the same
    streams); a ``Generator`` is advanced by drawing 256 bits of entropy from it.
    """
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.SeedSequence(check_int("rng", rng, lo=0))
    gen = as_generator(rng)
    entropy = gen.integers(0, 2**63, size=4, dtype=np.int64)
    return np.random.SeedSequence([int(e) for e in entropy])


def draw_means(K: int, d: int, prior: str = "gaussian", rng=None) -> np.ndarray:
    """Draw ``K`` class means in dimension ``d`` from ``prior``; returns a ``(K, d)`` float64 array.

    Parameters
    ----------
    K, d : int
        Number of classes (``>= 1``) and dimension (``>= 1``; ``>= 2`` for ``'sphere'``).
    prior : {'gaussian', 'sphere'}
        ``'gaussian'``: i.i.d. ``N(0, I_d)``. ``'sphere'``: uniform on the sphere of radius
        ``sqrt(d)``, obtained by normalising a standard Gaussian vector.
    rng : Generator, int, SeedSequence or None
        Source of randomness (see :func:`as_generator`).
    """
    K, d = _check_prior_dims(K, d, prior)
    gen = as_generator(rng)
    z = gen.standard_normal((K, d))
    if prior == "gaussian":
        return z
    norms = np.linalg.norm(z, axis=1, keepdims=True)
    return np.sqrt(d) * z / norms


def antipodal_means(d: int, rng=None) -> np.ndarray:
    """The two antipodal classes ``+m, -m`` with ``|m| = sqrt(d)`` and a uniformly random direction.

    Returns a ``(2, d)`` array (Pavasovic et al. 2025 setting).
    """
    m = draw_means(1, d, "sphere", rng)[0]
    return np.stack([m, -m])


def _check_prior_dims(K, d, prior) -> tuple[int, int]:
    """``(K, d)`` checked for drawing ``K`` means in dimension ``d`` from ``prior``."""
    K = check_int("K", K, lo=1)
    prior = check_choice("prior", prior, PRIORS)
    d = check_int("d", d, lo=1, hi=D_MAX)
    if prior == "sphere" and d < 2:
        raise ParameterError("d", f"must be an integer >= 2 for the 'sphere' prior, got {d}")
    return K, d
