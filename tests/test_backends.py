"""Where the sums over classes run: the torch backend (CPU device here) and a mixture sharded
across the workers of a local dask cluster, both against the numpy mixture in this process.

The bounds are the rounding of the sums: the same algorithm with another BLAS / ``exp``
(torch) or another order of the additions (shards combined by ``combine_sums``). A whole seeded
simulation on each backend must give the same samples to rounding, because the sampler, its
noise and the estimators are the same numpy code.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cfgmft.api import simulate
from cfgmft.errors import ParameterError
from cfgmft.params import Guidance, Mixture, Problem, Sampler
from cfgmft.validation.backends import check_backend, to_backend
from cfgmft.validation.montecarlo import run_monte_carlo
from cfgmft.validation.scores import ContinuumSphere, FiniteMixture

K, D = 1500, 8


def _mixture(precision="float64"):
    return FiniteMixture.from_prior(K, D, "sphere", 0.8, rng=np.random.SeedSequence(21), chunk_size=200,
                                    precision=precision)


def _points(n=40):
    return np.random.default_rng(3).standard_normal((n, D)) * 1.4


def _problem(**kw):
    return Problem(Mixture(prior="sphere", classes=K, d=D, sigma2=0.8), Guidance(omega=2.0), Sampler(steps=25, **kw))


# -- torch ------------------------------------------------------------------------------------

try:
    import torch  # noqa: F401

    HAVE_TORCH = True
except ImportError:  # pragma: no cover - .ci/run installs torch
    HAVE_TORCH = False
torch_needed = pytest.mark.skipif(not HAVE_TORCH, reason="torch is not installed (pip install \"cfgmft[diffusers]\")")


@torch_needed
@pytest.mark.parametrize("t", [0.0, 0.3, 1.0, 4.0])
def test_torch_sums_equal_numpy_to_float64_rounding(t):
    m = _mixture()
    tm = to_backend(m, "torch", "cpu")
    assert (tm.backend, tm.device) == ("torch", "cpu")
    x = _points()
    E, lse, c = m.posterior_stats(x, t, want_lse=True, want_spread=True)
    E2, lse2, c2 = tm.posterior_stats(x, t, want_lse=True, want_spread=True)
    # |mu| = sqrt(D): E is a convex combination of the means, the sums' relative rounding ~K eps
    bound = 64 * np.finfo(float).eps * np.sqrt(D)
    assert np.max(np.abs(E2 - E)) <= bound
    assert np.max(np.abs(lse2 - lse)) <= 64 * np.finfo(float).eps * max(1.0, np.max(np.abs(lse)))
    assert np.max(np.abs(c2 - c)) <= bound


@torch_needed
def test_torch_float32_sums_within_the_float32_logit_rounding():
    m32 = _mixture("float32")
    tm32 = to_backend(m32, "torch", "cpu")
    x = _points()
    for t in (0.0, 1.0):
        E, lse, _ = m32.posterior_stats(x, t, want_lse=True)
        E2, lse2, _ = tm32.posterior_stats(x, t, want_lse=True)
        # both round the logits by about float32_logit_error (absolute), the weights inherit it relative
        err = 4 * m32.float32_logit_error(t, x_norm=float(np.max(np.linalg.norm(x, axis=1))))
        assert np.max(np.abs(lse2 - lse)) <= err
        assert np.max(np.abs(E2 - E)) <= 2 * err * np.sqrt(D)
        assert np.max(np.abs(E2 - E)) > 0  # really another implementation, not the same code


@torch_needed
@pytest.mark.parametrize("stages", [1, 2])
def test_seeded_simulation_is_the_same_on_torch(stages):
    m = _mixture()
    mu = m.mean_of(0)
    a = run_monte_carlo(m, mu, 0.8, 2.0, n=64, steps=60, rng=9, c=0, keep_samples=True, stages=stages)
    b = run_monte_carlo(to_backend(m, "torch"), mu, 0.8, 2.0, n=64, steps=60, rng=9, c=0, keep_samples=True,
                        stages=stages)
    assert a.parameters["stages"] == b.parameters["stages"] == stages
    assert np.max(np.abs(a.samples - b.samples)) <= 1e-10
    assert (b.parameters["backend"], b.parameters["device"]) == ("torch", "cpu")
    assert a.parameters["backend"] == "numpy"
    assert abs(a.estimates.var_ratio.value - b.estimates.var_ratio.value) <= 1e-10


@torch_needed
def test_torch_refusals_name_their_argument():
    with pytest.raises(ParameterError, match="device"):
        to_backend(_mixture(), "torch", "tpu")
    with pytest.raises(ParameterError, match="backend"):
        to_backend(ContinuumSphere(D, 0.8), "torch")
    with pytest.raises(ParameterError, match="prune"):
        to_backend(_mixture(), "torch").pruned(0.01)
    if not torch.cuda.is_available():
        with pytest.raises(ParameterError, match="cuda"):
            to_backend(_mixture(), "torch", "cuda")


def test_backend_checks():
    assert check_backend("numpy") == ("numpy", None)
    with pytest.raises(ParameterError, match="backend"):
        check_backend("jax")
    with pytest.raises(ParameterError, match="device"):
        check_backend("numpy", "cuda")


# -- sharded ----------------------------------------------------------------------------------

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed (the test extra has it)")


@pytest.fixture(scope="module")
def client():
    from cfgmft.sweep import dask_client

    with dask_client("local:2") as c:
        yield c


def test_shards_hold_exactly_their_rows_of_the_draw():
    whole = _mixture()
    for rows in [(0, 1), (0, K), (700, 701), (100, 1499)]:
        shard = FiniteMixture.from_prior(K, D, "sphere", 0.8, rng=np.random.SeedSequence(21), chunk_size=200,
                                         rows=rows, block=256)
        assert np.array_equal(shard.means, whole.means[rows[0]:rows[1]])


def test_sharded_sums_classifier_and_lookup_equal_in_process(client):
    from cfgmft.validation.sharded import ShardedMixture

    whole = _mixture()
    sh = ShardedMixture(client, K, D, "sphere", 0.8, np.random.SeedSequence(21), shards=3, chunk_size=200)
    assert sh.shards == [(0, 500), (500, 1000), (1000, 1500)]
    x = _points()
    for t in (0.0, 0.5, 3.0):
        a = whole.posterior_stats(x, t, want_lse=True, want_spread=True)
        b = sh.posterior_stats(x, t, want_lse=True, want_spread=True)
        for u, v in zip(a, b):
            assert np.max(np.abs(u - v)) <= 1e-13
    assert np.array_equal(sh.mean_of(777), whole.means[777])
    assert sh.class_index(whole.means[1234]) == 1234
    assert sh.class_index(np.zeros(D)) is None
    for c in (0, 499, 500, 1499):
        (p1, m1), (p2, m2) = whole.bayes_classify(x, c=c), sh.bayes_classify(x, c=c)
        assert np.array_equal(p1, p2)
        assert np.max(np.abs(m1 - m2)) <= 1e-13
    assert sh.float32_logit_error(0.0) == whole.float32_logit_error(0.0)
    with pytest.raises(ParameterError, match="means"):
        sh.means  # noqa: B018


def test_sharded_simulation_equals_in_process(client):
    kw = dict(samples=32, seed=4)
    here = simulate(_problem(), **kw)
    there = simulate(_problem(), scheduler="local:2", **kw)
    assert there["backend"] == "dask" and here["backend"] == "numpy"
    for key in ("m_final", "var_ratio", "accuracy", "margin", "log_odds"):
        assert abs(here[key]["mean"] - there[key]["mean"]) <= 1e-10, key


def test_sharded_simulation_of_a_guidance_rule_equals_in_process(client):
    """A rule acts on the two predictions in this process: the shards only sum over classes."""
    prob = Problem(Mixture(prior="sphere", classes=K, d=D, sigma2=0.8), Guidance(omega=2.0, rule="rescale:phi=0.7"),
                   Sampler(steps=25))
    here = simulate(prob, samples=32, seed=4)
    there = simulate(prob, scheduler="local:2", samples=32, seed=4)
    assert here["guidance"] == there["guidance"] == "rescale:phi=0.7"
    for key in ("m_final", "var_ratio", "accuracy"):
        assert abs(here[key]["mean"] - there[key]["mean"]) <= 1e-10, key
    cfg = simulate(_problem(), samples=32, seed=4)
    assert abs(cfg["var_ratio"]["mean"] - here["var_ratio"]["mean"]) > 1e-3  # the rule changed the samples


def test_sharded_grid_simulation_of_a_rule_and_its_grid_options_equals_in_process(client):
    """The grid Monte Carlo (simulate --grid) with a rule: the shards sum over classes, the rule and
    APG's momentum buffer act in this process; numpy, torch and the shards give the same result."""
    for rule in ("apg:eta=0,r=0.05,momentum=-0.5", "zerostar:zero_init=1"):
        prob = Problem(Mixture(prior="sphere", classes=K, d=D, sigma2=0.8), Guidance(omega=2.0, rule=rule), Sampler())
        kw = dict(samples=32, seed=4, grid="karras:10:0.002:80", update="heun")
        here = simulate(prob, **kw)
        there = simulate(prob, scheduler="local:2", **kw)
        assert here["guidance"] == there["guidance"] == rule and there["backend"] == "dask"
        for key in ("m_final", "var_ratio", "accuracy"):
            assert abs(here[key]["mean"] - there[key]["mean"]) <= 1e-10, (rule, key)
        if HAVE_TORCH:
            on_torch = simulate(prob, backend="torch", **kw)
            for key in ("m_final", "var_ratio", "accuracy"):
                assert abs(here[key]["mean"] - on_torch[key]["mean"]) <= 1e-10, (rule, key)


def test_sharded_tolerance_path_pilots_in_its_own_precision(client):
    kw = dict(samples=16, seed=4, tol=2e-2)
    here = simulate(_problem(), **kw)
    there = simulate(_problem(), scheduler="local:2", **kw)
    assert here["step_control"]["pilot_precision"] == "float32"
    assert there["step_control"]["pilot_precision"] == "float64" and there["stages"] == 2
    # the float32 pilot's bounds are the float64 one's to ~1e-6 relative: the same steps here
    assert there["steps"] == here["steps"]
    bh, bt = here["step_control"]["error_bound_per_draw"][0], there["step_control"]["error_bound_per_draw"][0]
    assert abs(bh - bt) <= 1e-3 * bt


def test_sharded_refusals(cli):
    with pytest.raises(ParameterError, match="scheduler"):
        simulate(Problem(Mixture(prior="sphere", classes=math.inf, d=D, sigma2=0.8), Guidance(omega=2.0), Sampler(steps=10)),
                 samples=8, scheduler="local:2")
    with pytest.raises(ParameterError, match="backend"):
        simulate(_problem(), samples=8, scheduler="local:2", backend="torch")
    code, out, err = cli(["simulate", "--classes", "100", "--d", "4", "--omega", "1", "--steps", "5", "--samples", "8",
                          "--scheduler", "local:zero"])
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "scheduler" in err
    code, out, err = cli(["simulate", "--classes", "100", "--d", "4", "--omega", "1", "--steps", "5", "--samples", "8",
                          "--device", "cuda"])
    assert code == 2 and "device" in err and "Traceback" not in err


def test_sharded_memory_check_and_closed_mixture(client):
    from cfgmft.validation.sharded import ShardedMixture

    with pytest.raises(ParameterError, match="scheduler"):
        ShardedMixture(client, 10**12, 64, "sphere", 1.0, 0)  # far beyond a local worker's memory
    sh = ShardedMixture(client, 40, D, "sphere", 0.8, 1, shards=5)
    assert len(sh.shards) == 5
    sh.close()
    with pytest.raises(ParameterError, match="closed"):
        sh.posterior_stats(_points(), 0.5)
