"""cfgmft reproduce --quick: the report has a section per claim, honest verdicts and figures.

C1 and C4 (about 40 s), and C7 (about a minute), run in the default set on their own ``--quick --only`` reports. The whole
``--quick`` report, whose claims C2, C3, C5 and C6 take several minutes, is the slow set
(``python -m pytest -m slow``): its checks cannot be kept with a smaller run (the verdicts need
the quick run's error bars)."""

import json
import re

import pytest

from cfgmft.cli import main


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce")
    assert main(["reproduce", "--quick", "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def theory_claims(tmp_path_factory):
    """The quick run of the two cheapest claims (C1, C4): the same settings and numbers as in the
    whole --quick report."""
    out = tmp_path_factory.mktemp("reproduce_theory")
    assert main(["reproduce", "--quick", "--only", "C1,C4", "--out", str(out), "--quiet"]) == 0
    return out


def test_theory_claims_confirmed(theory_claims):
    text = (theory_claims / "report.md").read_text()
    sections = dict(re.findall(r"## (C\d):(.*?)(?=\n## C\d:|\Z)", text, re.S))
    for claim in ("C1", "C4"):
        assert "Verdict: confirmed" in sections[claim], sections[claim]
        assert "Criterion:" in sections[claim]
        assert (theory_claims / f"{claim.lower()}.png").stat().st_size > 10_000
    data = json.loads((theory_claims / "results.json").read_text())
    assert data["convention"] == "s = (1+omega) s_c - omega s_u" and data["settings"]["quick"] is True
    rows = data["C1"]["rows"]
    assert all(r["agree"] for r in rows) and len(rows) == 8


@pytest.fixture(scope="module")
def rules_claim(tmp_path_factory):
    """C7 of the --quick settings on its own (about a minute): the guidance rules."""
    out = tmp_path_factory.mktemp("reproduce_rules")
    assert main(["reproduce", "--quick", "--only", "C7", "--out", str(out), "--quiet"]) == 0
    return out


def test_rules_claim(rules_claim):
    """C7: every rule compared at cfg's separability agrees with its d -> infinity theory within the
    stated criterion; cfg's paired difference to itself is 0; the section and the figure exist."""
    text = (rules_claim / "report.md").read_text()
    section = text.split("## C7:", 1)[1]
    assert re.search(r"\nVerdict: (not )?confirmed\n", section) and "At equal separability" in section
    assert "Criterion:" in section and (rules_claim / "c7.png").stat().st_size > 10_000
    data = json.loads((rules_claim / "results.json").read_text())["C7"]
    assert data["theory_agrees_with_monte_carlo"] and data["verdict"]
    rows = [r for r in data["equal_separability"] if r.get("omega") is not None]
    assert {r["rule"] for r in rows} >= {"cfg", "powerlaw:beta=0.5", "zerostar", "rescale:phi=0.7"}
    assert all(r["diff_vs_cfg_var_ratio"] == [0.0, 0.0] for r in rows if r["rule"] == "cfg")
    # every rule of a sampler ran on cfg's steps, means, x_T and noise: the paired standard error of
    # the difference is below the unpaired one, sqrt(se_rule^2 + se_cfg^2) (positively correlated runs)
    cfg = {r["sampler"]: r for r in rows if r["rule"] == "cfg"}
    assert all(r["steps"] == cfg[r["sampler"]]["steps"] for r in rows)
    for r in rows:
        if r["rule"] != "cfg":
            for k in ("m", "var_ratio"):
                unpaired = (r[f"mc_{k}"][1] ** 2 + cfg[r["sampler"]][f"mc_{k}"][1] ** 2) ** 0.5
                assert r[f"diff_vs_cfg_{k}"][1] < unpaired, (r["rule"], k)


@pytest.mark.slow
def test_report_sections_and_verdicts(quick_report):
    text = (quick_report / "report.md").read_text()
    for claim in ("C1", "C2", "C3", "C4", "C5", "C6", "C7"):
        assert f"## {claim}:" in text
    sections = dict(re.findall(r"## (C\d):(.*?)(?=\n## C\d:|\Z)", text, re.S))
    for claim in ("C1", "C4", "C5"):
        assert "Verdict: confirmed" in sections[claim], sections[claim]
        assert "Criterion:" in sections[claim]
        assert (quick_report / f"{claim.lower()}.png").stat().st_size > 10_000
    for claim, mc in (("C2", ["c2_mc"]), ("C3", ["c3_antipodal", "c3_k10"])):
        assert re.search(r"\nVerdict: (not )?confirmed\n", sections[claim]), sections[claim]
        assert "Theory side: " in sections[claim] and "Monte Carlo" in sections[claim]
        assert (quick_report / f"{claim.lower()}.png").stat().st_size > 10_000
        for folder in mc:
            assert (quick_report / folder / "validate.png").stat().st_size > 10_000
            assert json.loads((quick_report / folder / "validate.json").read_text())["points"]
    assert re.search(r"\nVerdict: (not )?confirmed\n", sections["C6"]) and "Criterion:" in sections["C6"]
    assert (quick_report / "c6.png").stat().st_size > 10_000


@pytest.mark.slow
def test_results_json_has_numbers_and_parameters(quick_report):
    data = json.loads((quick_report / "results.json").read_text())
    assert data["convention"] == "s = (1+omega) s_c - omega s_u" and data["settings"]["quick"] is True
    rows = data["C1"]["rows"]
    assert all(r["agree"] for r in rows) and len(rows) == 8
    assert data["C5"]["max_var_ratio"]["sde"] <= 1.0 and data["C5"]["max_var_ratio"]["ode"] <= 1.0
    assert data["C2"]["theory_ok"] and data["C3"]["theory_ok"] and data["C6"]["theory_ok"]
    assert data["C6"]["design"].startswith("negwin:")
    for row in data["C6"]["monte_carlo"]:  # the designed schedule never shrinks the variance more
        assert row["var_gain"]["mean"] > 0
    # the C3 Monte Carlo distortion decays with d for both fixed K
    for run in data["C3"]["monte_carlo"].values():
        shifts = [p["mean_shift"]["mean"] for p in run["points"]]
        assert shifts[-1] < shifts[0]


def test_unwritable_out_is_exit_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["reproduce", "--quick", "--out", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_c6_design_is_the_library_design(quick_report):
    from cfgmft.solvers.design import design_negative_window

    data = json.loads((quick_report / "results.json").read_text())
    des = design_negative_window("sphere", 1.0, data["settings"]["c6_alpha"], 2.0, "sde")
    assert data["C6"]["design"] == des.schedule.spec and data["C6"]["candidates"] == len(des.admissible)
    assert data["C6"]["theory"]["designed"]["var_ratio"] == des.prediction.var_ratio


def test_every_claim_has_the_same_shape():
    from cfgmft.reproduce import CLAIMS, STEPS

    assert list(STEPS) == list(CLAIMS)
    for name, claim in STEPS.items():
        assert claim.NAME == name and claim.FIGURE == f"{name.lower()}.png"
        for fn in ("compute", "judge", "figure", "section"):
            assert callable(getattr(claim, fn)), (name, fn)


def test_verdict_record_and_section():
    from cfgmft.reproduce.report import Verdict, record, section

    v = Verdict({"theory_ok": True, "mc_agrees": False}, recorded=("theory_ok",))
    assert not v.ok and v.reason == "not met: mc_agrees"
    assert record({"rows": [1], "_private": object()}, v) == {"rows": [1], "theory_ok": True, "verdict": False}
    text = section("C1", ["body"], "c1.png", v)
    assert "\nVerdict: not confirmed\n" in text and "(not met: mc_agrees)" in text and "![C1](c1.png)" in text
    ok = Verdict({"a": True})
    assert ok.ok and ok.reason == "all criteria met" and "\nVerdict: confirmed\n" in section("C1", [], "c1.png", ok)


@pytest.mark.slow
def test_quick_rerun_reuses_every_saved_claim(quick_report, capsys):
    """The real --quick run saved a verified record per claim; a re-run recomputes nothing and
    rebuilds the same report from the records."""
    import time

    records = {p.name: p.read_bytes() for p in (quick_report / "claims").glob("*.json")}
    assert sorted(records) == [f"C{i}.json" for i in range(1, 8)]
    rec = json.loads(records["C2.json"])
    assert rec["settings"]["quick"] is True and rec["settings"]["seed"] == 20260223 and rec["version"]
    assert len(rec["checksum"]) == 64 and "c2_mc/validate.json" in rec["files"]
    old = (quick_report / "report.md").read_text()
    capsys.readouterr()
    t0 = time.perf_counter()
    assert main(["reproduce", "--quick", "--out", str(quick_report)]) == 0
    assert time.perf_counter() - t0 < 60
    assert "reusing the saved C1, C2, C3, C4, C5, C6, C7" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in (quick_report / "claims").glob("*.json")} == records
    data = json.loads((quick_report / "results.json").read_text())
    assert all(data["claims"][c]["reused"] for c in ("C1", "C2", "C3", "C4", "C5", "C6", "C7")) and data["pending"] == []
    new = (quick_report / "report.md").read_text()
    assert new.split("## C1:", 1)[1] == old.split("## C1:", 1)[1]  # every section, word for word
    assert "Reused from the saved records" in new
