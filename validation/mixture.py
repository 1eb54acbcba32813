"""Class means of the Gaussian mixture and random-number plumbing.

The data model (MODEL.md, section 2): ``K`` classes of equal weight, class ``k`` is
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

__all__ = ["PRIORS", "as_generator", "as_seed_sequence", "draw_means", "antipodal_means"]

#: Priors accepted by :func:`draw_means`.
PRIORS = ("gaussian", "sphere")


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
        if rng < 0:
            raise ValueError(f"rng: an integer seed must be >= 0, got {rng}")
        return np.random.default_rng(int(rng))
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
        if rng < 0:
            raise ValueError(f"rng: an integer seed must be >= 0, got {rng}")
        return np.random.SeedSequence(int(rng))
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
    K = _positive_int(K, "K")
    d = _positive_int(d, "d")
    if prior not in PRIORS:
        raise ValueError(f"prior must be one of {PRIORS}, got {prior!r}")
    gen = as_generator(rng)
    z = gen.standard_normal((K, d))
    if prior == "gaussian":
        return z
    if d < 2:
        raise ValueError(f"d must be >= 2 for the 'sphere' prior, got {d}")
    norms = np.linalg.norm(z, axis=1, keepdims=True)
    return np.sqrt(d) * z / norms


def antipodal_means(d: int, rng=None) -> np.ndarray:
    """The two antipodal classes ``+m, -m`` with ``|m| = sqrt(d)`` and a uniformly random direction.

    Returns a ``(2, d)`` array (Pavasovic et al. 2025 setting).
    """
    m = draw_means(1, d, "sphere", rng)[0]
    return np.stack([m, -m])


def _positive_int(value, name: str) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)
