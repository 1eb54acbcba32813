"""Property-based fuzzing of the bad-input contract (docs/explanation/ranges.md, "Reliability").

For every command and for the Python API, hypothesis draws arguments from outside and from
inside the documented ranges (docs/explanation/ranges.md) and checks the contract:

* bad input: exit code 2 (``ParameterError`` in Python), exactly one line on stderr that names
  a flag (an argument), no traceback, no numpy warning;
* a numerical failure: exit code 1 and one line saying so;
* success: every number in the JSON output is finite (NaN and inf never escape).

The budget: ``CFGMFT_FUZZ=ci`` (the default: 25 examples per property, derandomized, about two
minutes in all) or ``CFGMFT_FUZZ=thorough`` (1000 random examples per property, for local
runs: ``CFGMFT_FUZZ=thorough python -m pytest tests/test_fuzz.py``).
"""

from __future__ import annotations

import json
import math
import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cfgmft.api import predict, simulate
from cfgmft.errors import NumericalError, ParameterError
from cfgmft.params import Guidance, Mixture, Problem, Sampler

_PROFILES = {"ci": dict(max_examples=25, derandomize=True), "thorough": dict(max_examples=1000)}
#: the fuzz budget (module docstring)
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
                **_PROFILES[os.environ.get("CFGMFT_FUZZ", "ci")])

#: numbers a hostile but fair user types: in range, at and past the edges, and not numbers
WILD = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64).map(repr),
    st.integers(min_value=-10**13, max_value=10**13).map(str),
    st.sampled_from(["", "x", "1e999", "-1e999", "nan", "inf", "-0", "1e-320", "0x10", "1:2:3", " 2 "]),
)


def _in_range_float(lo, hi):
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


def _finite_json(obj) -> bool:
    if isinstance(obj, float):
        return math.isfinite(obj)
    if isinstance(obj, dict):
        return all(_finite_json(v) for v in obj.values())
    if isinstance(obj, list):
        return all(_finite_json(v) for v in obj)
    return True


def _check_contract(code, out, err, json_out: bool):
    # progress lines (cfgmft.progress, without a terminal) are not part of the error contract
    lines = [ln for ln in err.strip().splitlines() if " elapsed" not in ln]
    assert "Traceback" not in err and "Warning" not in err, err
    assert code in (0, 1, 2), (code, err)
    if code == 2:
        assert len(lines) == 1 and "error:" in lines[0], err
        assert "--" in lines[0] or "argument" in lines[0], err  # it names the flag
    elif code == 1:
        assert len(lines) == 1 and ("numerical failure" in lines[0] or "failed" in lines[0]), err
    elif json_out:
        assert _finite_json(json.loads(out)), out


THEORY_FLAGS = ["--sigma2", "--alpha", "--classes", "--d", "--omega", "--T"]


@FUZZ
@given(flag=st.sampled_from(THEORY_FLAGS), value=WILD,
       sampler=st.sampled_from(["sde", "ode"]), prior=st.sampled_from(["gaussian", "sphere"]))
def test_theory_with_one_wild_value(cli, flag, value, sampler, prior):
    args = ["theory", "--prior", prior, "--sampler", sampler, "--json"]
    if flag != "--omega":
        args += ["--omega", "2"]
    if flag == "--alpha":
        args += ["--d", "10"]
    code, out, err = cli(args + [flag, value])
    _check_contract(code, out, err, json_out=True)


@FUZZ
@given(sigma2=_in_range_float(1e-4, 10.0), omega=_in_range_float(-1.0, 50.0),
       alpha=st.one_of(st.just(None), _in_range_float(1e-3, 3.0)),
       sampler=st.sampled_from(["sde", "ode"]), prior=st.sampled_from(["gaussian", "sphere"]))
def test_theory_in_range_is_finite_or_an_honest_refusal(cli, sigma2, omega, alpha, sampler, prior):
    args = ["theory", "--prior", prior, "--sampler", sampler, "--sigma2", repr(sigma2), "--omega", repr(omega),
            "--json"]
    if alpha is not None:
        args += ["--alpha", repr(alpha)]
    code, out, err = cli(args)
    _check_contract(code, out, err, json_out=True)
    assert code != 2, err  # inside the documented ranges nothing is "bad input"


SIMULATE_FLAGS = ["--d", "--samples", "--steps", "--disorder", "--seed", "--classes", "--alpha", "--T", "--precision"]


@FUZZ
@given(flag=st.sampled_from(SIMULATE_FLAGS), value=WILD)
def test_simulate_with_one_wild_value(cli, flag, value):
    base = {"--d": "4", "--samples": "16", "--steps": "8", "--classes": "6"}
    if flag in ("--alpha",):
        base.pop("--classes")
    base[flag] = value
    args = ["simulate", "--omega", "1", "--json"] + [x for kv in base.items() for x in kv]
    code, out, err = cli(args)
    _check_contract(code, out, err, json_out=True)


SCHEDULE_TEXTS = st.one_of(
    st.builds(lambda k, vals: ":".join([k, *vals]),
              st.sampled_from(["constant", "interval", "linear", "cosine", "lhl", "negwin", "negramp", "bogus"]),
              st.lists(WILD, max_size=6)),
    st.text(max_size=20),
)


@FUZZ
@given(text=SCHEDULE_TEXTS)
def test_schedule_texts(cli, text):
    code, out, err = cli(["theory", "--schedule", text, "--json"])
    _check_contract(code, out, err, json_out=True)


PHASE_FLAGS = ["--alpha", "--omega", "--sigma2", "--T"]


@FUZZ
@given(flag=st.sampled_from(PHASE_FLAGS), value=WILD)
def test_phase_diagram_with_one_wild_value(cli, tmp_path_factory, flag, value):
    base = {"--alpha": "0.1:0.5:2", "--omega": "0:2:2", "--sigma2": "1"}
    base[flag] = value
    out = tmp_path_factory.mktemp("pd")
    args = ["phase-diagram", "--out", str(out)] + [x for kv in base.items() for x in kv]
    code, _, err = cli(args)
    _check_contract(code, "", err, json_out=False)


# -- the Python API: ParameterError naming a Python argument, or a finite result ----------------

@FUZZ
@given(sigma2=st.one_of(_in_range_float(1e-8, 1e8), st.floats()), omega=st.one_of(_in_range_float(-1, 1000), st.floats()),
       alpha=st.one_of(st.none(), st.floats()), T=st.one_of(st.none(), st.floats()))
def test_api_predict(sigma2, omega, alpha, T):
    try:
        p = Problem(Mixture(sigma2=sigma2, prior="sphere", alpha=alpha), Guidance(omega=omega), Sampler(T=T))
        r = predict(p)
    except ParameterError as e:
        assert not e.argument.startswith("-"), e  # Python names, not flags
        assert str(e).startswith(f"{e.argument}: ") and "\n" not in str(e)
        return
    except NumericalError as e:
        assert "\n" not in str(e)
        return
    assert _finite_json(r.to_dict())


@FUZZ
@given(samples=st.integers(-5, 10**12), disorder=st.integers(-5, 10**12), d=st.integers(-5, 10**9))
def test_api_simulate_refuses_before_computing(samples, disorder, d):
    # at least one value out of its range (SAMPLES_MAX, DISORDER_MAX, D_MAX): refused at once
    assume(not (2 <= samples <= 10**9 and 1 <= disorder <= 10**5 and 2 <= d <= 10**7))
    try:
        problem = Problem(Mixture(classes=4, d=d), Guidance(omega=1.0), Sampler(steps=4))
        simulate(problem, samples=samples, disorder=disorder)
    except ParameterError as e:
        assert not e.argument.startswith("-") and "\n" not in str(e)
        return
    pytest.fail(f"accepted samples={samples}, disorder={disorder}, d={d}")


# -- sampler grids with extreme but legal levels: the Monte Carlo against the exact continuum ---------
# (what the strategies above missed: legal grids whose first level dwarfs the data, 1e15 .. 1e100,
# where the literal Euler step cancelled; and ddim grids whose alpha_bar underflows)

def _decade(lo, hi):
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False).map(lambda e: 10.0 ** e)


GRID_SPECS = st.one_of(
    st.builds(lambda s0, s1: f"sigmas:{s0!r},{s1!r}", _decade(-2, 100), _decade(-3, 1)),
    st.builds(lambda n, lo, hi, rho: f"karras:{n}:{lo!r}:{hi!r}:{rho!r}", st.integers(1, 12), _decade(-100, 0),
              _decade(0, 100), st.sampled_from([1.0, 3.0, 7.0, 20.0])),
    st.builds(lambda n, T, b0, b1: f"ddim:{n}:{T}:linear:{b0!r}:{b0 + b1 * (1 - b0)!r}", st.integers(1, 10),
              st.integers(10, 3000), _decade(-5, -0.1), st.floats(0.0, 0.9)),
)


def _no_runtime_warnings(fn):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in caught]
    return out


@FUZZ
@given(grid=GRID_SPECS, update=st.sampled_from(["euler", "heun", "ddim", "ancestral"]),
       omega=st.sampled_from([0.5, 2.0, 6.0]))
def test_grid_monte_carlo_agrees_with_the_exact_continuum_or_refuses(grid, update, omega):
    """The gaussian continuum is exact at any d on any grid: every legal grid's Monte Carlo agrees
    with it (6 standard errors), or the grid is refused (ParameterError naming grid), or the answer
    leaves float64 (NumericalError); never a silent wrong number, never a numpy warning."""
    problem = Problem(Mixture(classes=math.inf, d=4), Guidance(omega=omega), Sampler())
    try:
        th = _no_runtime_warnings(lambda: predict(problem, grid=grid, update=update))
    except ParameterError as e:
        assert e.argument == "grid" and "\n" not in str(e), e
        return
    except NumericalError:
        return
    try:
        mc = _no_runtime_warnings(lambda: simulate(problem, grid=grid, update=update, samples=256, seed=3))
    except NumericalError as e:
        # only where the answer leaves what float64 samples can carry: beyond 1e75, or a spread at the
        # rounding of the samples (relative variance ~1e-26)
        assert "\n" not in str(e)
        # or a Heun step whose float64 rounding (checked) would reach the samples' spread
        assert (max(abs(th["m_final"]), th["var_ratio"] ** 0.5) > 1e60
                or th["var_ratio"] < 1e-18 * max(1.0, th["m_final"] ** 2)
                or (update == "heun" and "Heun's step" in str(e))), (grid, th["m_final"], th["var_ratio"], e)
        return
    for key in ("m_final", "var_ratio"):
        est = mc[key]
        assert abs(est["mean"] - th[key]) <= 6 * est["stderr"] + 1e-9 * abs(th[key]), (grid, update, key, est, th[key])


# -- the Python API: every misuse is a ParameterError naming a Python argument, before any work --------

API_WILD = st.one_of(st.none(), st.booleans(), st.integers(-10**40, 10**40), st.floats(), st.text(max_size=5),
                     st.just([1, 2]), st.just({"a": 1}), st.just(b"x"))


def _api_refusal(fn, max_seconds=2.0):
    import time

    t0 = time.perf_counter()
    try:
        fn()
    except ParameterError as e:
        assert not e.argument.startswith("-") and str(e).startswith(f"{e.argument}: ") and "\n" not in str(e), e
        assert time.perf_counter() - t0 < max_seconds, "refused only after the work"
        return e
    return None


P_INF = Problem(Mixture(classes=math.inf, d=4), Guidance(omega=1.0), Sampler(kind="ode", steps=4))
P_FIN = Problem(Mixture(classes=6, d=8), Guidance(omega=1.0), Sampler(steps=4))


@FUZZ
@given(key=st.sampled_from(["seed", "samples", "disorder", "precision", "grid", "update", "start", "tol", "stages",
                            "backend"]), value=API_WILD)
def test_api_simulate_with_one_wild_keyword(key, value):
    kw = {"samples": 16}
    kw[key] = value
    if key == "update":
        kw["grid"] = "karras:4:0.1:80"
    try:
        e = _api_refusal(lambda: simulate(P_INF, **kw))
    except NumericalError:
        return
    if e is None:  # accepted: a legal value, and a finite result (seed=None records the seed it drew)
        r = simulate(P_INF, **kw)
        assert _finite_json(r) and isinstance(r["seed"], int) and r["seed"] >= 0


@FUZZ
@given(problem=API_WILD, fn=st.sampled_from(["predict", "simulate", "predict_finite_d", "check_simulation"]))
def test_api_functions_refuse_what_is_not_a_problem(problem, fn):
    from cfgmft import api

    e = _api_refusal(lambda: getattr(api, fn)(problem))
    assert e is not None and e.argument == "problem"


@FUZZ
@given(a=API_WILD, b=API_WILD, c=API_WILD)
def test_problem_of_wrong_parts(a, b, c):
    e = _api_refusal(lambda: Problem(a, b, c))
    assert e is not None and e.argument in ("mixture", "guidance", "sampler")


@FUZZ
@given(seed=API_WILD, samples=API_WILD)
def test_api_predict_finite_d_checks_before_the_work(seed, samples):
    from cfgmft.api import predict_finite_d

    assume(not (isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2**128
                and isinstance(samples, int) and not isinstance(samples, bool) and 200 <= samples <= 10**9))
    e = _api_refusal(lambda: predict_finite_d(P_FIN, seed=seed, samples=samples))
    assert e is not None and e.argument in ("seed", "samples")


# -- the adapters: guidance tables and their readers -----------------------------------------------------

def _table():
    from cfgmft.adapters.guidance import GuidanceTable

    return GuidanceTable.from_schedule("negwin:2:-0.8:0.05:0.6", "karras:6:0.05:80")


@FUZZ
@given(sigmas=st.one_of(API_WILD, st.lists(st.one_of(st.floats(), _decade(-300, 300)), min_size=0, max_size=5)))
def test_guidance_table_on_wild_sigmas(sigmas):
    t = _table()
    for fn in (t.w_for_sigmas, t.w_at_sigma):
        try:
            w = _no_runtime_warnings(lambda: fn(sigmas))
        except ParameterError as e:
            assert e.argument in ("sigmas", "sigma") and "\n" not in str(e)
            continue
        import numpy as np

        assert np.all(np.isfinite(w)) and np.all(w >= 0), (sigmas, w)


ROW_KEYS = ["sigma", "sigma_next", "omega", "w", "step"]


@FUZZ
@given(row=st.integers(0, 5), key=st.sampled_from(ROW_KEYS), value=st.one_of(st.floats(), API_WILD))
def test_guidance_table_rows_edited(row, key, value):
    """An exported table with one cell edited: read back to the same schedule (the edit was a no-op),
    or refused in one line naming ``table``; never a table whose w disagrees with its omega."""
    from cfgmft.adapters.guidance import GuidanceTable
    from cfgmft.commands.schedule import export

    ex = export("negwin:2:-0.8:0.05:0.6", "karras:6:0.05:80")
    rows = [dict(r) for r in ex["rows"]]
    rows[row][key] = value
    try:
        t = GuidanceTable.from_export({**ex, "rows": rows})
    except ParameterError as e:
        assert e.argument.startswith("table") and "\n" not in str(e)
        return
    for r, w in zip(rows, t.w):
        assert abs(float(r["omega"]) + 1.0 - w) <= 1e-12 * max(1.0, w)
        if "w" in r:
            assert abs(float(r["w"]) - w) <= 1e-12 * max(1.0, w)


@pytest.mark.parametrize("kind", ["missing", "folder", "binary", "device", "huge"])
def test_guidance_table_files_that_are_not_tables(tmp_path, kind):
    from cfgmft.adapters.guidance import GuidanceTable
    from cfgmft.io import RECORD_BYTES_MAX

    path = tmp_path / "t.json"
    if kind == "folder":
        path.mkdir()
    elif kind == "binary":
        path.write_bytes(bytes(range(256)))
    elif kind == "device":
        path.symlink_to("/dev/zero")
    elif kind == "huge":
        with open(path, "wb") as f:  # sparse: no disk used
            f.truncate(RECORD_BYTES_MAX + 1)
    for src in (path, str(path)):
        e = _api_refusal(lambda: GuidanceTable.from_export(src))
        assert e is not None and e.argument == "table", kind


# -- the torch adapters (skipped where torch / diffusers are not installed) ------------------------------

@FUZZ
@given(key=st.sampled_from(["means", "sigma2", "target", "d", "data_scale", "device"]), value=API_WILD)
def test_exact_denoiser_construction_with_one_wild_value(key, value):
    pytest.importorskip("torch")
    from cfgmft.adapters.torch_exact import ExactMixtureDenoiser

    kw = dict(means=[[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], sigma2=0.5, target=1)
    kw[key] = value
    try:
        den = ExactMixtureDenoiser(kw.pop("means"), kw.pop("sigma2"), kw.pop("target"), **kw)
    except ParameterError as e:
        assert e.argument in ("means", "sigma2", "target", "d", "data_scale", "device") and "\n" not in str(e), e
        return
    out = den.denoise([[0.3, -0.2]] * 2 if den.d == 2 else [[0.1] * den.d] * 2, 1.0)
    assert bool(out.isfinite().all())


@FUZZ
@given(x=st.one_of(API_WILD, st.just([[0.1, 0.2]]), st.just([[float("nan"), 0.0]]), st.just([[1.0, 2.0, 3.0]])),
       sigma=st.one_of(API_WILD, _decade(-300, 300), st.just([1.0, 2.0])))
def test_exact_denoiser_on_wild_inputs(x, sigma):
    torch = pytest.importorskip("torch")
    from cfgmft.adapters.torch_exact import ExactMixtureDenoiser

    den = ExactMixtureDenoiser([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], 0.5, 0)
    for cond in (True, False):
        try:
            out = den.denoise(x, sigma, cond=cond)
        except ParameterError as e:
            assert e.argument in ("x", "sigma") and "\n" not in str(e), e
            continue
        assert bool(torch.isfinite(out).all())


@FUZZ
@given(w=st.one_of(API_WILD, st.lists(st.one_of(st.floats(), st.integers(-3, 3)), max_size=4)),
       step=st.one_of(API_WILD, st.integers(-3, 6)), n=st.integers(0, 6))
def test_diffusers_table_guider_misuse(w, step, n):
    pytest.importorskip("diffusers")
    from cfgmft.adapters.diffusers import TableGuidance

    try:
        g = TableGuidance(w_per_step=w)
    except ParameterError as e:
        assert e.argument == "w_per_step" and "\n" not in str(e)
        return
    try:
        g.set_state(step, n, 0)
    except ParameterError as e:
        assert e.argument in ("step", "num_inference_steps") and "\n" not in str(e)
        return
    assert g.guidance_scale == float(list(w)[step])
