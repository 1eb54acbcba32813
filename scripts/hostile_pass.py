"""A hostile but fair user's pass over cfgmft's surface: bad inputs on the command line and in the
Python API, legal but extreme sampler grids against the exact Gaussian continuum, and damaged
stores. Prints one line per input that breaks the contract and the counts per item
(docs/guide/reliability.md records them).

The contract for a bad input: the CLI exits 2 with exactly one line on stderr that names a flag,
no traceback, no warning, before any work (here: within 3 s of a warm process, and an output
folder not created); the Python API raises ``ParameterError`` whose message starts with the
argument's name, one line, within 2 s. A legal input gives a finite answer that agrees with the
exact one where cfgmft knows it (the Gaussian continuum on any grid), or one line saying why not.

Run: ``python scripts/hostile_pass.py [--quick] [--out results/hostile_pass]`` (about two minutes; ``--quick`` skips
the damaged stores; ``--out`` writes ``summary.json`` and the table ``summary.md`` the reliability guide includes).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

import numpy as np

from cfgmft import api
from cfgmft.cli import main
from cfgmft.errors import NumericalError, ParameterError
from cfgmft.params import Guidance, Mixture, Problem, Sampler

COUNTS: dict = {}
FAILS: list = []


def _tally(item: str, ok: bool, what: str) -> None:
    tried, met = COUNTS.get(item, (0, 0))
    COUNTS[item] = (tried + 1, met + int(ok))
    if not ok:
        FAILS.append(f"[{item}] {what}")


def _cli(args):
    out, err = io.StringIO(), io.StringIO()
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        warnings.simplefilter("always")
        try:
            code = main(list(args))
        except SystemExit as e:  # argparse
            code = e.code
        except BaseException:  # a traceback would reach the user
            code = "traceback"
            err.write(traceback.format_exc())
    text = err.getvalue() + "".join(f"{w.category.__name__}: {w.message}\n" for w in caught)
    return code, out.getvalue(), text, time.perf_counter() - t0


def cli_bad(item: str, args, flag: str, *, folder: Path | None = None, seconds: float = 3.0) -> None:
    code, _, err, dt = _cli(args)
    lines = err.strip().splitlines()
    ok = (code == 2 and len(lines) == 1 and flag in lines[0] and "Traceback" not in err and dt < seconds
          and (folder is None or not folder.exists()))
    _tally(item, ok, f"{' '.join(args)} -> exit {code} in {dt:.1f}s: {err.strip()[:300]}")


def cli_legal(item: str, args) -> None:
    """A legal input: exit 0 with finite JSON, or exit 1 with one line (an honest numerical failure)."""
    code, out, err, _ = _cli(args)
    ok = "Traceback" not in err and "Warning" not in err
    if code == 0 and ok:
        ok = _finite(json.loads(out))
    elif code == 1:
        ok = ok and len(err.strip().splitlines()) == 1
    else:
        ok = False
    _tally(item, ok, f"{' '.join(args)} -> exit {code}: {err.strip()[:300]}")


def _finite(obj) -> bool:
    if isinstance(obj, float):
        return math.isfinite(obj)
    if isinstance(obj, dict):
        return all(_finite(v) for v in obj.values())
    if isinstance(obj, list):
        return all(_finite(v) for v in obj)
    return True


def api_bad(item: str, what: str, fn, arguments=None, seconds: float = 2.0) -> None:
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fn()
            ok, msg = False, "accepted"
        except ParameterError as e:
            dt = time.perf_counter() - t0
            ok = (str(e).startswith(f"{e.argument}: ") and "\n" not in str(e) and dt < seconds
                  and not e.argument.startswith("-") and (arguments is None or e.argument in arguments))
            msg = f"ParameterError in {dt:.1f}s: {e}"
        except BaseException as e:  # noqa: BLE001 - any other exception breaks the contract
            ok, msg = False, f"{type(e).__name__}: {e}"
    ok = ok and not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    _tally(item, ok, f"{what} -> {msg[:300]}")


# -- the command line --------------------------------------------------------------------------------

def cli_pass(tmp: Path) -> None:
    theory = ["theory", "--omega", "2", "--json"]
    for flag, values in {"--sigma2": ["0", "-1", "1e9", "nan", "inf", "x", ""],
                         "--omega": ["-1.5", "1001", "nan", "inf", "x"],
                         "--alpha": ["-1", "101", "nan", "x", "1e-9"],
                         "--classes": ["1", "0", "-3", "x", "nan", "2.5"],
                         "--d": ["1", "0", "-2", "1e8", "x", "2.5"],
                         "--T": ["0", "-1", "1001", "nan", "x"]}.items():
        for v in values:
            cli_bad("CLI theory", theory + [flag, v], flag)
    for v in ["bogus", "constant:x", "interval:2:1", "negwin:1:2", "table:t:const:1,2:3", "constant:nan", "",
              "constant:2000", "table:sigma:const:1e200:1"]:
        cli_bad("CLI theory", ["theory", "--schedule", v], "--schedule")
    grids = ["karras:0:0.1:80", "karras:5:80:0.1", "karras:5:0:80", "karras:5:0.1:inf", "karras:5:0.1:1e101",
             "sigmas:1,2", "sigmas:", "sigmas:nan,1", "sigmas:1e101,1", "sigmas:-1,0", "ddim:0", "ddim:10:100000",
             "ddim:10:1000:linear:0.9:0.99", "ddim:10:1000:bogus", "ddim:10:1000:linear:0.5:0.1", "ddim:3:20000:linear:0.5:0.9",
             "x", "", "karras:5:0.1:80:0", "ddim:10:1000:linear:0.0001:0.02:leading:2000"]
    for cmd in (["theory", "--omega", "2"], ["simulate", "--omega", "2", "--d", "4", "--samples", "16"],
                ["schedule", "export", "--schedule", "constant:2"]):
        for g in grids:
            cli_bad("CLI grids", cmd + ["--grid", g] + (["--update", "euler"] if cmd[0] != "schedule" else []), "--grid")
    for cmd in (["theory", "--omega", "2"], ["simulate", "--omega", "2", "--d", "4", "--samples", "16"]):
        cli_bad("CLI grids", cmd + ["--update", "euler"], "--grid")
        cli_bad("CLI grids", cmd + ["--grid", "karras:5:0.1:80"], "--update")
        cli_bad("CLI grids", cmd + ["--grid", "karras:5:0.1:80", "--update", "bogus"], "--update")
        cli_bad("CLI grids", cmd + ["--grid", "karras:5:0.1:80", "--update", "euler", "--T", "2"], "--T")
        cli_bad("CLI grids", cmd + ["--grid", "karras:5:0.1:80", "--update", "euler", "--sampler", "ode"], "--sampler")
        cli_bad("CLI grids", cmd + ["--start", "unit"], "--start")
    cli_bad("CLI grids", ["simulate", "--omega", "2", "--d", "4", "--grid", "karras:5:0.1:80", "--update", "euler",
                          "--steps", "50"], "--steps")
    cli_bad("CLI grids", ["simulate", "--omega", "2", "--d", "4", "--grid", "karras:5:0.1:80", "--update", "euler",
                          "--tol", "1e-3"], "--tol")

    sim = ["simulate", "--omega", "2", "--d", "4", "--samples", "16", "--classes", "6"]
    for flag, values in {"--samples": ["1", "0", "-5", "1e12", "1000000000000", "x", "2.5"],
                         "--steps": ["0", "-1", "x", "100000000"],
                         "--disorder": ["0", "100001", "x", "-1"],
                         "--seed": ["-1", "x", "1.5", str(2**130)],
                         "--precision": ["float16", "x"],
                         "--backend": ["x", "jax"],
                         "--scheduler": ["bogus", "local:0", "local:x"],
                         "--stages": ["0", "3", "x"],
                         "--d": ["1", "x", "1e9"],
                         "--classes": ["1", "x"]}.items():
        for v in values:
            cli_bad("CLI simulate", sim + ["--steps", "4"] * (flag != "--steps") + [flag, v], flag)
    for v in ["0", "1", "1e-7", "1e-6", "5e-5", "nan", "x", "-1"]:
        cli_bad("CLI simulate", sim + ["--tol", v], "--tol")
    cli_bad("CLI simulate", sim + ["--tol", "1e-3", "--steps", "4"], "--tol")
    cli_bad("CLI simulate", ["simulate", "--omega", "2", "--d", "4", "--precision", "float32"], "--precision")
    cli_bad("CLI simulate", ["simulate", "--omega", "2", "--d", "4", "--classes", "inf", "--backend", "torch"],
            "--backend")
    cli_bad("CLI simulate", ["simulate", "--omega", "2"], "--d")

    ev = ["schedule", "evaluate", "--classes", "8", "--d", "8", "--schedule", "constant:2"]
    for extra, flag in [(["--simulate", "--samples", "1000000000000"], "--samples"),
                        (["--simulate", "--samples", "1"], "--samples"),
                        (["--simulate", "--disorder", "0"], "--disorder"),
                        (["--simulate", "--disorder", "1000000"], "--disorder"),
                        (["--finite-d", "--finite-d-samples", "1000000001"], "--finite-d-samples"),
                        (["--finite-d", "--finite-d-samples", "10"], "--finite-d-samples"),
                        (["--seed", "-1"], "--seed"), (["--seed", str(2**130), "--simulate"], "--seed")]:
        cli_bad("CLI schedule evaluate", ev + extra, flag)
    cli_bad("CLI schedule evaluate", ["schedule", "evaluate", "--schedule", "constant:2", "--simulate"], "--d")

    ex = ["schedule", "export", "--schedule", "constant:2", "--grid", "karras:5:0.1:80"]
    for v in ["0", "1e7", "nan", "x", "-1"]:
        cli_bad("CLI schedule export", ex + ["--data-scale", v], "--data-scale")
    cli_bad("CLI schedule export", ["schedule", "export", "--schedule", "constant:2", "--grid", "sigmas:1e100,1",
                                    "--data-scale", "1e-6"], "--data-scale")
    cli_bad("CLI schedule export", ex + ["--format", "xml"], "--format")
    cli_bad("CLI schedule export", ["schedule", "export", "--grid", "karras:5:0.1:80"], "--schedule")

    fr = ["schedule", "frontier", "--peak", "3"]
    k = 0
    for flag, values in {"--floors": ["0.5:inf:3", "0:1:3", "1:0.5:3", "0.5:1:1", "x", "nan:1:3", "0.5:200:3",
                                      "0.5:1:1000"],
                         "--peak": ["0", "101", "x", "nan"], "--global": ["0", "x", "100000"],
                         "--maxiter": ["0", "x"], "--families": ["bogus", "", "negwin,negwin"],
                         "--t-max": ["0", "100", "x"], "--seed": ["-1"], "--sigma2": ["0"], "--alpha": ["-1"]}.items():
        for v in values:
            k += 1
            folder = tmp / f"frontier{k}"
            cli_bad("CLI schedule frontier", fr + [flag, v, "--out", str(folder)], flag, folder=folder)
    cli_bad("CLI schedule frontier", fr + ["--out", str(tmp / "afile" / "x")], "--out")

    de = ["schedule", "design", "--peak", "3"]
    for flag, values in {"--variance-band": ["1:0.5", "x", "0:1", "nan:1"], "--family": ["bogus"],
                         "--peak": ["0", "x", "1000"], "--global": ["0"], "--t-max": ["0"],
                         "--finite-d-samples": ["10"], "--seed": ["-1"], "--prior": ["x"]}.items():
        for v in values:
            cli_bad("CLI schedule design", de + [flag, v], flag)
    cli_bad("CLI schedule design", de + ["--classes", "8"], "--d")

    k = 0
    for flag, values in {"--alpha": ["x", "0.1:0.5:0", "0.5:0.1:3", "nan:1:3", "0.1:0.5:200000"],
                         "--omega": ["x", "0:2:0", "-2:2:3", "0:2000:3"],
                         "--sigma2": ["0", "x", "1:0:3"], "--T": ["0", "x"]}.items():
        for v in values:
            k += 1
            folder = tmp / f"pd{k}"
            base = {"--alpha": "0.1:0.5:2", "--omega": "0:2:2"}
            base[flag] = v
            cli_bad("CLI phase-diagram", ["phase-diagram", "--out", str(folder)] + [x for kv in base.items() for x in kv],
                    flag, folder=folder)

    va = ["validate", "--omega", "2", "--classes", "6", "--samples", "16", "--steps", "4"]
    for v in ["", "x", "1", "4,x", "1e9", "4,4"]:
        cli_bad("CLI validate", va + ["--dims", v, "--out", str(tmp / "va")], "--dims")
    for flag, v in [("--samples", "1"), ("--steps", "0"), ("--disorder", "0"), ("--seed", "-1")]:
        cli_bad("CLI validate", va + ["--dims", "4", flag, v, "--out", str(tmp / "va")], flag)

    # guidance rules: every command that takes --guidance, bad names and parameters
    rules = ["bogus", "", "apg:eta", "apg:x=1", "apg:eta=1,eta=2", "apg:r=-1", "apg:eta=nan", "apg:eta=11",
             "powerlaw:beta=9", "powerlaw:beta=-1", "powerlaw:beta=x", "rescale:phi=1.5", "rescale:phi=-0.1",
             "zerostar:a=1", "cfg:omega=2", "APG:eta=0:r=1"]
    for cmd in (["theory", "--omega", "2"], ["simulate", "--omega", "2", "--d", "4", "--samples", "8"],
                ["validate", "--omega", "2", "--dims", "4", "--out", str(tmp / "vg")],
                ["phase-diagram", "--alpha", "0.1:1:3", "--omega", "0:2:3", "--out", str(tmp / "pg")],
                ["schedule", "evaluate", "--omega", "2"],
                ["schedule", "design", "--peak", "3", "--alpha", "0.3", "--prior", "sphere"],
                ["schedule", "frontier", "--peak", "3", "--out", str(tmp / "fg")],
                ["schedule", "nogo", "--quick"]):
        for v in rules:
            cli_bad("CLI --guidance", cmd + ["--guidance", v], "--guidance",
                    folder=tmp / "fg" if "frontier" in cmd else None)
    # a grid-only option in continuous time, APG's momentum in the grid theory: refused in one line before any work
    for args in (["simulate", "--omega", "2", "--d", "4", "--samples", "8", "--guidance", "zerostar:zero_init=1"],
                 ["theory", "--omega", "2", "--guidance", "apg:eta=0,r=0,momentum=0.5"],
                 ["theory", "--omega", "2", "--guidance", "apg:eta=0,r=0,momentum=0.5", "--grid", "karras:5:0.1:80",
                  "--update", "euler"]):
        cli_bad("CLI --guidance", args, "--guidance")
    # every rule (with its grid-only options) in the Monte Carlo on a grid: legal, finite JSON
    for rule in ("zerostar", "zerostar:zero_init=1", "apg:eta=0,r=0.05,momentum=0.5", "rescale:phi=0.7"):
        cli_legal("CLI --guidance legal", ["simulate", "--omega", "2", "--d", "4", "--samples", "8", "--guidance", rule,
                                          "--grid", "karras:5:0.1:80", "--update", "euler", "--json"])
    # the finite-d model takes every rule: legal, finite JSON
    for args in (["theory", "--omega", "2", "--alpha", "0.3", "--d", "10", "--guidance", "apg", "--finite-d",
                  "--finite-d-samples", "400", "--json"],
                 ["schedule", "evaluate", "--omega", "2", "--alpha", "0.3", "--d", "10", "--guidance", "apg",
                  "--finite-d", "--finite-d-samples", "400", "--json"]):
        cli_legal("CLI --guidance legal", args)
    for rule in ("powerlaw:beta=0.5", "apg:eta=0,r=0.05", "zerostar", "rescale:phi=1", "apg:eta=10,r=1e6"):
        cli_legal("CLI --guidance legal", ["theory", "--omega", "3", "--json", "--guidance", rule, "--grid",
                                          "karras:8:0.002:1e6", "--update", "heun"])
        cli_legal("CLI --guidance legal", ["theory", "--omega", "8", "--alpha", "2", "--prior", "sphere", "--json",
                                          "--guidance", rule])
        cli_legal("CLI --guidance legal", ["simulate", "--classes", "inf", "--d", "6", "--omega", "-1", "--samples",
                                          "16", "--steps", "20", "--json", "--guidance", rule])

    (tmp / "afile").write_text("x") if not (tmp / "afile").exists() else None
    for extra, flag in [(["--only", "C8"], "--only"), (["--only", ""], "--only"), (["--only", "C1;C2"], "--only"),
                        (["--seed", "-1"], "--seed"), (["--out", str(tmp / "afile")], "--out"),
                        (["--out", str(tmp / "afile" / "sub")], "--out")]:
        cli_bad("CLI reproduce", ["reproduce", "--tiny"] + extra, flag)


# -- legal but extreme sampler grids: Monte Carlo against the exact continuum ----------------------------

def grid_pass(n: int = 120) -> None:
    rng = np.random.default_rng(2026)
    updates = ["euler", "heun", "ddim", "ancestral"]
    for i in range(n):
        kind = i % 3
        if kind == 0:
            grid = f"sigmas:{10 ** rng.uniform(-2, 100)!r},{10 ** rng.uniform(-3, 1)!r}"
        elif kind == 1:
            grid = (f"karras:{rng.integers(1, 12)}:{10 ** rng.uniform(-100, 0)!r}:{10 ** rng.uniform(0, 100)!r}:"
                    f"{rng.choice([1.0, 3.0, 7.0, 20.0])!r}")
        else:
            b0 = 10 ** rng.uniform(-5, -0.1)
            grid = f"ddim:{rng.integers(1, 10)}:{rng.integers(10, 3000)}:linear:{b0!r}:{b0 + rng.uniform(0, 0.9) * (1 - b0)!r}"
        update = updates[i % 4]
        omega = float(rng.choice([0.5, 2.0, 6.0]))
        p = Problem(Mixture(classes=math.inf, d=4), Guidance(omega=omega), Sampler())
        what = f"{grid} {update} omega={omega}"
        try:
            th = api.predict(p, grid=grid, update=update)
        except ParameterError as e:
            _tally("grids: extreme legal levels", e.argument == "grid" and "\n" not in str(e), f"{what}: {e}")
            continue
        except NumericalError as e:
            _tally("grids: extreme legal levels", "\n" not in str(e), f"{what}: {e}")
            continue
        try:
            mc = api.simulate(p, grid=grid, update=update, samples=256, seed=3)
        except NumericalError as e:
            honest = (max(abs(th["m_final"]), th["var_ratio"] ** 0.5) > 1e60
                      or th["var_ratio"] < 1e-18 * max(1.0, th["m_final"] ** 2)
                      or (update == "heun" and "Heun's step" in str(e)))
            _tally("grids: extreme legal levels", honest, f"{what}: {e}")
            continue
        except BaseException as e:  # noqa: BLE001
            _tally("grids: extreme legal levels", False, f"{what}: {type(e).__name__}: {e}")
            continue
        ok = all(abs(mc[k]["mean"] - th[k]) <= 6 * mc[k]["stderr"] + 1e-9 * abs(th[k]) for k in ("m_final", "var_ratio"))
        _tally("grids: extreme legal levels", ok, f"{what}: mc {mc['m_final']} {mc['var_ratio']} theory "
                                                  f"{th['m_final']} {th['var_ratio']}")


# -- the Python API and the adapters -------------------------------------------------------------------

def api_pass(tmp: Path) -> None:
    from cfgmft.adapters.guidance import GuidanceTable, w_for_sigmas
    from cfgmft.commands.schedule import export
    from cfgmft.grids import diffusers_schedule, per_step_schedule, sigma_grid

    P = Problem(Mixture(classes=math.inf, d=4), Guidance(omega=1.0), Sampler(kind="ode", steps=4))
    F = Problem(Mixture(classes=6, d=8), Guidance(omega=1.0), Sampler(steps=4))
    wild = [None, True, -1, 1.5, "x", 2**200, float("nan"), float("inf"), [1], {"a": 1}]
    item = "API problems"
    for fn in ("predict", "simulate", "predict_finite_d", "check_simulation"):
        for v in wild:
            api_bad(item, f"api.{fn}({v!r})", lambda fn=fn, v=v: getattr(api, fn)(v), {"problem"})
    for v in wild[:6]:
        api_bad(item, f"Problem({v!r}, ...)", lambda v=v: Problem(v, Guidance(omega=1), Sampler()), {"mixture"})
    api_bad(item, "Problem('a', 'b', 'c')", lambda: Problem("a", "b", "c"), {"mixture"})
    for kw in [dict(sigma2=-1), dict(sigma2="x"), dict(prior="x"), dict(classes=1), dict(classes="x"), dict(alpha=-1),
               dict(alpha=1e-9), dict(d=1), dict(d=2.5), dict(target=-1), dict(classes=3, target=5),
               dict(alpha=50, d=100)]:
        api_bad("API parts", f"Mixture(**{kw})", lambda kw=kw: Mixture(**kw))
    for kw in [dict(omega="x"), dict(), dict(omega=1, schedule="constant:1"), dict(schedule="bogus"),
               dict(omega=float("nan")), dict(schedule=[1, 2])]:
        api_bad("API parts", f"Guidance(**{kw})", lambda kw=kw: Guidance(**kw))
    from cfgmft.guidance import as_rule, rule_from_dict

    for v in [3, [1], "bogus", "apg:eta=x", {"kind": "x"}, {"kind": "apg", "eta": "nan"}, {"kind": "apg", "z": 1},
              {"kind": "apg", "space": "eps"}, {"eta": 1}]:
        api_bad("API guidance rules", f"Guidance(omega=1, rule={v!r})", lambda v=v: Guidance(omega=1, rule=v), {"guidance"})
        api_bad("API guidance rules", f"as_rule({v!r})", lambda v=v: as_rule(v), {"guidance"})
    api_bad("API guidance rules", "rule_from_dict('apg')", lambda: rule_from_dict("apg"), {"guidance"})
    for kw in [dict(kind="x"), dict(T=-1), dict(T="x"), dict(steps=0), dict(steps="x")]:
        api_bad("API parts", f"Sampler(**{kw})", lambda kw=kw: Sampler(**kw))

    item = "API simulate/predict keywords"
    for key, values in {"seed": [-1, 1.5, "x", True, 2**200, [1]], "samples": [-1, 1, 1.5, "x", None, 10**12],
                        "disorder": [0, -1, 1.5, 10**6], "precision": ["x", None, "float16"],
                        "tol": [0, 1, float("nan"), "x", 1e-9], "stages": [0, 3, 1.5], "backend": ["x", None],
                        "scheduler": ["bogus", "local:0"], "start": ["x"]}.items():
        for v in values:
            api_bad(item, f"simulate({key}={v!r})", lambda key=key, v=v: api.simulate(P, **{"samples": 16, key: v}))
    api_bad(item, "simulate(grid='x', update='euler')", lambda: api.simulate(P, grid="x", update="euler"), {"grid"})
    api_bad(item, "simulate(grid=..., update='bogus')", lambda: api.simulate(P, grid="karras:4:0.1:80", update="bogus"))
    api_bad(item, "simulate(update='euler')", lambda: api.simulate(P, update="euler"), {"grid"})
    api_bad(item, "predict(grid='ddim:10:100000')", lambda: api.predict(P, grid="ddim:10:100000", update="ddim"), {"grid"})
    api_bad(item, "predict(start='unit')", lambda: api.predict(P, start="unit"), {"start"})
    for key, v in [("seed", -1), ("seed", "x"), ("seed", 1.5), ("samples", 10), ("samples", 10**12), ("steps", 0),
                   ("steps", 1.5)]:
        api_bad(item, f"predict_finite_d({key}={v!r})", lambda key=key, v=v: api.predict_finite_d(F, **{key: v}))

    item = "API adapters and grids"
    t = GuidanceTable.from_schedule("negwin:2:-0.8:0.05:0.6", "karras:6:0.05:80")
    for v in ["x", None, [1.0], [1.0, 2.0, 0.0], [3.0, float("nan"), 0.0], [[1, 0]], [5.0, -1.0]]:
        api_bad(item, f"w_for_sigmas({v!r})", lambda v=v: t.w_for_sigmas(v), {"sigmas"})
    for v in ["x", -1.0, float("nan"), float("inf"), None, [1, "x"]]:
        api_bad(item, f"w_at_sigma({v!r})", lambda v=v: t.w_at_sigma(v), {"sigma"})
    (tmp / "bin").write_bytes(bytes(range(256)))
    (tmp / "zero").symlink_to("/dev/zero") if not (tmp / "zero").exists() else None
    (tmp / "tdir").mkdir(exist_ok=True)
    ex = export("negwin:2:-0.8:0.05:0.6", "karras:6:0.05:80")
    bad_tables = {"missing file": str(tmp / "nope.json"), "folder": str(tmp / "tdir"), "folder Path": tmp / "tdir",
                  "binary": str(tmp / "bin"), "/dev/zero link": str(tmp / "zero"), "None": None, "3": 3,
                  "empty dict": {}, "bad JSON": "{x", "no rows": {"rows": []}}
    for cell, value in [("w", 7.0), ("sigma_next", 3.0), ("sigma", float("nan")), ("sigma", 1000.0), ("omega", 2000.0),
                        ("omega", "x"), ("step", 9)]:
        rows = [dict(r) for r in ex["rows"]]
        rows[2][cell] = value
        bad_tables[f"row 2 {cell} = {value!r}"] = {**ex, "rows": rows}
    rows = [dict(r) for r in ex["rows"]]
    rows[-1]["sigma_next"] = 0.01
    bad_tables["last sigma_next not 0"] = {**ex, "rows": rows}
    bad_tables["data_scale 0"] = {**ex, "data_scale": 0}
    for name, src in bad_tables.items():
        api_bad(item, f"from_export({name})", lambda src=src: GuidanceTable.from_export(src))
    api_bad(item, "w_for_sigmas(None, [1, 0])", lambda: w_for_sigmas(None, [1.0, 0.0]), {"table"})
    for spec in ["karras:0:1:2", "sigmas:1,2", "ddim:10:100000", "x", 3, None, "karras:5:1e-101:1e101"]:
        api_bad(item, f"sigma_grid({spec!r})", lambda spec=spec: sigma_grid(spec))
    api_bad(item, "per_step_schedule(wrong length)", lambda: per_step_schedule("karras:4:0.1:80", [1, 2]), {"omegas"})
    api_bad(item, "diffusers_schedule(scale nan)", lambda: diffusers_schedule("karras:4:0.1:80", float("nan")))
    api_bad(item, "design_schedule(None)", lambda: api.design_schedule(None, 3.0), {"mixture"})
    api_bad(item, "design_schedule(peak 0)", lambda: api.design_schedule(Mixture(), 0.0))
    api_bad(item, "frontier(floors inf)", lambda: api.frontier(floors="0.5:inf:3"), {"floors"})
    api_bad(item, "frontier(peak 0)", lambda: api.frontier(peak=0), {"peak"})


def torch_pass() -> None:
    """The torch and diffusers adapters (skipped where they are not installed)."""
    try:
        import torch  # noqa: F401
        from cfgmft.adapters.diffusers import TableGuidance
        from cfgmft.adapters.kdiffusion import ScheduledCFGDenoiser
        from cfgmft.adapters.torch_exact import ExactMixtureDenoiser
    except ImportError:
        return
    item = "API torch/diffusers adapters"
    means = [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]
    for key, v in [("means", "x"), ("means", [[1.0, 0.0]]), ("means", [[float("nan"), 0], [0, 1]]), ("sigma2", 0),
                   ("sigma2", "x"), ("target", 3), ("target", True), ("target", "x"), ("data_scale", 0), ("d", 0),
                   ("device", "bogus"), ("device", 3)]:
        kw = dict(means=means, sigma2=0.5, target=0)
        kw[key] = v
        api_bad(item, f"ExactMixtureDenoiser({key}={v!r})",
                lambda kw=kw: ExactMixtureDenoiser(kw.pop("means"), kw.pop("sigma2"), kw.pop("target"), **kw))
    den = ExactMixtureDenoiser(means, 0.5, 0)
    for x, sigma, arg in [("x", 1.0, "x"), ([[1.0, 2.0, 3.0]], 1.0, "x"), ([[float("nan"), 0.0]], 1.0, "x"),
                          ([[0.1, 0.2]], -1.0, "sigma"), ([[0.1, 0.2]], float("nan"), "sigma"),
                          ([[0.1, 0.2]], "x", "sigma"), ([[0.1, 0.2]], [1.0, 2.0], "sigma")]:
        api_bad(item, f"denoise({x!r}, {sigma!r})", lambda x=x, sigma=sigma: den.denoise(x, sigma), {arg})
    api_bad(item, "vp_output(prediction_type='x')",
            lambda: den.vp_output(torch.zeros(1, 2, dtype=torch.float64), 0.5, prediction_type="x"), {"prediction_type"})
    for w in [[], [float("nan")], [-1.0], "x", None]:
        api_bad(item, f"TableGuidance(w_per_step={w!r})", lambda w=w: TableGuidance(w_per_step=w), {"w_per_step"})
    g = TableGuidance(w_per_step=[3.0, 1.0])
    api_bad(item, "set_state(num_inference_steps=5)", lambda: g.set_state(0, 5, 0), {"num_inference_steps"})
    api_bad(item, "set_state(step=2)", lambda: g.set_state(2, 2, 0), {"step"})
    api_bad(item, "ScheduledCFGDenoiser(table=None)", lambda: ScheduledCFGDenoiser(den, None), {"table"})


# -- damaged stores ----------------------------------------------------------------------------------------

def store_pass(tmp: Path) -> None:
    from cfgmft.io import RECORD_BYTES_MAX

    def run(out, *extra):
        return _cli(["reproduce", "--tiny", "--out", str(out), "--only", "C1", *extra])

    scenarios = {
        "C1.json is a folder": lambda o: (o / "claims" / "C1.json").mkdir(parents=True),
        "claims is a file": lambda o: (o.mkdir(parents=True), (o / "claims").write_text("x")),
        "C1.json links to /dev/zero": lambda o: ((o / "claims").mkdir(parents=True),
                                                 (o / "claims" / "C1.json").symlink_to("/dev/zero")),
        "C1.json is a huge sparse file": lambda o: ((o / "claims").mkdir(parents=True),
                                                    open(o / "claims" / "C1.json", "wb").truncate(RECORD_BYTES_MAX + 1)),
        "C1.json is binary": lambda o: ((o / "claims").mkdir(parents=True),
                                        (o / "claims" / "C1.json").write_bytes(bytes(range(256)))),
        "report.md is a folder": lambda o: (o / "report.md").mkdir(parents=True),
        "results.json is a folder": lambda o: (o / "results.json").mkdir(parents=True),
    }
    for name, damage in scenarios.items():
        out = tmp / ("store_" + name.replace(" ", "_").replace("/", "_"))
        damage(out)
        code, _, err, dt = run(out)
        lines = err.strip().splitlines()
        ok = "Traceback" not in err and ((code == 2 and len(lines) == 1 and "--out" in lines[0] and dt < 5)
                                         or (code == 0 and json.loads((out / "claims" / "C1.json").read_text())["claim"] == "C1"))
        _tally("stores: damaged records", ok, f"{name} -> exit {code} in {dt:.1f}s: {err.strip()[:300]}")
    # a finished record truncated or edited: recomputed, the result equal to a fresh one
    out = tmp / "store_edit"
    run(out)
    ref = json.loads((out / "results.json").read_text())["C1"]
    rec = out / "claims" / "C1.json"
    for name, edit in {"truncated": lambda t: t[:100], "edited": lambda t: t.replace('"m_mc": ', '"m_mc": 1', 1),
                       "empty": lambda t: ""}.items():
        rec.write_text(edit(rec.read_text()))
        code, _, err, _ = run(out)
        ok = code == 0 and "Traceback" not in err and json.loads((out / "results.json").read_text())["C1"] == ref
        _tally("stores: damaged records", ok, f"record {name} -> exit {code}: {err.strip()[:300]}")


def main_pass(argv) -> int:
    quick = "--quick" in argv
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        (tmp / "afile").write_text("x")
        os.environ.setdefault("MPLBACKEND", "Agg")
        _cli(["theory", "--omega", "2"])  # warm: imports and numba caches are not "work"
        import cfgmft.commands.schedule_frontier, cfgmft.solvers.design, cfgmft.solvers.frontier  # noqa: F401,E401
        _cli(["simulate", "--omega", "2", "--d", "4", "--samples", "16", "--steps", "4"])
        cli_pass(tmp)
        api_pass(tmp)
        torch_pass()
        grid_pass()
        if not quick:
            store_pass(tmp)
    for line in FAILS:
        print("FAIL", line)
    print(f"{'item':<34} {'tried':>6} {'met':>6}")
    for item, (tried, met) in COUNTS.items():
        print(f"{item:<34} {tried:>6} {met:>6}")
    tried, met = (sum(v[i] for v in COUNTS.values()) for i in (0, 1))
    print(f"{'total':<34} {tried:>6} {met:>6}")
    if "--out" in argv:
        _write(Path(argv[argv.index("--out") + 1]), quick, tried, met)
    return 0 if tried == met else 1


def _write(out: Path, quick: bool, tried: int, met: int) -> None:
    """``summary.json`` and ``summary.md`` (the table the reliability guide includes) under ``out``."""
    import platform
    from cfgmft import __version__
    from cfgmft.io import source_commit

    out.mkdir(parents=True, exist_ok=True)
    commit = source_commit()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    rec = {"version": __version__, "commit": commit, "date": time.strftime("%Y-%m-%d"), "quick": quick,
           "machine": platform.machine(), "cpus": os.cpu_count(), "load_average": load,
           "items": [{"item": k, "tried": v[0], "met": v[1]} for k, v in COUNTS.items()],
           "tried": tried, "met": met, "failures": FAILS,
           "command": "python scripts/hostile_pass.py" + (" --quick" if quick else "") + " --out " + str(out)}
    (out / "summary.json").write_text(json.dumps(rec, indent=1))
    lines = ["| item | tried | met |", "|---|---:|---:|"]
    lines += [f"| {k} | {v[0]} | {v[1]} |" for k, v in COUNTS.items()]
    lines += [f"| **total** | **{tried}** | **{met}** |", "",
              f"Written by `{rec['command']}` (cfgmft {__version__}, commit {commit}, {rec['date']}, "
              f"{os.cpu_count()} cores, load average {load:.1f} at the end)"
              + ("; `--quick`: the damaged stores were not tried" if quick else "") + "."]
    if FAILS:
        lines += ["", "Inputs that did not meet the contract:", ""] + [f"* `{f[:300]}`" for f in FAILS]
    (out / "summary.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main_pass(sys.argv[1:]))
