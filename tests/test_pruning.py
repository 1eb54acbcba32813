"""Exact pruning of the streamed sums: the pruned posterior statistics stay within the stated
bound of the full ones, pruning does skip work where the posterior has committed, and f = 0 is
the unpruned path."""

import math

import numpy as np
import pytest

from cfgmft.errors import ParameterError
from cfgmft.validation.samplers import sample
from cfgmft.validation.scores import FiniteMixture


def _points(den, t, n=64, seed=1):
    rng = np.random.default_rng(seed)
    mu = den.means[:n]
    G = den.sigma2 * math.exp(-2 * t) - math.expm1(-2 * t)
    return math.exp(-t) * mu + math.sqrt(G) * rng.standard_normal(mu.shape)


@pytest.mark.parametrize("precision", ["float64", "float32"])
@pytest.mark.parametrize("f", [1e-2, 1e-6])
def test_pruned_sums_within_the_bound(precision, f):
    den = FiniteMixture.from_prior(6000, 12, "gaussian", 0.05, rng=0, chunk_size=128, precision=precision)
    M = math.sqrt(float(den.norms2.max()))
    skipped = 0
    for t in (2.0, 0.3, 0.05, 0.0):
        x = _points(den, t)
        E, lse, c = den.posterior_stats(x, t, want_lse=True, want_spread=True)
        p = den.pruned(f)
        p.pair_counts = [0, 0]
        Ep, lp, cp = p.posterior_stats(x, t, want_lse=True, want_spread=True)
        skipped += p.pair_counts[1] - p.pair_counts[0]
        r = f / (1 - f)
        # the bound, plus the rounding of the sums (float32: its logits' rounding, relative)
        slack = 1e-12 if precision == "float64" else 1e-4
        assert np.all(np.abs(Ep - E) <= 2 * r * M + slack * M)
        assert np.all(np.abs(lp - lse) <= -math.log1p(-f) + slack * (1 + np.abs(lse)))
        assert np.all(np.abs(cp - c) <= 5 * r * M * M / den.d + slack * M * M)
    assert skipped > 0  # the bound was exercised: some (row, chunk) pairs were pruned


def test_no_pruning_is_the_exact_path_and_bad_fraction():
    den = FiniteMixture.from_prior(500, 6, "gaussian", 0.1, rng=2, chunk_size=64)
    mu_c = den.means[0].copy()
    a = sample(den, mu_c, 0.1, 2.0, "sde", steps=30, n=40, rng=3)
    b = sample(den.pruned(0.0), mu_c, 0.1, 2.0, "sde", steps=30, n=40, rng=3)
    assert np.array_equal(a.x, b.x)
    for bad in (-1e-3, 0.6, float("nan")):
        with pytest.raises(ParameterError, match="^prune"):
            den.pruned(bad)
