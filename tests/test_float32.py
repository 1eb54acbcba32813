"""The float32 mode of the Monte Carlo, validated against float64 on the same problem:
posterior statistics of FiniteMixture, paired samples and statistics of a Monte Carlo run,
`cfgmft simulate --precision float32`, and the refusals."""

import json
import math

import numpy as np
import pytest

from cfgmft.errors import ParameterError
from cfgmft.params import Guidance, Mixture, Problem, Sampler
from cfgmft.api import simulate
from cfgmft.validation.montecarlo import run_monte_carlo
from cfgmft.validation.samplers import sample
from cfgmft.validation.scores import ContinuumGaussian, FiniteMixture, as_precision

U32 = 2.0**-24  # float32 unit roundoff


def _posterior_tolerance(mix32, x, t):
    """Bound on |E32 - E64| for the same means and points.

    The float32 product ``a x.mu_k - b |mu_k|^2 - shift`` rounds each logit by at most ``dl``
    ~ ``u (|a x.mu_k| + |b |mu_k|^2| + |shift|)`` (u = 2^-24 up to a small multiple for the
    d-term sum; FiniteMixture.float32_logit_error with the largest |x| of the batch gives
    ``2 u (a |x| max|mu| + b max|mu|^2)``). A logit error changes the weights by
    ``dw_k = w_k (dl_k - sum_j w_j dl_j)``, so ``|dE| = |sum_k dw_k (mu_k - E)| <= 2 dl * 2 max|mu|``.
    The float32 rounding of the weights, of the means and of the second product adds
    ``~ u sqrt(chunk) max|mu|``, bounded here by ``64 u max|mu|``. A factor 4 of slack covers the
    constant in the GEMM's accumulated rounding (~sqrt(d) u, not u, per logit).
    """
    mu_max = float(np.sqrt(mix32.norms2.max()))
    x_norm = float(np.sqrt(np.einsum("nd,nd->n", x, x).max()))
    dl = mix32.float32_logit_error(t, x_norm=x_norm)
    return 4.0 * (2.0 * dl * 2.0 * mu_max + 64.0 * U32 * mu_max)


@pytest.mark.parametrize("sigma2", [1.0, 0.1])
@pytest.mark.parametrize("chunk", [512, 4096])
def test_posterior_float32_against_float64(sigma2, chunk):
    K, d = 3000, 24
    mix32 = FiniteMixture.from_prior(K, d, "sphere", sigma2, rng=7, chunk_size=chunk, precision="float32")
    # the same model in float64: the float32 means, held exactly in float64
    mix64 = FiniteMixture(mix32.means.astype(np.float64), sigma2, chunk_size=chunk)
    assert mix32.means.dtype == np.float32 and mix32.norms2.dtype == np.float64
    assert mix32.precision == "float32" and mix64.precision == "float64"
    np.testing.assert_array_equal(mix32.norms2, mix64.norms2)
    rng = np.random.default_rng(3)
    for t in (0.0, 0.02, 0.2, 1.0, 4.0):
        # points near classes (the posterior concentrates) and between them
        e, G = math.exp(-t), (sigma2 * math.exp(-2 * t) - math.expm1(-2 * t))
        x = e * mix64.means[rng.integers(0, K, 64)] + math.sqrt(G) * rng.standard_normal((64, d))
        x = np.vstack([x, math.sqrt(e * e + G) * rng.standard_normal((32, d))])
        E32, lse32, c32 = mix32.posterior_stats(x, t, want_lse=True, want_spread=True)
        E64, lse64, c64 = mix64.posterior_stats(x, t, want_lse=True, want_spread=True)
        assert E32.dtype == np.float64 and lse32.dtype == np.float64
        tol = _posterior_tolerance(mix32, x, t)
        assert tol < 1e-2  # the bound is meaningful here: far below |mu| = sqrt(d)
        assert np.abs(E32 - E64).max() <= tol, (t, np.abs(E32 - E64).max(), tol)
        dl = mix32.float32_logit_error(t, x_norm=float(np.linalg.norm(x, axis=1).max()))
        # lse = shift + log(sum w): the logits' rounding, plus the float32 rounding of the
        # per-chunk sums of the weights (relative, ~u sqrt(chunk), bounded by 64 u)
        assert np.abs(lse32 - lse64).max() <= 4.0 * dl + 64 * U32
        assert np.abs(c32 - c64).max() <= tol * 2.0 * math.sqrt(d) / d + 64 * U32
        # the public methods agree too, and the float64 ones are untouched by the mode
        np.testing.assert_array_equal(mix32.logits(x[:3], t), mix64.logits(x[:3], t))
    # the public method, single points included
    x0 = mix64.means[:5] + 0.01 * rng.standard_normal((5, d))
    tol = _posterior_tolerance(mix32, x0, 0.0)
    assert np.abs(mix32.posterior_mean(x0, 0.0) - mix64.posterior_mean(x0, 0.0)).max() <= tol
    assert np.abs(mix32.posterior_mean(x0[0], 0.0) - mix64.posterior_mean(x0[0], 0.0)).max() <= tol


def test_float32_storage_and_conversion():
    means = np.random.default_rng(0).standard_normal((50, 8))
    m32 = FiniteMixture(means, 0.5, precision="float32")
    np.testing.assert_array_equal(m32.means, means.astype(np.float32))
    d = FiniteMixture.from_prior(50, 8, "gaussian", 0.5, rng=0, precision="float32")
    np.testing.assert_array_equal(d.means, FiniteMixture.from_prior(50, 8, "gaussian", 0.5, rng=0).means.astype(np.float32))
    m64 = FiniteMixture(means, 0.5)
    assert m64.with_precision("float64") is m64
    conv = m64.with_precision("float32")
    np.testing.assert_array_equal(conv.means, m32.means)
    assert "float32" in repr(conv) and "precision" not in repr(m64)
    with pytest.raises(ParameterError, match="precision"):
        FiniteMixture(means, 0.5, precision="float16")
    with pytest.raises(ParameterError, match="precision.*finite mixtures only"):
        as_precision(ContinuumGaussian(1.0), "float32")
    assert as_precision(ContinuumGaussian(1.0), "float64").precision == "float64"


def test_float32_overflow_safe_far_out():
    """Logits far above any float32 exp range (|x| large, small sigma2): the shift keeps them
    representable, the result is finite and matches float64."""
    mix64 = FiniteMixture.from_prior(700, 16, "gaussian", 0.01, rng=2)
    mix32 = mix64.with_precision("float32")
    ref = FiniteMixture(mix32.means.astype(np.float64), 0.01)
    x = 30.0 * np.random.default_rng(1).standard_normal((40, 16))  # logits ~ 1e4 - 1e5
    E32, lse32, _ = mix32.posterior_stats(x, 0.0, want_lse=True)
    E64, lse64, _ = ref.posterior_stats(x, 0.0, want_lse=True)
    assert np.all(np.isfinite(E32)) and np.all(np.isfinite(lse32))
    dl = mix32.float32_logit_error(0.0, x_norm=float(np.linalg.norm(x, axis=1).max()))
    assert np.abs(lse32 - lse64).max() <= 4.0 * dl + 64 * U32
    np.testing.assert_allclose(E32, E64, atol=0.05)  # weights of near-tied classes, error ~ dl ~ 1e-3


def _problem(d, classes, omega=2.0, steps=120, sampler="sde"):
    return Problem(Mixture(sigma2=0.5, prior="sphere", classes=classes, d=d), Guidance(omega=omega),
                   Sampler(kind=sampler, steps=steps))


@pytest.mark.parametrize("sampler", ["sde", "ode"])
def test_monte_carlo_paired_float32_against_float64(sampler):
    """Same means, same seed (same x_T and SDE noise): the paired samples differ by far less
    than the standard errors, and the estimates are indistinguishable."""
    d, K, n = 24, 400, 300
    # means that are float32 numbers: float32 and float64 runs are then the same model exactly
    mix64 = FiniteMixture.from_prior(K, d, "sphere", 0.5, rng=11, precision="float32").with_precision("float64")
    mu_c = mix64.means[0]
    kw = dict(n=n, steps=100, T=12.0, rng=5, c=0, keep_samples=True)
    r64 = run_monte_carlo(mix64, mu_c, 0.5, 2.0, sampler, **kw)
    r32 = run_monte_carlo(mix64, mu_c, 0.5, 2.0, sampler, precision="float32", **kw)
    assert r32.parameters["precision"] == "float32" and r64.parameters["precision"] == "float64"
    assert r32.samples.dtype == np.float64
    m32 = r32.samples @ mu_c / d
    m64 = r64.samples @ mu_c / d
    for key in ("m", "var_ratio", "kl_per_dim", "margin"):
        a, b = getattr(r32.estimates, key), getattr(r64.estimates, key)
        assert abs(a.value - b.value) < 3.0 * math.hypot(a.stderr, b.stderr), key
        # paired: the same noise, so the difference is the float32 rounding only
        assert abs(a.value - b.value) < 1e-3 * b.stderr, (key, a.value - b.value, b.stderr)
    assert np.abs(m32 - m64).max() < 1e-3 * r64.estimates.m.stderr
    assert np.abs(r32.samples - r64.samples).max() < 1e-4
    assert r32.estimates.accuracy.value == r64.estimates.accuracy.value
    # float64 means converted on the fly: the target is the rounded mean of the same class
    mix = FiniteMixture.from_prior(K, d, "sphere", 0.5, rng=11)
    r = run_monte_carlo(mix, mix.means[0], 0.5, 2.0, sampler, precision="float32", n=20, steps=20, T=10.0, rng=5,
                        c=0)
    assert r.parameters["precision"] == "float32" and r.parameters["target_index"] == 0
    assert abs(r.estimates.m.value - run_monte_carlo(mix, mix.means[0], 0.5, 2.0, sampler, n=20, steps=20, T=10.0,
                                                     rng=5, c=0).estimates.m.value) < 1e-4


def test_simulate_float32_against_float64():
    p = _problem(d=20, classes=300)
    a = simulate(p, samples=300, seed=4, precision="float32")
    b = simulate(p, samples=300, seed=4, precision="float64")
    assert a["precision"] == "float32" and b["precision"] == "float64"
    for key in ("m_final", "var_ratio", "mean_shift", "kl_per_dim", "margin"):
        da = a[key]["mean"] - b[key]["mean"]
        assert abs(da) < 3.0 * math.hypot(a[key]["stderr"], b[key]["stderr"]), key
        assert abs(da) < 1e-3 * b[key]["stderr"], (key, da)


def test_simulate_float32_refusals():
    with pytest.raises(ParameterError, match="^precision: .*continuum"):
        simulate(_problem(d=8, classes=math.inf), samples=10, precision="float32")
    # energy scale d / sigma2 too large for float32 logits
    p = Problem(Mixture(sigma2=1e-4, prior="sphere", classes=50, d=64), Guidance(omega=1.0), Sampler(kind="sde", steps=5))
    with pytest.raises(ParameterError, match="^precision: .*float32 rounds the logits"):
        simulate(p, samples=10, precision="float32")
    with pytest.raises(ParameterError, match="^precision"):
        simulate(_problem(d=8, classes=10), samples=10, precision="float16")


def test_cli_float32(cli):
    args = ["simulate", "--classes", "200", "--d", "16", "--prior", "sphere", "--omega", "2",
            "--samples", "200", "--steps", "60", "--seed", "2"]
    code, out, err = cli(args + ["--precision", "float32", "--json"])
    assert code == 0, err
    r32 = json.loads(out)
    assert r32["precision"] == "float32" and r32["K"] == 200
    code, out, err = cli(args + ["--json"])
    r64 = json.loads(out)
    assert r64["precision"] == "float64"
    assert abs(r32["m_final"]["mean"] - r64["m_final"]["mean"]) < 1e-3 * r64["m_final"]["stderr"]
    code, out, err = cli(args + ["--precision", "float32"])
    assert code == 0 and "precision float32" in out
    code, out, err = cli(["simulate", "--classes", "inf", "--d", "8", "--omega", "1", "--precision", "float32"])
    assert code == 2 and "--precision" in err and len(err.strip().splitlines()) == 1


def test_sample_records_precision():
    mix = FiniteMixture.from_prior(30, 6, "gaussian", 1.0, rng=0)
    r = sample(mix, mix.means[0], 1.0, 1.0, T=10.0, steps=10, n=8, rng=0, precision="float32", record="w_c")
    assert r.precision == "float32" and np.all(np.isfinite(r.records["w_c"]))
    assert sample(mix, mix.means[0], 1.0, 1.0, T=10.0, steps=10, n=8, rng=0).precision == "float64"
