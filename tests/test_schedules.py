"""Schedules: values, text and JSON round trips, and the errors of bad specs."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cfgmft.errors import ParameterError
from cfgmft.schedules import (SCHEDULE_KINDS, T_SIGMA_CAP, Constant, CosineRamp, Interval, LinearRamp,
                              LowHighLow, NegativeRamp, NegativeWindow, Pieces, as_schedule,
                              parse_schedule, schedule_from_json, sigma_of_t, t_of_sigma)

EXAMPLES = [
    "constant:2", "interval:2:0.3:1.5", "linear:1.5:2", "linear:1.5:2:down", "cosine:1:3:up",
    "cosine:1:3:down", "lhl:0.5:3:0.5:1.5", "negwin:3:-0.5:0.1:0.6", "negwin:3:-0.5:0.1:0.6:1",
    "negramp:3:-0.5:1:1",
]


@pytest.mark.parametrize("text", EXAMPLES)
def test_text_and_json_round_trip(text):
    s = parse_schedule(text)
    assert parse_schedule(s.spec) == s
    assert schedule_from_json(s.to_json()) == s
    assert schedule_from_json(json.dumps(s.to_json())) == s


def test_exact_text_forms_of_the_issue():
    assert parse_schedule("constant:2") == Constant(2.0)
    assert parse_schedule("interval:2:0.3:1.5") == Interval(2.0, 0.3, 1.5)
    assert Interval(2.0, 0.3, 1.5).spec == "interval:2:0.3:1.5"
    assert Constant(0.25).spec == "constant:0.25"


def test_values():
    t = np.array([0.0, 0.2, 0.3, 1.0, 1.5, 1.6, 10.0])
    np.testing.assert_array_equal(Interval(2, 0.3, 1.5)(t), [0, 0, 2, 2, 2, 0, 0])
    np.testing.assert_allclose(LinearRamp(1.5, 2.0)(np.array([0.0, 1.0, 2.0, 3.0])), [3.0, 1.5, 0.0, 0.0])
    np.testing.assert_allclose(LinearRamp(1.5, 2.0, "down")(np.array([0.0, 1.0, 2.0, 3.0])), [0.0, 1.5, 3.0, 0.0])
    np.testing.assert_allclose(CosineRamp(1.0, 2.0)(np.array([0.0, 1.0, 2.0])), [2.0, 1.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(LowHighLow(0.5, 3, 0.5, 1.5)(np.array([0.1, 1.0, 2.0])), [0.5, 3, 0.5])
    np.testing.assert_allclose(NegativeWindow(3, -0.5, 0.1, 0.6)(np.array([0.05, 0.3, 1.0])), [0, -0.5, 3])
    np.testing.assert_allclose(NegativeRamp(3, -0.5, 1.0, 1.0)(np.array([0.0, 0.5, 2.0])), [-0.5, 0.0, 3])
    assert isinstance(Constant(2)(0.3), float)


@pytest.mark.parametrize("cls", [LinearRamp, CosineRamp])
@pytest.mark.parametrize("direction", ["up", "down"])
def test_ramps_have_the_stated_mean(cls, direction):
    from scipy.integrate import quad

    s = cls(1.7, 2.5, direction)
    mean = quad(lambda t: s(t), 0.0, 2.5, epsabs=1e-13)[0] / 2.5
    assert mean == pytest.approx(1.7, rel=1e-10)


def test_sign_queries():
    assert Interval(2, 0.3, 1.5).is_nonnegative()
    assert not NegativeWindow(3, -0.5, 0.1, 0.6).is_nonnegative()
    assert NegativeWindow(3, -0.5, 0.1, 0.6).min_value() == -0.5
    assert NegativeRamp(3, 0.5, -1.2, 1.0).min_value() == pytest.approx(-0.7)
    with pytest.raises(ParameterError):
        NegativeRamp(3, 0.5, -2.0, 1.0)  # dips to -1.5 < -1


@pytest.mark.parametrize("bad", [
    "", "foo:1", "constant", "constant:x", "constant:nan", "constant:inf", "constant:-1.5",
    "interval:2:1.5:0.3", "interval:2:0.3", "interval:2:0.3:1.5:9", "interval:2:-1:1",
    "linear:1:0", "cosine:1:2:sideways", "negwin:1:0.5:0:1", "negramp:1:0.5:0.1:1", "lhl:0:1:2:1",
])
def test_bad_specs_raise_parameter_error(bad):
    with pytest.raises(ParameterError) as e:
        parse_schedule(bad)
    assert str(e.value).startswith("schedule")


def test_json_errors():
    with pytest.raises(ParameterError):
        schedule_from_json({"kind": "interval", "omega": 1, "t_lo": 0.1})
    with pytest.raises(ParameterError):
        schedule_from_json({"kind": "constant", "omega": 1, "bogus": 2})
    with pytest.raises(ParameterError):
        schedule_from_json("{not json")


def test_as_schedule():
    assert as_schedule(2) == Constant(2.0)
    assert as_schedule("interval:2:0.3:1.5") == Interval(2.0, 0.3, 1.5)
    with pytest.raises(ParameterError):
        as_schedule(float("nan"))


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(sorted(SCHEDULE_KINDS)), data=st.data())
def test_round_trip_property(kind, data):
    floats = st.floats(min_value=0.0, max_value=10.0, allow_nan=False)
    a = data.draw(floats)
    b = a + data.draw(st.floats(min_value=1e-3, max_value=5.0))
    w = data.draw(st.floats(min_value=-1.0, max_value=20.0))
    try:
        if kind == "constant":
            s = Constant(w)
        elif kind == "interval":
            s = Interval(w, a, b)
        elif kind in ("linear", "cosine"):
            s = SCHEDULE_KINDS[kind](w / 2, b, data.draw(st.sampled_from(["up", "down"])))
        elif kind == "lhl":
            s = LowHighLow(abs(w), w, a, b)
        elif kind == "negwin":
            s = NegativeWindow(abs(w), -data.draw(st.floats(min_value=1e-3, max_value=1.0)), a, b)
        else:
            s = NegativeRamp(abs(w), -data.draw(st.floats(min_value=1e-3, max_value=1.0)), 0.1, b)
    except ParameterError:
        return  # out of range by construction (e.g. a ramp below -1): covered by the error tests
    assert parse_schedule(s.spec) == s
    assert schedule_from_json(s.to_json()) == s
    assert s.min_value() >= -1.0


# --- one representation: the Pieces table ---------------------------------------------------------------
@pytest.mark.parametrize("text", EXAMPLES)
def test_pieces_table_is_the_schedule(text):
    """The vectorised form, a scalar call, the Monte Carlo grid and the kernels' piece rows read
    one table: they agree exactly, and the grid has the breakpoints as grid points."""
    from cfgmft.grids import omega_at_midpoints, time_grid, with_breakpoints
    from cfgmft.schedules import omega_function, piece_index, piece_value

    s = parse_schedule(text)
    p = s.pieces
    assert s.breakpoints == tuple(p.breaks.tolist())
    rng = np.random.default_rng(0)
    t = np.concatenate([rng.uniform(0.0, 4.0, 300), p.breaks, [0.0, 999.0]])
    vec = s(t)
    assert all(vec[i] == s(float(ti)) for i, ti in enumerate(t))
    inside = ~np.isin(t, p.breaks)
    rows = p.coef[piece_index(p.breaks, t[inside])]
    np.testing.assert_array_equal(piece_value(rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], rows[:, 4], t[inside]),
                                  vec[inside])
    np.testing.assert_array_equal(vec[~inside][:p.breaks.size], p.at)
    f = omega_function(s)
    grid = with_breakpoints(time_grid(4.0, 40, 0.3), f.breakpoints)
    for b in p.breaks:  # no step straddles a breakpoint (a grid point within 1e-12 stands for it)
        assert not np.any((grid[:-1] > b + 1e-12) & (grid[1:] < b - 1e-12)), b
    np.testing.assert_array_equal(omega_at_midpoints(f, grid), s(0.5 * (grid[:-1] + grid[1:])))
    # the numba kernels: the rows of schedule_arrays through the jitted piece_index and piece_value
    from cfgmft.solvers import exponential as mf

    bps, coef = mf.schedule_arrays(s)
    assert coef.shape == (bps.size + 1, 5)
    for ti, v in zip(t[inside], vec[inside]):
        c = coef[mf.piece_index(bps, float(ti))]
        k = mf.piece_value(c[0], c[1], c[2], c[3], c[4], float(ti))
        if c[4] == 0.0:
            assert k == v, (text, ti)
        else:  # libm's expm1 (numba) and numpy's may differ in the last bit
            assert abs(k - v) <= 4e-16 * (abs(c[0]) + abs(c[4] * sigma_of_t(ti))), (text, ti, k, v)


def test_extremes_are_exact():
    assert NegativeWindow(3, -0.5, 0.1, 0.6, 1.0).min_value() == -0.5
    assert NegativeRamp(3, -0.5, 1.0, 1.0).min_value() == -0.5
    assert CosineRamp(1.0, 2.0, "down").max_value() == 2.0
    assert LinearRamp(1.5, 2.0).max_value() == 3.0


# --- the sigma term of the pieces -------------------------------------------------------------------------
def test_sigma_term_rows():
    # c0 + c1 t + c2 cos(c3 t) + c4 sigma(t); the cap keeps 0 * sigma finite up to TIME_MAX
    from cfgmft.schedules import piece_value

    assert piece_value(1.5, 0.0, 0.0, 0.0, 0.0, 1000.0) == 1.5
    assert piece_value(0.0, 0.0, 0.0, 0.0, 2.0, 0.5) == 2.0 * np.sqrt(np.expm1(1.0))
    assert np.isfinite(sigma_of_t(T_SIGMA_CAP))
    np.testing.assert_allclose(sigma_of_t(t_of_sigma(np.array([1e-3, 1.0, 80.0, 1e100]))), [1e-3, 1.0, 80.0, 1e100],
                               rtol=1e-13)  # the round trip loses ~ ulp(t) relative: t(1e100) = 230
    p = Pieces.make([(1.0,), (0.5, 0.0, 0.0, 0.0, 0.25), (2.0,)], (0.1, 2.0), (1.0, 2.0))
    assert p.coef.shape == (3, 5)
    for rows, bps, at in [([(1.0,), (0.0, 0.0, 0.0, 0.0, 1.0)], (0.5,), (1.0,)),  # sigma term up to t = inf
                          ([(1.0,), (0.0, 0.0, 0.0, 0.0, 1.0), (2.0,)], (0.5, 301.0), (1.0, 2.0)),  # past the cap
                          ([(0.0, 0.0, 1.0, 1.0, 1.0), (2.0,)], (0.5,), (1.0,)),  # cosine and sigma terms
                          ([(0.0, -1.0, 0.0, 0.0, 1.0), (2.0,)], (0.5,), (1.0,))]:  # not monotone
        with pytest.raises(ValueError):
            Pieces.make(rows, bps, at)
