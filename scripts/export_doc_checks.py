"""The run numbers of docs/howto/design-and-export.md and docs/guide/diffusers.md, recomputed:
each part runs the command (or the computation) the page states, with the page's parameters, and
records its output, parameters, seeds, timing and the git commit.

    python scripts/export_doc_checks.py [--out results/export_doc_checks] [--only PART[,PART...]]

Writes OUT/PART.json for each part (``--only`` reruns those parts), with the part's result, the
git commit, the date and its wall time. The docs build reads it (docs/_scripts/tables_export.py). Parts:

* ``design``: ``cfgmft schedule design --prior sphere --alpha 0.3 --peak 3 --json`` (continuous
  time), its export with ``--design`` on ``karras:30:0.002:80:7`` (the warning) and on
  ``karras:1000:0.002:80:7``; the design on the 30-step grid with ``--update ancestral`` and its
  export (silent). Seconds.
* ``design_d12``: the same design corrected on the finite-d model at ``d = 12`` (``--d 12``),
  with its wall time.
* ``gauss12``: the gaussian continuum designed on ``karras:12:0.002:80:7`` with euler at band
  0.95:1.05 (the computation of tests/test_grid_design.py, its seeds), its exact-score Monte
  Carlo on the same grid at ``d = 16``, and the continuous-time design on the same grid.
* ``nogo12``: ``cfgmft schedule nogo --grid karras:12:0.002:80:7 --update ancestral --quick --global 4``.
* ``finite_d``: ``cfgmft schedule evaluate --finite-d --simulate`` on the 12-step grid at
  ``d = 32, K = 400`` and at ``d = 12, K = 20`` (and the latter in continuous time, ODE).
* ``finite_d_design``: ``cfgmft schedule design --classes 400 --d 32 --peak 2 --grid ...
  --variance-band 0.6:0.7 --global 8 --finite-d-samples 1000`` and its evaluation with 4000 model
  samples and Monte Carlo (500 samples x 8 mixtures).
* ``gaussian_t0``: the continuous-time theory of the gaussian grid_design_steps design started at
  the Karras grids' ``t_0`` (``sigma_max = 80``) instead of ``T -> infinity``.
* ``diffusers``: diffusers' DDIM, Euler discrete (Karras) and EDM Euler schedulers with the
  exported table, the runs of tests/test_adapters_torch.py (its helpers and seeds), with the
  numbers that test asserts on; and the installed size of torch and diffusers.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KARRAS30 = "karras:30:0.002:80:7"
KARRAS1000 = "karras:1000:0.002:80:7"
KARRAS12 = "karras:12:0.002:80:7"


def _commit() -> str:
    from cfgmft.io import source_commit

    return source_commit() or "unknown"


def cli(*args: str, stdin: str | None = None) -> dict:
    """``cfgmft ARGS`` in a subprocess: the command line, return code, stdout, stderr, seconds."""
    import resource

    t0, c0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run([sys.executable, "-m", "cfgmft", *args], capture_output=True, text=True, input=stdin,
                       cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": "0"})
    out = {"command": "cfgmft " + " ".join(args), "returncode": p.returncode, "stdout": p.stdout,
           "stderr": p.stderr, "seconds": time.perf_counter() - t0}
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["cpu_seconds"] = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    if p.returncode != 0:
        raise RuntimeError(f"{out['command']}: exit {p.returncode}: {p.stderr}")
    return out


def _json(run: dict) -> dict:
    return json.loads(run["stdout"])


def part_design() -> dict:
    base = ["schedule", "design", "--prior", "sphere", "--alpha", "0.3", "--peak", "3"]
    des = cli(*base, "--json")
    dj = _json(des)
    res = {"design": {"command": des["command"], "seconds": des["seconds"], "output": dj}}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "design.json"
        path.write_text(des["stdout"])
        for key, grid in (("export30", KARRAS30), ("export1000", KARRAS1000)):
            ex = cli("schedule", "export", "--design", str(path), "--grid", grid)
            res[key] = {"command": ex["command"].replace(str(path), "design.json"), "grid": grid,
                        "stderr": ex["stderr"].replace(str(path), "design.json"),
                        "grid_check": _json(ex)["grid_check"]}
        g = cli(*base, "--grid", KARRAS30, "--update", "ancestral", "--json")
        gj = _json(g)
        res["design30"] = {"command": g["command"], "seconds": g["seconds"], "output": gj}
        path30 = Path(tmp) / "design30.json"
        path30.write_text(g["stdout"])
        ex = cli("schedule", "export", "--design", str(path30), "--grid", KARRAS30)
        res["export30_grid_design"] = {"command": ex["command"].replace(str(path30), "design30.json"),
                                       "stderr": ex["stderr"], "grid_check": _json(ex)["grid_check"]}
    return res


def part_design_d12() -> dict:
    r = cli("schedule", "design", "--prior", "sphere", "--alpha", "0.3", "--peak", "3", "--d", "12", "--json")
    return {"command": r["command"], "seconds": r["seconds"], "cpu_seconds": r.get("cpu_seconds"), "output": _json(r)}


def part_gauss12() -> dict:
    """tests/test_grid_design.py's computation: the designs with its arguments and the Monte Carlo
    with its seeds."""
    import numpy as np

    from cfgmft.api import design_schedule, predict
    from cfgmft.params import Mixture, Problem
    from cfgmft.validation.discrete import run_monte_carlo_grid
    from cfgmft.validation.scores import ContinuumGaussian

    band, d, n = (0.95, 1.05), 16, 4000
    mix = Mixture(prior="gaussian", sigma2=1.0)
    kw = dict(band=band, family="negwin", n_global=24, seed=0)
    on_grid = design_schedule(mix, 3.0, "ode", grid=KARRAS12, update="euler", **kw)
    cont = design_schedule(mix, 3.0, "ode", **kw)
    q = predict(Problem.from_dict({"prior": "gaussian", "classes": "inf", "schedule": cont.schedule.spec,
                                   "sampler": "ode"}), grid=KARRAS12, update="euler")
    mu = np.random.default_rng(4).standard_normal(d)
    r = run_monte_carlo_grid(ContinuumGaussian(1.0), mu, 1.0, on_grid.schedule, KARRAS12, "euler", n=n, rng=5)
    est = r.estimates
    return {"parameters": {"prior": "gaussian", "sigma2": 1.0, "peak": 3.0, "band": list(band), "grid": KARRAS12,
                           "update": "euler", "family": "negwin", "n_global": 24, "seed": 0, "d": d, "samples": n,
                           "mu_seed": 4, "mc_seed": 5, "as_in": "tests/test_grid_design.py"},
            "grid_design": {"schedule": on_grid.schedule.spec, "var_ratio": on_grid.design["var_ratio"],
                            "m": on_grid.design["m_final"]},
            "monte_carlo": {"var_ratio": {"mean": est.var_ratio.value, "stderr": est.var_ratio.stderr},
                            "m": {"mean": est.m.value, "stderr": est.m.stderr}},
            "continuous_design": {"schedule": cont.schedule.spec, "var_ratio": cont.design["var_ratio"],
                                  "on_grid_var_ratio": q["var_ratio"], "on_grid_m": q["m_final"]}}


def part_nogo12() -> dict:
    r = cli("schedule", "nogo", "--grid", KARRAS12, "--update", "ancestral", "--quick", "--global", "4", "--json")
    return {"command": r["command"], "seconds": r["seconds"], "output": _json(r)}


def _evaluate(*args) -> dict:
    r = cli("schedule", "evaluate", *args, "--json", "--quiet")
    return {"command": r["command"].replace(" --json --quiet", ""), "seconds": r["seconds"], "output": _json(r)}


def part_finite_d() -> dict:
    common = ["--omega", "2", "--finite-d", "--finite-d-samples", "4000", "--simulate", "--samples", "500",
              "--disorder", "8"]
    return {
        "d32_K400_grid": _evaluate("--prior", "sphere", "--classes", "400", "--d", "32", "--grid", KARRAS12,
                                   "--update", "euler", *common),
        "d12_K20_grid": _evaluate("--prior", "sphere", "--classes", "20", "--d", "12", "--grid", KARRAS12,
                                  "--update", "euler", *common),
        "d12_K20_ode": _evaluate("--prior", "sphere", "--classes", "20", "--d", "12", "--sampler", "ode", *common),
    }


def part_finite_d_design() -> dict:
    r = cli("schedule", "design", "--prior", "sphere", "--classes", "400", "--d", "32", "--peak", "2", "--grid",
            KARRAS12, "--update", "euler", "--variance-band", "0.6:0.7", "--global", "8", "--finite-d-samples", "1000",
            "--json")
    out = _json(r)
    ev = _evaluate("--prior", "sphere", "--classes", "400", "--d", "32", "--schedule", out["schedule"], "--grid",
                   KARRAS12, "--update", "euler", "--finite-d", "--finite-d-samples", "4000", "--simulate",
                   "--samples", "500", "--disorder", "8")
    return {"design": {"command": r["command"], "seconds": r["seconds"], "output": out}, "evaluate": ev}


def part_gaussian_t0() -> dict:
    """The continuous theory of results/grid_design_steps' gaussian design from T = t_0 of the
    Karras grids (sigma_max = 80) instead of T -> infinity."""
    from cfgmft.api import predict
    from cfgmft.params import Problem

    steps = json.loads((ROOT / "results/grid_design_steps/grid_design_steps.json").read_text())
    case = next(c for c in steps["cases"] if c["prior"] == "gaussian")
    spec = case["continuous_design"]["schedule"]
    t0 = 0.5 * math.log1p(80.0 ** 2)
    p = predict(Problem.from_dict({"prior": "gaussian", "classes": "inf", "schedule": spec,
                                   "sampler": "ode", "T": t0}))
    return {"schedule": spec, "sigma_max": 80.0, "t0": t0, "m": p["m_final"], "var_ratio": p["var_ratio"],
            "design_m": case["continuous_design"]["m"], "from": "results/grid_design_steps/grid_design_steps.json"}


def part_diffusers() -> dict:
    """The runs of tests/test_adapters_torch.py with its helpers, seeds and sizes, recording the
    numbers it asserts on (the continuous-time prediction beside them)."""
    import importlib.util

    import numpy as np
    import torch  # noqa: F401
    import diffusers

    from cfgmft.api import predict
    from cfgmft.params import Problem

    spec = importlib.util.spec_from_file_location("adapters_torch_test", ROOT / "tests" / "test_adapters_torch.py")
    t = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(t)
    out = {"diffusers": diffusers.__version__, "torch": torch.__version__, "d": t.D, "samples": t.N_SAMPLES,
           "sigma2": t.SIGMA2, "steps": 24, "z": t.Z, "infinite": [], "finite": []}
    for kind in ("ddim", "euler", "edm"):
        for schedule in ("constant:2", "negwin:3:-1:0.2:0.8"):
            rng = np.random.default_rng(7)
            mu = rng.standard_normal(t.D)
            model = t.ExactMixtureDenoiser(None, t.SIGMA2, target=mu)
            x, grid, start = t._run_scheduler(kind, model, 24, schedule, t.N_SAMPLES, seed=11)
            est = t.estimate_observables(x, mu, t.SIGMA2)
            pred = t.predict_discrete("gaussian", t.SIGMA2, schedule, "ddim" if kind == "ddim" else "euler", grid,
                                      start=start)
            cont = predict(Problem.from_dict({"prior": "gaussian", "classes": "inf", "schedule": schedule,
                                              "sampler": "ode"}))
            row = {"kind": kind, "schedule": schedule, "start": start,
                   "m": {"mean": est.m.value, "stderr": est.m.stderr}, "pred_m": pred["m_final"],
                   "var_ratio": {"mean": est.var_ratio.value, "stderr": est.var_ratio.stderr},
                   "pred_var_ratio": pred["var_ratio"], "continuous_m": cont["m_final"],
                   "continuous_var_ratio": cont["var_ratio"]}
            row["agrees"] = bool(t._agree(row["m"]["mean"], row["pred_m"], row["m"]["stderr"])
                                 and t._agree(row["var_ratio"]["mean"], row["pred_var_ratio"], row["var_ratio"]["stderr"]))
            out["infinite"].append(row)
            print(kind, schedule, row, flush=True)
    for kind in ("euler", "edm"):
        rng = np.random.default_rng(5)
        means = t.draw_means(64, t.D, "gaussian", rng)
        model = t.ExactMixtureDenoiser(means, t.SIGMA2, target=0)
        schedule = "negwin:3:-1:0.2:0.8"
        x, grid, start = t._run_scheduler(kind, model, 24, schedule, t.N_SAMPLES, seed=3)
        mix = t.FiniteMixture(means, t.SIGMA2)
        est = t.estimate_observables(x, means[0], t.SIGMA2, mixture=mix, c=0)
        mc = t.run_monte_carlo_grid(mix, means[0], t.SIGMA2, schedule, grid, "euler", n=t.N_SAMPLES, rng=9, c=0,
                                    start=start)
        row = {"kind": kind, "schedule": schedule, "K": 64}
        ok = True
        for name in ("m", "var_ratio", "accuracy"):
            a, b = getattr(est, name), getattr(mc.estimates, name)
            se = math.hypot(a.stderr, b.stderr)
            row[name] = {"diffusers": {"mean": a.value, "stderr": a.stderr}, "cfgmft_mc": {"mean": b.value, "stderr": b.stderr},
                         "z": (a.value - b.value) / se if se > 0 else None}
            ok &= bool(t._agree(a.value, b.value, se))
        row["agrees"] = ok
        out["finite"].append(row)
        print(kind, row, flush=True)
    out["installed_bytes"] = {name: _dist_bytes(name) for name in ("torch", "diffusers")}
    return out


def _dist_bytes(name: str) -> int:
    from importlib.metadata import distribution

    dist = distribution(name)
    total = 0
    for f in dist.files or ():
        p = Path(dist.locate_file(f))
        if p.is_file():
            total += p.stat().st_size
    return total


PARTS = {"design": part_design, "design_d12": part_design_d12, "gauss12": part_gauss12, "nogo12": part_nogo12,
         "finite_d": part_finite_d, "finite_d_design": part_finite_d_design, "gaussian_t0": part_gaussian_t0,
         "diffusers": part_diffusers}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/export_doc_checks")
    ap.add_argument("--only", default=None, help="comma-separated parts: " + ",".join(PARTS))
    args = ap.parse_args(argv)
    names = list(PARTS) if args.only is None else args.only.split(",")
    for n in names:
        if n not in PARTS:
            ap.error(f"--only: no part {n!r}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from cfgmft import __version__

    for n in names:
        t0 = time.perf_counter()
        r = PARTS[n]()
        rec = {"result": r, "commit": _commit(), "version": __version__, "date": time.strftime("%Y-%m-%d"),
               "wall_seconds": time.perf_counter() - t0, "command": f"python scripts/export_doc_checks.py --only {n}"}
        (out / f"{n}.json").write_text(json.dumps(rec, indent=1, allow_nan=False, default=str) + "\n")
        print(f"{time.strftime('%H:%M:%S')} {n}: {rec['wall_seconds']:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
