"""The sweep executor: unit ids, in-process against dask, per-unit files, resume (after
``kill -9`` too), corrupt files, manifest checks and bad schedulers."""

import hashlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from cfgmft.errors import ParameterError
from cfgmft.params import Guidance, Mixture, Problem, Sampler
from cfgmft.api import run_simulations, simulate, simulation_unit
from cfgmft.sweep import UnitFailed, grid, load_sweep, parse_scheduler, run_sweep, unit_id, without_timing

TINY = {"d": 4, "steps": 10, "samples": 64}


def noise_stat(unit):
    """A cheap unit function: every random number comes from the unit's seed."""
    rng = np.random.default_rng([unit["seed"], unit["d"]])
    x = rng.standard_normal((64, unit["d"])) * unit.get("scale", 1.0)
    return {"mean": float(x.mean()), "var": float(x.var()), "d": unit["d"], "seconds": 0.1 * unit["seed"]}


def counting(fn):
    calls = []

    def counted(unit):
        calls.append(unit["seed"])
        return fn(unit)

    counted.__module__, counted.__qualname__ = fn.__module__, fn.__qualname__  # the same sweep function
    return counted, calls


def unit_files(out):
    return sorted(p.name for p in (out / "units").glob("*.json"))


# -- units and ids ---------------------------------------------------------------------------

def test_unit_id_is_the_hash_of_the_canonical_json():
    expected = hashlib.sha256(b'{"d":4,"omega":2.5,"seed":0}').hexdigest()[:16]
    assert unit_id({"seed": 0, "omega": 2.5, "d": 4}) == expected
    assert unit_id({"d": 4, "omega": 2.5, "seed": 0}) == expected
    assert unit_id({"d": 4, "omega": 2.5, "seed": 1}) != expected


def test_simulation_units_are_canonical():
    a = simulation_unit(d=4, omega=2)
    assert a == simulation_unit({"d": 4.0, "omega": 2.0, "sampler": "sde", "classes": float("inf")})
    assert a == simulation_unit(d=4, schedule="constant:2")  # a constant schedule is an omega
    assert unit_id(a) == unit_id(simulation_unit(d=4, omega=2.0, seed=0, steps=800))
    assert simulation_unit(d=4, schedule="interval:2:0.3:1.5")["schedule"] == "interval:2:0.3:1.5"
    e = simulation_unit(d=10, alpha=0.3, omega=1)
    assert e["alpha"] == 0.3 and e["classes"] is None


@pytest.mark.parametrize("unit, argument", [
    ({"omega": 2}, "d"),
    ({"d": 4}, "omega"),
    ({"d": 4, "omega": 2, "sigma2": -1}, "sigma2"),
    ({"d": 4, "omega": 2, "classes": 10, "alpha": 0.2}, "alpha"),
    ({"d": 4, "omega": 2, "samples": 1}, "samples"),
    ({"d": 4, "omega": 2, "colour": "red"}, "units"),
])
def test_bad_simulation_units(unit, argument, tmp_path):
    with pytest.raises(ParameterError) as e:
        run_simulations([simulation_unit(d=4, omega=1), unit], out_dir=tmp_path / "s", progress=False)
    assert e.value.argument == argument
    assert "unit 1" in str(e.value)
    assert not (tmp_path / "s").exists()


def test_grid_last_axis_fastest():
    units = grid({"omega": 2.0}, d=[20, 40], seed=range(2))
    assert [(u["d"], u["seed"]) for u in units] == [(20, 0), (20, 1), (40, 0), (40, 1)]
    assert all(u["omega"] == 2.0 for u in units)


def test_repeated_unit_is_an_error():
    with pytest.raises(ParameterError, match="^units: unit 2 repeats unit 0"):
        run_sweep([{"d": 4, "seed": 0}, {"d": 4, "seed": 1}, {"seed": 0, "d": 4}], noise_stat, progress=False)


# -- schedulers ------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["local:0", "local:x", "local:", "local:-1", "local:2.5", "udp://", "udp://host:1",
                                 "tcp://", "tcp://:8786", "tcp://host:port", "banana", 3])
def test_bad_scheduler(bad, tmp_path):
    with pytest.raises(ParameterError) as e:
        parse_scheduler(bad)
    assert e.value.argument == "scheduler" and str(e.value).startswith("scheduler: ")
    assert "\n" not in str(e.value)
    with pytest.raises(ParameterError, match="^scheduler: "):
        run_sweep([{"d": 4, "seed": 0}], noise_stat, tmp_path / "s", scheduler=bad, progress=False)
    assert not (tmp_path / "s").exists()


def test_good_schedulers():
    assert parse_scheduler(None) == ("inprocess", None)
    assert parse_scheduler("local:3") == ("local", 3)
    assert parse_scheduler("tcp://10.0.0.5:8786") == ("address", "tcp://10.0.0.5:8786")
    assert parse_scheduler("tls://scheduler.example.org:8786")[0] == "address"


# -- files, resume, corruption, manifest -----------------------------------------------------

def test_in_process_files_and_results(tmp_path):
    units = grid({"d": 3}, seed=range(4))
    out = tmp_path / "s"
    res = run_sweep(units, noise_stat, out, progress=False)
    assert res == [json.loads(json.dumps(noise_stat(u))) for u in units]
    man = json.loads((out / "manifest.json").read_text())
    assert [e["id"] for e in man["units"]] == [unit_id(u) for u in units]
    assert man["fn"].endswith("noise_stat")
    rec = json.loads((out / "units" / f"{unit_id(units[2])}.json").read_text())
    assert rec["unit"] == units[2] and rec["result"] == res[2] and rec["id"] == unit_id(units[2])
    assert rec["version"] and rec["timing"]["seconds"] >= 0
    assert load_sweep(out) == (units, res)
    assert run_sweep(units, noise_stat, None, progress=False) == res  # no folder: nothing written


def test_resume_skips_finished_units(tmp_path):
    units = grid({"d": 3}, seed=range(6))
    out = tmp_path / "s"
    fn, calls = counting(noise_stat)
    first = run_sweep(units, fn, out, progress=False)
    assert sorted(calls) == list(range(6))
    calls.clear()
    assert run_sweep(units, fn, out, resume=True, progress=False) == first
    assert calls == []
    (out / "units" / f"{unit_id(units[4])}.json").unlink()
    assert run_sweep(units, fn, out, resume=True, progress=False) == first
    assert calls == [4]
    calls.clear()
    assert run_sweep(units, fn, out, progress=False) == first  # without resume: recomputed
    assert sorted(calls) == list(range(6))


def test_corrupt_unit_files_are_recomputed(tmp_path):
    units = grid({"d": 3}, seed=range(5))
    out = tmp_path / "s"
    fn, calls = counting(noise_stat)
    first = run_sweep(units, fn, out, progress=False)
    files = [out / "units" / f"{unit_id(u)}.json" for u in units]
    text = files[1].read_text()
    files[1].write_text(text[: len(text) // 2])  # cut mid-write
    files[2].write_text("")
    files[3].write_text(json.dumps({"format": "cfgmft-sweep-unit/1", "id": unit_id(units[3]), "unit": units[0],
                                    "fn": "x", "result": {}}))  # parses, but another unit
    calls.clear()
    assert run_sweep(units, fn, out, resume=True, progress=False) == first
    assert sorted(calls) == [1, 2, 3]
    assert json.loads(files[1].read_text())["result"] == first[1]


def test_edited_or_malformed_unit_files_are_recomputed_and_said_so(tmp_path, capsys):
    """A well-formed record whose number was edited fails its checksum; a simulation result
    that lost a key or holds a string fails the schema check: both are recomputed, with a
    line on standard error, and the sweep's results are the uninterrupted ones."""
    units = [simulation_unit(classes=10, omega=2, seed=s, **TINY) for s in range(3)]
    out = tmp_path / "s"
    first = run_simulations(units, out_dir=out, progress=False)
    files = [out / "units" / f"{unit_id(u)}.json" for u in units]
    rec = json.loads(files[0].read_text())
    rec["result"]["var_ratio"]["mean"] += 0.5  # an edited number, checksum left as it was
    files[0].write_text(json.dumps(rec))
    for f, damage in ((files[1], lambda r: r.pop("var_ratio")), (files[2], lambda r: r.update(m_final="x"))):
        rec = json.loads(f.read_text())
        damage(rec["result"])
        rec.pop("checksum")
        from cfgmft.sweep import record_checksum  # a valid checksum over the damaged content
        rec["checksum"] = record_checksum(rec)
        f.write_text(json.dumps(rec))
    capsys.readouterr()
    again = run_simulations(units, out_dir=out, resume=True, progress=False)
    assert [without_timing(r) for r in again] == [without_timing(r) for r in first]
    err = capsys.readouterr().err
    assert "checksum does not match" in err and "no 'var_ratio'" in err and "m_final" in err
    assert len(err.strip().splitlines()) == 3


def test_units_folder_that_is_a_file_is_one_line(tmp_path):
    out = tmp_path / "s"
    out.mkdir()
    (out / "units").write_text("not a folder")
    with pytest.raises(ParameterError, match="^out_dir: .*units exists and is not a folder"):
        run_sweep(grid({"d": 3}, seed=range(2)), noise_stat, out, progress=False)


def test_unusable_output_folders_are_refused_before_any_work(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    fn, calls = counting(noise_stat)
    for bad in ("", blocker / "sub", tmp_path / ("x" * 300)):
        with pytest.raises(ParameterError, match="^out_dir: "):
            run_sweep(grid({"d": 3}, seed=range(2)), fn, bad, progress=False)
    assert calls == []


def test_manifest_mismatch_names_out(tmp_path):
    out = tmp_path / "s"
    run_sweep(grid({"d": 3}, seed=range(3)), noise_stat, out, progress=False)
    before = unit_files(out)
    other = grid({"d": 3}, seed=range(2, 5))
    with pytest.raises(ParameterError) as e:
        run_sweep(other, noise_stat, out, progress=False)
    assert e.value.argument == "out_dir" and str(out) in str(e.value) and "\n" not in str(e.value)
    assert unit_files(out) == before  # nothing computed
    for resume in (False, True):
        with pytest.raises(ParameterError, match="^out_dir: .*holds a sweep of .*noise_stat, not of .*simulate_like"):
            run_sweep(grid({"d": 3}, seed=range(3)), simulate_like, out, resume=resume, progress=False)
    # with resume the manifest becomes the new sweep and the common unit (seed 2) is reused
    fn, calls = counting(noise_stat)
    run_sweep(other, fn, out, resume=True, progress=False)
    assert sorted(calls) == [3, 4]
    assert [e["id"] for e in json.loads((out / "manifest.json").read_text())["units"]] == [unit_id(u) for u in other]


def simulate_like(unit):
    return {"x": unit["seed"]}


def test_failing_unit_keeps_finished_ones(tmp_path):
    def fn(unit):
        if unit["seed"] == 2:
            raise FloatingPointError("boom")
        return noise_stat(unit)

    units = grid({"d": 3}, seed=range(4))
    out = tmp_path / "s"
    with pytest.raises(UnitFailed, match="boom") as e:
        run_sweep(units, fn, out, progress=False)
    assert isinstance(e.value.__cause__, FloatingPointError)
    assert unit_files(out) == sorted(f"{unit_id(u)}.json" for u in units[:2])


def test_simulation_sweep_is_cfgmft_simulate(tmp_path):
    unit = simulation_unit(classes=10, omega=2, seed=3, **TINY)
    [res] = run_simulations([unit], out_dir=tmp_path / "s", progress=False)
    problem = Problem(Mixture(classes=10, d=4), Guidance(omega=2.0), Sampler(steps=10))
    direct = json.loads(json.dumps(without_timing(simulate(problem, samples=64, seed=3))))
    assert without_timing(res) == direct


# -- kill -9 and resume ----------------------------------------------------------------------

KILL_SCRIPT = """
import json, os, sys, time
import numpy as np
from cfgmft.sweep import grid, run_sweep

SLEEP = float(os.environ.get("SWEEP_SLEEP", "0.2"))

def fn(unit):
    with open(os.environ["SWEEP_LOG"], "a") as f:
        f.write(json.dumps(unit["seed"]) + "\\n")
    time.sleep(SLEEP)
    rng = np.random.default_rng(unit["seed"])
    return {"x": rng.standard_normal(3).tolist(), "seed": unit["seed"]}

UNITS = grid({"d": 8}, seed=range(20))

if __name__ == "__main__":
    res = run_sweep(UNITS, fn, sys.argv[1], resume="--resume" in sys.argv, progress=False)
    print(json.dumps(res))
"""


def test_resume_after_kill_9(tmp_path):
    script = tmp_path / "kill_script.py"
    script.write_text(textwrap.dedent(KILL_SCRIPT))
    out = tmp_path / "killed"
    env = {**os.environ, "SWEEP_LOG": str(tmp_path / "log1"), "PYTHONHASHSEED": "0"}
    proc = subprocess.Popen([sys.executable, str(script), str(out)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / "units").is_dir() and len(unit_files(out)) >= 4:
            break
        time.sleep(0.02)
    assert proc.poll() is None, proc.stderr.read().decode()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    finished = {n: (out / "units" / n).read_bytes() for n in unit_files(out)}
    assert 4 <= len(finished) < 20
    finished_seeds = {json.loads(b)["unit"]["seed"] for b in finished.values()}  # every file is complete

    env.update(SWEEP_LOG=str(tmp_path / "log2"), SWEEP_SLEEP="0")
    done = subprocess.run([sys.executable, str(script), str(out), "--resume"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    recomputed = [int(s) for s in (tmp_path / "log2").read_text().split()]
    assert sorted(recomputed) == sorted(set(range(20)) - finished_seeds)  # each unfinished unit once
    assert all((out / "units" / n).read_bytes() == b for n, b in finished.items())  # nothing lost
    assert not list((out / "units").glob(".partial-*"))

    spec = importlib.util.spec_from_file_location("kill_script", script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.SLEEP = 0.0
    os.environ["SWEEP_LOG"] = str(tmp_path / "log3")
    try:
        uninterrupted = run_sweep(mod.UNITS, mod.fn, tmp_path / "reference", progress=False)
    finally:
        del os.environ["SWEEP_LOG"]
    assert json.loads(done.stdout) == uninterrupted
    assert load_sweep(out)[1] == uninterrupted


def test_second_writer_is_refused(tmp_path):
    pytest.importorskip("fcntl")
    from cfgmft.sweep import FolderLock

    out = tmp_path / "s"
    out.mkdir()
    with FolderLock(out):
        with pytest.raises(ParameterError, match="^out_dir: .*another running sweep"):
            run_sweep([{"d": 3, "seed": 0}], noise_stat, out, progress=False)
    run_sweep([{"d": 3, "seed": 0}], noise_stat, out, progress=False)


# -- dask ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def distributed():
    return pytest.importorskip("distributed", reason="dask.distributed is not installed (pip install 'cfgmft[cluster]')")


def test_local_cluster_matches_in_process(distributed, tmp_path):
    """``local:2``: a LocalCluster of 2 worker processes (1 thread each) against this process."""
    units = grid(TINY, classes=["inf", 10], seed=range(2), omega=[2.0])
    here = run_simulations(units, out_dir=tmp_path / "here", progress=False)
    there = run_simulations(units, out_dir=tmp_path / "there", scheduler="local:2", progress=False)
    assert without_timing(there) == without_timing(here)
    assert unit_files(tmp_path / "there") == unit_files(tmp_path / "here")
    pids = {json.loads((tmp_path / "there" / "units" / n).read_text())["timing"]["worker"].split(":")[1]
            for n in unit_files(tmp_path / "there")}
    assert str(os.getpid()) not in pids  # really ran in the workers


def test_scheduler_address_and_resume(distributed, tmp_path):
    """An address: a 2-worker cluster of threads (``processes=False``) listening on tcp."""
    try:
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                                           dashboard_address=None)
    except Exception as e:  # pragma: no cover - depends on the machine
        pytest.skip(f"cannot start a local dask cluster here: {e}")
    units = grid({"d": 5}, seed=range(6))
    with cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://")
        there = run_sweep(units, noise_stat, tmp_path / "s", scheduler=address, progress=False)
        assert there == run_sweep(units, noise_stat, None, progress=False)
        files = {n: (tmp_path / "s" / "units" / n).read_bytes() for n in unit_files(tmp_path / "s")}
        broken = f"{unit_id(units[1])}.json"
        (tmp_path / "s" / "units" / broken).write_text("{")
        assert run_sweep(units, noise_stat, tmp_path / "s", scheduler=address, resume=True, progress=False) == there
        # the workers' calls cannot be counted from here: the files tell (timing is in them)
        after = {n: (tmp_path / "s" / "units" / n).read_bytes() for n in unit_files(tmp_path / "s")}
        assert {n for n in files if after[n] != files[n]} == {broken}
        assert json.loads(after[broken])["result"] == there[1]
