"""Exact-score Monte Carlo of classifier-free guidance on Gaussian mixtures (``cfgmft.validation``).

Guidance convention ``s = (1 + omega) s_c - omega s_u`` (guidance scale ``w = 1 + omega``).
The models of the data are the denoisers of :mod:`~cfgmft.validation.scores`:
:class:`~cfgmft.validation.scores.FiniteMixture` (``K`` classes, exact streamed posteriors),
and the infinite-class limits :class:`~cfgmft.validation.scores.ContinuumGaussian` and
:class:`~cfgmft.validation.scores.ContinuumSphere`. All of them implement the
:class:`~cfgmft.validation.scores.Denoiser` protocol, which is all the sampler reads (see the
module docstring of :mod:`~cfgmft.validation.scores`); class means are drawn by
:mod:`~cfgmft.validation.mixture`.

Three levels, from one integration to one problem:

1. :func:`cfgmft.validation.samplers.sample` -- **samples.** One integration of the guided
   reverse SDE or probability-flow ODE, from ``x_T ~ N(0, I_d)`` at ``T`` down to ``t = 0``,
   toward the class of mean ``mu_c`` of a given denoiser:
   ``sample(denoiser, mu_c, sigma2, omega, sampler, *, T=DEFAULT_MC_T, steps, n, rng, ...)``
   returns a :class:`~cfgmft.validation.samplers.SampleResult` (the ``(n, d)`` samples, the
   time grid, the guidance on it, optional trajectories). No statistics.
2. :func:`cfgmft.validation.montecarlo.run_monte_carlo` -- **estimates with standard errors.**
   :func:`~cfgmft.validation.samplers.sample` followed by the estimators of
   :mod:`~cfgmft.validation.estimators` (overlap, variance ratios, Gaussian-fit KL, Bayes
   accuracy and margin for a finite mixture):
   ``run_monte_carlo(denoiser, mu_c, sigma2, omega, sampler, *, n, steps, T=DEFAULT_MC_T, rng, ...)``
   returns a :class:`~cfgmft.validation.montecarlo.MonteCarloResult`, every observable an
   :class:`~cfgmft.results.Estimate` (value and standard error), with the parameters of the run.
   It still takes one denoiser and one target mean.
3. :func:`cfgmft.simulate.simulate` (outside this package, the API behind ``cfgmft simulate``)
   -- **one problem.** From a :class:`cfgmft.params.Problem` (mixture, guidance, sampler) it
   builds the denoiser and the target (for a finite mixture the class means are drawn as
   quenched disorder, possibly over several draws), calls :func:`~cfgmft.validation.montecarlo.run_monte_carlo` with
   ``T = DEFAULT_MC_T`` unless the problem sets ``T``, and returns the JSON-ready observables
   as ``{"mean", "stderr"}`` over samples (and draws).

The first two share their signature up to ``sampler``; every later argument is keyword-only,
and both start at ``T = DEFAULT_MC_T = 12`` (:mod:`cfgmft.grids`) unless given ``T``.
"""
