"""The numba float64 exp of cfgmft.validation._fastexp(_jit): ulp accuracy against np.exp (random
points and edge cases), and the streamed sums of FiniteMixture with it against numpy's exp."""

import numpy as np
import pytest

from cfgmft.validation import _fastexp as fe
from cfgmft.validation.scores import FiniteMixture


def fast_exp(x):
    y = np.array(x, dtype=np.float64, copy=True).reshape(-1)
    fe.exp_inplace(y)
    return y.reshape(np.shape(x))


def ulp_distance(a, b):
    """|a - b| in units in the last place, for finite non-negative floats (their bit patterns
    are then ordered like the values, across the subnormals too)."""
    assert np.all(a >= 0) and np.all(b >= 0)
    return np.abs(a.view(np.int64) - b.view(np.int64))


@pytest.fixture
def backend():
    """Restore the exp backend chosen by CFGMFT_EXP/auto after a test that sets it."""
    before = fe._state["fast"]
    yield
    fe._state["fast"] = before


@pytest.mark.parametrize("lo, hi", [(-745.0, 64.0), (-745.0, 0.0), (-0.35, 0.35), (-745.2, -708.0), (-30.0, 30.0)])
def test_ulp_random(lo, hi):
    x = np.random.default_rng(12345).uniform(lo, hi, 2_000_000)
    u = ulp_distance(fast_exp(x), np.exp(x))
    assert u.max() <= 1


def test_ulp_ten_million():
    """The brief's check: >= 1e7 points over [-745, 0] and the slack up to +64."""
    x = np.random.default_rng(7).uniform(-745.0, 64.0, 10_000_000)
    assert ulp_distance(fast_exp(x), np.exp(x)).max() <= 1


def test_edge_cases():
    tiny = np.array([0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, -2.2250738585072014e-308, 1e-300, -1e-17, 1e-17])
    np.testing.assert_array_equal(fast_exp(tiny), np.ones_like(tiny))
    # exactly 0 below the rounding threshold log(2^-1075) = -745.1332191019412
    under = np.array([-745.1332191019412, -745.14, -745.2, -746.0, -800.0, -1e4, -1e300, -np.inf])
    np.testing.assert_array_equal(fast_exp(under), 0.0)
    assert fast_exp(np.array([-745.1332191019411]))[0] == 5e-324
    # subnormal results and the normal/subnormal boundary, and exactly representable inputs
    edge = np.array([-745.0, -744.44, -740.0, -720.5, -709.0, -708.4, -708.39, -708.396418532264, -708.0,
                     -707.9, -1.0, -0.5, -0.25, 0.25, 0.5, 1.0, 2.0, 10.0, 32.0, 63.5, 64.0, 100.0, 709.0, 709.78])
    u = ulp_distance(fast_exp(edge), np.exp(edge))
    assert u.max() <= 1
    # integers and multiples of ln 2 (k exact, r ~ 0)
    k = np.arange(-1074, 1024)
    xs = np.concatenate([k * np.log(2.0), np.arange(-745.0, 65.0)])
    assert ulp_distance(fast_exp(xs), np.exp(xs)).max() <= 1
    # overflow and NaN
    with np.errstate(over="ignore"):
        big = np.array([709.79, 710.0, 800.0, 1e300, np.inf])
        np.testing.assert_array_equal(fast_exp(big), np.exp(big))
    assert np.isnan(fast_exp(np.array([np.nan]))[0])
    assert fe.exp_scalar(0.0) == 1.0


def test_subnormal_range_dense():
    """Every subnormal result within 1 ulp (of the subnormal spacing 2^-1074) of numpy's."""
    x = np.linspace(-745.2, -708.3, 400_001)
    assert ulp_distance(fast_exp(x), np.exp(x)).max() <= 1


def test_backend_choice(backend, monkeypatch):
    assert fe.set_exp_backend("numba") is True and fe.use_fast_exp()
    assert fe.set_exp_backend("numpy") is False and not fe.use_fast_exp()
    assert fe.set_exp_backend("auto") is (not fe.numpy_has_simd_exp64())
    with pytest.raises(ValueError):
        fe.set_exp_backend("fast")
    monkeypatch.setenv("CFGMFT_EXP", "numba")
    fe._state["fast"] = None
    assert fe.use_fast_exp()


def _stats(mix, x, t):
    return mix.posterior_stats(x, t, want_lse=True, want_spread=True)


@pytest.mark.parametrize("t", [0.0, 0.02, 0.3, 2.0])
@pytest.mark.parametrize("chunk", [None, 700])
def test_streamed_sums_equal_numpy_exp(backend, t, chunk):
    """Posterior mean, log-partition and spread with the numba exp equal the numpy-exp ones to
    rounding (K not a multiple of the chunk: a shorter last chunk; N > ROW_BLOCK)."""
    mix = FiniteMixture.from_prior(5000, 12, "gaussian", 0.1, rng=4, chunk_size=chunk)
    x = np.random.default_rng(5).standard_normal((300, 12)) * 1.3
    fe.set_exp_backend("numpy")
    E0, l0, c0 = _stats(mix, x, t)
    fe.set_exp_backend("numba")
    E1, l1, c1 = _stats(mix, x, t)
    scale = np.abs(mix.means).max()
    assert np.abs(E1 - E0).max() <= 2e-15 * scale
    np.testing.assert_allclose(l1, l0, rtol=2e-15, atol=1e-13)
    np.testing.assert_allclose(c1, c0, rtol=1e-12, atol=1e-14 * scale**2)


def test_streamed_sums_pruned_and_skipped_rows(backend):
    """Rows gathered (some rows of a chunk skipped: far-away points at t = 0, and pruning)."""
    mix = FiniteMixture.from_prior(3000, 8, "sphere", 0.05, rng=1, chunk_size=512)
    rng = np.random.default_rng(0)
    x = np.concatenate([mix.means[rng.integers(0, 3000, 40)] + 0.05 * rng.standard_normal((40, 8)),
                        4.0 * rng.standard_normal((20, 8))])
    for m in (mix, mix.pruned(1e-3)):
        fe.set_exp_backend("numpy")
        E0, l0, c0 = _stats(m, x, 0.0)
        fe.set_exp_backend("numba")
        E1, l1, c1 = _stats(m, x, 0.0)
        assert np.abs(E1 - E0).max() <= 2e-15 * np.abs(mix.means).max()
        np.testing.assert_allclose(l1, l0, rtol=2e-15, atol=1e-12)


def test_float32_path_unchanged(backend):
    """The float32 path keeps numpy's float32 exp whatever the backend."""
    mix = FiniteMixture.from_prior(2000, 8, "gaussian", 0.1, rng=2, precision="float32")
    x = np.random.default_rng(1).standard_normal((50, 8))
    fe.set_exp_backend("numpy")
    E0, l0, _ = mix.posterior_stats(x, 0.1, want_lse=True)
    fe.set_exp_backend("numba")
    E1, l1, _ = mix.posterior_stats(x, 0.1, want_lse=True)
    np.testing.assert_array_equal(E1, E0)
    np.testing.assert_array_equal(l1, l0)


def test_numba_not_imported_with_numpy_exp():
    """With CFGMFT_EXP=numpy the float64 streamed sums never import numba."""
    import os
    import subprocess
    import sys

    code = ("import sys, numpy as np\n"
            "from cfgmft.validation.scores import FiniteMixture\n"
            "m = FiniteMixture.from_prior(300, 4, 'gaussian', 0.1, rng=0)\n"
            "m.posterior_mean(np.zeros((3, 4)), 0.5)\n"
            "print('numba' in sys.modules)\n")
    env = dict(os.environ, CFGMFT_EXP="numpy")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
