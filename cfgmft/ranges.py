"""Allowed ranges of every user-facing number, in one place (docs/explanation/ranges.md).

They keep every computation inside float64 with room to spare: e.g. ``sigma2 e^{-2t}`` and
``(sigma2/(1+sigma2))^omega`` stay representable, the noise end ``T -> infinity`` is reached
by ``t = 40 + log(max(1, sigma2))/2`` and ``K = e^{alpha d}`` does not overflow.
"""

SIGMA2_MIN, SIGMA2_MAX = 1e-8, 1e8
OMEGA_MIN, OMEGA_MAX = -1.0, 1000.0
TIME_MAX = 1000.0          # schedule times and the start time T
SIGMA_MAX = 1e100          # EDM noise levels (table schedules, sampler grids): sigma^2 stays finite
ALPHA_MAX = 100.0
ALPHA_MIN_POSITIVE = 1e-6  # alpha is 0 (sub-exponential limit) or at least this
ALPHA_D_MAX = 700.0        # K = e^{alpha d} must be a float64
D_MAX = 10_000_000
GRID_NUM_MAX = 100_000     # points per axis of a phase diagram
STEPS_MAX = 10_000_000     # integration steps of the Monte Carlo and the finite-d model
DISORDER_MAX = 100_000     # mixtures drawn by one simulation
SAMPLES_MAX = 1_000_000_000  # samples of one simulation (and of the finite-d model); memory is checked too
#: float32 is refused when the estimated absolute rounding error of the float32 logits at
#: ``t = 0`` (``FiniteMixture.float32_logit_error``, ``2^-24`` times the energy scale
#: ``~ 4 d / sigma2`` for means of norm ``sqrt(d)``) exceeds this: the class posteriors then
#: carry relative errors above 1e-3. The float32 validation (tests/test_float32.py) runs at
#: errors ~1e-5.
FLOAT32_MAX_LOGIT_ERROR = 1e-3


def machine_memory() -> float:
    """Physical memory of this machine in bytes (8 GiB where it cannot be read)."""
    import os

    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8.0 * 2**30

#: Allowed absolute tolerances on the step error of E[m] and the variance ratio (``--tol``).
#: The floor is the pilot's resolution: its bound on the step error carries twice the standard
#: error of the paired difference of 256 pilot samples, which within 16384 steps does not fall
#: below a few 1e-5 (measured on ``--classes inf --d 8 --omega 2``, SDE: ``3e-5`` unreachable, the
#: bound still 7.4e-5 at 5584 steps; ``1e-4`` reached at 4526 steps, and on every other case tried),
#: so a smaller tolerance is refused before any work; ``--steps N`` fixes the count instead.
TOL_MIN = 1e-4
TOL_MAX = 0.5
#: The default tolerance of ``cfgmft simulate`` (without ``--steps``)
DEFAULT_TOL = 1e-3
#: The one default number of Monte Carlo integration steps where a command or a function fixes
#: them (``cfgmft validate``, ``schedule evaluate --simulate``, :class:`cfgmft.params.Sampler`,
#: :data:`cfgmft.api.SIMULATION_DEFAULTS`, :func:`cfgmft.validation.samplers.sample`);
#: ``cfgmft simulate`` chooses them by ``--tol`` instead. The step errors at 800 are in the README
#: ("Step error, --tol and pruning"): within 1e-3 on every case measured.
DEFAULT_STEPS = 800
