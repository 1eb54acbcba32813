"""Exact-score Monte Carlo of a practitioner's sampler: a discrete grid of EDM noise levels and
an update rule (:mod:`cfgmft.updates`), run literally on the samples.

The loop is the one of k-diffusion / EDM / diffusers in EDM's scale ``xs = e^{t} x``
(``sigma = sigma_i``, ``t = log1p(sigma^2)/2``): ``xs ~ N(0, sigma_0^2 I)`` (block streams as in
:mod:`cfgmft.validation.samplers`), then for each step ``i`` from ``s = sigma_i`` to
``s' = sigma_{i+1}`` with ``w = 1 + omega_i``:

* ``D_w(xs; s) = (sigma2 xs + s^2 Dmu)/(sigma2 + s^2)``, ``Dmu = (1 + omega_i) mu_c - omega_i
  E[mu | x, t]`` at ``x = e^{-t} xs`` (the exact guided denoiser; ``E`` from the exact
  unconditional posterior of the denoiser object: finite mixture or continuum), ``d = (xs -
  D_w)/s``;
* ``euler``: ``xs + (s' - s) d``; ``ddim``: ``D_w + (s'/s)(xs - D_w)``; ``heun``: Euler predictor
  ``x~``, then (``s' > 0``) ``xs + (s' - s)(d + d(x~; s'))/2``; ``ancestral``: ``xs + (sigma_down -
  s) d + sigma_up z`` (:func:`cfgmft.updates.ancestral_sigmas`, ``eta = 1``, one ``z`` per step
  from the block streams).

Rounding. Each rule is computed in the algebraically identical form ``D_w + c r`` with the
residual ``r = xs - D_w`` (``c = s'/s``; ``sigma_down/s`` for ``ancestral``), ``D_w = Dmu + q
(xs - Dmu)`` and ``r = (1 - q)(xs - Dmu)``, ``q = sigma2/(sigma2 + s^2)``: the residual is never a
difference of nearly equal numbers (Heun's ``r~/s'`` at ``s' = 1e-16`` was rounding noise times
1e16). Heun takes, entry by entry, the less rounded of two identical forms (:func:`_heun_correct`:
the literal one and the predictor plus ``(h/2)(d~ - d)`` with the guided term cancelled in closed
form); a step whose estimated rounding still reaches :data:`HEUN_ROUNDING_MAX` of the samples'
spread raises ``NumericalError``. The literal
``xs + (s' - s) d`` subtracts two numbers of size ``sigma_0 |xi|`` to leave one of size ``|D_w|``:
with a first level ``sigma_0 >~ 1e15`` that cancellation loses ``D_w`` (``--grid sigmas:1e18,1``
gave ``m`` 1.53 for the exact 2). The forms here keep every term at its own scale; the Monte
Carlo agrees with the exact Gaussian continuum up to :data:`cfgmft.ranges.SIGMA_MAX`
(tests/test_discrete_grid.py).

Guidance rules (``rule``, :mod:`cfgmft.guidance`). Linear CFG runs the code above unchanged. Any
other rule replaces ``Dmu`` by the rule's guided target ``M_g = mu_c + G``
(:func:`cfgmft.guidance.guided_increment`: the two predictions formed in the rule's space at
``x = e^{-t} xs``, ``Delta = alpha (mu_c - E)`` exact, combined by the rule), so ``D_w = M_g + q
(xs - M_g)`` exactly as for cfg and the same cancellation-free forms apply; Heun's second form
uses ``D - M_g~ = (G - G~) + q dev``. The grid-only options (:mod:`cfgmft.guidance`, "Grid-only
options") act across the model evaluations, counted from 0 over the whole run (Heun: two per
step, one on its last): ``zerostar``'s ``zero_init = N`` makes the guided eps of the first ``N``
evaluations zero, ``D_w = xs``, ``r = 0`` (Heun's corrector then takes the literal form);
``apg``'s ``momentum = M`` keeps, per sample, the buffer ``B <- Delta_D + M B`` of the
denoiser-space ``Delta_D``, updated at each evaluation with ``omega != 0``, and the rule acts on
``B`` (diffusers' ``MomentumBuffer``).

The output at ``sigma_N = 0`` is in the mixture's scale (they coincide at ``t = 0``). Nothing
here uses the theory: the moments are measured on the samples
(:func:`cfgmft.validation.estimators.estimate_observables`).
"""

from __future__ import annotations

import math
import time

import numpy as np

from cfgmft.conventions import CONVENTION
from cfgmft.errors import NumericalError, ParameterError, check_int
from cfgmft.grids import sigma_grid
from cfgmft.guidance import as_rule, guided_increment, space_delta
from cfgmft.updates import check_grid_rule, check_start, check_update, start_std, step_contraction, step_omegas

from .estimators import estimate_observables
from .mixture import as_seed_sequence
from .montecarlo import MonteCarloResult, _describe_rng, with_precision
from .samplers import _BlockNoise
from .scores import FiniteMixture, NonFiniteError, as_precision, check_mu, check_sigma2, guided_mean_from_posterior

__all__ = ["sample_on_grid", "run_monte_carlo_grid"]


def _denoise(denoiser, xs, sigma, sigma2, mu_c, omega):
    """The exact guided denoiser ``D_w(xs; sigma)`` in EDM's scale and the pieces the update rules
    need, each at its own scale: ``(D_w, r, E, dev, q)`` with ``q = sigma2/(sigma2 + sigma^2)``,
    ``dev = xs - Dmu``, ``D_w = Dmu + q dev``, the residual ``r = xs - D_w = (1 - q) dev`` (never a
    difference of nearly equal numbers) and the posterior mean ``E`` (``None`` at ``omega = 0``)."""
    s2 = sigma * sigma
    if omega == 0.0:
        E = None
        Dmu = mu_c
    else:
        t = 0.5 * math.log1p(s2)
        E, _, _ = denoiser.posterior_stats(xs * math.exp(-t), t)
        Dmu = guided_mean_from_posterior(mu_c, omega, E)
    dev = xs - Dmu
    q = sigma2 / (sigma2 + s2)
    return Dmu + q * dev, (s2 / (sigma2 + s2)) * dev, E, dev, q


class _RuleState:
    """A rule that is not linear CFG on a grid: its evaluation count and APG's momentum buffer."""

    def __init__(self, rule):
        self.rule = rule
        self.zero_init = int(getattr(rule, "zero_init", 0))
        self.momentum = float(getattr(rule, "momentum", 0.0))
        self.evals = 0
        self.buffer = None


def _denoise_rule(state: _RuleState, denoiser, xs, sigma, sigma2, mu_c, omega):
    """:func:`_denoise` for a rule that is not linear CFG: ``(D_w, r, G, dev, q, zeroed)``, ``G =
    M_g - mu_c`` (``None`` at ``omega = 0``); ``zeroed``: a zero-init evaluation (``D_w = xs``,
    ``r = 0``; ``G``, ``dev``, ``q`` are ``None``)."""
    index = state.evals
    state.evals += 1
    if index < state.zero_init:
        return np.array(xs, copy=True), np.zeros_like(xs), None, None, None, True
    s2 = sigma * sigma
    if omega == 0.0:
        G = None
        Dmu = mu_c
    else:
        t = 0.5 * math.log1p(s2)
        x = xs * math.exp(-t)
        E, _, _ = denoiser.posterior_stats(x, t)
        delta = None
        if state.momentum != 0.0:
            new = space_delta(state.rule, t, sigma2, mu_c, E)
            state.buffer = new if state.buffer is None else new + state.momentum * state.buffer
            delta = state.buffer
        G = guided_increment(state.rule, x, t, sigma2, mu_c, E, omega, delta=delta)
        Dmu = mu_c + G
    dev = xs - Dmu
    q = sigma2 / (sigma2 + s2)
    return Dmu + q * dev, (s2 / (sigma2 + s2)) * dev, G, dev, q, False


def _heun_correct_rule(state, denoiser, x_pred, D, r, G1, dev1, q1, zero1, c, s, sp, sigma2, mu_c, om):
    """:func:`_heun_correct` for a rule that is not linear CFG (``G`` for ``E``: module docstring)."""
    _, r2, G2, dev2, q2, zero2 = _denoise_rule(state, denoiser, x_pred, sp, sigma2, mu_c, om)
    k1, k2 = 0.5 * (1.0 + c), 0.5 * (1.0 - c) / c
    lit = D + k1 * r - k2 * r2
    if zero1 or zero2:  # a zero-init evaluation: r or r~ is exactly 0
        return lit
    eps = float(np.finfo(np.float64).eps)
    err_lit = np.abs(D) + k1 * np.abs(r) + k2 * (np.abs(r2) + (1.0 - q2) * (np.abs(x_pred) + np.abs(x_pred - dev2)))
    dG = (0.0 if G1 is None else G1) - (0.0 if G2 is None else G2)
    dD = dG + q1 * dev1
    delta = (1.0 - q2) * dD / c - q2 * r
    alt = x_pred - (0.5 * (1.0 - c)) * delta
    e_dD = (0.0 if G1 is None else np.abs(G1)) + (0.0 if G2 is None else np.abs(G2)) + np.abs(q1 * dev1)
    err_alt = np.abs(D) + c * np.abs(r) + 0.5 * (1.0 - c) * ((1.0 - q2) * e_dD / c + q2 * np.abs(r))
    use_alt = err_alt < err_lit
    x_new = np.where(use_alt, alt, lit)
    rounding = eps * float(np.sqrt(np.mean(np.where(use_alt, err_alt, err_lit) ** 2)))
    if x_new.shape[0] < 2:
        return x_new
    spread = float(np.sqrt(np.mean(np.var(x_new, axis=0))))
    if not rounding <= HEUN_ROUNDING_MAX * spread:
        raise NumericalError(f"Heun's step from sigma = {s:.6g} to {sp:.6g} (ratio {c:.3g}) rounds by ~{rounding:.3g} "
                             f"against the samples' spread {spread:.3g} in float64; a grid with less extreme ratios "
                             "(or another update rule) is needed")
    return x_new


#: Heun's corrector on a step with a small ratio ``c = s'/s`` multiplies the rounding of the posterior
#: means by ``1/c``; a step whose rounding reaches this fraction of the spread of the samples is refused
#: (NumericalError) rather than measured.
HEUN_ROUNDING_MAX = 1e-6


def _heun_correct(denoiser, x_pred, D, r, E1, dev1, q1, c, s, sp, sigma2, mu_c, om):
    """Heun's step ``xs + (h/2)(d + d~)`` in whichever of two algebraically identical forms rounds
    less, entry by entry:

    * ``D + ((1 + c)/2) r + ((c - 1)/(2c)) r~`` (``r~ = x~ - D_w(x~; s')``, at its own scale): exact
      to rounding when ``c`` is not small or ``s'`` is small against ``sqrt(sigma2)``;
    * ``x~ - ((1 - c)/2) delta``, ``delta = r~/c - r = (1 - q~)(D - Dmu~)/c - q~ r`` with ``D - Dmu~ =
      omega (E~ - E) + q dev`` (the guided term ``(1 + omega) mu_c`` cancels in closed form): exact
      when both levels dwarf the data (the first form cancels terms of size ``|xs|/c`` there).

    Each entry's rounding is estimated as ``eps`` times the sum of its terms' magnitudes; the
    smaller is taken, and a step whose rounding (root mean square) exceeds :data:`HEUN_ROUNDING_MAX`
    of the samples' spread raises ``NumericalError``."""
    _, r2, E2, dev2, q2 = _denoise(denoiser, x_pred, sp, sigma2, mu_c, om)
    eps = float(np.finfo(np.float64).eps)
    k1, k2 = 0.5 * (1.0 + c), 0.5 * (1.0 - c) / c
    lit = D + k1 * r - k2 * r2
    err_lit = np.abs(D) + k1 * np.abs(r) + k2 * (np.abs(r2) + (1.0 - q2) * (np.abs(x_pred) + np.abs(x_pred - dev2)))
    dD = q1 * dev1 if E1 is None else om * (E2 - E1) + q1 * dev1
    delta = (1.0 - q2) * dD / c - q2 * r
    alt = x_pred - (0.5 * (1.0 - c)) * delta
    e_dD = np.abs(q1 * dev1) if E1 is None else abs(om) * (np.abs(E1) + np.abs(E2)) + np.abs(q1 * dev1)
    err_alt = np.abs(D) + c * np.abs(r) + 0.5 * (1.0 - c) * ((1.0 - q2) * e_dD / c + q2 * np.abs(r))
    use_alt = err_alt < err_lit
    x_new = np.where(use_alt, alt, lit)
    rounding = eps * float(np.sqrt(np.mean(np.where(use_alt, err_alt, err_lit) ** 2)))
    if x_new.shape[0] < 2:  # one row has no spread to compare with (a tail batch: the batches before it are checked)
        return x_new
    spread = float(np.sqrt(np.mean(np.var(x_new, axis=0))))  # the samples' spread, per coordinate
    if not rounding <= HEUN_ROUNDING_MAX * spread:
        raise NumericalError(f"Heun's step from sigma = {s:.6g} to {sp:.6g} (ratio {c:.3g}) rounds by ~{rounding:.3g} "
                             f"against the samples' spread {spread:.3g} in float64; a grid with less extreme ratios "
                             "(or another update rule) is needed")
    return x_new


def sample_on_grid(denoiser, mu_c, sigma2, omega, grid, update: str, *, n: int = 1000, rng=None,
                   batch_size: int = 2048, block_size: int = 256, precision: str | None = None,
                   start: str = "edm", rule=None):
    """``(samples (n, d), sigmas, omegas, seconds)``: ``n`` samples of the update rule ``update`` on
    the sampler grid ``grid`` (text form or :class:`cfgmft.grids.SigmaGrid`) with the exact guided
    denoiser (module docstring). ``omega``: constant or schedule, read per step by
    :func:`cfgmft.updates.step_omegas`. ``start``: :data:`cfgmft.updates.STARTS`. ``rule``: the
    guidance rule (:mod:`cfgmft.guidance`, its grid-only options included; ``None``: cfg)."""
    update = check_update(update)
    rule = as_rule(rule)
    start = check_start(start)
    try:
        g = sigma_grid(grid)
    except ParameterError as e:
        raise ParameterError("grid", str(e)) from None
    denoiser = as_precision(denoiser, precision)
    sigma2 = check_sigma2(denoiser.sigma2 if sigma2 is None else sigma2)
    if sigma2 != denoiser.sigma2:
        raise ParameterError("sigma2", f"must equal the denoiser's sigma2 = {denoiser.sigma2}, got {sigma2}")
    mu_c = check_mu(mu_c, getattr(denoiser, "d", None))
    d = mu_c.shape[0]
    n = check_int("n", n, lo=1, strict=True)
    batch_size = check_int("batch_size", batch_size, lo=1, strict=True)
    block_size = check_int("block_size", block_size, lo=1, strict=True)
    omegas = step_omegas(g, omega)
    check_grid_rule(rule, g, update)
    sig = g.sigmas
    ss = as_seed_sequence(rng)
    out = np.empty((n, d))
    clock = time.perf_counter()
    for a in range(0, n, batch_size):
        b = min(n, a + batch_size)
        noise = _BlockNoise(ss, a, b, block_size, d)
        x = start_std(sig[0], start) * noise.draw()
        state = None if rule.reduces_to_cfg else _RuleState(rule)  # per batch: the buffer is per sample
        for i in range(g.steps):
            s, sp, om = float(sig[i]), float(sig[i + 1]), float(omegas[i])
            if state is None:
                D, r, E1, dev1, q1 = _denoise(denoiser, x, s, sigma2, mu_c, om)
            else:
                D, r, G1, dev1, q1, zero1 = _denoise_rule(state, denoiser, x, s, sigma2, mu_c, om)
            # Every rule in the cancellation-free form D + c r, r = xs - D (module docstring): the literal
            # xs + (s' - s)(xs - D)/s subtracts two numbers of size sigma_0 |xi| to leave one of size
            # |D|, and loses D entirely once sigma_0 / |D| approaches 1/eps (sigma_0 ~ 1e16).
            c, up = step_contraction(update, s, sp)
            x_new = D + c * r
            if update == "ancestral" and sp > 0.0:
                x_new += up * noise.draw()
            elif update == "heun" and sp > 0.0:
                if state is None:
                    x_new = _heun_correct(denoiser, x_new, D, r, E1, dev1, q1, c, s, sp, sigma2, mu_c, om)
                else:
                    x_new = _heun_correct_rule(state, denoiser, x_new, D, r, G1, dev1, q1, zero1, c, s, sp, sigma2,
                                               mu_c, om)
            x = x_new
            if not np.all(np.isfinite(x)):
                raise NonFiniteError(f"non-finite sample after the step sigma = {s!r} -> {sp!r} (omega = {om})")
        out[a:b] = x
    return out, g, omegas, time.perf_counter() - clock


def run_monte_carlo_grid(denoiser, mu_c, sigma2, omega, grid, update: str, *, n: int = 4096, rng=None,
                         batch_size: int = 2048, c=None, keep_samples: bool = False,
                         precision: str | None = None, start: str = "edm", rule=None) -> MonteCarloResult:
    """:func:`sample_on_grid` plus the estimators (as :func:`cfgmft.validation.montecarlo.run_monte_carlo`)."""
    rule = as_rule(rule)
    denoiser, mu_c = with_precision(denoiser, mu_c, c, precision)
    x, g, omegas, seconds = sample_on_grid(denoiser, mu_c, sigma2, omega, grid, update, n=n, rng=rng,
                                           batch_size=batch_size, start=start, rule=rule)
    mu_c = np.asarray(mu_c, dtype=np.float64)
    mixture = denoiser if isinstance(denoiser, FiniteMixture) else None
    if mixture is not None and c is None and mixture.class_index(mu_c) is None:
        mixture = None
    clock = time.perf_counter()
    # the denoiser's log_density serves the implicit classifier's log-odds, as in continuous time
    est = estimate_observables(x, mu_c, sigma2, mixture=mixture, c=c, denoiser=denoiser)
    seconds_est = time.perf_counter() - clock
    params = {
        "convention": CONVENTION, "omega": (float(omega) if isinstance(omega, (int, float)) else
                                            getattr(omega, "spec", None) or repr(omega)),
        "omega_steps": [float(w) for w in omegas], "update": update, "start": start, "grid": g.spec, "steps": g.steps,
        "n": int(x.shape[0]), "d": int(mu_c.shape[0]),
        "K": int(denoiser.K) if isinstance(denoiser, FiniteMixture) else None,
        "precision": getattr(denoiser, "precision", "float64"), "backend": getattr(denoiser, "backend", "numpy"),
        "device": getattr(denoiser, "device", "cpu"), "sigma2": float(sigma2), "denoiser": repr(denoiser),
        "rng": _describe_rng(rng), "batch_size": int(batch_size), "guidance": rule.spec,
        "target_index": None if mixture is None else (int(c) if c is not None else mixture.class_index(mu_c)),
    }
    return MonteCarloResult(estimates=est, parameters=params, seconds_sampling=seconds, seconds_estimators=seconds_est,
                            samples=x if keep_samples else None)
