"""The CLI contract: JSON keys, agreement with the closed forms, and one-line errors with
exit code 2 for every kind of bad input."""

import json
import math
import os
import subprocess
import sys

import pytest
from scipy.special import hyp2f1


BASE = ["theory", "--classes", "inf", "--prior", "gaussian", "--sigma2", "1"]




def closed_forms(omega, sigma2, sampler):
    """The T -> infinity closed forms of the infinite-class limit, typed here independently of
    the generated code (the test's reference)."""
    q = sigma2 / (1 + sigma2)
    if sampler == "ode":
        return (1 + omega) * hyp2f1(-omega / 2, 1, 1.5, 1 / (1 + sigma2)), q ** omega
    return 1 + sigma2 - sigma2 * q ** omega, ((1 + sigma2) - sigma2 * q ** (2 * omega)) / (2 * omega + 1)


@pytest.mark.parametrize("sampler", ["ode", "sde"])
def test_theory_json_matches_closed_forms(sampler, cli):
    code, out, err = cli(BASE + ["--omega", "2", "--sampler", sampler, "--json"])
    assert code == 0, err
    r = json.loads(out)
    m, v = closed_forms(2.0, 1.0, sampler)
    assert abs(r["m_final"] - m) < 1e-6 and abs(r["var_ratio"] - v) < 1e-6
    assert abs(r["mean_shift"] - (m - 1)) < 1e-6
    kl = 0.5 * (v - 1 - math.log(v) + (m - 1) ** 2 / 1.0)
    assert abs(r["kl_per_dim"] - kl) < 1e-6
    assert r["convention"] == "s = (1+omega) s_c - omega s_u"
    for key in ("t_commit", "t_condense", "t_collapse", "margin"):
        assert key in r and r[key] is None
    for key in ("prior", "sigma2", "classes", "omega", "sampler", "T", "schedule"):
        assert key in r
    assert r["classes"] == "inf" and r["sampler"] == sampler and r["T"] is None


def test_theory_table_and_schedule(cli):
    code, out, err = cli(BASE + ["--schedule", "interval:2:0.3:1.5", "--sampler", "sde"])
    assert code == 0, err
    assert "var_ratio" in out and "interval:2:0.3:1.5" in out and "s = (1+omega) s_c - omega s_u" in out


def test_default_T_is_the_limit(cli):
    _, out1, _ = cli(BASE + ["--omega", "2", "--sampler", "sde", "--json"])
    _, out2, _ = cli(BASE + ["--omega", "2", "--sampler", "sde", "--json", "--T", "30"])
    _, out3, _ = cli(BASE + ["--omega", "2", "--sampler", "sde", "--json", "--T", "2"])
    a, b, c = (json.loads(o)["m_final"] for o in (out1, out2, out3))
    assert abs(a - b) < 1e-10  # T = 30 is the limit at the printed precision
    assert abs(a - c) > 1e-4   # T = 2 is not: the option is honoured


BAD = [
    (["--sigma2", "nan"], "--sigma2"), (["--sigma2", "inf"], "--sigma2"), (["--sigma2", "0"], "--sigma2"),
    (["--sigma2", "-1"], "--sigma2"), (["--sigma2", "abc"], "--sigma2"),
    (["--omega", "nan"], "--omega"), (["--omega", "-3"], "--omega"), (["--omega", "1e999"], "--omega"),
    (["--prior", "uniform"], "--prior"), (["--sampler", "euler"], "--sampler"),
    (["--schedule", "interval:2:1.5:0.3"], "--schedule"), (["--schedule", "interval:2:0.3"], "--schedule"),
    (["--schedule", "bogus:1"], "--schedule"), (["--schedule", "constant:x"], "--schedule"),
    (["--classes", "1"], "--classes"), (["--classes", "0"], "--classes"), (["--classes", "two"], "--classes"),
    (["--T", "0"], "--T"), (["--T", "-1"], "--T"), (["--T", "nan"], "--T"),
    (["--alpha", "-0.1"], "--alpha"), (["--alpha", "nan"], "--alpha"), (["--d", "1"], "--d"),
    (["--omega", "1", "--schedule", "constant:1"], "--schedule"),
    # beyond the documented ranges (cfgmft.ranges): refused up front, never a failure later
    (["--sigma2", "1e30"], "--sigma2"), (["--sigma2", "1e-320"], "--sigma2"), (["--omega", "1e300"], "--omega"),
    (["--schedule", "negramp:2:-0.5:1e308:1e308"], "--schedule"), (["--schedule", "negwin:1e308:-0.5:0:1"], "--schedule"),
    (["--schedule", "interval:1e308:0:1e308"], "--schedule"), (["--schedule", "linear:600:1"], "--schedule"),
    (["--T", "1e300"], "--T"), (["--alpha", "1e308"], "--alpha"), (["--alpha", "1e-320"], "alpha"),
    (["--alpha", "80", "--d", "10"], "alpha"), (["--d", "1000000000"], "--d"),
]


@pytest.mark.parametrize("extra, argument", BAD)
def test_bad_input_is_one_line_exit_2(extra, argument, cli):
    args = ["theory", *extra]
    if "--omega" not in extra and "--schedule" not in extra:
        args += ["--omega", "1"]
    code, out, err = cli(args)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert argument in lines[0] and "Traceback" not in err


def test_missing_guidance_is_exit_2(cli):
    code, _, err = cli(["theory"])
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--omega" in err


def test_unknown_command_and_option(cli):
    assert cli(["simulate-all"])[0] == 2
    assert cli(["theory", "--omega", "1", "--bogus", "3"])[0] == 2


def test_console_entry_point_subprocess():
    """The real entry point: a bad value gives exit 2 and one line, no traceback."""
    env = dict(os.environ, MPLBACKEND="Agg")
    p = subprocess.run([sys.executable, "-m", "cfgmft", "theory", "--omega", "2", "--T", "-1"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 2 and "--T" in p.stderr and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    p = subprocess.run([sys.executable, "-m", "cfgmft", "theory", "--omega", "2", "--json"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0 and json.loads(p.stdout)["m_final"] > 1


def test_derive_prints_the_closed_forms(cli):
    code, out, err = cli(["derive", "--format", "json", "--only", "infinite-class"])
    assert code == 0, err
    data = json.loads(out)
    names = {s["name"] for d in data["derivations"] for s in d["steps"]}
    assert {"m_final_ode_const", "var_ratio_ode_const", "m_final_sde_const", "var_ratio_sde_const"} <= names
    assert data["convention"] == "s = (1+omega) s_c - omega s_u"
    code, out, _ = cli(["derive", "--format", "latex", "--only", "infinite-class"])
    assert code == 0 and out.startswith("\\documentclass") and "\\end{document}" in out
    code, out, _ = cli(["derive", "--only", "infinite-class"])
    assert code == 0 and "hyper((1, -omega/2), (3/2,), 1/(sigma2 + 1))" in out


@pytest.mark.parametrize("extra", [
    ["--sigma2", "1e8", "--omega", "1000", "--prior", "sphere"], ["--sigma2", "1e-8", "--omega", "1000"],
    ["--schedule", "negwin:1000:-1:0:1000"], ["--schedule", "interval:1000:0:1000", "--sampler", "ode"],
    ["--alpha", "1e-6", "--omega", "2"], ["--alpha", "100", "--omega", "1000", "--sampler", "ode"],
    ["--alpha", "0.3", "--omega", "2", "--T", "1000"], ["--alpha", "0.5", "--sigma2", "1e8", "--omega", "1000"],
])
def test_extreme_accepted_values_answer_or_fail_in_one_line(extra, cli):
    """At the edges of the allowed ranges the answer is finite, or (float64 cannot hold it)
    one line on stderr with exit 1: never a traceback, a hang or a NaN."""
    code, out, err = cli(["theory", *extra, "--json"])
    assert "Traceback" not in err and "Warning" not in err
    if code == 0:
        r = json.loads(out)
        assert all(math.isfinite(r[k]) for k in ("m_final", "var_ratio", "kl_per_dim"))
    else:
        assert code == 1 and len(err.strip().splitlines()) == 1 and "numerical failure" in err


def test_commitment_at_the_start_is_null_not_the_cutoff(cli):
    code, out, _ = cli(["theory", "--alpha", "0", "--omega", "2", "--json"])
    r = json.loads(out)
    assert code == 0 and r["t_commit"] is None and r["status"] == "alpha = 0"


def test_tiny_and_underflowing_variance_ratios(cli, monkeypatch):
    """The reported case (sphere, ODE, sigma2 = 1e-4, omega = 34: S integrated with an absolute
    tolerance went negative) answers, and equals the never-committed alpha = 100 answer; a
    var_ratio below float64's range is 0.0 with a finite log_var_ratio and KL, and a note."""
    base = ["theory", "--prior", "sphere", "--sampler", "ode", "--sigma2", "1e-4", "--omega", "34", "--json"]
    code, out, err = cli(base + ["--classes", "inf"])
    assert code == 0, err
    r = json.loads(out)
    code, out, err = cli(base + ["--alpha", "100"])
    assert code == 0, err
    q = json.loads(out)
    assert r["log_var_ratio"] == pytest.approx(q["log_var_ratio"], rel=1e-6) and r["log_var_ratio"] < -150
    assert r["var_ratio"] == pytest.approx(math.exp(r["log_var_ratio"]), rel=1e-12)
    assert r["m_final"] == pytest.approx(q["m_final"], rel=1e-8)
    code, out, err = cli(["theory", "--prior", "gaussian", "--sampler", "ode", "--sigma2", "1e-4", "--omega", "100",
                          "--json"])
    assert code == 0, err
    r = json.loads(out)
    assert r["var_ratio"] == 0.0 and r["log_var_ratio"] == pytest.approx(100 * math.log(1e-4 / (1 + 1e-4)), rel=1e-12)
    assert math.isfinite(r["kl_per_dim"]) and any("below float64's range" in n for n in r["notes"])
    # a log that float64 cannot hold: one line, exit 1
    from cfgmft.solvers import infinite_class

    monkeypatch.setattr(infinite_class.gen, "log_var_ratio_ode_const", lambda w, s2: float("-inf"))
    code, out, err = cli(["theory", "--sampler", "ode", "--omega", "2"])
    assert code == 1 and len(err.strip().splitlines()) == 1 and "numerical failure" in err and out == ""
