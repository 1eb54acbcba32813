"""``cfgmft simulate``: exact-score Monte Carlo of the guided sampler for one problem.

The class means are quenched disorder: ``disorder = R`` draws ``R`` independent mixtures
(each with its own target class ``c = 0``), each sampled with ``samples`` points. With
``R >= 2`` the reported standard error is that of the mean over draws,
``sqrt(Var_draws / R)``, which contains both the sampling noise and the disorder (floored
at the mean squared sampling error of one draw over ``R``, since with few draws the spread
over draws is itself a noisy estimate); with
``R = 1`` it is the sampling error of that one mixture only (the output says which).

Seeds: ``SeedSequence(seed)`` spawns one child per draw, which spawns the means' and the
sampler's streams; a result depends only on ``seed`` (not on batch sizes or class chunks).

Precision: float64 by default. ``precision='float32'`` (finite ``K`` only) stores the class
means in float32 and does the streamed sums over classes (the two ``N x K x d`` matrix
products, the shift and the ``exp``) in float32, with float64 accumulators; the sampler state,
the noise, the integrator and the estimators stay float64 (README, "float32"). It is refused
for the continuum (``--classes inf``, nothing to gain) and where the estimated float32
rounding of the logits, :data:`FLOAT32_MAX_LOGIT_ERROR`, would be exceeded.
"""

from __future__ import annotations

import math
import os
import time

import numpy as np

from . import CONVENTION, __version__
from .errors import ParameterError
from .params import Problem
from .results import ONE_DRAW_CONVENTION, OVER_DRAWS_CONVENTION, over_draws

OBSERVABLES = ("m", "mean_shift", "var_ratio", "var_ratio_parallel", "var_m", "kl_per_dim", "accuracy", "margin")
#: the CLI's names for the estimators' fields
KEYS = {"m": "m_final", "mean_shift": "mean_shift", "var_ratio": "var_ratio",
        "var_ratio_parallel": "var_ratio_parallel", "var_m": "var_m",
        "kl_per_dim": "kl_per_dim", "accuracy": "accuracy", "margin": "margin"}


def _memory_bytes() -> float:
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8.0 * 2**30


#: float32 is refused when the estimated absolute rounding error of the float32 logits at
#: ``t = 0`` (``FiniteMixture.float32_logit_error``, ``2^-24`` times the energy scale
#: ``~ 4 d / sigma2`` for means of norm ``sqrt(d)``) exceeds this: the class posteriors then
#: carry relative errors above 1e-3. The float32 validation (tests/test_float32.py) runs at
#: errors ~1e-5.
FLOAT32_MAX_LOGIT_ERROR = 1e-3


def _denoiser(problem: Problem, d: int, rng, precision: str = "float64"):
    from .validation.mixture import antipodal_means, draw_means
    from .validation.scores import ContinuumGaussian, ContinuumSphere, FiniteMixture

    mix = problem.mixture
    if mix.regime == "infinite":
        mu_c = draw_means(1, d, mix.prior, rng=rng)[0]
        den = ContinuumGaussian(mix.sigma2) if mix.prior == "gaussian" else ContinuumSphere(d, mix.sigma2)
        return den, mu_c, None
    if mix.prior == "given":
        means = mix.means
    elif mix.prior == "antipodal":
        means = antipodal_means(d, rng=rng)
    else:  # drawn straight into the mixture's storage: peak memory ~1.1x the means
        den = FiniteMixture.from_prior(mix.K, d, mix.prior, mix.sigma2, rng=rng, precision=precision)
        return den, den.means[mix.target].astype(np.float64), mix.target
    den = FiniteMixture(means, mix.sigma2, precision=precision)
    return den, den.means[mix.target].astype(np.float64), mix.target


def simulate(problem: Problem, *, samples: int = 4096, disorder: int = 1, seed: int = 0,
             precision: str = "float64", progress: bool = False) -> dict:
    """Monte Carlo of ``problem`` (its mixture needs ``d``); returns the JSON object of
    ``cfgmft simulate --json``: every observable as ``{"mean", "stderr"}``, the parameters,
    ``K`` and ``seconds_sampling`` (wall seconds of the integration loops alone)."""
    from tqdm.auto import tqdm

    from .params import DEFAULT_MC_T
    from .validation.montecarlo import run_monte_carlo

    mix, samp = problem.mixture, problem.sampler
    if precision not in ("float64", "float32"):
        raise ParameterError("--precision", f"must be 'float64' or 'float32', got {precision!r}")
    if precision == "float32" and mix.regime == "infinite":
        raise ParameterError("--precision", "float32 is for finite K only; the continuum (--classes inf) runs in float64")
    if mix.d is None:
        raise ParameterError("--d", "Monte Carlo needs the dimension d >= 2")
    if not isinstance(samples, int) or samples < 2:
        raise ParameterError("--samples", f"must be an integer >= 2, got {samples!r}")
    if not isinstance(disorder, int) or disorder < 1:
        raise ParameterError("--disorder", f"must be an integer >= 1, got {disorder!r}")
    d = mix.d
    K = mix.K
    if K != math.inf:
        need = (8.0 if precision == "float64" else 4.0) * K * d
        if need > 0.6 * _memory_bytes():
            arg = "--alpha" if mix.alpha is not None else "--classes"
            raise ParameterError(arg, f"K = {K} classes at d = {d} need {need / 2**30:.1f} GiB for the class means, "
                                      f"more than this machine can hold ({_memory_bytes() / 2**30:.0f} GiB)")
    omega = problem.guidance.omega if problem.guidance.is_constant else problem.guidance.schedule
    T = DEFAULT_MC_T if samp.T is None else samp.T
    children = np.random.SeedSequence(seed).spawn(disorder)
    per_draw = {k: [] for k in OBSERVABLES}
    within = {k: [] for k in OBSERVABLES}
    seconds = 0.0
    t0 = time.perf_counter()
    for child in tqdm(children, desc="cfgmft simulate", unit="mixture", disable=not progress):
        means_ss, sampler_ss = child.spawn(2)
        den, mu_c, c = _denoiser(problem, d, means_ss, precision)
        if precision == "float32":
            err = den.float32_logit_error(0.0)
            if err > FLOAT32_MAX_LOGIT_ERROR:
                raise ParameterError("--precision", f"float32 rounds the logits by ~{err:.1g} here (d = {d}, sigma2 = {mix.sigma2:g}), "
                                                    f"above the validated {FLOAT32_MAX_LOGIT_ERROR:g}: use float64")
        res = run_monte_carlo(den, mu_c, mix.sigma2, omega, samp.kind, n=samples, steps=samp.steps, T=T,
                              rng=sampler_ss, c=c, precision=precision)
        seconds += res.seconds_sampling
        for k in OBSERVABLES:
            est = getattr(res.estimates, k)
            if est is not None:
                per_draw[k].append(est.value)
                within[k].append(est.stderr)
    out = problem.to_dict()
    out.update(d=d, K="inf" if K == math.inf else int(K), alpha_effective=None if K == math.inf else mix.alpha_effective,
               samples=samples, disorder=disorder, seed=seed, T=T, precision=precision, convention=CONVENTION,
               version=__version__,
               stderr_convention=OVER_DRAWS_CONVENTION if disorder > 1 else ONE_DRAW_CONVENTION)
    for k in OBSERVABLES:
        if not per_draw[k]:
            out[KEYS[k]] = None
            continue
        out[KEYS[k]] = over_draws(per_draw[k], within[k], what=KEYS[k]).to_dict()
    out["seconds_sampling"] = seconds
    out["seconds_total"] = time.perf_counter() - t0
    return out
