"""Finite-size fits: exact recovery on noiseless data, honest errors on noisy data, the
power-law exponent, and the validate command end to end."""

import json

import numpy as np
import pytest

from cfgmft.cli import main
from cfgmft.validation.scaling import compare_forms, fit_form, power_law


@pytest.mark.parametrize("form, g", [("1/d", lambda d: 1 / d), ("1/sqrt(d)", lambda d: d ** -0.5)])
def test_noiseless_recovery_and_preference(form, g):
    d = np.array([8.0, 16, 32, 64, 128])
    y = 0.7 + 1.3 * g(d)
    fit = fit_form(d, y, np.full(d.size, 1e-3), form)
    assert abs(fit.a - 0.7) < 1e-12 and abs(fit.b - 1.3) < 1e-10 and fit.chi2 < 1e-15
    assert compare_forms(d, y, np.full(d.size, 1e-3))["preferred"] == form


def test_error_bars_cover_the_truth_at_the_stated_rate():
    rng = np.random.default_rng(0)
    d = np.array([10.0, 20, 40, 80])
    se = np.array([0.02, 0.015, 0.01, 0.008])
    z = []
    for _ in range(2000):
        y = 1.0 + 2.0 / d + se * rng.standard_normal(d.size)
        f = fit_form(d, y, se, "1/d")
        z.append((f.a - 1.0) / f.a_stderr)
    z = np.array(z)
    # Birge-corrected errors are conservative: |z| < 2 at least ~95% of the time
    assert np.mean(np.abs(z) < 2) > 0.94 and abs(np.mean(z)) < 0.1


def test_power_law_exponent():
    d = np.array([8.0, 16, 32, 64, 128])
    y = 0.5 * d ** -0.5
    pl = power_law(d, y, 1e-3 * y)
    assert abs(pl["p"] - 0.5) < 1e-10 and abs(pl["C"] - 0.5) < 1e-10
    assert power_law(d, np.zeros(5), np.ones(5))["p"] is None  # nothing distinguishable from 0


def test_validate_command_sub_exponential(tmp_path, capsys):
    out = tmp_path / "v"
    code = main(["validate", "--classes", "2", "--prior", "sphere", "--omega", "2", "--dims", "8,16,32,64",
                 "--samples", "1500", "--steps", "100", "--seed", "3", "--out", str(out), "--json", "--no-finite-d"])
    stdout, err = capsys.readouterr()
    assert code == 0, err
    r = json.loads(stdout)
    assert r["theory"]["m_final"] == 1.0 and r["theory"]["var_ratio"] == 1.0
    ms = [p["m_final"]["mean"] for p in r["points"]]
    assert ms[0] > 1 + 4 * r["points"][0]["m_final"]["stderr"]  # distorted at small d
    assert ms[-1] - 1 < ms[0] - 1  # and less so at large d
    assert r["decay"]["mean_shift"]["p"] > 0
    assert set(r["verdicts"]) == {"m_final", "var_ratio"}
    assert r["finite_d"] == {"applies": False, "reason": "not requested"}
    assert (out / "validate.png").stat().st_size > 10_000 and json.loads((out / "validate.json").read_text())["dims"] == [8, 16, 32, 64]


@pytest.mark.parametrize("args, argument", [
    (["--dims", "8"], "--dims"), (["--dims", "16,8"], "--dims"), (["--dims", "a,b"], "--dims"), (["--dims", "1,8"], "--dims"),
    (["--dims", "8,16", "--d", "8"], "--d"),
])
def test_validate_bad_input(args, argument, tmp_path, capsys):
    try:
        code = main(["validate", "--classes", "2", "--omega", "1", "--out", str(tmp_path / "x"), *args])
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err
    assert code == 2 and argument in err and len(err.strip().splitlines()) == 1
