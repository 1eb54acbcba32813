"""Schedules: values, text and JSON round trips, and the errors of bad specs."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cfgmft.errors import ParameterError
from cfgmft.schedules import (SCHEDULE_KINDS, T_SIGMA_CAP, Constant, CosineRamp, Interval, LinearRamp,
                              LowHighLow, NegativeRamp, NegativeWindow, Pieces, Table, as_schedule,
                              parse_schedule, schedule_from_json, sigma_of_t, t_of_sigma)

EXAMPLES = [
    "constant:2", "interval:2:0.3:1.5", "linear:1.5:2", "linear:1.5:2:down", "cosine:1:3:up",
    "cosine:1:3:down", "lhl:0.5:3:0.5:1.5", "negwin:3:-0.5:0.1:0.6", "negwin:3:-0.5:0.1:0.6:1",
    "negramp:3:-0.5:1:1",
    "table:t:const:0.5,1,2:1,-0.5,3", "table:t:linear:2,0.5,0:1,-0.5,3", "table:sigma:const:0,1,10:1,2,0.5",
    "table:sigma:linear:80,5,0.3,0.002:0,3,3,-1", "table:sigma:linear:0,0.7,2.5,30:2,0.25,-1,4",
    "table:t:const:1.25:2",
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
    "table:t:const:1,2", "table:t:const:1,2:1", "table:x:const:1:1", "table:t:cubic:1:1", "table:t:const:1,2,1.5:1,1,1",
    "table:t:const:1,1:2,3", "table:t:const:-1,1:2,3", "table:t:const:1,1001:2,3", "table:t:linear:1,a:2,3",
    "table:t:linear:1,2:2,-1.5", "table:t:linear:1,2:2,1001", "table:sigma:linear:1,nan:2,3", "table:sigma:const:1e101:2",
    "table:sigma:const:1e-200,2e-200:1,2", "table:t:const::", "table:t:const:1,:1,2",
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
        elif kind == "table":
            n = data.draw(st.integers(min_value=1, max_value=6))
            nodes = sorted(set(data.draw(st.lists(floats, min_size=n, max_size=n))))
            vals = data.draw(st.lists(st.floats(min_value=-1.0, max_value=20.0), min_size=len(nodes),
                                      max_size=len(nodes)))
            if data.draw(st.booleans()):
                nodes, vals = nodes[::-1], vals[::-1]
            s = Table(data.draw(st.sampled_from(["t", "sigma"])), data.draw(st.sampled_from(["const", "linear"])),
                      nodes, vals)
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


# --- tabulated schedules and the sigma term ----------------------------------------------------------------
def test_table_const_holds_each_value_towards_the_data_end():
    s = parse_schedule("table:t:const:0.5,1,2:1,-0.5,3")
    t = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 1e3])
    np.testing.assert_array_equal(s(t), [1, 1, 1, -0.5, -0.5, 3, 3, 3, 3])
    # the order of the nodes does not matter, equal neighbours give no breakpoint
    r = parse_schedule("table:t:const:2,1,0.5:3,-0.5,1")
    np.testing.assert_array_equal(r(t), s(t))
    assert parse_schedule("table:t:const:0.5,1,2,3:0,2,2,0").breakpoints == (0.5, 2.0)
    assert parse_schedule("table:t:const:1.25:2").breakpoints == ()
    # a const table is an interval schedule but for the values at the edges
    tab, iv = parse_schedule("table:t:const:0.3,1.5,2:0,2,0"), Interval(2.0, 0.3, 1.5)
    np.testing.assert_array_equal(tab.pieces.coef, iv.pieces.coef)
    np.testing.assert_array_equal(tab.pieces.breaks, iv.pieces.breaks)


def test_table_linear_in_t_and_constant_outside():
    s = parse_schedule("table:t:linear:0.5,1,2:1,-0.5,3")
    t = np.array([0.0, 0.5, 0.75, 1.0, 1.5, 2.0, 7.0])
    np.testing.assert_allclose(s(t), [1, 1, 0.25, -0.5, 1.25, 3, 3], rtol=0, atol=1e-15)
    tt = np.linspace(0, 3, 3001)
    np.testing.assert_allclose(s(tt), np.interp(tt, [0.5, 1, 2], [1, -0.5, 3]), rtol=0, atol=1e-14)
    assert s.pieces.coef[:, 4].tolist() == [0.0] * 4  # linear in t: no sigma term


@pytest.mark.parametrize("text", ["table:sigma:linear:80,5,0.3,0.002:0,3,3,-1",
                                  "table:sigma:linear:0,0.7,2.5,30:2,0.25,-1,4"])
def test_sigma_linear_table_against_interpolation_in_sigma(text):
    s = parse_schedule(text)
    nodes, vals = np.array(s.nodes), np.array(s.values)
    if nodes[0] > nodes[-1]:
        nodes, vals = nodes[::-1], vals[::-1]
    t = np.concatenate([t_of_sigma(np.geomspace(1e-5, 300.0, 4000)), [0.0], t_of_sigma(nodes)])
    np.testing.assert_allclose(s(t), np.interp(sigma_of_t(t), nodes, vals), rtol=0, atol=1e-14)
    np.testing.assert_array_equal(s(t_of_sigma(nodes)), vals)  # the node values, exactly
    p = s.pieces
    assert np.all(p.coef[:, 1:4] == 0) and np.count_nonzero(p.coef[:, 4]) == np.count_nonzero(np.diff(vals))


def test_table_extremes_are_the_node_values():
    s = parse_schedule("table:sigma:linear:80,5,0.3,0.002:0,3,3,-1")
    assert (s.min_value(), s.max_value()) == (-1.0, 3.0)
    lo, hi = s.pieces.extremes()
    assert lo == pytest.approx(-1.0, abs=1e-15) and hi == pytest.approx(3.0, abs=1e-15)
    assert not s.is_nonnegative()
    assert parse_schedule("table:t:const:1,2:0,4").min_value() == 0.0


def test_table_text_and_json_forms():
    s = Table("sigma", "linear", [80.0, 0.1 + 0.2, 1e-3], (0, 1.5, 2))
    assert s.spec == "table:sigma:linear:80,0.30000000000000004,0.001:0,1.5,2"
    assert s.nodes == (80.0, 0.30000000000000004, 0.001) and s.values == (0.0, 1.5, 2.0)
    assert s.to_json() == {"kind": "table", "grid": "sigma", "interp": "linear",
                           "nodes": [80.0, 0.30000000000000004, 0.001], "values": [0.0, 1.5, 2.0]}
    assert schedule_from_json(json.dumps(s.to_json())) == s == parse_schedule(s.spec)
    assert hash(s) == hash(parse_schedule(s.spec))


@pytest.mark.parametrize("obj, arg", [
    ({"kind": "table", "grid": "t", "interp": "const", "nodes": "1,2", "values": [1, 2]}, "nodes"),
    ({"kind": "table", "grid": "t", "interp": "const", "nodes": [1, 2], "values": 3}, "values"),
    ({"kind": "table", "grid": "t", "interp": "const", "nodes": [1, None], "values": [1, 2]}, "nodes[1]"),
    ({"kind": "table", "grid": "sigma", "interp": "linear", "nodes": [1, 2], "values": [1, -2]}, "VALUES"),
    ({"kind": "table", "grid": "s", "interp": "linear", "nodes": [1, 2], "values": [1, 2]}, "GRID"),
    ({"kind": "table", "grid": "t", "interp": "const", "nodes": [[1, 2]], "values": [1]}, "nodes"),
])
def test_table_json_errors_name_the_argument(obj, arg):
    with pytest.raises(ParameterError) as e:
        schedule_from_json(obj)
    assert str(e.value).startswith(f"schedule table {arg}: ")


def test_bad_table_text_names_the_field():
    for text, name in [("table:t:const:1,a:1,2", "NODES"), ("table:t:const:1,2:1,x", "VALUES"),
                       ("table:t:const:1,2:1", "VALUES"), ("table:t:linear:2,1,3:1,1,1", "NODES"),
                       ("table:sigma:const:1,1e101:1,1", "NODES"), ("table:t:linear:1,2:1,-3", "VALUES")]:
        with pytest.raises(ParameterError) as e:
            parse_schedule(text)
        assert name in str(e.value), (text, str(e.value))


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


def test_table_in_the_solvers():
    """A const table and the interval schedule it equals give the same predictions; a sigma-linear
    table integrates in both solvers."""
    from cfgmft.solvers.exponential import predict_exponential
    from cfgmft.solvers.infinite_class import predict_infinite_class

    tab, iv = parse_schedule("table:t:const:0.3,1.5,2:0,2,0"), Interval(2.0, 0.3, 1.5)
    a = predict_exponential("gaussian", 1.0, tab, "ode", alpha=0.3)
    b = predict_exponential("gaussian", 1.0, iv, "ode", alpha=0.3)
    assert a.mean_shift == b.mean_shift and a.var_ratio == b.var_ratio
    c = predict_infinite_class("gaussian", 1.0, tab, "sde")
    d = predict_infinite_class("gaussian", 1.0, iv, "sde")
    assert c.var_ratio == pytest.approx(d.var_ratio, rel=1e-10)
    sl = parse_schedule("table:sigma:linear:80,5,0.3,0.002:0,3,3,0")
    for pred in (predict_exponential("gaussian", 1.0, sl, "ode", alpha=0.3),
                 predict_infinite_class("gaussian", 1.0, sl, "ode")):
        assert np.isfinite(pred.var_ratio) and pred.var_ratio < 1.0
