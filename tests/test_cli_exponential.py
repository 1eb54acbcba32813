"""cfgmft theory in the exponential regime and cfgmft phase-diagram through the CLI."""

import json
import math

import numpy as np
import pytest

from cfgmft.solvers.infinite_class import predict_infinite_class




def theory_json(args, cli):
    code, out, err = cli(["theory", *args, "--json"])
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("prior", ["sphere", "gaussian"])
def test_committed_point_fills_every_key(prior, cli):
    r = theory_json(["--alpha", "0.3", "--prior", prior, "--omega", "2", "--sampler", "sde"], cli)
    assert r["status"] == "committed" and 0 < r["t_commit"] < 40
    assert r["t_collapse"] is not None and r["t_collapse"] < r["t_commit"]
    assert r["m_final"] > 1 and r["var_ratio"] < 1 and math.isfinite(r["margin"])
    assert r["convention"] == "s = (1+omega) s_c - omega s_u"


def test_classes_at_d_read_as_alpha(cli):
    a = theory_json(["--classes", "1000", "--d", "20", "--omega", "2"], cli)
    b = theory_json(["--alpha", repr(math.log(1000) / 20), "--omega", "2"], cli)
    assert a["m_final"] == b["m_final"] and a["t_commit"] == b["t_commit"]
    code, _, err = cli(["theory", "--classes", "1000", "--omega", "2"])
    assert code == 2 and "--d" in err


def test_limits(cli):
    # alpha = 0: sub-exponential limit, no distortion
    r = theory_json(["--alpha", "0", "--omega", "3", "--sampler", "ode"], cli)
    assert abs(r["m_final"] - 1) < 1e-8 and abs(r["var_ratio"] - 1) < 1e-8
    # alpha large: never commits, the infinite-class closed forms
    r = theory_json(["--alpha", "3", "--prior", "gaussian", "--omega", "2", "--sampler", "sde"], cli)
    inf = predict_infinite_class("gaussian", 1.0, 2.0, "sde")
    assert r["t_commit"] is None and abs(r["m_final"] - inf.m_final) < 1e-8 and abs(r["var_ratio"] - inf.var_ratio) < 1e-8
    # omega = 0: exact sampling at any alpha, commitment at the collapse time
    r = theory_json(["--alpha", "0.2", "--prior", "sphere", "--omega", "0", "--sampler", "sde"], cli)
    assert abs(r["m_final"] - 1) < 1e-7 and abs(r["var_ratio"] - 1) < 1e-7
    assert abs(r["t_commit"] - r["t_collapse"]) < 1e-6


def test_phase_diagram_command(tmp_path, cli):
    out = tmp_path / "pd"
    code, stdout, err = cli(["phase-diagram", "--alpha", "0.05:0.9:8", "--omega", "0:4:5", "--prior", "sphere",
                             "--out", str(out), "--figures"])
    assert code == 0, err
    data = np.load(out / "phase_diagram.npz")
    assert data["var_ratio"].shape == (8, 5) and data["alpha_c"].shape == (5,)
    params = json.loads((out / "phase_diagram.json").read_text())
    assert params["prior"] == "sphere" and params["omega_grid"] == "0:4:5" and params["sigma2"] == 1.0
    assert "package_version" in params and len(params["alpha_c"]) == 5
    for name in ("t_commit", "mean_shift", "var_ratio", "kl_per_dim", "margin"):
        assert (out / f"{name}.png").stat().st_size > 5000
    # the map and the critical line agree: committed exactly below alpha_c
    alpha, crit = data["alpha"], data["alpha_c"]
    committed = np.isfinite(data["t_commit"])
    expect = alpha[:, None] < crit[None, :]
    assert np.array_equal(committed, expect)
    assert np.all(np.isfinite(data["var_ratio"])) and np.all(data["var_ratio"] <= 1 + 1e-9)


@pytest.mark.parametrize("args, argument", [
    (["--alpha", "0.1"], "--alpha"), (["--alpha", "0:1:5"], "--alpha"), (["--alpha", "1:0.1:5"], "--alpha"),
    (["--alpha", "0.1:1:x"], "--alpha"), (["--alpha", "0.1:1:5", "--omega", "0:2:3", "--sigma2", "0.5:1:3"], "--omega"),
    (["--alpha", "0.1:1:5", "--omega", "-2:1:3"], "--omega"), (["--alpha", "0.1:1:5", "--sigma2", "0"], "--sigma2"),
])
def test_phase_diagram_bad_grids(args, argument, tmp_path, cli):
    code, _, err = cli(["phase-diagram", *args, "--out", str(tmp_path / "x")])
    assert code == 2 and argument in err and len(err.strip().splitlines()) == 1
