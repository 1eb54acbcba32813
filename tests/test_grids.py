"""Sampler grids in noise levels and the per-step guidance rules converted to schedules."""

import math

import numpy as np
import pytest

from cfgmft.errors import ParameterError
from cfgmft.grids import (SigmaGrid, check_grid_array, diffusers_schedule, edm_interval_schedule, omega_at_midpoints,
                          per_step_schedule, sigma_grid, sigma_limits_schedule, with_breakpoints)
from cfgmft.schedules import Table, omega_function, parse_schedule

KARRAS_10 = "karras:10:0.002:80:7"


def _karras_reference(n, sigma_min, sigma_max, rho):
    """k-diffusion's get_sigmas_karras, in float64 numpy."""
    ramp = np.linspace(0, 1, n)
    min_inv_rho, max_inv_rho = sigma_min ** (1 / rho), sigma_max ** (1 / rho)
    return np.append((max_inv_rho + ramp * (min_inv_rho - max_inv_rho)) ** rho, 0.0)


def test_karras_grid():
    g = sigma_grid(KARRAS_10)
    assert isinstance(g, SigmaGrid) and g.steps == 10 and g.sigmas.shape == g.t.shape == (11,)
    np.testing.assert_allclose(g.sigmas, _karras_reference(10, 0.002, 80.0, 7.0), rtol=1e-14, atol=0)  # ramp ulps x rho
    i = np.arange(10)
    np.testing.assert_allclose(g.sigmas[:-1], (80 ** (1 / 7) + i / 9 * (0.002 ** (1 / 7) - 80 ** (1 / 7))) ** 7,
                               rtol=1e-15)
    assert g.sigmas[0] == pytest.approx(80.0, rel=1e-15) and g.sigmas[-2] == pytest.approx(0.002, rel=1e-14)
    assert g.sigmas[-1] == 0.0 and g.t[-1] == 0.0
    np.testing.assert_array_equal(g.t, 0.5 * np.log1p(g.sigmas ** 2))
    np.testing.assert_allclose(np.sqrt(np.expm1(2 * g.t)), g.sigmas, rtol=1e-14)
    np.testing.assert_array_equal(check_grid_array(g.t), g.t)  # an explicit Monte Carlo grid
    assert sigma_grid("karras:10:0.002:80") == g  # RHO defaults to 7
    assert sigma_grid(g.spec) == g and sigma_grid(g) is g and g.spec == KARRAS_10
    np.testing.assert_array_equal(sigma_grid("karras:1:0.002:80:7").sigmas, [80.0, 0.0])
    with pytest.raises(ValueError):
        g.sigmas[0] = 1.0


def test_explicit_sigmas():
    g = sigma_grid("sigmas:80,10,1,0.1")
    np.testing.assert_array_equal(g.sigmas, [80, 10, 1, 0.1, 0])  # a final 0 is appended
    assert g.spec == "sigmas:80,10,1,0.1,0" and sigma_grid(g.spec) == g and g.steps == 4
    assert sigma_grid("sigmas:80,10,1,0.1,0") == g
    assert sigma_grid("sigmas:2.5").steps == 1


@pytest.mark.parametrize("spec, arg", [
    ("", "sigma_grid"), (None, "sigma_grid"), ("foo:1", "sigma_grid"), ("karras:10", "sigma_grid karras"),
    ("karras:0:0.002:80", "sigma_grid karras N"), ("karras:2.5:0.002:80", "sigma_grid karras N"),
    ("karras:x:0.002:80", "sigma_grid karras N"), ("karras:10:0:80", "sigma_grid karras SIGMA_MIN"),
    ("karras:10:nan:80", "sigma_grid karras SIGMA_MIN"), ("karras:10:a:80", "sigma_grid karras SIGMA_MIN"),
    ("karras:10:80:0.002", "sigma_grid karras SIGMA_MAX"), ("karras:10:0.002:inf", "sigma_grid karras SIGMA_MAX"),
    ("karras:10:0.002:80:0", "sigma_grid karras RHO"), ("karras:10:0.002:80:7:1", "sigma_grid karras"),
    ("sigmas:", "sigma_grid sigmas"), ("sigmas:1,2", "sigma_grid sigmas"), ("sigmas:1,0,0", "sigma_grid sigmas"),
    ("sigmas:3,1,1", "sigma_grid sigmas"), ("sigmas:3,x", "sigma_grid sigmas S2"), ("sigmas:-1", "sigma_grid sigmas S1"),
    ("sigmas:0", "sigma_grid sigmas"), ("sigmas:2e-200,1e-200", "sigma_grid sigmas"),
])
def test_bad_grid_specs(spec, arg):
    with pytest.raises(ParameterError) as e:
        sigma_grid(spec)
    msg = str(e.value)
    assert msg.startswith(arg + ": ") and "\n" not in msg, msg


def _check_exact(s, g, expected):
    """The schedule gives ``expected[i]`` on the whole step i of ``g``: at the step's start, at its
    midpoint (the Monte Carlo's reading) and anywhere inside; its breakpoints are grid points."""
    expected = np.asarray(expected, dtype=np.float64)
    assert isinstance(s, Table) and s.grid == "sigma" and s.interp == "const"
    np.testing.assert_array_equal(omega_at_midpoints(omega_function(s), g.t), expected)
    np.testing.assert_array_equal(s(g.t[:-1]), expected)
    inner = g.t[1:] + np.array([0.1, 0.5, 0.9])[:, None] * (g.t[:-1] - g.t[1:])
    np.testing.assert_array_equal(s(inner), np.broadcast_to(expected, inner.shape))
    assert set(s.breakpoints) <= set(g.t.tolist())
    np.testing.assert_array_equal(with_breakpoints(g.t, s.breakpoints), g.t)
    assert parse_schedule(s.spec) == s


def test_per_step_schedule():
    g = sigma_grid(KARRAS_10)
    w = [0.0, 1.0, 2.0, 2.0, -0.5, 0.0, 3.0, 3.0, 3.0, 0.25]
    s = per_step_schedule(g, w)
    _check_exact(s, g, w)
    assert s(1e3) == 0.0  # above sigma_max: the first step's value
    assert len(s.breakpoints) == 6  # one per change of value
    assert per_step_schedule(KARRAS_10, w) == s
    with pytest.raises(ParameterError, match="^omegas: "):
        per_step_schedule(g, w[:-1])
    with pytest.raises(ParameterError, match="^omegas: "):
        per_step_schedule(g, w[:-1] + [-2.0])
    with pytest.raises(ParameterError, match="^omegas: "):
        per_step_schedule(g, ["a"] * 10)


def test_diffusers_start_stop():
    g = sigma_grid(KARRAS_10)
    on = lambda steps, w: [w if i in steps else 0.0 for i in range(10)]  # noqa: E731
    _check_exact(diffusers_schedule(g, 7.5, 0.2, 0.8), g, on(range(2, 8), 6.5))
    # diffusers' rule int(start N) <= i < int(stop N): start 0.25 of 10 steps starts at step 2
    _check_exact(diffusers_schedule(g, 7.5, 0.25, 0.75), g, on(range(2, 7), 6.5))
    _check_exact(diffusers_schedule(g, 3.0), g, on(range(10), 2.0))
    _check_exact(diffusers_schedule(g, 3.0, 0.0, 0.05), g, on((), 2.0))
    _check_exact(diffusers_schedule(g, 3.0, 0.5, 1.0, original_formulation=True), g, on(range(5, 10), 3.0))
    _check_exact(diffusers_schedule(g, 1.0 + 1e-12), g, on((), 0.0))  # diffusers: isclose(scale, 1) is no CFG
    assert diffusers_schedule(g, 7.5, 0.2, 0.8).breakpoints == (g.t[8], g.t[2])
    for kwargs, arg in [({"start": 1.0}, "start"), ({"start": -0.1}, "start"), ({"start": 0.5, "stop": 0.4}, "stop"),
                        ({"stop": 1.5}, "stop"), ({"guidance_scale": -0.5}, "guidance_scale")]:
        with pytest.raises(ParameterError, match=f"^{arg}: "):
            diffusers_schedule(g, **{"guidance_scale": 7.5, **kwargs})


def test_edm_guidance_interval_in_step_indices():
    g = sigma_grid("karras:32:0.002:80:7")
    s = edm_interval_schedule(g, 2.0, 12, 20)  # both ends included
    _check_exact(s, g, [1.0 if 12 <= i <= 20 else 0.0 for i in range(32)])
    assert s.breakpoints == (g.t[21], g.t[12])
    _check_exact(edm_interval_schedule(g, 2.0, 31, 40), g, [1.0 if i == 31 else 0.0 for i in range(32)])
    for args, arg in [((2.0, 5, 4), "last_step"), ((2.0, -1, 4), "first_step"), ((2.0, 1.5, 4), "first_step"),
                      ((-0.5, 1, 4), "guidance")]:
        with pytest.raises(ParameterError, match=f"^{arg}: "):
            edm_interval_schedule(g, *args)


def test_sigma_limits():
    g = sigma_grid(KARRAS_10)
    # sigmas 80, 42.4, 21.1, 9.72, 4.07, 1.50, 0.470, 0.117, 0.0204, 0.002
    _check_exact(sigma_limits_schedule(g, 3.0, 0.28, 5.42), g, [2.0 if i in (4, 5, 6) else 0.0 for i in range(10)])
    # both limits included: the limits at grid levels take those steps
    s = sigma_limits_schedule(g, 3.0, float(g.sigmas[6]), float(g.sigmas[4]))
    _check_exact(s, g, [2.0 if i in (4, 5, 6) else 0.0 for i in range(10)])
    _check_exact(sigma_limits_schedule(g, 0.5, 0.0, 1e3), g, [-0.5] * 10)
    for args, arg in [((3.0, -1.0, 5.0), "sigma_min_limit"), ((3.0, 5.0, 1.0), "sigma_max_limit"),
                      ((3.0, 0.1, math.inf), "sigma_max_limit"), ((-1.0, 0.1, 1.0), "cfg")]:
        with pytest.raises(ParameterError, match=f"^{arg}: "):
            sigma_limits_schedule(g, *args)


def test_heuristic_on_explicit_sigmas_and_in_the_monte_carlo_grid():
    """On an explicit grid the rules act the same; the sampler's grid gains no point from the
    schedule, so the Monte Carlo on ``g.t`` runs the practitioner's steps."""
    g = sigma_grid("sigmas:14.6,6,2.5,1,0.4,0.1,0.02")
    s = sigma_limits_schedule(g, 4.0, 0.1, 2.5)
    _check_exact(s, g, [3.0 if i in (2, 3, 4, 5) else 0.0 for i in range(7)])
    assert s == diffusers_schedule(g, 4.0, 2 / 7 + 1e-9, 6 / 7 + 1e-9) == edm_interval_schedule(g, 4.0, 2, 5)


# -- extreme but legal ends, and grids whose noise levels leave float64 ------------------------------

def test_karras_with_extreme_but_legal_ends():
    # the literal ramp's last level cancelled to 0 (then two final zeros: refused)
    g = sigma_grid("karras:10:1e-100:1e100")
    assert g.sigmas[0] == pytest.approx(1e100, rel=1e-13) and g.sigmas[-2] == 1e-100 and g.sigmas[-1] == 0.0
    assert np.all(np.diff(g.sigmas) < 0) and np.all(np.diff(g.t) < 0)


@pytest.mark.parametrize("spec", ["ddim:10:100000", "ddim:10:1000:linear:0.9:0.99", "ddim:3:20000:linear:0.5:0.9"])
def test_ddim_grid_whose_alpha_bar_underflows_is_refused_in_one_line(spec, recwarn):
    # alpha_bar underflows: sigma = sqrt((1 - alpha_bar)/alpha_bar) was inf (then three lines, exit 1)
    with pytest.raises(ParameterError, match=r"beyond 1e\+100") as e:
        sigma_grid(spec)
    assert e.value.argument == "sigma_grid ddim" and "\n" not in str(e.value)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_ddim_grid_with_large_but_representable_levels(recwarn):
    g = sigma_grid("ddim:3:300:linear:0.5:0.9")  # sigma_0 ~ 7e44: legal, no warning
    assert 1e44 < g.sigmas[0] < 1e45 and g.sigmas[-2] == pytest.approx(1.0) and g.sigmas[-1] == 0.0
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
