"""Property-based fuzzing of the bad-input contract (README, "Reliability").

For every command and for the Python API, hypothesis draws arguments from outside and from
inside the documented ranges (README, "Ranges") and checks the contract:

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
