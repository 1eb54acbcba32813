"""Finite-``d`` Monte Carlo of guided sampling with exact scores.

:func:`run_monte_carlo` draws samples with :func:`cfgmft.validation.samplers.sample` and
measures the observables of :mod:`cfgmft.validation.estimators`. Guidance convention:
``s = (1 + omega) s_c - omega s_u`` (guidance scale ``w = 1 + omega``).
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass, field

import numpy as np

from cfgmft.conventions import CONVENTION
from cfgmft.grids import DEFAULT_MC_T

from .estimators import SampleEstimates, estimate_observables, paired_difference
from .samplers import DEFAULT_GRID, DEFAULT_ORDER, DEFAULT_SCHEME, DEFAULT_STAGES, DEFAULT_STEPS, sample
from .scores import FiniteMixture, as_precision

__all__ = ["MonteCarloResult", "run_monte_carlo", "paired"]



@dataclass
class MonteCarloResult:
    """Result of :func:`run_monte_carlo`.

    Attributes
    ----------
    estimates : SampleEstimates
    parameters : dict
        Everything needed to reproduce the run (omega schedules are stored by ``repr`` and by
        their values on the grid).
    seconds_sampling, seconds_estimators : float
    samples : (n, d) array or None
        Kept only with ``keep_samples=True``.
    records : dict
        Trajectories requested through ``record``.
    """

    estimates: SampleEstimates
    parameters: dict
    seconds_sampling: float
    seconds_estimators: float
    samples: np.ndarray | None = None
    records: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-friendly dictionary (no samples, no trajectories)."""
        return {
            "parameters": dict(self.parameters),
            "estimates": self.estimates.to_dict(),
            "seconds_sampling": self.seconds_sampling,
            "seconds_estimators": self.seconds_estimators,
        }


def _describe_rng(rng):
    if rng is None:
        return None
    if isinstance(rng, numbers.Integral):
        return int(rng)
    if isinstance(rng, np.random.SeedSequence):
        return {"entropy": str(rng.entropy), "spawn_key": list(rng.spawn_key)}
    return repr(rng)


def with_precision(denoiser, mu_c, c, precision):
    """``(denoiser, mu_c)`` in the arithmetic ``precision`` (``None``: the denoiser's own): where
    the means are rounded, a target given as one of them (index ``c`` or found from ``mu_c``)
    becomes its rounded value, so that it is still a class of the mixture."""
    converted = as_precision(denoiser, precision)
    if converted is not denoiser:
        idx = c if c is not None else denoiser.class_index(mu_c)
        if idx is not None and np.array_equal(denoiser.means[int(idx)], np.asarray(mu_c, dtype=np.float64)):
            mu_c = converted.means[int(idx)].astype(np.float64)
        denoiser = converted
    return denoiser, mu_c


def run_monte_carlo(
    denoiser,
    mu_c,
    sigma2,
    omega,
    sampler: str = "sde",
    *,
    n: int = 4096,
    steps: int = DEFAULT_STEPS,
    T: float = DEFAULT_MC_T,
    rng=None,
    batch_size: int = 2048,
    grid=DEFAULT_GRID,
    scheme: str = DEFAULT_SCHEME,
    order: int = DEFAULT_ORDER,
    stages: int = DEFAULT_STAGES,
    c=None,
    record=None,
    keep_samples: bool = False,
    precision: str | None = None,
    rule=None,
) -> MonteCarloResult:
    """Sample ``n`` points of the CFG sampler and estimate the distortion observables.

    Parameters are those of :func:`cfgmft.validation.samplers.sample`, every one after
    ``sampler`` keyword-only, with the same default ``T = DEFAULT_MC_T`` (12,
    :mod:`cfgmft.grids`) and ``n = 4096`` here. ``c`` is the target index for the
    Bayes-classifier accuracy when ``denoiser`` is a :class:`FiniteMixture` (found from
    ``mu_c`` when omitted; the accuracy is skipped if ``mu_c`` is not a mean of the mixture
    and ``c`` is not given). ``precision`` (``None``: the denoiser's) is that of the
    posterior's streamed sums over classes (see :func:`~cfgmft.validation.samplers.sample`);
    it is recorded in ``parameters['precision']``. Samples, estimators and errors are float64.
    ``rule``: the guidance rule (:mod:`cfgmft.guidance`; ``None``: ``cfg``), recorded in
    ``parameters['guidance']``; ``parameters['scheme']`` is the scheme that ran.
    """
    denoiser, mu_c = with_precision(denoiser, mu_c, c, precision)
    res = sample(
        denoiser,
        mu_c,
        sigma2,
        omega,
        sampler=sampler,
        T=T,
        steps=steps,
        n=n,
        rng=rng,
        grid=grid,
        record=record,
        batch_size=batch_size,
        scheme=scheme,
        order=order,
        stages=stages,
        rule=rule,
    )
    mu_c = np.asarray(mu_c, dtype=np.float64)
    mixture = denoiser if isinstance(denoiser, FiniteMixture) else None
    if mixture is not None and c is None and mixture.class_index(mu_c) is None:
        mixture = None
    clock = time.perf_counter()
    est = estimate_observables(res.x, mu_c, sigma2, mixture=mixture, c=c, denoiser=denoiser)
    seconds_est = time.perf_counter() - clock

    if callable(omega):
        omega_desc = repr(omega)
    else:
        omega_desc = float(omega)
    params = {
        "convention": CONVENTION,
        "omega": omega_desc,
        "omega_grid": [float(w) for w in res.omega_grid] if callable(omega) else None,
        "sampler": sampler,
        "guidance": res.rule,
        "scheme": res.scheme,
        "order": order,
        "stages": stages,
        "n": int(res.x.shape[0]),
        "d": int(mu_c.shape[0]),
        "K": int(denoiser.K) if isinstance(denoiser, FiniteMixture) else None,
        "precision": res.precision,
        "backend": getattr(denoiser, "backend", "numpy"),
        "device": getattr(denoiser, "device", "cpu"),
        "sigma2": float(sigma2),
        "denoiser": repr(denoiser),
        "steps": int(res.t_grid.size - 1),
        "T": float(res.t_grid[0]),
        "grid": grid if isinstance(grid, str) else "explicit",
        "rng": _describe_rng(rng),
        "batch_size": int(batch_size),
        "target_index": None if mixture is None else (int(c) if c is not None else mixture.class_index(mu_c)),
    }
    return MonteCarloResult(
        estimates=est,
        parameters=params,
        seconds_sampling=res.seconds,
        seconds_estimators=seconds_est,
        samples=res.x if keep_samples else None,
        records=res.records,
    )


def paired(result: dict, a: str, b: str, key: str):
    """The paired difference ``a - b`` of the observable ``key`` (``m_final``, ``var_ratio``,
    ``accuracy`` or ``margin``) in a :func:`cfgmft.api.simulate_paired` result: an
    :class:`~cfgmft.results.Estimate` by :func:`~cfgmft.validation.estimators.paired_difference`."""
    ps = result["per_sample"]
    if key not in ps[a] or key not in ps[b]:
        raise KeyError(f"no per-sample {key!r} for {a!r} and {b!r}")
    return paired_difference(ps[a][key], ps[b][key], what=f"{a} - {b}: {key}")
