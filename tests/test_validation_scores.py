"""Exact scores of the mixture and of its continuum limits: finite differences, dense
references, high-precision references, chunking."""

import math

import mpmath as mp
import numpy as np
import pytest
from scipy import special

from cfgmft.validation.mixture import as_generator, draw_means
from cfgmft.validation.scores import (
    ContinuumGaussian,
    ContinuumSphere,
    FiniteMixture,
    Gamma,
    NonFiniteError,
    bessel_ratio,
    cond_score,
    guided_mean,
    guided_score,
    log_vmf_partition,
)


def fd_grad(f, x, h=1e-5):
    """Central finite-difference gradient of a function of an (N, d) array returning (N,)."""
    g = np.empty_like(x)
    for j in range(x.shape[1]):
        e = np.zeros(x.shape[1])
        e[j] = h
        g[:, j] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def log_normal(x, mean, var):
    d = x.shape[1]
    return -((x - mean) ** 2).sum(1) / (2 * var) - 0.5 * d * math.log(2 * math.pi * var)


# ----------------------------------------------------------------------------- mixture set-up


def test_draw_means_priors():
    mu = draw_means(2000, 6, "sphere", 1)
    assert mu.shape == (2000, 6)
    np.testing.assert_allclose((mu**2).sum(1), 6.0, rtol=1e-12)
    g = draw_means(20000, 3, "gaussian", 2)
    assert abs(g.mean()) < 0.02 and abs(g.var() - 1) < 0.02
    np.testing.assert_array_equal(draw_means(5, 3, "gaussian", 7), draw_means(5, 3, "gaussian", np.random.default_rng(7)))
    with pytest.raises(ValueError, match="prior"):
        draw_means(3, 3, "cube", 0)
    with pytest.raises(ValueError, match="K"):
        draw_means(0, 3, "gaussian", 0)
    with pytest.raises(TypeError):
        as_generator("seed")


def test_gamma_small_t_precision():
    s2 = 1e-4
    t = 1e-12
    # Gamma = sigma2 e^{-2t} + 1 - e^{-2t} = s2 + (1 - s2) 2t + O(t^2)
    assert Gamma(t, s2) == pytest.approx(s2 + (1 - s2) * 2 * t, rel=1e-14)
    assert Gamma(0.0, s2) == s2


# ----------------------------------------------------------------------------- finite differences


@pytest.mark.parametrize("t", [0.05, 0.7, 3.0])
def test_finite_mixture_scores_match_finite_differences(t):
    rng = np.random.default_rng(0)
    K, d, s2, omega = 7, 5, 0.3, 1.7
    means = draw_means(K, d, "gaussian", rng)
    mix = FiniteMixture(means, s2, chunk_size=3)
    G = float(Gamma(t, s2))
    x = math.exp(-t) * means[rng.integers(0, K, 6)] + math.sqrt(G) * rng.standard_normal((6, d))
    scale = 1.0 / G  # scores are O(|x|/Gamma)

    s_u = mix.uncond_score(x, t)
    np.testing.assert_allclose(s_u, fd_grad(lambda y: mix.log_density(y, t), x), atol=1e-6 * scale)

    c = 2
    logc = lambda y: log_normal(y, math.exp(-t) * means[c], G)  # noqa: E731
    np.testing.assert_allclose(mix.cond_score(x, t, c), fd_grad(logc, x), atol=1e-6 * scale)

    target = lambda y: (1 + omega) * logc(y) - omega * mix.log_density(y, t)  # noqa: E731
    s_g = mix.guided_score(x, t, c, omega)
    np.testing.assert_allclose(s_g, fd_grad(target, x), atol=1e-5 * scale)
    np.testing.assert_array_equal(s_g, guided_score(mix, x, t, means[c], s2, omega))
    # the decomposition s = -x/Gamma + e^{-t} D / Gamma
    D = guided_mean(mix, x, t, means[c], omega)
    np.testing.assert_allclose(s_g, (-x + math.exp(-t) * D) / G, rtol=1e-12, atol=1e-12 * scale)


def test_log_density_normalised_one_dimension():
    means = np.array([[-1.0], [0.5], [2.0]])
    mix = FiniteMixture(means, 0.2)
    grid = np.linspace(-12, 12, 200001)[:, None]
    for t in [0.0, 0.4]:
        p = np.exp(mix.log_density(grid, t))
        assert np.trapezoid(p, grid[:, 0]) == pytest.approx(1.0, rel=1e-9)


@pytest.mark.parametrize("t", [0.1, 1.2])
def test_continuum_gaussian(t):
    rng = np.random.default_rng(1)
    s2, d = 0.2, 6
    den = ContinuumGaussian(s2)
    x = rng.standard_normal((5, d)) * 1.3
    G = 1 + s2 * math.exp(-2 * t)
    s_u = den.uncond_score(x, t)
    np.testing.assert_allclose(s_u, -x / G, rtol=1e-13)
    np.testing.assert_allclose(s_u, fd_grad(lambda y: den.log_density(y, t), x), atol=1e-7)
    np.testing.assert_allclose(den.log_density(x, t), log_normal(x, 0.0, G), rtol=1e-13)
    # posterior spread of mu: Gamma / G
    np.testing.assert_allclose(den.posterior_spread(x, t), float(Gamma(t, s2)) / G, rtol=1e-13)


def test_continuum_gaussian_is_the_limit_of_many_classes():
    # K -> infinity with the gaussian prior: the posterior mean tends to e^{-t} x / G_t
    d, s2, t = 2, 0.3, 0.8
    mix = FiniteMixture(draw_means(400_000, d, "gaussian", 3), s2, chunk_size=50_000)
    x = np.array([[0.3, -0.8], [1.5, 0.4], [0.0, 0.1]])
    np.testing.assert_allclose(mix.posterior_mean(x, t), ContinuumGaussian(s2).posterior_mean(x, t), atol=0.01)


@pytest.mark.parametrize("d", [3, 16, 4000])
def test_continuum_sphere_scores_match_finite_differences(d):
    rng = np.random.default_rng(2)
    s2, t = 0.1, 0.9 if d < 1000 else 4.0
    den = ContinuumSphere(d, s2)
    G = float(Gamma(t, s2))
    u = rng.standard_normal((4, d))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    x = math.exp(-t) * math.sqrt(d) * u + math.sqrt(G) * rng.standard_normal((4, d))
    s_u = den.uncond_score(x, t)
    if d < 50:
        fd = fd_grad(lambda y: den.log_density(y, t), x)
    else:  # directional derivatives only, for speed
        dirs = rng.standard_normal((3, d))
        fd = None
        for v in dirs:
            h = 1e-5
            dd = (den.log_density(x + h * v, t) - den.log_density(x - h * v, t)) / (2 * h)
            np.testing.assert_allclose(s_u @ v, dd, rtol=1e-6, atol=1e-6)
    if fd is not None:
        np.testing.assert_allclose(s_u, fd, atol=1e-6 / G)


def test_continuum_sphere_closed_forms_d3():
    # d = 3: A_{3/2}(k) = coth k - 1/k (Langevin), vMF log-partition log(sinh k / k)
    k = np.array([0.05, 0.7, 3.0, 40.0, 600.0])
    np.testing.assert_allclose(bessel_ratio(1.5, k), 1 / np.tanh(k) - 1 / k, rtol=1e-10)
    np.testing.assert_allclose(log_vmf_partition(3, k), k + np.log(-np.expm1(-2 * k) / (2 * k)), rtol=1e-13)
    # d = 2: A_1 = I_1 / I_0
    np.testing.assert_allclose(bessel_ratio(1.0, k), special.ive(1, k) / special.ive(0, k), rtol=1e-13)
    assert bessel_ratio(5.0, np.array([0.0]))[0] == 0.0


@pytest.mark.parametrize("d,kappa", [(16, 1e-3), (16, 30.0), (200, 5.0), (3000, 40.0), (3000, 2500.0), (10000, 7000.0)])
def test_bessel_ratio_and_partition_against_mpmath(d, kappa):
    mp.mp.dps = 40
    nu = mp.mpf(d) / 2
    ref = mp.besseli(nu, kappa, maxterms=10**6) / mp.besseli(nu - 1, kappa, maxterms=10**6)
    assert bessel_ratio(d / 2, np.array([kappa]))[0] == pytest.approx(float(ref), rel=1e-12)
    ref_z = mp.log(mp.gamma(nu) * (2 / mp.mpf(kappa)) ** (nu - 1) * mp.besseli(nu - 1, kappa, maxterms=10**6))
    assert log_vmf_partition(d, np.array([kappa]))[0] == pytest.approx(float(ref_z), rel=1e-12, abs=1e-300)


def test_continuum_sphere_is_the_limit_of_many_classes():
    d, s2, t = 3, 0.2, 0.7
    mix = FiniteMixture(draw_means(400_000, d, "sphere", 4), s2, chunk_size=50_000)
    den = ContinuumSphere(d, s2)
    x = np.array([[0.3, -0.8, 0.2], [1.5, 0.4, -1.0], [0.0, 0.1, 0.0]])
    np.testing.assert_allclose(mix.posterior_mean(x, t), den.posterior_mean(x, t), atol=0.01)
    np.testing.assert_allclose(mix.posterior_spread(x, t), den.posterior_spread(x, t), atol=0.01)
    assert np.all(den.posterior_mean(np.zeros((1, d)), t) == 0.0)


# ----------------------------------------------------------------------------- streaming vs dense


def dense_stats(means, x, t, s2):
    G = float(Gamma(t, s2))
    L = math.exp(-t) / G * (x @ means.T) - math.exp(-2 * t) / (2 * G) * (means**2).sum(1)
    Lmax = L.max(1, keepdims=True)
    W = np.exp(L - Lmax)
    Z = W.sum(1, keepdims=True)
    W /= Z
    E = W @ means
    lse = (Lmax + np.log(Z))[:, 0]
    spread = (W @ (means**2).sum(1) - (E**2).sum(1)) / means.shape[1]
    return W, E, lse, spread


@pytest.mark.parametrize("chunk", [1, 3, 7, 100])
@pytest.mark.parametrize("t", [1e-3, 0.3, 2.0])
def test_streamed_posterior_matches_dense(chunk, t):
    rng = np.random.default_rng(5)
    K, d, s2 = 7, 4, 0.05
    means = draw_means(K, d, "gaussian", rng)
    mix = FiniteMixture(means, s2, chunk_size=chunk)
    x = rng.standard_normal((9, d)) * 1.2
    W, E, lse, spread = dense_stats(means, x, t, s2)
    np.testing.assert_allclose(mix.posterior_mean(x, t), E, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mix.posterior_weights(x, t), W, rtol=1e-12, atol=1e-300)
    E2, lse2 = mix.posterior_mean_and_log_partition(x, t)
    np.testing.assert_allclose(lse2, lse, rtol=1e-13)
    np.testing.assert_allclose(mix.posterior_spread(x, t), spread, rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(mix.target_weight(x, t, 3), W[:, 3], rtol=1e-12, atol=1e-300)
    pred, margin = mix.bayes_classify(x, c=3)
    W0, *_ = dense_stats(means, x, 0.0, s2)
    np.testing.assert_array_equal(pred, W0.argmax(1))
    L0 = mix.logits(x, 0.0)
    comp = np.delete(L0, 3, axis=1).max(1)
    np.testing.assert_allclose(margin, (L0[:, 3] - comp) / d, rtol=1e-12)


def test_chunk_size_invariance_large_K():
    rng = np.random.default_rng(6)
    K, d, s2, t = 1000, 16, 1e-2, 0.05
    means = draw_means(K, d, "gaussian", rng)
    x = math.exp(-t) * means[:20] + 0.3 * rng.standard_normal((20, d))
    ref = FiniteMixture(means, s2, chunk_size=K)._stream(x, t, want_spread=True)
    for chunk in [1, 7, 128, 999, 5000]:
        got = FiniteMixture(means, s2, chunk_size=chunk)._stream(x, t, want_spread=True)
        for a, b in zip(got, ref):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------------------- stability


def mp_reference(means, x, t, s2, mu_c, omega, dps=50):
    """Posterior mean and guided score at high precision (inputs taken as exact binary floats)."""
    mp.mp.dps = dps
    e = mp.exp(-mp.mpf(t))
    G = mp.mpf(s2) * e**2 + (1 - e**2)
    out_E, out_s = [], []
    for xi in x:
        xm = [mp.mpf(float(v)) for v in xi]
        logits = []
        for mu in means:
            dot = mp.fsum(a * mp.mpf(float(b)) for a, b in zip(xm, mu))
            n2 = mp.fsum(mp.mpf(float(b)) ** 2 for b in mu)
            logits.append(e * dot / G - e**2 * n2 / (2 * G))
        lmax = max(logits)
        w = [mp.exp(L - lmax) for L in logits]
        Z = mp.fsum(w)
        E = [mp.fsum(wk * mp.mpf(float(mu[j])) for wk, mu in zip(w, means)) / Z for j in range(len(xm))]
        D = [(1 + omega) * mp.mpf(float(mu_c[j])) - omega * E[j] for j in range(len(xm))]
        s = [(-xm[j] + e * D[j]) / G for j in range(len(xm))]
        out_E.append([float(v) for v in E])
        out_s.append([float(v) for v in s])
    return np.array(out_E), np.array(out_s)


@pytest.mark.parametrize("t", [1e-6, 1e-3])
def test_stability_small_t_large_omega(t):
    rng = np.random.default_rng(7)
    K, d, s2, omega = 1000, 16, 1e-4, 50.0
    means = draw_means(K, d, "gaussian", rng)
    mix = FiniteMixture(means, s2, chunk_size=97)
    c = 0
    G = float(Gamma(t, s2))
    # a point of the target class, a point on the bisector of c and its nearest competitor
    # (logit gap O(1) while logits are O(d / sigma2)), and a point far from every class
    j = int(np.argsort(((means - means[c]) ** 2).sum(1))[1])
    a = math.exp(-t) / G
    b = math.exp(-2 * t) / (2 * G)
    mid = math.exp(-t) * 0.5 * (means[c] + means[j])
    dmu = means[c] - means[j]
    # shift along dmu so that l_c - l_j = 0.7
    gap0 = a * mid @ dmu - b * (means[c] @ means[c] - means[j] @ means[j])
    bis = mid + (0.7 - gap0) / (a * dmu @ dmu) * dmu
    x = np.stack(
        [
            math.exp(-t) * means[c] + math.sqrt(G) * rng.standard_normal(d),
            bis,
            3.0 * rng.standard_normal(d),
        ]
    )
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        E = mix.posterior_mean(x, t)
        s = mix.guided_score(x, t, c, omega)
    assert np.all(np.isfinite(E)) and np.all(np.isfinite(s))
    E_ref, s_ref = mp_reference(means, x, t, s2, means[c], omega)
    np.testing.assert_allclose(E, E_ref, rtol=0, atol=1e-9 * np.abs(means).max())
    # the score is a difference of O(|x|/Gamma) terms: compare at that scale
    scale = (np.abs(x).max() + omega * np.abs(means).max()) / G
    np.testing.assert_allclose(s, s_ref, rtol=0, atol=1e-10 * scale)
    # the bisector point really has two competing classes
    w = mix.posterior_weights(x[1:2], t)[0]
    assert 0.1 < w[c] < 0.9 and 0.1 < w[j] < 0.9


def test_nonfinite_inputs_raise_clearly():
    mix = FiniteMixture(draw_means(5, 3, "gaussian", 0), 0.1)
    with pytest.raises(NonFiniteError):
        mix.posterior_mean(np.array([[np.nan, 0.0, 0.0]]), 0.1)
    with pytest.raises(ValueError, match="means"):
        FiniteMixture(np.array([[np.inf, 0.0]]), 0.1)
    with pytest.raises(ValueError, match="sigma2"):
        FiniteMixture(np.ones((2, 2)), 0.0)
    with pytest.raises(ValueError, match="t: must be"):
        mix.posterior_mean(np.zeros((1, 3)), -1.0)
    with pytest.raises(ValueError, match="dimension"):
        mix.posterior_mean(np.zeros((1, 4)), 0.1)
    with pytest.raises(ValueError, match="sigma2"):
        guided_score(mix, np.zeros((1, 3)), 0.1, mix.means[0], 0.2, 1.0)
    with pytest.raises(MemoryError):
        mix.posterior_weights(np.zeros((10, 3)), 0.1, max_elements=20)


def test_single_point_shapes():
    mix = FiniteMixture(draw_means(4, 3, "gaussian", 0), 0.1)
    x = np.array([0.1, -0.2, 0.3])
    assert mix.posterior_mean(x, 0.5).shape == (3,)
    assert np.ndim(mix.log_density(x, 0.5)) == 0
    np.testing.assert_allclose(cond_score(x, 0.5, mix.means[1], 0.1), mix.cond_score(x[None], 0.5, 1)[0])


# ----------------------------------------------------------------------------- streamed kernel paths


def test_from_prior_equals_draw_means():
    for prior in ["gaussian", "sphere"]:
        ref = FiniteMixture(draw_means(1001, 5, prior, 11), 0.3)
        got = FiniteMixture.from_prior(1001, 5, prior, 0.3, rng=11, block=64)
        np.testing.assert_array_equal(got.means, ref.means)
        np.testing.assert_array_equal(got.norms2, ref.norms2)
    with pytest.raises(ValueError, match="prior"):
        FiniteMixture.from_prior(3, 3, "cube", 0.1)


def test_storage_is_read_only_and_norms_exact():
    means = draw_means(50, 4, "gaussian", 12)
    mix = FiniteMixture(means, 0.2)
    np.testing.assert_array_equal(mix.means, means)
    np.testing.assert_allclose(mix.norms2, (means**2).sum(1), rtol=1e-15)
    with pytest.raises(ValueError):
        mix.means[0, 0] = 1.0
    means[0, 0] = 99.0  # the mixture holds its own copy
    assert mix.means[0, 0] != 99.0


@pytest.mark.parametrize("t", [0.0, 1e-3, 0.5])
def test_streamed_skip_and_reshift_paths_match_dense(t):
    # small sigma2 and spread-out points: at small t most (row, chunk) blocks have all their
    # shifted logits below -746 (skipped, exactly zero) and running shifts jump by hundreds;
    # means sorted by their overlap with a direction so that later chunks raise the maximum
    rng = np.random.default_rng(13)
    K, d, s2 = 3000, 16, 1e-3
    means = draw_means(K, d, "gaussian", rng)
    means = means[np.argsort(means @ np.ones(d))]
    G = float(Gamma(t, s2))
    x = math.exp(-t) * means[rng.integers(0, K, 40)] + math.sqrt(G) * rng.standard_normal((40, d))
    x = np.vstack([x, 2.0 * rng.standard_normal((10, d))])
    _, E, lse, spread = dense_stats(means, x, t, s2)
    for chunk in [1, 64, 517, K]:
        mix = FiniteMixture(means, s2, chunk_size=chunk)
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            got_E, got_lse, got_c = mix._stream(x, t, want_spread=True)
        np.testing.assert_allclose(got_E, E, rtol=1e-12, atol=1e-12 * np.abs(means).max())
        np.testing.assert_allclose(got_lse, lse, rtol=1e-13)
        np.testing.assert_allclose(got_c, spread, rtol=1e-8, atol=1e-12)


def test_row_blocks_do_not_change_results():
    rng = np.random.default_rng(14)
    K, d, s2, t = 700, 8, 0.05, 0.2
    means = draw_means(K, d, "gaussian", rng)
    x = rng.standard_normal((FiniteMixture.ROW_BLOCK * 2 + 37, d))
    mix = FiniteMixture(means, s2, chunk_size=128)
    E, lse, c = mix._stream(x, t, want_spread=True)
    for lo, hi in [(0, 5), (250, 300), (x.shape[0] - 40, x.shape[0])]:
        E1, lse1, c1 = mix._stream(x[lo:hi], t, want_spread=True)
        np.testing.assert_allclose(E1, E[lo:hi], rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(lse1, lse[lo:hi], rtol=1e-14)
        np.testing.assert_allclose(c1, c[lo:hi], rtol=1e-10, atol=1e-15)
    _, E_ref, lse_ref, _ = dense_stats(means, x, t, s2)
    np.testing.assert_allclose(E, E_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(lse, lse_ref, rtol=1e-13)


# ----------------------------------------------------------------------------- the denoiser protocol


def test_denoisers_implement_the_protocol():
    from cfgmft.validation.scores import Denoiser, guided_mean_from_posterior

    rng = np.random.default_rng(4)
    d, s2, t, omega = 6, 0.3, 0.4, 1.5
    means = draw_means(9, d, "sphere", rng)
    x = rng.standard_normal((5, d))
    mix = FiniteMixture(means, s2, chunk_size=4)
    for den in (mix, ContinuumGaussian(s2), ContinuumGaussian(s2, d=d), ContinuumSphere(d, s2)):
        assert isinstance(den, Denoiser)
        assert den.sigma2 == s2 and den.precision == "float64"
        assert den.has_log_partition == (den is mix)
        E, lse, c = den.posterior_stats(x, t)
        assert lse is None and c is None
        np.testing.assert_array_equal(E, den.posterior_mean(x, t))
        E, _, c = den.posterior_stats(x, t, want_spread=True)
        assert E.dtype == np.float64 and E.shape == (5, d) and c.dtype == np.float64 and c.shape == (5,)
        np.testing.assert_array_equal(c, den.posterior_spread(x, t))
        D = guided_mean_from_posterior(means[0], omega, E)
        np.testing.assert_array_equal(D, guided_mean(den, x, t, means[0], omega))
        if not den.has_log_partition:
            with pytest.raises(NotImplementedError, match="log-partition"):
                den.posterior_stats(x, t, want_lse=True)
            with pytest.raises(NotImplementedError, match="log-partition"):
                den.logit_of(x, t, means[0])
    # the log-partition of the logits, and the logit of one class: exp(l_k - lse) = w_k
    E, lse, c = mix.posterior_stats(x, t, want_lse=True, want_spread=True)
    L = mix.logits(x, t)
    np.testing.assert_allclose(lse, special.logsumexp(L, axis=1), rtol=1e-13)
    np.testing.assert_allclose(mix.logit_of(x, t, means[3]), L[:, 3], rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(np.exp(mix.logit_of(x, t, means[3]) - lse), mix.posterior_weights(x, t)[:, 3],
                               rtol=1e-12)
    W = mix.posterior_weights(x, t)
    np.testing.assert_allclose(c, (W @ (means**2).sum(1) - (E**2).sum(1)) / d, rtol=1e-10, atol=1e-14)
    with pytest.raises(TypeError):
        mix.posterior_stats(x, t, True)  # the flags are keyword-only


def test_partial_sums_of_shards_combine_to_the_whole_mixture():
    """Sums of disjoint shards of the classes, combined (cfgmft.validation.scores.combine_sums),
    equal the whole mixture's streamed statistics to rounding."""
    from cfgmft.validation.scores import FiniteMixture, combine_sums, finish_sums

    rng = np.random.default_rng(5)
    K, d = 700, 6
    means = rng.standard_normal((K, d)) * 1.5
    x = rng.standard_normal((9, d)) * 2.0
    whole = FiniteMixture(means, 0.7, chunk_size=64)
    for t in (0.0, 0.3, 2.0):
        E, lse, c = whole.posterior_stats(x, t, want_lse=True, want_spread=True)
        cuts = [0, 1, 250, 251, 700]
        parts = [FiniteMixture(means[a:b], 0.7, chunk_size=64).partial_sums(x, t) for a, b in zip(cuts, cuts[1:])]
        E2, lse2, c2 = finish_sums(*combine_sums(parts), want_spread=True)
        np.testing.assert_allclose(E2, E, rtol=0, atol=1e-12)
        np.testing.assert_allclose(lse2, lse, rtol=1e-14, atol=1e-12)
        np.testing.assert_allclose(c2, c, rtol=0, atol=1e-12)
