"""cfgmft reproduce saves each claim as it finishes and resumes: a killed run keeps its finished
claims, a re-run reuses them (same numbers, not recomputed), a damaged or edited record, a
changed figure or other settings are recomputed, --force recomputes, --only selects.

These tests use the hidden ``--tiny`` mode (a very small run: its numbers test the machinery,
not the claims); the real ``--quick`` run is tests/test_reproduce.py."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cfgmft.cli import main

TINY = ["reproduce", "--tiny"]


def _run(out, *extra):
    return main(TINY + ["--out", str(out), *extra])


def _results(out):
    return json.loads((Path(out) / "results.json").read_text())


def _record(out, name):
    return json.loads((Path(out) / "claims" / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def c1_fresh(tmp_path_factory):
    """C1 of the tiny mode computed once from scratch: the reference numbers."""
    out = tmp_path_factory.mktemp("fresh")
    assert _run(out, "--only", "C1") == 0
    return out


# The store's contract (cfgmft/reproduce/store.py): a claim's record is written atomically as the
# claim finishes, and report.md / results.json are views rebuilt from the records (after every
# claim and by every run). A kill between the record and the rebuilt report loses nothing: the
# next run reuses the record and completes the report. The kill lands at a point the test chooses
# (right after C1's record is written, before the report is rebuilt: the latest point a report
# could lag), not at a time it hopes for.
_KILL_AFTER_SAVE = """
import os, signal, sys
from cfgmft.reproduce import store
_save = store.save
def save(out, name, *args, **kwargs):
    rec = _save(out, name, *args, **kwargs)
    if name == sys.argv[1]:
        os.kill(os.getpid(), signal.SIGKILL)
    return rec
store.save = save
from cfgmft.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_sigkill_after_the_first_claim_then_resume(tmp_path, c1_fresh):
    out = tmp_path / "run"
    env = dict(os.environ, MPLBACKEND="Agg")
    with open(tmp_path / "err1", "w") as err:
        rc = subprocess.run([sys.executable, "-c", _KILL_AFTER_SAVE, "C1", *TINY, "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=err, env=env).returncode
    assert rc == -signal.SIGKILL, (tmp_path / "err1").read_text()
    c1 = out / "claims" / "C1.json"
    assert c1.exists() and not (out / "claims" / "C2.json").exists()
    saved_bytes, saved_mtime = c1.read_bytes(), c1.stat().st_mtime_ns
    # what the store promises at this point: the record verifies, and the report written before the
    # work lists the claims as pending (it is rebuilt after each claim, so it may lag one claim)
    assert _record(out, "C1")["claim"] == "C1"
    assert "Pending" in (out / "report.md").read_text()

    # re-run (C1 and C4: C4 stands for the claims the killed run had not finished)
    with open(tmp_path / "err2", "w") as err:
        rc = subprocess.run([sys.executable, "-m", "cfgmft", *TINY, "--out", str(out), "--only", "C1,C4"],
                            stdout=subprocess.PIPE, stderr=err, env=env, text=True).returncode
    assert rc == 0, (tmp_path / "err2").read_text()
    stderr = (tmp_path / "err2").read_text()
    assert "reusing the saved C1 " in stderr
    assert c1.read_bytes() == saved_bytes and c1.stat().st_mtime_ns == saved_mtime, "C1 was recomputed"
    res = _results(out)
    assert res["claims"]["C1"]["reused"] is True and res["claims"]["C4"]["reused"] is False
    assert (out / "claims" / "C4.json").exists()
    # the same numbers as a fresh computation of C1, and the report completed
    assert res["C1"] == _results(c1_fresh)["C1"]
    text = (out / "report.md").read_text()
    sec = text.split("## C1:")[1].split("## C2:")[0]
    assert sec == (c1_fresh / "report.md").read_text().split("## C1:")[1].split("## C2:")[0]
    assert "Verdict:" in sec and "Not computed with these settings" in text.split("## C2:")[1].split("## C3:")[0]


@pytest.mark.parametrize("damage", ["record_is_a_folder", "claims_is_a_file"])
def test_unwritable_record_is_refused_before_the_work(tmp_path, capsys, damage):
    """A record's path that cannot take the record is refused (exit 2, one line naming --out)
    before the claim is computed, so no computed claim is lost at its saving."""
    out = tmp_path / "run"
    out.mkdir()
    if damage == "record_is_a_folder":
        (out / "claims" / "C1.json").mkdir(parents=True)
    else:
        (out / "claims").write_text("not a folder")
    t0 = time.perf_counter()
    assert _run(out, "--only", "C1") == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--out" in err and "Traceback" not in err
    assert time.perf_counter() - t0 < 5 and not (out / "c1.png").exists()


def test_record_that_is_a_link_to_an_endless_file_is_not_read(tmp_path, capsys):
    out = tmp_path / "run"
    (out / "claims").mkdir(parents=True)
    (out / "claims" / "C1.json").symlink_to("/dev/zero")
    assert _run(out, "--only", "C1") == 0
    err = capsys.readouterr().err
    assert "not reused" in err and "C1" in err
    assert _record(out, "C1")["claim"] == "C1"


def test_c1_omega_0_rows_are_the_control_not_distorted(c1_fresh):
    rows = _results(c1_fresh)["C1"]["rows"]
    assert any(r["omega"] == 0 for r in rows) and any(r["omega"] > 0 for r in rows)
    for r in rows:
        assert (r["distorted"] is None) == (r["omega"] == 0), r  # was true whatever the numbers


def test_edited_record_is_recomputed_not_trusted(tmp_path, c1_fresh, capsys):
    out = tmp_path / "run"
    assert _run(out, "--only", "C1") == 0
    path = out / "claims" / "C1.json"
    rec = json.loads(path.read_text())
    rec["results"]["rows"][0]["m_mc"] = 123.0  # an edit that keeps the file valid JSON
    path.write_text(json.dumps(rec))
    capsys.readouterr()
    assert _run(out, "--only", "C1") == 0
    err = capsys.readouterr().err
    assert "checksum does not match" in err and "C1" in err
    assert _results(out)["C1"] == _results(c1_fresh)["C1"]
    assert _record(out, "C1")["results"]["rows"][0]["m_mc"] != 123.0
    # a truncated file (as a crash without the atomic write would leave) is recomputed too
    path.write_text(path.read_text()[:100])
    assert _run(out, "--only", "C1") == 0
    assert "not a record" in capsys.readouterr().err
    assert _results(out)["C1"] == _results(c1_fresh)["C1"]


def test_changed_figure_other_settings_and_force_recompute(tmp_path, capsys):
    out = tmp_path / "run"
    assert _run(out, "--only", "C1") == 0
    first = _record(out, "C1")
    assert first["settings"]["seed"] == 20260223 and first["settings"]["tiny"] is True
    assert first["version"] and set(first["files"]) == {"c1.png"}
    (out / "c1.png").write_bytes(b"not a figure")
    capsys.readouterr()
    assert _run(out, "--only", "C1") == 0
    assert "c1.png was changed" in capsys.readouterr().err
    assert (out / "c1.png").read_bytes()[:4] == b"\x89PNG"
    # another seed: recomputed, and the record says so
    assert _run(out, "--only", "C1", "--seed", "7") == 0
    err = capsys.readouterr().err
    assert "other settings" in err and "seed" in err
    other = _record(out, "C1")
    assert other["settings"]["seed"] == 7 and other["results"] != first["results"]
    # back to the default seed: recomputed again (the folder keeps one record per claim)
    assert _run(out, "--only", "C1") == 0
    capsys.readouterr()
    again = _record(out, "C1")
    assert again["results"] == first["results"]
    # --force recomputes a record that verifies
    assert _run(out, "--only", "C1") == 0
    assert "reusing the saved C1" in capsys.readouterr().err and _record(out, "C1")["checksum"] == again["checksum"]
    assert _run(out, "--only", "C1", "--force") == 0
    assert "reusing" not in capsys.readouterr().err
    forced = _record(out, "C1")
    assert forced["results"] == again["results"] and forced["timing"] != again["timing"]


@pytest.mark.parametrize("only", ["C8", "C1,,C2", "", "C1;C2", "all"])
def test_bad_only_is_exit_2_and_loses_nothing(tmp_path, capsys, only):
    out = tmp_path / "run"
    out.mkdir()
    (out / "claims").mkdir()
    keep = out / "claims" / "C1.json"
    keep.write_text("{}")
    assert _run(out, "--only", only) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--only" in err and "C1, C2, C3, C4, C5, C6, C7" in err
    assert "Traceback" not in err and keep.read_text() == "{}"


def test_only_is_case_insensitive_and_ordered():
    from cfgmft.reproduce import parse_only

    assert parse_only("c6, C2") == ["C2", "C6"] and parse_only(None) == ["C1", "C2", "C3", "C4", "C5", "C6", "C7"]


def test_progress_lines_when_not_a_terminal_and_quiet(tmp_path):
    """Without a terminal: one line per stage with the total and the time left (no bar, no
    carriage returns); --quiet: none."""
    for quiet in (False, True):
        out = tmp_path / str(quiet)
        proc = subprocess.run([sys.executable, "-m", "cfgmft", *TINY, "--out", str(out), "--only", "C4",
                               *(["--quiet"] if quiet else [])],
                              capture_output=True, text=True, env=dict(os.environ, MPLBACKEND="Agg"))
        assert proc.returncode == 0, proc.stderr
        assert "\r" not in proc.stderr
        lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("cfgmft reproduce: ") and "elapsed" in ln]
        if quiet:
            assert not lines, proc.stderr
        else:
            assert "0/1 claim" in lines[0] and "[C4 (compute)]" in lines[0]
            assert "1/1 claim (100%)" in lines[-1] and "done" in lines[-1]
        assert proc.stdout.strip() == f"report written to {out / 'report.md'}"


def test_progress_per_claim_when_asked(tmp_path, capsys):
    from cfgmft.reproduce import reproduce

    reproduce(tmp_path, tiny=True, only="C1", progress=True)
    err = capsys.readouterr().err
    assert "C1 (compute)" in err and "1/1 claim (100%)" in err and "C1 done in" in err


def test_record_of_other_code_is_recomputed(tmp_path, capsys):
    """A record whose checksum verifies but which other source code computed is not reused."""
    from cfgmft.sweep import record_checksum

    out = tmp_path / "run"
    assert _run(out, "--only", "C1") == 0
    path = out / "claims" / "C1.json"
    rec = json.loads(path.read_text())
    assert len(rec["code"]) == 64
    rec["code"] = "0" * 64
    rec["checksum"] = record_checksum(rec)
    path.write_text(json.dumps(rec))
    capsys.readouterr()
    assert _run(out, "--only", "C1") == 0
    assert "source of cfgmft has changed" in capsys.readouterr().err
    assert _record(out, "C1")["code"] == rec_code() != "0" * 64


def rec_code():
    from cfgmft.reproduce.store import code_fingerprint

    return code_fingerprint()
