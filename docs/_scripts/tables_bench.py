"""Prose numbers of the benchmark and run-time pages, from committed results files.

* ``mem_*``: ``results/bench_memory/bench_memory.txt`` (``benchmarks/bench_memory.py --K 10000000``,
  its printed output with the command, commit and load average);
* ``bb_*``: ``results/bench_backends/bench_backends.json`` (``benchmarks/bench_backends.py``);
* ``rq_*``: ``results/reproduce_quick/`` (a ``cfgmft reproduce --quick`` run: its ``results.json`` (gzipped)
  and the ``/usr/bin/time -v`` record of the command, ``time.txt``);
* ``tta_check_verdict``, ``tta_check_lead``: ``results/time_to_accuracy/N256/time_to_accuracy.json``
  (the verdict of cfgmft's held-apart check at two standard errors);
* ``ci_*``: ``results/ci/ci_log.txt`` (the output of one ``.ci/run`` in a fresh clone, between a
  header and a footer line with the commit, the times and the exit status).
"""

from __future__ import annotations

import json

from results_tables import ROOT, _grab, _load

OUT = None


def main() -> None:
    """Nothing to include: this module's numbers are substitutions."""


def _memory() -> dict[str, str]:
    rel = "results/bench_memory/bench_memory.txt"
    t = (ROOT / rel).read_text()
    peak = float(_grab(t, r"peak RSS after the step\(s\) : ([\d.]+) GB", rel))
    means = float(_grab(t, r"class means K\*d\*8\s+: ([\d.]+) GB", rel))
    ratio = float(_grab(t, r"ratio whole-process peak / means: ([\d.]+)", rel))
    step = float(_grab(t, r"peak RSS after the step\(s\) : [\d.]+ GB \(([\d.]+) s\)", rel))
    steps = int(_grab(t, r"N = \d+, (\d+) SDE step", rel))
    return {"mem_step_time": f"{step / steps:.0f} s",
            "mem_load": _grab(t, r"load average: ([\d.]+)", rel) + " before, " +
            _grab(t, r"load average after: ([\d.]+)", rel) + " after", "mem_peak": f"{peak:.2f} GB",
            "mem_means": f"{means:.2f} GB", "mem_ratio": f"{ratio:.2f}x",
            "mem_target_met": "met" if ratio <= 1.3 else "not met"}


def _reproduce_quick() -> dict[str, str]:
    base = "results/reproduce_quick"
    res = _load(f"{base}/results.json.gz")
    rel = f"{base}/time.txt"
    t = (ROOT / rel).read_text()
    user = float(_grab(t, r"User time \(seconds\): ([\d.]+)", rel))
    system = float(_grab(t, r"System time \(seconds\): ([\d.]+)", rel))
    peak_kb = int(_grab(t, r"Maximum resident set size \(kbytes\): (\d+)", rel))
    wall = _wall(t, rel)  # the command's, from /usr/bin/time (results.json's "seconds" is reproduce's own)
    sub = {"rq_wall": _minsec(wall), "rq_cpu": f"{(user + system) / 60:.0f} min",
           "rq_peak": f"{peak_kb * 1024 / 1e9:.2f} GB",  # ru_maxrss is in KiB
           "rq_load": _grab(t, r"load average: ([\d.]+)", rel) + " at its start, " +
           _grab(t, r"load average after: ([\d.]+)", rel) + " at its end",
           "rq_commit": "`%s`" % _grab(t, r"cfgmft commit (\w+)", rel),
           "rq_claims": ", ".join(f"{c} {res['claims'][c]['seconds']:.0f} s" for c in sorted(res["claims"]))}
    return sub


def _wall(t: str, rel: str) -> float:
    """Seconds of ``Elapsed (wall clock) time (h:mm:ss or m:ss): ...`` of /usr/bin/time -v."""
    parts = [float(x) for x in _grab(t, r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", rel).split(":")]
    return sum(x * 60 ** i for i, x in enumerate(reversed(parts)))


def _minsec(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    return f"{m} min {s} s" if m else f"{s} s"


def _backends() -> dict[str, str]:
    d = json.loads((ROOT / "results/bench_backends/bench_backends.json").read_text())
    r = d["rows"]["sharded float64"]["ratio_numpy64_over_this"]
    slower = d["rows"]["sharded float64"]["seconds_per_step"] - d["rows"]["numpy float64"]["seconds_per_step"]
    if not (r < 1 and slower > d["sharded"]["overhead_per_step_s"]):  # what large-simulation.md says of this run
        raise ValueError("results/bench_backends/bench_backends.json: the sharded row is not slower by more than its "
                         "overhead; rewrite docs/howto/large-simulation.md's paragraph on it")
    return {"bb_sharded_ratio": f"{1 / r:.2f}x as slow as" if r < 1 else f"{r:.2f}x as fast as"}


def _ci() -> dict[str, str]:
    from datetime import datetime

    rel = "results/ci/ci_log.txt"
    t = (ROOT / rel).read_text()
    start = datetime.fromisoformat(_grab(t, r"# CI of commit \w+ .* started (\S+)Z", rel))
    end = datetime.fromisoformat(_grab(t, r"# ended (\S+)Z, rc 0\b", rel))  # a failed run is not quoted
    suite = float(_grab(t, r"=+ \d+ passed.* in ([\d.]+)s", rel))
    # the docs build runs in the fixture of tests/test_docs.py (pytest --durations lists it)
    docs = float(_grab(t, r"([\d.]+)s setup\s+tests/test_docs.py::", rel))
    commit = _grab(t, r"# CI of commit (\w+)", rel)
    return {"ci_commit": f"`{commit}`", "ci_wall": _minsec((end - start).total_seconds()),
            "ci_suite": f"{suite:.0f} s", "ci_passed": _grab(t, r"=+ (\d+) passed", rel),
            "ci_docs_build": f"{docs:.0f} s"}


def _tta_check() -> dict[str, str]:
    """The verdict of cfgmft's held-apart check on the K = 2^17 benchmark
    (results/time_to_accuracy/N256/time_to_accuracy.json, the file of results_tables' ``tta_check_*``):
    an observable meets the tolerance within two standard errors when ``|error| + 2 se <= tol``; an
    error below the tolerance whose two standard errors reach past it is not confirmed."""
    rel = "results/time_to_accuracy/N256/time_to_accuracy.json"
    d = _load(rel)
    tol = d["parameters"]["tol"]
    obs = d["cfgmft_check"]["observables"]
    names = {"m": "`E[m]`", "var_ratio": "`var_ratio`"}
    sure, below, over = [], [], []
    for o in ("m", "var_ratio"):
        e, se = obs[o]["error"], obs[o]["error_se"]
        if obs[o].get("met_with_2se") not in (None, abs(e) + 2 * se <= tol):
            raise ValueError(f"{rel}: {o}'s met_with_2se disagrees with |error| + 2 se <= tol")
        (sure if abs(e) + 2 * se <= tol else below if abs(e) <= tol else over).append((o, e, se))
    parts = [f"{' and '.join(names[o] for o, _, _ in sure)} meet{'s' if len(sure) == 1 else ''} the tolerance within "
             "two standard errors"] if sure else []
    parts += [f"on {names[o]} the error ({e:+.1e} ± {se:.1e}) is below the tolerance but the error plus two standard "
              "errors exceeds it: not confirmed at two standard errors" for o, e, se in below]
    parts += [f"on {names[o]} the error ({e:+.1e} ± {se:.1e}) exceeds the tolerance: not met" for o, e, se in over]
    verdict = "; ".join(parts)
    if over:
        lead = f"cfgmft misses the tolerance on {' and '.join(names[o] for o, _, _ in over)}, measured."
    elif below:
        lead = ("cfgmft's measured errors are below the tolerance, but on "
                f"{' and '.join(names[o] for o, _, _ in below)} not by two standard errors.")
    else:
        lead = "cfgmft meets the tolerance, measured, within two standard errors."
    return {"tta_check_verdict": verdict[0].upper() + verdict[1:], "tta_check_lead": lead}


def _c2_extrapolation() -> dict[str, str]:
    """C2 at d = 80 (alpha = 0.2) at the sampling rate of the largest committed C2 point
    (results/c2_large_k/c2_large_k.json), the time scaling as K d at fixed samples and steps."""
    import math

    pts = list(_load("results/c2_large_k/c2_large_k.json")["points"].values())
    big = max(pts, key=lambda p: p["K"])
    K80 = round(math.exp(big["alpha"] * 80))
    hours = big["seconds_sampling"] * (K80 * 80) / (big["K"] * big["d"]) / 3600
    return {"c2x_k80": f"{K80 / 10 ** 6:.1f} x 10^6", "c2x_hours": f"{hours:.1f} hours",
            "c2x_alpha": f"{big['alpha']:g}"}


def _full_run() -> dict[str, str]:
    return {"full_run_seed": str(_load("docs/full_run/results.json.gz")["settings"]["seed"])}


def substitutions() -> dict[str, str]:
    return _full_run() | _memory() | _reproduce_quick() | _backends() | _ci() | _c2_extrapolation() | _tta_check()
