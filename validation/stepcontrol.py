"""Step-error control of the guided sampler: common random numbers across nested grids, paired
step-error estimates, and the choice of the number of steps that meets a tolerance.

Nested grids. The default ``logsnr`` grid is uniform in ``lambda``, so the grid of ``N`` steps
is a subset of the grid of ``2N`` (and of any multiple); a schedule's breakpoints are inserted
in both. :class:`NestedNoise` draws one standard normal ``(n, d)`` array per step of a fine grid
(step ``j`` from its own generator, so any step is reproducible alone) and gives, for any
coarser grid whose points are points of the fine one, the draw of each coarse step as the
normalised sum of the fine draws it covers, weighted by the exact noise of the linear (Ornstein-
Uhlenbeck) part of the backward SDE over each fine step propagated to the coarse step's end:

    xi_K = sum_j w_j xi_j / sqrt(sum_j w_j^2),   w_j = s_j prod_{i > j in K} Phi_i,

``(Phi_i, s_i)`` the SDE step coefficients (:func:`~cfgmft.validation.samplers.step_coefficients`).
Each ``xi_K`` is again exactly standard normal and independent across coarse steps (the coarse
steps cover disjoint fine steps), so a coarse run with these draws has exactly the sampler's
law; it is only coupled to the fine run (common random numbers). The difference of a paired
observable between two grids is then the step error plus a noise that shrinks with the step,
not the full sampling noise of two independent runs.

Paired step error. For an observable that is a mean over samples, ``E[m]`` (``m = x.mu_c/|mu_c|^2``)
and the variance ratio ``mean(v)/sigma2`` (``v = |x - m mu_c|^2/(d - 1)``), and for the Bayes
accuracy (a mean of hits), the difference between two runs with the same ``x_T`` and coupled
noise is the mean of the per-sample differences, with the standard error of that mean.

Tolerance (:func:`steps_for_tolerance`). The step error of an observable behaves as
``e(N) ~ C / N^p``. Measured (``benchmarks/study_step_error.py``) for the default scheme
(local-Gaussian, order 2, ``logsnr`` grid): with one posterior evaluation per step
(``stages=1``, the multistep correction) ``p = 2`` for the probability-flow ODE, but ``p = 1``
for the reverse SDE (weak order; the multistep slope takes the Brownian increment of the
previous step for a change of the posterior). The predictor-corrector (``stages=2``, two
evaluations per step, :func:`cfgmft.validation.samplers.sample`) restores ``p = 2`` for the SDE:
on the ``below`` case of the study (8192 samples, against 3200 steps,
``results/step_error_stages2/below_n8192/``) the error of ``E[m]``
falls 5.4x, 5.7x, 8.7x and that of the variance ratio 2.6x, 3.7x, 3.9x, 3.3x, 3.5x per halving
of the step from 25 steps on, and at ``1e-3`` it needs ~100 steps (200 evaluations) against ~600
with one stage. The ``--tol`` path therefore uses ``stages = 2`` for the SDE and ``1`` for the ODE
(:data:`TOL_STAGES`); :data:`ORDERS` holds the orders. On a pilot of ``pilot`` samples, runs at ``N`` and ``2N``
steps with common random numbers give the bound
``b(N) = (|O(N) - O(2N)| + 2 se) 2^p / (2^p - 1)`` on the error at ``N``; ``N`` is doubled
at ``N = start`` and then at the count that a law ``C / N^q`` through the last bound puts at
``tol / safety`` (``q`` the local order between the last two bounds, clipped to ``[p, 2]``; 2
after the first; the growth kept within ``[1.5, 8]``, rounded up to a multiple of 16), until every
controlled observable's bound at ``N`` is at most ``tol / safety``; the answer is the count
that the same law puts at ``tol / safety`` from that last bound, within
``(last failed N, N]``.

Pilot precision. The pilot measures a step error, a difference between runs of the same
problem at two step counts with common random numbers, so the rounding of the float32 sums
(a smooth perturbation of the posterior, relative ``<= 1e-3`` where float32 is allowed, see
:data:`~cfgmft.ranges.FLOAT32_MAX_LOGIT_ERROR`) changes it only at second order. By default
(``pilot_precision="auto"``) a float64 :class:`FiniteMixture` is piloted on a float32 copy of
its means (1.6-1.9x faster sums in ``benchmarks/bench_scores.py``, a 1.8x cheaper pilot in
``benchmarks/bench_time_to_accuracy.py``) when ``tol >= 1e-4`` (every allowed tolerance since the floor
:data:`~cfgmft.ranges.TOL_MIN` is 1e-4) and the copy takes at most 256
MiB; the main run keeps the denoiser's precision. A sharded mixture (its shards' precision is
fixed on the workers) pilots in its own precision, so its chosen steps can differ from the
in-process run's where a bound falls within float32 rounding of a step-count boundary. ``StepChoice`` records
``pilot_precision``; ``tests/test_stepcontrol.py`` checks that the float32 pilot's bounds equal
the float64 one's within a small fraction of ``tol``.

The pilot's ``x_T`` are its own draws; it costs
``3 N pilot stages`` posterior evaluations per verified ``N``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from cfgmft.errors import ParameterError, check_choice, check_int, check_real
from cfgmft.ranges import FLOAT32_MAX_LOGIT_ERROR, TOL_MAX, TOL_MIN
from cfgmft.grids import DEFAULT_GRID, DEFAULT_MC_T, time_grid, with_breakpoints
from cfgmft.schedules import omega_function

from .mixture import as_seed_sequence
from .samplers import DEFAULT_STAGES, STAGES, sample, step_coefficients
from .scores import FiniteMixture, as_precision

__all__ = ["NestedNoise", "nested_grid", "paired_observables", "PairedRun", "run_levels", "StepChoice",
           "steps_for_tolerance", "pilot_denoiser", "TOL_MIN", "TOL_MAX", "CONTROLLED", "ORDERS", "TOL_STAGES", "PILOT", "START",
           "SAFETY"]

#: Observables the tolerance controls (absolute error).
CONTROLLED = ("m", "var_ratio")
#: Weak order of the SDE's predictor-corrector (``stages=2``), measured (module docstring).
SDE_HEUN_ORDER = 2
#: Weak order of the default scheme's step error, per sampler and posterior evaluations per
#: step (``stages``; measured, module docstring).
ORDERS = {("sde", 1): 1, ("sde", 2): SDE_HEUN_ORDER, ("ode", 1): 2, ("ode", 2): 2}
#: Evaluations per step of the ``--tol`` path, per sampler: the predictor-corrector for the SDE
#: (fewer evaluations to a tolerance, ``benchmarks/study_step_error.py``), the multistep for the ODE.
TOL_STAGES = {"sde": 2, "ode": 1}
#: The float32 pilot of ``pilot_precision="auto"``: the smallest tolerance and the largest
#: float32 copy of the means (bytes) it is used for (module docstring).
PILOT_FLOAT32_MIN_TOL = 1e-4
PILOT_FLOAT32_MAX_BYTES = 256 * 2**20
#: Backends whose mixture can make its float32 copy in this process (a sharded mixture's
#: precision is fixed when its shards are drawn: it pilots in its own).
PILOT_FLOAT32_BACKENDS = ("numpy", "torch")
#: Pilot samples, first step count and safety factor of :func:`steps_for_tolerance`.
PILOT = 256
START = 32
SAFETY = 1.25


def nested_grid(T: float, steps: int, sigma2: float, omega, grid: str = DEFAULT_GRID) -> np.ndarray:
    """The sampler's grid for ``steps`` (with the schedule's breakpoints), as :func:`sample` builds it."""
    return with_breakpoints(time_grid(T, steps, sigma2, grid), omega_function(omega).breakpoints)


def _positions(coarse: np.ndarray, fine: np.ndarray) -> np.ndarray:
    """Indices of the points of ``coarse`` in ``fine`` (both decreasing); refuses a coarse grid
    that is not a subset to rounding."""
    rev = fine[::-1]
    idx = np.searchsorted(rev, coarse)
    idx = np.clip(idx, 0, rev.size - 1)
    alt = np.clip(idx - 1, 0, rev.size - 1)
    pick = np.where(np.abs(rev[alt] - coarse) < np.abs(rev[idx] - coarse), alt, idx)
    scale = 1e-9 * max(1.0, float(fine[0]))
    if np.any(np.abs(rev[pick] - coarse) > scale):
        raise ParameterError("grid", "the coarse grid is not a subset of the fine grid (use nested step counts)")
    pos = rev.size - 1 - pick
    if np.any(np.diff(pos) <= 0):
        raise ParameterError("grid", "the coarse grid is not a subset of the fine grid (use nested step counts)")
    return pos


class NestedNoise:
    """Standard normal step draws of a fine grid, and their exact aggregation onto coarser
    nested grids (module docstring). ``seed``: anything :func:`as_seed_sequence` takes."""

    def __init__(self, t_fine, sigma2: float, n: int, d: int, seed):
        self.t_fine = np.asarray(t_fine, dtype=np.float64)
        self.sigma2 = float(sigma2)
        self.n, self.d = int(n), int(d)
        self.ss = as_seed_sequence(seed)
        self.Phi, _, self.s = step_coefficients(self.t_fine[:-1], self.t_fine[1:], self.sigma2, "sde")

    def fine(self, j: int) -> np.ndarray:
        child = np.random.SeedSequence(entropy=self.ss.entropy, spawn_key=tuple(self.ss.spawn_key) + (int(j),))
        return np.random.Generator(np.random.PCG64(child)).standard_normal((self.n, self.d))

    def for_grid(self, t_coarse):
        """The ``noise_source`` of :func:`sample` for the grid ``t_coarse`` (a subset of the fine grid)."""
        pos = _positions(np.asarray(t_coarse, dtype=np.float64), self.t_fine)

        def source(k, a, b):
            j0, j1 = int(pos[k]), int(pos[k + 1])
            if j1 == j0 + 1:  # one fine step: its own draw
                return self.fine(j0)[a:b]
            acc = np.zeros((self.n, self.d))
            var = 0.0
            for j in range(j0, j1):
                # propagate what is there by fine step j's homogeneous factor, then add its noise
                acc *= self.Phi[j]
                var *= self.Phi[j] ** 2
                acc += self.s[j] * self.fine(j)
                var += self.s[j] ** 2
            return acc[a:b] / math.sqrt(var)

        return source


def paired_observables(x: np.ndarray, mu_c: np.ndarray, sigma2: float, mixture: FiniteMixture | None = None,
                       c: int | None = None) -> dict:
    """Per-sample terms whose means are the observables: ``m``, ``var_ratio`` (``v / sigma2``)
    and, with a mixture and a target, ``accuracy`` (Bayes hits)."""
    mu2 = float(mu_c @ mu_c)
    d = x.shape[1]
    m = (x @ mu_c) / mu2
    resid = x - m[:, None] * mu_c
    out = {"m": m, "var_ratio": np.einsum("nd,nd->n", resid, resid) / (d - 1) / sigma2}
    if mixture is not None and c is not None:
        pred, _ = mixture.bayes_classify(x, c=int(c), t=0.0)
        out["accuracy"] = (pred == int(c)).astype(np.float64)
    return out


@dataclass
class PairedRun:
    """Runs of one problem at several step counts on nested grids, with common ``x_T`` and
    coupled noise; ``terms[N][name]`` the per-sample terms."""

    steps: list
    terms: dict
    seconds: dict
    evaluations: dict = field(default_factory=dict)

    def value(self, N, name):
        return float(np.mean(self.terms[N][name]))

    def diff(self, N, ref, name):
        """``(mean difference, its standard error)`` of observable ``name`` between ``N`` and ``ref``."""
        dlt = self.terms[N][name] - self.terms[ref][name]
        return float(dlt.mean()), float(dlt.std(ddof=1) / math.sqrt(dlt.size)) if dlt.size > 1 else float("nan")


def run_levels(denoiser, mu_c, sigma2, omega, sampler, steps_list, *, n: int, rng, T: float = DEFAULT_MC_T,
               grid: str = DEFAULT_GRID, c=None, batch_size: int = 4096, fine_steps=None,
               stages: int = DEFAULT_STAGES, rule=None) -> PairedRun:
    """Run the sampler at every step count of ``steps_list`` (each must divide the largest, or
    ``fine_steps`` when given) with the same ``x_T`` (the first ``n`` draws of ``rng``'s block
    streams) and, for the SDE, :class:`NestedNoise` on the finest grid. ``rule``: the guidance
    rule (:func:`~cfgmft.validation.samplers.sample`)."""
    steps_list = sorted(int(s) for s in steps_list)
    fine_N = int(fine_steps) if fine_steps is not None else steps_list[-1]
    for s in steps_list:
        if fine_N % s:
            raise ParameterError("steps", f"every step count must divide {fine_N}, got {s}")
    ss = as_seed_sequence(rng)
    x_ss, noise_ss = ss.spawn(2)
    d = mu_c.shape[0]
    x_T = np.random.Generator(np.random.PCG64(x_ss)).standard_normal((n, d))
    t_fine = nested_grid(T, fine_N, sigma2, omega, grid)
    noise = NestedNoise(t_fine, sigma2, n, d, noise_ss) if sampler == "sde" else None
    mixture = denoiser if isinstance(denoiser, FiniteMixture) else None
    terms, seconds, evals = {}, {}, {}
    for N in steps_list:
        tg = nested_grid(T, N, sigma2, omega, grid)
        res = sample(denoiser, mu_c, sigma2, omega, sampler, grid=tg, x_T=x_T, rng=noise_ss, batch_size=batch_size,
                     noise_source=None if noise is None else noise.for_grid(tg), stages=stages, rule=rule)
        terms[N] = paired_observables(res.x, mu_c, sigma2, mixture, c)
        seconds[N] = res.seconds
        evals[N] = int(np.count_nonzero(res.omega_grid)) * n * stages
    return PairedRun(steps_list, terms, seconds, evals)


@dataclass
class StepChoice:
    """Result of :func:`steps_for_tolerance`: the chosen ``steps``, the estimated step error of
    each controlled observable at it (``estimate``, an upper estimate from the pilot), the pilot's
    history ``[(N, {name: bound at N})]`` and its cost in posterior evaluations (point-steps)."""

    steps: int
    tol: float
    estimate: dict
    history: list
    pilot: int
    pilot_evaluations: int
    stages: int = DEFAULT_STAGES
    order: int = 1
    pilot_precision: str = "float64"

    def to_dict(self) -> dict:
        return {"steps": self.steps, "tol": self.tol, "estimate": dict(self.estimate),
                "history": [[N, dict(b)] for N, b in self.history], "pilot": self.pilot,
                "pilot_evaluations": self.pilot_evaluations, "stages": self.stages, "order": self.order,
                "pilot_precision": self.pilot_precision}


def pilot_denoiser(denoiser, tol: float, pilot_precision: str | None = "auto"):
    """The denoiser the pilot runs on (module docstring): ``pilot_precision`` ``"float32"``,
    ``"float64"``, ``None`` (the denoiser's own) or ``"auto"``: float32 for a float64
    :class:`FiniteMixture` (numpy or torch backend, not sharded) whose float32 logits round by at most
    :data:`~cfgmft.ranges.FLOAT32_MAX_LOGIT_ERROR`, when ``tol >= PILOT_FLOAT32_MIN_TOL`` and
    the float32 copy of the means takes at most ``PILOT_FLOAT32_MAX_BYTES``; else its own."""
    if pilot_precision == "auto":
        ok = (isinstance(denoiser, FiniteMixture) and getattr(denoiser, "backend", "numpy") in PILOT_FLOAT32_BACKENDS
              and denoiser.precision == "float64" and tol >= PILOT_FLOAT32_MIN_TOL
              and 4 * denoiser.K * denoiser.d <= PILOT_FLOAT32_MAX_BYTES
              and denoiser.float32_logit_error(0.0) <= FLOAT32_MAX_LOGIT_ERROR)
        pilot_precision = "float32" if ok else None
    return as_precision(denoiser, pilot_precision, "pilot_precision")


def steps_for_tolerance(denoiser, mu_c, sigma2, omega, sampler, tol, *, rng, T: float = DEFAULT_MC_T,
                        grid: str = DEFAULT_GRID, pilot: int = PILOT, start: int = START, max_steps: int = 16384,
                        safety: float = SAFETY, stages: int | None = None,
                        pilot_precision: str | None = "auto", rule=None) -> StepChoice:
    """The number of steps at which the step error of ``E[m]`` and of the variance ratio is at
    most ``tol`` (absolute), estimated on a pilot (module docstring).

    ``rng`` seeds the pilot (its ``x_T`` and Brownian paths); the pilot's ``pilot * (N + 2N) * stages``
    posterior evaluations per doubling are counted in :attr:`StepChoice.pilot_evaluations`.
    Raises :class:`~cfgmft.errors.ParameterError` naming ``tol`` when ``max_steps`` is reached
    first. ``rule``: the guidance rule (:func:`~cfgmft.validation.samplers.sample`; the general
    step of a rule has the frozen scheme's orders, the same :data:`ORDERS`).
    """
    tol = check_real("tol", tol, lo=TOL_MIN, hi=TOL_MAX)
    pilot = check_int("pilot", pilot, lo=2)
    start = check_int("start", start, lo=2)
    max_steps = check_int("max_steps", max_steps, lo=start)
    check_choice("sampler", sampler, tuple(TOL_STAGES))
    stages = TOL_STAGES[sampler] if stages is None else check_int("stages", stages, lo=min(STAGES), hi=max(STAGES),
                                                                    strict=True)
    p = ORDERS[(sampler, stages)]
    pilot_den = pilot_denoiser(denoiser, tol, pilot_precision)
    factor = 2.0**p / (2.0**p - 1.0)
    target = tol / safety
    history = []
    evaluations = 0
    N = start
    failed = 1  # largest step count whose bound was measured above the target
    if 2 * start > max_steps:
        raise ParameterError("max_steps", f"must be at least 2 start = {2 * start}, got {max_steps}")
    while True:
        if 2 * N > max_steps:
            raise ParameterError("tol", f"must be reachable within {max_steps} steps (the pilot's runs at N and 2N): at {history[-1][0]} steps the "
                                        f"step error is still bounded by {max(history[-1][1].values()):.2g} "
                                        f"> tol/{safety:g}")
        run = run_levels(pilot_den, mu_c, sigma2, omega, sampler, [N, 2 * N], n=pilot, rng=rng, T=T, grid=grid,
                         stages=stages, rule=rule)
        evaluations += run.evaluations[N] + run.evaluations[2 * N]
        bounds = {}
        for name in CONTROLLED:
            dm, se = run.diff(N, 2 * N, name)
            bounds[name] = factor * (abs(dm) + 2.0 * se)
        history.append((N, bounds))
        worst = max(bounds.values())
        if worst <= target:
            # the count that the asymptotic law C / N^p puts at the target, within (failed, N]
            wanted = math.ceil(N * (worst / target) ** (1.0 / p)) if worst > 0 else 2
            chosen = max(failed + 1, 2, min(N, wanted))
            est = {k: v * (N / chosen) ** p for k, v in bounds.items()}
            return StepChoice(chosen, tol, est, history, pilot, evaluations, stages, p,
                              getattr(pilot_den, "precision", "float64"))
        failed = N
        # next count to verify: the local order between the last two bounds (2 before there are
        # two: the pre-asymptotic rate of both samplers), clipped to [p, 2], growth in [1.5, 8]
        q = 2.0
        if len(history) > 1:
            (N1, b1), (N2, b2) = history[-2], history[-1]
            w1, w2 = max(b1.values()), max(b2.values())
            q = float(np.clip(math.log(w1 / w2) / math.log(N2 / N1), p, 2.0)) if w2 > 0 and w1 > w2 else float(p)
        grow = min(8.0, max(1.5, (worst / target) ** (1.0 / q)))
        N = 16 * math.ceil(N * grow / 16)
