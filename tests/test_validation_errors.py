"""Bad inputs to the Monte Carlo building blocks raise ParameterError (a ValueError) with a
one-line message that starts with the argument's name."""

import math

import numpy as np
import pytest

from cfgmft.errors import ParameterError
from cfgmft.validation.estimators import estimate_observables
from cfgmft.validation.mixture import as_generator, draw_means
from cfgmft.validation.samplers import sample, time_grid
from cfgmft.validation.scores import ContinuumGaussian, ContinuumSphere, FiniteMixture, guided_score

MIX = FiniteMixture(draw_means(6, 4, "gaussian", 0), 0.5)


def _raises(argument, fn, *args, **kwargs):
    with pytest.raises(ParameterError) as info:
        fn(*args, **kwargs)
    err = info.value
    assert isinstance(err, ValueError) and err.argument == argument
    msg = str(err)
    assert msg.startswith(f"{argument}: ") and "\n" not in msg
    return msg


@pytest.mark.parametrize("args, kwargs, argument", [
    ((np.ones((3,)), 0.5), {}, "means"),
    ((np.array([[0.0, np.nan]]), 0.5), {}, "means"),
    ((np.ones((3, 2)), 0.0), {}, "sigma2"),
    ((np.ones((3, 2)), math.inf), {}, "sigma2"),
    ((np.ones((3, 2)), 1e9), {}, "sigma2"),
    ((np.ones((3, 2)), 0.5), {"chunk_size": 0}, "chunk_size"),
    ((np.ones((3, 2)), 0.5), {"precision": "float16"}, "precision"),
])
def test_finite_mixture(args, kwargs, argument):
    _raises(argument, FiniteMixture, *args, **kwargs)


def test_finite_mixture_messages_give_the_range():
    assert "[1e-08, 1e+08]" in _raises("sigma2", FiniteMixture, np.ones((3, 2)), -1.0)
    assert ">= 1" in _raises("chunk_size", FiniteMixture, np.ones((3, 2)), 0.5, chunk_size=0)
    assert "[0, 5]" in _raises("c", MIX.cond_score, np.zeros((1, 4)), 0.1, 6)
    assert "[0, 1000]" in _raises("t", MIX.posterior_mean, np.zeros((1, 4)), -0.1)
    _raises("t", MIX.posterior_mean, np.zeros((1, 4)), np.array([0.1, 0.2]))
    assert "d = 4" in _raises("x", MIX.posterior_mean, np.zeros((1, 5)), 0.1)
    _raises("K", FiniteMixture.from_prior, 0, 4, "gaussian", 0.5)
    assert "'sphere'" in _raises("d", FiniteMixture.from_prior, 3, 1, "sphere", 0.5)
    assert "'gaussian'" in _raises("prior", FiniteMixture.from_prior, 3, 4, "cube", 0.5)


def test_scores():
    _raises("sigma2", guided_score, MIX, np.zeros((1, 4)), 0.1, MIX.means[0], 0.25, 1.0)
    _raises("omega", guided_score, MIX, np.zeros((1, 4)), 0.1, MIX.means[0], 0.5, -2.0)
    _raises("mu_c", guided_score, MIX, np.zeros((1, 4)), 0.1, MIX.means[0][:3], 0.5, 1.0)
    _raises("d", ContinuumSphere, 1, 0.5)
    _raises("d", ContinuumGaussian, 0.5, d=0)


def test_draw_means():
    _raises("K", draw_means, 0, 3)
    _raises("K", draw_means, 2.5, 3)
    _raises("d", draw_means, 3, 0)
    _raises("d", draw_means, 3, 1, "sphere")
    _raises("prior", draw_means, 3, 3, "cube")
    _raises("rng", draw_means, 3, 3, "gaussian", -1)
    _raises("rng", as_generator, -5)


@pytest.mark.parametrize("kwargs, argument", [
    ({"sampler": "euler"}, "sampler"),
    ({"scheme": "rk4"}, "scheme"),
    ({"order": 3}, "order"),
    ({"steps": 0}, "steps"),
    ({"T": -1.0}, "T"),
    ({"T": math.inf}, "T"),
    ({"n": 0}, "n"),
    ({"batch_size": 0}, "batch_size"),
    ({"grid": "cosine"}, "grid"),
    ({"grid": [1.0, 0.5, 0.1]}, "grid"),
    ({"record": "energy"}, "record"),
    ({"x_T": np.zeros((3, 5))}, "x_T"),
    ({"precision": "half"}, "precision"),
])
def test_sample(kwargs, argument):
    _raises(argument, sample, MIX, MIX.means[0], 0.5, 1.0, **{"n": 4, "steps": 3, **kwargs})


def test_sample_other_arguments():
    _raises("sigma2", sample, MIX, MIX.means[0], 0.25, 1.0, n=4, steps=3)
    _raises("omega", sample, MIX, MIX.means[0], 0.5, lambda t: np.full_like(t, np.nan), T=10.0, n=4, steps=3)
    _raises("record", sample, ContinuumGaussian(0.5), MIX.means[0], 0.5, 1.0, n=4, steps=3, record="w_c")
    _raises("precision", sample, ContinuumGaussian(0.5), MIX.means[0], 0.5, 1.0, n=4, steps=3, precision="float32")
    _raises("rho", time_grid, 5.0, 10, 0.5, "edm", rho=0.0)


def test_estimators():
    x = np.random.default_rng(0).standard_normal((10, 4))
    _raises("x", estimate_observables, x[:1], MIX.means[0], 0.5)
    _raises("x", estimate_observables, x[:, :3], MIX.means[0], 0.5)
    _raises("mu_c", estimate_observables, x, np.zeros(4), 0.5)
    _raises("mu_c", estimate_observables, x, MIX.means[0], 0.5, mixture=MIX, c=1)
    _raises("c", estimate_observables, x, MIX.means[0], 0.5, mixture=MIX, c=9)


def test_keyword_only_arguments_and_the_default_start_time():
    from cfgmft.grids import DEFAULT_MC_T
    from cfgmft.params import DEFAULT_MC_T as params_T
    from cfgmft.validation.montecarlo import run_monte_carlo

    assert DEFAULT_MC_T == params_T == 12.0
    mu = MIX.means[0]
    # every argument after (denoiser, mu_c, sigma2, omega, sampler) is keyword-only
    with pytest.raises(TypeError):
        sample(MIX, mu, 0.5, 1.0, "ode", 10.0)
    with pytest.raises(TypeError):
        run_monte_carlo(MIX, mu, 0.5, 1.0, "ode", 8)
    with pytest.raises(TypeError):
        estimate_observables(np.zeros((4, 4)), mu, 0.5, MIX)
    # both start at DEFAULT_MC_T unless told otherwise
    assert sample(MIX, mu, 0.5, 1.0, "ode", n=2, steps=3).t_grid[0] == DEFAULT_MC_T
    assert run_monte_carlo(MIX, mu, 0.5, 1.0, "ode", n=2, steps=3).parameters["T"] == DEFAULT_MC_T
