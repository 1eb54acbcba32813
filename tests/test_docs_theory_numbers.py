"""The theory numbers the explanation pages quote (results/docs_theory_numbers/numbers.json,
written by scripts/docs_theory_numbers.py) are what the code gives now: a few of them recomputed
(cheap ones: no 16000-step grid), so the committed file cannot go stale against the solvers."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "results" / "docs_theory_numbers" / "numbers.json"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("docs_theory_numbers_under_test",
                                                  ROOT / "scripts" / "docs_theory_numbers.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_committed_theory_numbers_are_current(script):
    committed = json.loads(FILE.read_text())["numbers"]
    now = script.compute(convergence=False)
    assert set(now) | {"grid_conv_max_n_error"} == set(committed), "rerun python scripts/docs_theory_numbers.py"
    for name in ("alpha_c_sde_w2", "c2_a0.2_m", "c2_a0.2_t_commit", "c5_window_var", "c6_design_var_ratio",
                 "c6_const_margin", "grid_t0_gauss_m", "grid_design_ancestral_46", "grid_design_euler_10"):
        assert now[name]["parameters"] == committed[name]["parameters"], name
        assert now[name]["value"] == pytest.approx(committed[name]["value"], rel=1e-9, abs=1e-12), \
            f"{name}: {now[name]['value']} now, {committed[name]['value']} committed; rerun python scripts/docs_theory_numbers.py"
