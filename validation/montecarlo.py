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

from .estimators import SampleEstimates, estimate_observables, paired_difference, per_sample_observables
from .samplers import DEFAULT_GRID, DEFAULT_ORDER, DEFAULT_SCHEME, DEFAULT_STAGES, DEFAULT_STEPS, sample
from .scores import FiniteMixture, as_precision

__all__ = ["MonteCarloResult", "run_monte_carlo", "simulate_paired", "paired"]



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


def simulate_paired(problems: dict, *, samples: int = 4096, disorder: int = 1, seed: int = 0,
                    precision: str = "float64") -> dict:
    """Monte Carlo of several schedules on common random numbers, for paired comparisons.

    ``problems`` maps a name to a :class:`cfgmft.params.Problem`; they must share the mixture
    (prior, ``sigma2``, ``d``, ``K``, target) and the sampler's kind and ``T``, and differ in the
    guidance (and possibly the steps). The seed tree is that of :func:`cfgmft.api.simulate`:
    draw ``j`` of ``SeedSequence(seed).spawn(disorder)`` spawns the class means' stream and the
    sampler's stream, and every schedule runs on that draw's means with the same sampler stream,
    hence the same initial noise and the same Brownian increments (the sampler's noise does not
    depend on the schedule). Each schedule's result is therefore the one ``simulate(problem,
    samples=samples, disorder=disorder, seed=seed)`` gives, and the per-sample terms
    (:func:`~cfgmft.validation.estimators.per_sample_observables`) pair sample by sample.

    Returns ``{"runs": {name: simulate-like dict}, "per_sample": {name: {key: [array per draw]}},
    "seed", "samples", "disorder", "seconds": {name: sampling seconds}}``; compare two names with
    :func:`paired`."""
    from cfgmft.api import FLOAT32_MAX_LOGIT_ERROR, KEYS, OBSERVABLES, _denoiser, check_simulation
    from cfgmft.errors import ParameterError
    from cfgmft.results import ONE_DRAW_CONVENTION, OVER_DRAWS_CONVENTION, over_draws

    if not problems:
        raise ValueError("simulate_paired: no problems")
    names = list(problems)
    first = problems[names[0]]
    for name in names:
        p = problems[name]
        if p.mixture.to_dict() != first.mixture.to_dict() or p.sampler.kind != first.sampler.kind or \
                p.sampler.T != first.sampler.T:
            raise ValueError(f"simulate_paired: {name!r} does not share the mixture and sampler of {names[0]!r}")
        check_simulation(p, samples=samples, disorder=disorder, precision=precision)
    mix = first.mixture
    d, K = mix.d, mix.K
    T = DEFAULT_MC_T if first.sampler.T is None else first.sampler.T
    per_draw = {n: {k: [] for k in OBSERVABLES} for n in names}
    within = {n: {k: [] for k in OBSERVABLES} for n in names}
    per_sample = {n: {} for n in names}
    seconds = {n: 0.0 for n in names}
    for child in np.random.SeedSequence(seed).spawn(disorder):
        means_ss, sampler_ss = child.spawn(2)
        den, mu_c, c = _denoiser(first, d, means_ss, precision)
        if precision == "float32" and den.float32_logit_error(0.0) > FLOAT32_MAX_LOGIT_ERROR:
            raise ParameterError("precision", f"float32 rounds the logits by ~{den.float32_logit_error(0.0):.1g} here "
                                              f"(d = {d}), above the validated {FLOAT32_MAX_LOGIT_ERROR:g}: use float64")
        mixture = den if isinstance(den, FiniteMixture) else None
        for name in names:
            p = problems[name]
            omega = p.guidance.omega if p.guidance.is_constant else p.guidance.schedule
            res = run_monte_carlo(den, mu_c, mix.sigma2, omega, p.sampler.kind, n=samples, steps=p.sampler.steps,
                                  T=T, rng=sampler_ss, c=c, precision=precision, keep_samples=True)
            seconds[name] += res.seconds_sampling
            for k in OBSERVABLES:
                est = getattr(res.estimates, k)
                if est is not None:
                    per_draw[name][k].append(est.value)
                    within[name][k].append(est.stderr)
            terms = per_sample_observables(res.samples, mu_c, mix.sigma2, mixture=mixture,
                                           c=c if mixture is not None else None)
            for k, v in terms.items():
                per_sample[name].setdefault(k, []).append(v)
        den = None
    runs = {}
    for name in names:
        out = problems[name].to_dict()
        out.update(d=d, K="inf" if K == float("inf") else int(K), samples=samples, disorder=disorder, seed=seed, T=T,
                   precision=precision, convention=CONVENTION,
                   stderr_convention=OVER_DRAWS_CONVENTION if disorder > 1 else ONE_DRAW_CONVENTION,
                   seconds_sampling=seconds[name])
        for k in OBSERVABLES:
            out[KEYS[k]] = (over_draws(per_draw[name][k], within[name][k], what=KEYS[k]).to_dict()
                            if per_draw[name][k] else None)
        runs[name] = out
    return {"runs": runs, "per_sample": per_sample, "seed": seed, "samples": samples, "disorder": disorder,
            "seconds": seconds}


def paired(result: dict, a: str, b: str, key: str):
    """The paired difference ``a - b`` of the observable ``key`` (``m_final``, ``var_ratio``,
    ``accuracy`` or ``margin``) in a :func:`simulate_paired` result: an
    :class:`~cfgmft.results.Estimate` by :func:`~cfgmft.validation.estimators.paired_difference`."""
    ps = result["per_sample"]
    if key not in ps[a] or key not in ps[b]:
        raise KeyError(f"no per-sample {key!r} for {a!r} and {b!r}")
    return paired_difference(ps[a][key], ps[b][key], what=f"{a} - {b}: {key}")
