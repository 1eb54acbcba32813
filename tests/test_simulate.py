"""cfgmft simulate: Monte Carlo through the CLI against the closed forms, seeds, disorder,
and its bad inputs."""

import json

import pytest

from cfgmft.solvers.infinite_class import predict_infinite_class




def sim(args, cli):
    code, out, err = cli(["simulate", *args, "--json"])
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("sampler", ["sde", "ode"])
def test_continuum_matches_closed_forms(sampler, cli):
    r = sim(["--classes", "inf", "--d", "8", "--omega", "2", "--sampler", sampler, "--samples", "3000",
             "--steps", "100", "--seed", "5"], cli)
    th = predict_infinite_class("gaussian", 1.0, 2.0, sampler)
    for key, ref in (("m_final", th.m_final), ("var_ratio", th.var_ratio)):
        assert abs(r[key]["mean"] - ref) <= 4 * r[key]["stderr"], (key, r[key], ref)
    assert r["K"] == "inf" and r["convention"] == "s = (1+omega) s_c - omega s_u"
    assert r["seconds_sampling"] > 0 and r["accuracy"] is None


def test_seed_and_disorder(cli):
    args = ["--alpha", "0.2", "--d", "12", "--prior", "sphere", "--omega", "1", "--samples", "200", "--steps", "60",
            "--disorder", "3"]
    a = sim(args + ["--seed", "1"], cli)
    b = sim(args + ["--seed", "1"], cli)
    c = sim(args + ["--seed", "2"], cli)
    assert a["m_final"] == b["m_final"] and a["m_final"] != c["m_final"]
    assert a["K"] == round(2.718281828459045 ** 2.4) and a["disorder"] == 3
    assert "over disorder draws" in a["stderr_convention"]
    assert 0 <= a["accuracy"]["mean"] <= 1 and a["margin"] is not None


@pytest.mark.parametrize("args, argument", [
    (["--classes", "inf", "--omega", "1"], "--d"),
    (["--classes", "inf", "--d", "8", "--omega", "1", "--precision", "float32"], "--precision"),
    (["--classes", "inf", "--d", "8", "--omega", "1", "--samples", "1"], "--samples"),
    (["--classes", "inf", "--d", "8", "--omega", "1", "--disorder", "0"], "--disorder"),
    (["--alpha", "2", "--d", "40", "--omega", "1"], "--alpha"),
    (["--classes", "inf", "--d", "8", "--omega", "1", "--steps", "0"], "--steps"),
])
def test_bad_input(args, argument, cli):
    code, out, err = cli(["simulate", *args])
    assert code == 2 and argument in err and len(err.strip().splitlines()) == 1 and out == ""
