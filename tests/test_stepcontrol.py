"""Step-error control: nested-grid common random numbers, the measured order of the default
integrator, the tolerance met on held-apart samples against a reference, and the --tol flag."""

import json
import math

import numpy as np
import pytest

from cfgmft.errors import ParameterError
from cfgmft.validation.samplers import sample, step_coefficients
from cfgmft.validation.scores import ContinuumGaussian, ContinuumSphere, FiniteMixture
from cfgmft.validation.stepcontrol import NestedNoise, nested_grid, run_levels, steps_for_tolerance


def _sphere_mu(d, seed=1):
    z = np.random.default_rng(seed).standard_normal(d)
    return math.sqrt(d) * z / np.linalg.norm(z)


def test_nested_noise_is_standard_normal_and_exact_on_its_own_grid():
    t_fine = nested_grid(12.0, 64, 1.0, 2.0)
    noise = NestedNoise(t_fine, 1.0, 400, 5, seed=3)
    own = noise.for_grid(t_fine)
    assert np.array_equal(own(7, 0, 400), noise.fine(7))
    coarse = noise.for_grid(nested_grid(12.0, 8, 1.0, 2.0))
    draws = np.concatenate([coarse(k, 0, 400).ravel() for k in range(8)])
    # 16000 draws: mean within 4 standard errors of 0, variance within 4 of 1
    assert abs(draws.mean()) < 4 / math.sqrt(draws.size)
    assert abs(draws.var() - 1.0) < 4 * math.sqrt(2.0 / draws.size)
    # the aggregated draw is the OU-weighted sum of the fine draws it covers
    Phi, _, s = step_coefficients(t_fine[:-1], t_fine[1:], 1.0, "sde")
    acc = np.zeros((400, 5))
    for j in range(8, 16):
        acc = Phi[j] * acc + s[j] * noise.fine(j)
    w = np.zeros(1)
    for j in range(8, 16):
        w = Phi[j] ** 2 * w + s[j] ** 2
    assert np.allclose(coarse(1, 0, 400), acc / math.sqrt(w[0]), rtol=1e-13, atol=1e-13)
    with pytest.raises(ParameterError, match="^grid"):
        noise.for_grid(nested_grid(12.0, 48, 1.0, 2.0))


def test_noise_source_shape_is_checked():
    den = ContinuumSphere(4, 1.0)
    with pytest.raises(ParameterError, match="^noise_source"):
        sample(den, _sphere_mu(4), 1.0, 1.0, "sde", steps=4, n=3, rng=0, noise_source=lambda k, a, b: np.zeros((2, 4)))


@pytest.mark.parametrize("sampler, lo, hi", [("ode", 3.0, 5.5), ("sde", 1.6, 5.5)])
def test_step_error_converges_at_the_measured_order(sampler, lo, hi):
    # error against a 16x finer run with common random numbers; halving the step divides it by
    # ~4 (ODE, order 2) or by at least ~2 (SDE, weak order 1) -- minus the reference's share
    den = ContinuumSphere(8, 1.0)
    run = run_levels(den, _sphere_mu(8), 1.0, 2.0, sampler, [40, 80, 640], n=256, rng=4)
    e40, se40 = run.diff(40, 640, "m")
    e80, se80 = run.diff(80, 640, "m")
    assert abs(e80) > 4 * se80
    assert lo <= e40 / e80 <= hi, (e40, e80)


def test_predictor_corrector_is_exact_where_the_local_model_is():
    # Gaussian continuum: the local model is the posterior, the corrector's residual is zero
    den = ContinuumGaussian(0.3, 6)
    mu_c = np.random.default_rng(0).standard_normal(6)
    for sampler in ("sde", "ode"):
        one = sample(den, mu_c, 0.3, 2.0, sampler, steps=7, n=50, rng=3, stages=1).x
        two = sample(den, mu_c, 0.3, 2.0, sampler, steps=7, n=50, rng=3, stages=2).x
        assert np.allclose(two, one, rtol=0, atol=1e-13)
    with pytest.raises(ParameterError, match="^order: must be 2 with stages=2"):
        sample(den, mu_c, 0.3, 2.0, "sde", steps=4, n=2, rng=0, stages=2, order=1)
    for bad in (3, 0, True, 2.0):
        with pytest.raises(ParameterError, match=r"^stages: must be an integer in \[1, 2\]"):
            sample(den, mu_c, 0.3, 2.0, "sde", steps=4, n=2, rng=0, stages=bad)


def test_predictor_corrector_beats_the_multistep_sde_at_equal_evaluations():
    # exponential regime (d = 8, K = 25): two evaluations per step at N steps against one at 2N
    den = FiniteMixture.from_prior(int(round(math.exp(0.4 * 8))), 8, "sphere", 1.0, rng=2)
    mu_c = den.means[0].astype(np.float64)
    one = run_levels(den, mu_c, 1.0, 2.0, "sde", [80, 640], n=1024, rng=4, stages=1)
    two = run_levels(den, mu_c, 1.0, 2.0, "sde", [40, 640], n=1024, rng=4, stages=2)
    assert two.evaluations[40] == one.evaluations[80]
    for name in ("m", "var_ratio"):
        e1, se1 = one.diff(80, 640, name)
        e2, se2 = two.diff(40, 640, name)
        assert abs(e1) > 4 * se1 and abs(e2) + 2 * se2 < 0.75 * abs(e1), (name, e1, se1, e2, se2)


def test_predictor_corrector_frozen_scheme_is_second_order():
    # a finite mixture, where the residual is not zero: a wrong sign or lambda direction of the
    # corrector's slope would leave first order (ratio ~2) or diverge
    den = FiniteMixture.from_prior(int(round(math.exp(0.4 * 8))), 8, "sphere", 1.0, rng=2)
    mu_c = den.means[0].astype(np.float64)
    errs = []
    ref = sample(den, mu_c, 1.0, 2.0, "ode", steps=1280, n=64, rng=4, scheme="frozen", stages=2).x
    for N in (80, 160):
        x = sample(den, mu_c, 1.0, 2.0, "ode", steps=N, n=64, rng=4, scheme="frozen", stages=2).x
        errs.append(float(np.mean((x - ref) @ mu_c) / (mu_c @ mu_c)))
    assert abs(errs[1]) > 1e-7
    assert 3.0 <= errs[0] / errs[1] <= 6.0, errs


def test_predictor_corrector_ode_is_second_order():
    den = ContinuumSphere(8, 1.0)
    run = run_levels(den, _sphere_mu(8), 1.0, 2.0, "ode", [80, 160, 1280], n=128, rng=4, stages=2)
    e80, _ = run.diff(80, 1280, "m")
    e160, se160 = run.diff(160, 1280, "m")
    assert abs(e160) > 4 * se160
    assert 3.0 <= e80 / e160 <= 5.5, (e80, e160)


CASES = {
    "infinite": lambda: (ContinuumSphere(8, 1.0), _sphere_mu(8), None),
    "exponential": lambda: (lambda den: (den, den.means[0].astype(np.float64), 0))(
        FiniteMixture.from_prior(int(round(math.exp(0.4 * 8))), 8, "sphere", 1.0, rng=2)),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("sampler, tol", [("ode", 1e-3), ("sde", 4e-3)])
def test_tolerance_is_met_on_held_apart_samples(case, sampler, tol):
    den, mu_c, c = CASES[case]()
    choice = steps_for_tolerance(den, mu_c, 1.0, 2.0, sampler, tol, rng=11)
    N = choice.steps
    # held apart: other samples and Brownian paths, against a reference at 8N steps
    assert choice.stages == {"sde": 2, "ode": 1}[sampler]  # the --tol path's scheme
    check = run_levels(den, mu_c, 1.0, 2.0, sampler, [N, 8 * N], n=512, rng=12, c=c, stages=choice.stages)
    for name in ("m", "var_ratio"):
        err, se = check.diff(N, 8 * N, name)
        assert abs(err) <= tol, (name, N, err, se)
    assert choice.pilot_evaluations > 0 and max(choice.estimate.values()) <= tol


def test_float32_pilot_measures_the_float64_step_error():
    den, mu_c, _ = CASES["exponential"]()
    auto = steps_for_tolerance(den, mu_c, 1.0, 2.0, "sde", 4e-3, rng=11)
    f64 = steps_for_tolerance(den, mu_c, 1.0, 2.0, "sde", 4e-3, rng=11, pilot_precision="float64")
    assert auto.pilot_precision == "float32" and f64.pilot_precision == "float64"
    assert [N for N, _ in auto.history] == [N for N, _ in f64.history] and auto.steps == f64.steps
    for (_, b32), (_, b64) in zip(auto.history, f64.history):
        for name in b64:
            assert abs(b32[name] - b64[name]) <= 1e-3 * max(b64[name], 4e-3), (name, b32, b64)
    # a continuum denoiser, or a tolerance below 1e-4, keeps float64
    assert steps_for_tolerance(ContinuumSphere(6, 1.0), _sphere_mu(6), 1.0, 2.0, "ode", 4e-3, rng=0).pilot_precision == "float64"
    from cfgmft.validation.stepcontrol import pilot_denoiser

    assert pilot_denoiser(den, 5e-5).precision == "float64" and pilot_denoiser(den, 1e-3).precision == "float32"


def test_tolerance_out_of_reach_is_refused():
    den = ContinuumSphere(6, 1.0)
    with pytest.raises(ParameterError, match="^tol: must be reachable within 64 steps"):
        steps_for_tolerance(den, _sphere_mu(6), 1.0, 2.0, "ode", 1e-4, rng=0, max_steps=64)


def test_cli_tol_is_the_default_and_reproducible(cli):
    args = ["simulate", "--classes", "inf", "--d", "6", "--prior", "sphere", "--omega", "2", "--sampler", "ode",
            "--samples", "64", "--seed", "3", "--json"]
    code, out, err = cli(args)
    assert code == 0, err
    r = json.loads(out)
    assert r["tol"] == 1e-3 and r["step_control"]["steps_per_draw"] == [r["steps"]]
    assert max(r["step_control"]["error_bound_per_draw"]) <= 1e-3
    code, out2, err = cli(args)
    assert json.loads(out2)["m_final"] == r["m_final"] and json.loads(out2)["steps"] == r["steps"]
    code, out, err = cli(args + ["--steps", "20"])
    r = json.loads(out)
    assert code == 0 and r["steps"] == 20 and r["tol"] is None and "step_control" not in r
    code, out, err = cli(args[:-1])
    assert code == 0 and "steps chosen for --tol 0.001" in out


def test_cli_stages(cli):
    args = ["simulate", "--classes", "inf", "--d", "6", "--prior", "sphere", "--omega", "2", "--sampler", "sde",
            "--samples", "32", "--seed", "3", "--json"]
    code, out, err = cli(args)
    r = json.loads(out)
    assert code == 0 and r["stages"] == 2  # the SDE's --tol default
    assert r["step_control"]["main_evaluations"] == 32 * 2 * r["steps"]
    assert r["step_control"]["order"] == 2 and r["step_control"]["pilot_precision"] == "float64"  # continuum
    code, out, err = cli(args + ["--steps", "20"])
    assert code == 0 and json.loads(out)["stages"] == 1
    code, out, err = cli(args + ["--steps", "20", "--stages", "2"])
    assert code == 0 and json.loads(out)["stages"] == 2
    code, out, err = cli(args + ["--stages", "3"])
    assert code == 2 and out == "" and "--stages" in err and "Traceback" not in err


@pytest.mark.parametrize("extra", [["--tol", "0"], ["--tol", "1"], ["--tol", "nan"], ["--tol", "1e-3", "--steps", "10"],
                                   ["--tol", "1e-6"], ["--tol", "5e-5"]])
def test_cli_bad_tol(extra, cli, monkeypatch):
    import cfgmft.validation.stepcontrol as sc

    def no_pilot(*a, **k):  # a tolerance below the pilot's resolution is refused before the pilot runs
        raise AssertionError("the pilot ran before the refusal")

    monkeypatch.setattr(sc, "run_levels", no_pilot)
    code, out, err = cli(["simulate", "--classes", "inf", "--d", "6", "--omega", "1", *extra])
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "--tol" in err and "[0.0001, 0.5]" in err and "Traceback" not in err
