"""The ways in of a first session: alpha_c where a user looks (theory, phase-diagram's 1-D
scan and --json), progress without a terminal, the Monte Carlo result object."""

import io
import json
import math

import pytest

from cfgmft.api import predict, simulate
from cfgmft.params import Guidance, Mixture, Problem, Sampler
from cfgmft.progress import progress
from cfgmft.results import Estimate, Simulation


def test_theory_json_reports_alpha_c_and_the_side(cli):
    code, out, err = cli(["theory", "--alpha", "0.3", "--prior", "sphere", "--omega", "2", "--json"])
    assert code == 0, err
    r = json.loads(out)
    assert r["alpha_c"] == pytest.approx(0.8019105, abs=1e-6) and r["alpha_c_side"] == "below"
    assert r["t_commit"] is not None  # below alpha_c: commits
    code, out, _ = cli(["theory", "--alpha", "0.9", "--prior", "sphere", "--omega", "2", "--json"])
    r = json.loads(out)
    assert r["alpha_c_side"] == "above" and r["t_commit"] is None
    code, out, _ = cli(["theory", "--alpha", "0.3", "--prior", "sphere", "--omega", "2"])
    assert "alpha_c = 0.801911" in out and "below" in out


def test_alpha_c_of_a_schedule_brackets_commitment():
    sch = "interval:2:0.3:1.5"
    base = dict(sigma2=1.0, prior="sphere")
    ac = predict(Problem(Mixture(alpha=0.3, **base), Guidance(schedule=sch), Sampler("sde")))["alpha_c"]
    below = predict(Problem(Mixture(alpha=ac - 1e-3, **base), Guidance(schedule=sch), Sampler("sde")))
    above = predict(Problem(Mixture(alpha=ac + 1e-3, **base), Guidance(schedule=sch), Sampler("sde")))
    assert below["alpha_c_side"] == "below" and below["t_commit"] is not None
    assert above["alpha_c_side"] == "above" and above["t_commit"] is None


def test_phase_diagram_1d_scan_and_json(tmp_path, cli):
    out = tmp_path / "scan"
    code, stdout, err = cli(["phase-diagram", "--alpha", "0.02:1.2:60", "--omega", "2", "--prior", "sphere",
                             "--out", str(out), "--json", "--quiet"])
    assert code == 0, err
    assert err == ""  # --quiet: no progress
    r = json.loads(stdout)
    assert r["shape"] == "scan over alpha" and r["omega"] == 2.0
    assert r["alpha_c"] == pytest.approx(0.8019105, abs=1e-6)
    scan = r["scan"]
    assert len(scan["alpha"]) == 60
    assert all(c == (a < r["alpha_c"]) for a, c in zip(scan["alpha"], scan["committed"]))
    assert all((t is None) == (not c) for t, c in zip(scan["t_commit"], scan["committed"]))
    assert not list(out.glob("*.png"))  # figures only on request
    code, text, _ = cli(["phase-diagram", "--alpha", "0.02:1.2:6", "--omega", "2", "--prior", "sphere",
                         "--out", str(out), "--quiet"])
    assert code == 0 and "alpha_c = 0.8019105" in text


def test_progress_lines_without_a_terminal(tmp_path, cli):
    code, _, err = cli(["phase-diagram", "--alpha", "0.05:0.9:4", "--omega", "0:2:3", "--out", str(tmp_path)])
    assert code == 0
    lines = [ln for ln in err.splitlines() if ln.startswith("cfgmft phase-diagram:")]
    assert lines and "12/12 pt" in lines[-1] and "elapsed" in lines[-1]
    stream = io.StringIO()
    bar = progress(total=3, desc="cfgmft x", unit="stage", stream=stream)
    bar.interval = 0.0
    for _ in range(3):
        bar.update(1)
    bar.close()
    got = stream.getvalue().splitlines()
    assert len(got) == 3 and got[0].startswith("cfgmft x: 1/3 stage (33%)") and "ETA" in got[0]
    assert got[-1].endswith("done")
    quiet = io.StringIO()
    with progress(total=3, stream=quiet, enabled=False) as b:
        b.update(3)
    assert quiet.getvalue() == ""


def test_schedule_design_progress_per_stage_without_a_terminal(cli):
    args = ["schedule", "design", "--prior", "sphere", "--alpha", "0.3", "--peak", "3"]
    code, out, err = cli(args)
    assert code == 0 and out.startswith("cfgmft ")
    lines = [ln for ln in err.splitlines() if ln.startswith("cfgmft schedule design [search on the exponential")]
    assert lines and "elapsed" in lines[-1] and lines[-1].endswith("done")
    assert sum(ln.endswith("done") for ln in lines) == 1  # the stage's end is written once
    total = int(lines[-1].split(": ")[1].split("/")[1].split()[0])
    assert lines[-1].split(": ")[1].startswith(f"{total}/{total} schedule (100%)")
    code, out2, err = cli(args + ["--quiet"])
    assert code == 0 and err == "" and out2 == out


def test_simulation_result_round_trip():
    p = Problem(Mixture(sigma2=1.0, prior="sphere", alpha=0.3, d=8), Guidance(omega=2.0), Sampler("ode", steps=20))
    r = simulate(p, samples=64, seed=5)
    assert isinstance(r, Simulation)
    est = r.estimates["var_ratio"]
    assert isinstance(est, Estimate) and est.value == r.var_ratio["mean"] and est.stderr == r["var_ratio"]["stderr"]
    assert r.seed == 5 and r.backend == "numpy" and r.seconds_total >= r.seconds_sampling > 0
    assert r.status == "ok" and r.message
    back = Simulation.from_json(r.to_json())
    assert back == r.to_dict() and back.estimates == r.estimates
    assert r.problem.mixture.to_dict() == p.mixture.to_dict() and r.problem.guidance == p.guidance
    assert r.problem.sampler.steps == 20
    assert math.isfinite(json.loads(r.to_json())["m_final"]["mean"])


def test_a_script_run_from_the_folder_above_the_checkout(tmp_path):
    """The checkout's folder named like the package does not shadow the installed package."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    (tmp_path / "cfgmft").symlink_to(root, target_is_directory=True)
    (tmp_path / "script.py").write_text("from cfgmft import __version__\nimport cfgmft.api, cfgmft.theory\n"
                                        "print(__version__, cfgmft.api.__name__)\n")
    for cmd in ([sys.executable, "script.py"], [sys.executable, "-c", "import cfgmft.params; print('ok')"]):
        res = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        assert "Error" not in res.stderr


def test_no_notebook_widget_progress():
    """A notebook kernel gets plain progress lines (cfgmft.progress), never tqdm's widget, whose
    absence of ipywidgets prints 'TqdmWarning: IProgress not found'."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for folder in ("cfgmft", "solvers", "validation", "theory", "notebooks"):
        for path in (root / folder).rglob("*.py"):
            text = path.read_text()
            assert "tqdm.auto" not in text and "tqdm.notebook" not in text and "tqdm.autonotebook" not in text, path
