"""The checks that docs/guide/guidance-rules.md quotes and that no other results file holds: each
number of that page that comes from a run is either in a results file of its own script or here.

    nice -n 5 python scripts/rules_doc_checks.py [--out results/rules_doc_checks] [--only PART,...]

Writes ``OUT/rules_doc_checks.json`` (every number, with its parameters, seeds, seconds, commit and
command; a part already there is kept unless it is named in ``--only``). The parts:

* ``diffusers_loop``: diffusers' guider classes against cfgmft's ``Rule.combine`` inside a real
  diffusers ``EulerDiscreteScheduler`` loop, the cases of ``tests/test_diffusers_rules.py`` (its own
  helpers, imported from the test file): the largest per-step relative difference of the guided
  predictions, and the largest difference of the final samples of two runs on the same noise (one
  stepped with each), with the samples' scale;
* ``diffusers_grid_options``: cfgmft's grid Monte Carlo with APG's momentum or CFG-Zero*'s zero-init
  against diffusers' loop with ``adaptive_projected_guidance_momentum`` / ``zero_init_steps``;
* ``diffusers_prediction``: diffusers' run with ``TabulatedGuidance`` in the infinite-class limit
  (``|mu_c|^2 = d = 256``, 2000 samples) against ``predict_discrete(..., rule=)``; CFG-Zero* also at
  ``d = 1024``, and at ``|mu_c|^2/d = 1.13`` (the same noise and direction) to show how far the
  norm-dependent rule moves when the target's norm is not the theory's;
* ``finite_d``: the deviation of the Monte Carlo ``E[m]`` from the ``d -> infinity`` theory for
  ``zerostar`` and ``rescale:phi=0.7`` (gaussian continuum, ``omega = 2``, ``sigma2 = 1``, ODE, 400
  steps) at ``d = 200`` and ``800``;
* ``finite_d_steps``: the step error inside those deviations: the same runs at ``d = 200`` with 400 and
  800 steps (the same ``x_T``);
* ``apg_steps``: clipped APG's step error on the ODE (``omega = 2``, gaussian continuum, ``d = 400``,
  the same ``x_T`` at 200, 400 and 1600 steps);
* ``momentum``: APG's momentum on the grid of ``scripts/grid_rules_table.py`` (euler, 200 samples,
  the same noise with and without the buffer): each run's ``E[m]`` with its standard error, and the
  shift with its paired standard error ``std(b - a)/sqrt(n)``;
* ``critical_lines``: each C7 rule's ``alpha_c(omega)`` (sphere, ``sigma2 = 1``, ``omega`` from 0.25
  to 8, C7's grid) against cfg's;
* ``naive_delta``: the grid Monte Carlo from ``sigma_0 = 1e18`` with ``Delta`` formed as cfgmft forms it
  and as ``c - u`` (rounding times ``sigma_0`` there), against the grid theory;
* ``c7_quick``: the wall and CPU time of ``cfgmft reproduce --only C7 --quick`` (with the load average);
* ``finite_k``: the extreme-value correction of the margin at ``omega = 0`` (the unguided final law
  ``M = S = 1`` against ``K - 1`` sphere competitors at ``d = 20``, ``K = 403``).

Conventions: omega is the strength (``w = 1 + omega``), rules as in cfgmft.guidance, float64 (the
diffusers runs as their tests: float64 models, the scheduler's own state), ``m = x.mu_c/|mu_c|^2``,
``var_ratio = v_perp/sigma2``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("diffusers_loop", "diffusers_grid_options", "diffusers_prediction", "finite_d", "finite_d_steps", "apg_steps",
         "momentum",
         "critical_lines", "finite_k", "naive_delta", "c7_quick")


def _commit() -> str:
    from cfgmft.io import source_commit

    return source_commit() or "unknown"


def _test_module():
    """tests/test_diffusers_rules.py, whose helpers and cases these checks run (it needs torch and diffusers)."""
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.set_verbosity_error()  # its guiders warn "experimental" at every construction
    spec = importlib.util.spec_from_file_location("diffusers_rules_cases", ROOT / "tests" / "test_diffusers_rules.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


#: the rows of the guide's diffusers table -> the test's cases that make each
LOOP_ROWS = {"cfg": ("cfg", "cfg-original", "cfg-v", "cfg-x0"), "rescale": ("rescale", "rescale-1"),
             "zerostar": ("zerostar", "zerostar-original"), "apg": ("apg-clip", "apg-noclip", "apg-cfg")}


def diffusers_loop() -> dict:
    t = _test_module()
    out = {}
    for row, cases in LOOP_ROWS.items():
        per = {}
        for case in cases:
            spec, guider_of, ptype, tol = t.CASES[case]
            rule = t.parse_rule(spec)
            for kind in ("finite", "continuum"):
                model = t._model(kind)
                xa, wa = t._run(model, guider_of, rule, ptype, step_with="diffusers")
                xb, wb = t._run(model, guider_of, rule, ptype, step_with="cfgmft")
                per[f"{case}|{kind}"] = {"rule": spec, "prediction_type": ptype, "per_step_rel": max(wa, wb),
                                         "final_abs_diff": float((xa - xb).abs().max()),
                                         "final_scale": float(xa.abs().max()), "test_tolerance": tol}
        out[row] = {"cases": per, "per_step_rel": max(c["per_step_rel"] for c in per.values()),
                    "final_abs_diff": max(c["final_abs_diff"] for c in per.values()),
                    "final_scale": max(c["final_scale"] for c in per.values())}
    return {"d": t.D, "samples": t.N, "steps": t.STEPS, "schedule": t.SCHEDULE, "seed": 5, "rows": out}


def diffusers_grid_options() -> dict:
    t = _test_module()
    out = {}
    for spec, (make, scale_of, ptype) in t.GRID_OPTION_CASES.items():
        theirs, mix, mu_c, grid = t._diffusers_loop(make(), scale_of, ptype, seed=11)
        ours, *_ = t.sample_on_grid(mix, mu_c, t.SIGMA2, t.SCHEDULE, grid, "euler", n=t.N, rng=11, rule=spec)
        out[spec] = {"final_abs_diff": float(np.abs(theirs - ours).max()), "final_scale": float(np.abs(ours).max()),
                     "prediction_type": ptype}
    return {"d": t.D, "samples": t.N, "steps": t.STEPS, "schedule": t.SCHEDULE, "seed": 11, "update": "euler",
            "rows": out}


def _diffusers_run(t, spec, d, n, norm2_over_d=1.0, seed=21):
    from cfgmft.adapters import GuidanceTable
    from cfgmft.adapters.diffusers import TabulatedGuidance
    from cfgmft.adapters.torch_exact import ExactMixtureDenoiser
    from cfgmft.validation.estimators import estimate_observables

    ptype = t.GUIDER_RULES[spec]
    sch = t._scheduler(ptype)
    grid = "sigmas:" + ",".join(repr(float(v)) for v in sch.sigmas)
    guider = TabulatedGuidance.from_table(GuidanceTable.from_schedule(t.SCHEDULE, grid), rule=spec)
    mu = np.random.default_rng(8).standard_normal(d)
    mu *= math.sqrt(norm2_over_d * d) / np.linalg.norm(mu)
    model = ExactMixtureDenoiser(None, t.SIGMA2, target=mu)
    x, _, _ = t._run_pipeline_protocol(model, guider, t.parse_rule(spec), ptype, seed=seed, n=n)
    est = estimate_observables(x.numpy(), mu, t.SIGMA2)
    return est, grid, ptype


def diffusers_prediction() -> dict:
    from cfgmft.solvers.discrete_grid import predict_discrete

    t = _test_module()
    rows = {}
    for spec in ("cfg", "rescale:phi=0.7", "zerostar", "apg:eta=0,r=0.05"):
        est, grid, ptype = _diffusers_run(t, spec, t.D_BIG, t.N_BIG)
        pred = predict_discrete("gaussian", t.SIGMA2, t.SCHEDULE, "euler", grid, start="edm", rule=spec)
        rows[spec] = {"prediction_type": ptype, "m": [est.m.value, est.m.stderr], "m_predicted": float(pred["m_final"]),
                      "var_ratio": [est.var_ratio.value, est.var_ratio.stderr],
                      "var_ratio_predicted": float(pred["var_ratio"])}
    zs = {}
    for d in (256, 1024):
        est, grid, _ = _diffusers_run(t, "zerostar", d, t.N_BIG)
        pred = predict_discrete("gaussian", t.SIGMA2, t.SCHEDULE, "euler", grid, start="edm", rule="zerostar")
        zs[str(d)] = {"m": [est.m.value, est.m.stderr], "var_ratio": [est.var_ratio.value, est.var_ratio.stderr],
                      "m_gap_times_d": (est.m.value - float(pred["m_final"])) * d,
                      "var_ratio_gap_times_d": (est.var_ratio.value - float(pred["var_ratio"])) * d}
    a, _, _ = _diffusers_run(t, "zerostar", t.D_BIG, t.N_BIG, 1.0)
    b, _, _ = _diffusers_run(t, "zerostar", t.D_BIG, t.N_BIG, 1.13)
    return {"d": t.D_BIG, "samples": t.N_BIG, "steps": t.STEPS, "schedule": t.SCHEDULE, "mean_seed": 8, "seed": 21,
            "guider": "TabulatedGuidance", "scheduler": "EulerDiscreteScheduler, Karras sigmas",
            "test_finite_d_c": t.FINITE_D_C, "rows": rows, "zerostar_by_d": zs,
            "zerostar_norm": {"norm2_over_d": 1.13, "m_at_1": a.m.value, "m_at_1.13": b.m.value,
                              "m_shift": b.m.value - a.m.value}}


def finite_d(n: int = 4000, steps: int = 400) -> dict:
    from cfgmft.solvers.rules import predict_rule
    from cfgmft.validation.montecarlo import run_monte_carlo
    from cfgmft.validation.scores import ContinuumGaussian

    out = {}
    for rule in ("zerostar", "rescale:phi=0.7"):
        th = predict_rule("gaussian", 1.0, 2.0, "ode", rule)
        for d in (200, 800):
            mu = np.random.default_rng(1).standard_normal(d)
            mu *= math.sqrt(d) / np.linalg.norm(mu)
            res = run_monte_carlo(ContinuumGaussian(1.0, d), mu, 1.0, 2.0, "ode", n=n, steps=steps, rng=7, rule=rule)
            e = res.estimates
            out[f"{rule}|{d}"] = {"rule": rule, "d": d, "m": [e.m.value, e.m.stderr], "m_theory": th.m_final,
                                  "m_deviation": e.m.value - th.m_final, "m_deviation_times_d": (e.m.value - th.m_final) * d,
                                  "var_ratio": [e.var_ratio.value, e.var_ratio.stderr], "var_ratio_theory": th.var_ratio}
    return {"prior": "gaussian continuum", "omega": 2.0, "sigma2": 1.0, "sampler": "ode", "samples": n,
            "steps": steps, "mean_seed": 1, "seed": 7, "rows": out}


def finite_d_steps(n: int = 4000, d: int = 200) -> dict:
    """The step error inside ``finite_d``'s deviations: the same Monte Carlo (the same means, seed and
    so the same ``x_T``; the ODE draws no other noise) at 400 and 800 steps, at ``d = 200``."""
    from cfgmft.validation.montecarlo import run_monte_carlo
    from cfgmft.validation.scores import ContinuumGaussian

    out = {}
    mu = np.random.default_rng(1).standard_normal(d)
    mu *= math.sqrt(d) / np.linalg.norm(mu)
    for rule in ("zerostar", "rescale:phi=0.7"):
        m = {}
        for steps in (400, 800):
            res = run_monte_carlo(ContinuumGaussian(1.0, d), mu, 1.0, 2.0, "ode", n=n, steps=steps, rng=7, rule=rule)
            m[steps] = res.estimates.m.value
        out[rule] = {"m_by_steps": {str(k): v for k, v in m.items()}, "m_400_minus_800": m[400] - m[800]}
    return {"prior": "gaussian continuum", "omega": 2.0, "sigma2": 1.0, "sampler": "ode", "d": d, "samples": n,
            "mean_seed": 1, "seed": 7, "rows": out}


def apg_steps(d: int = 400, n: int = 500) -> dict:
    from cfgmft.guidance import parse_rule
    from cfgmft.validation.estimators import estimate_observables
    from cfgmft.validation.samplers import sample
    from cfgmft.validation.scores import ContinuumGaussian

    mu = np.random.default_rng(1).standard_normal(d)
    mu *= math.sqrt(d) / np.linalg.norm(mu)
    den = ContinuumGaussian(1.0, d)
    x_T = np.random.default_rng(0).standard_normal((n, d))
    rule = parse_rule("apg:eta=0,r=0.05")
    est = {}
    for steps in (200, 400, 1600):
        x = sample(den, mu, 1.0, 2.0, "ode", steps=steps, x_T=x_T, rule=rule).x
        e = estimate_observables(x, mu, 1.0)
        est[steps] = {"m": e.m.value, "var_ratio": e.var_ratio.value}
    ref = est[1600]
    return {"rule": rule.spec, "omega": 2.0, "sampler": "ode", "d": d, "samples": n, "x_T_seed": 0, "mean_seed": 1,
            "reference_steps": 1600, "by_steps": {str(k): v for k, v in est.items()},
            "var_ratio_error": {str(k): est[k]["var_ratio"] - ref["var_ratio"] for k in (200, 400)},
            "m_error": {str(k): est[k]["m"] - ref["m"] for k in (200, 400)}}


def momentum(n: int = 200) -> dict:
    sys.path.insert(0, str(ROOT / "scripts"))
    import grid_rules_table as g

    from cfgmft.validation.discrete import sample_on_grid
    from cfgmft.validation.scores import ContinuumGaussian

    mu = np.random.default_rng(8).standard_normal(g.D)
    mu *= math.sqrt(g.D) / np.linalg.norm(mu)
    out = {}
    for plain in ("apg:eta=0,r=0", "apg:eta=0,r=0.05"):
        ms = {}
        for rule in (plain, plain + ",momentum=-0.5"):
            x, *_ = sample_on_grid(ContinuumGaussian(1.0), mu, 1.0, g.SCHEDULE, g.GRID, "euler", n=n, rng=1, rule=rule)
            ms[rule] = x @ mu / (mu @ mu)
        a, b = ms[plain], ms[plain + ",momentum=-0.5"]
        out[plain] = {"m_plain": float(a.mean()), "m_momentum": float(b.mean()),
                      "m_se": float(a.std(ddof=1) / math.sqrt(n)), "m_momentum_se": float(b.std(ddof=1) / math.sqrt(n)),
                      "m_shift": float(b.mean() - a.mean()),
                      "m_shift_paired_se": float((b - a).std(ddof=1) / math.sqrt(n)),
                      "max_sample_m_shift": float(np.abs(b - a).max())}
    return {"grid": g.GRID, "d": g.D, "schedule": g.SCHEDULE, "update": "euler", "samples": n, "mean_seed": 8,
            "seed": 1, "momentum": -0.5, "rows": out}


def critical_lines() -> dict:
    from cfgmft.reproduce.c7 import RULES
    from cfgmft.solvers.phase import alpha_c

    omegas = np.linspace(0.25, 8.0, 32)
    lines = {f"{rule}|{s}": [float(a) for a in alpha_c(omegas, sampler=s, prior="sphere", xtol=1e-6, rule=rule)]
             for rule in RULES for s in ("sde", "ode")}
    diff = {}
    for key, vals in lines.items():
        rule, s = key.split("|")
        if rule == "cfg":
            continue
        dv = np.asarray(vals) - np.asarray(lines[f"cfg|{s}"])
        diff[key] = {"max_above_cfg": float(dv.max()), "min": float(dv.min()), "all_below": bool((dv < 0).all())}
    return {"prior": "sphere", "sigma2": 1.0, "omegas": [float(w) for w in omegas], "xtol": 1e-6, "alpha_c": lines,
            "difference_to_cfg": diff}


def naive_delta(d: int = 64, n: int = 400) -> dict:
    """The grid Monte Carlo from a first level far above the data (``sigmas:S0,1,0.3``, euler, ``omega = 2``,
    gaussian continuum, ``|mu_c|^2 = d``; the case of ``tests/test_discrete_grid_rules.py``) with
    ``Delta`` formed as cfgmft forms it, ``alpha (mu_c - E)``, and as the difference ``c - u`` of the two
    predictions (``cfgmft.guidance.guided_increment`` replaced for this run only), against the
    discrete-grid theory on the same grid."""
    import cfgmft.validation.discrete as disc
    from cfgmft.guidance import ROW_OPS, space_coefficients
    from cfgmft.guidance import T_FLOOR
    from cfgmft.solvers.discrete_grid import predict_discrete
    from cfgmft.validation.scores import ContinuumGaussian

    exact = disc.guided_increment

    def naive(rule, x, t, sigma2, mu_c, E, omega, ops=ROW_OPS, delta=None):
        a, b = space_coefficients(rule.space, max(t, T_FLOOR), sigma2)
        shape = np.shape(x)
        if a == 0.0:
            return np.zeros(shape)
        c = np.broadcast_to(a * mu_c + b * x, shape)
        u = a * E + b * x
        return rule.increment(c, u, c - u if delta is None else delta, omega, ops) / a

    mu = np.random.default_rng(8).standard_normal(d)
    mu *= math.sqrt(d) / np.linalg.norm(mu)
    rows = {}
    try:
        for rule in ("zerostar", "rescale:phi=0.7"):
            for s0 in ("1e8", "1e18"):
                grid = f"sigmas:{s0},1,0.3"
                pred = predict_discrete("gaussian", 1.0, 2.0, "euler", grid, rule=rule)
                row = {"predicted": float(pred["m_final"])}
                for form, fn in (("alpha (mu_c - E)", exact), ("c - u", naive)):
                    disc.guided_increment = fn
                    x, *_ = disc.sample_on_grid(ContinuumGaussian(1.0), mu, 1.0, 2.0, grid, "euler", n=n, rng=6,
                                                rule=rule)
                    m = x @ mu / (mu @ mu)
                    row[form] = [float(m.mean()), float(m.std(ddof=1) / math.sqrt(n))]
                rows[f"{rule}|{s0}"] = row
    finally:
        disc.guided_increment = exact
    return {"prior": "gaussian continuum", "d": d, "samples": n, "omega": 2.0, "update": "euler", "seed": 6,
            "mean_seed": 8, "rows": rows}


def c7_quick() -> dict:
    """The time of ``cfgmft reproduce --only C7 --quick`` (a fresh process, into a temporary folder)."""
    import resource
    import tempfile

    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "cfgmft", "reproduce", "--only", "C7", "--quick", "--quiet", "--out", out]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    load = os.getloadavg()[0]
    return {"command": "cfgmft reproduce --only C7 --quick", "wall_seconds": wall,
            "child_cpu_seconds": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "load_average_after": load}


def finite_k(d: int = 20, alpha: float = 0.3) -> dict:
    sys.path.insert(0, str(ROOT / "scripts"))
    import rules_frontier as rf

    K = round(math.exp(alpha * d))
    return {"d": d, "alpha": alpha, "K": K, "M": 1.0, "S": 1.0, "sigma2": 1.0,
            "mean_max_cosine": rf.mean_max_cosine(d, K - 1), "limit": math.sqrt(1 - math.exp(-2 * alpha)),
            "margin_unguided_at_K": rf.finite_k_margin(1.0, 1.0, d, K)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "results" / "rules_doc_checks"))
    ap.add_argument("--only", default=None, help="comma-separated parts (default: every part)")
    args = ap.parse_args(argv)
    parts = PARTS if args.only is None else tuple(args.only.split(","))
    path = Path(args.out) / "rules_doc_checks.json"
    data = json.loads(path.read_text()) if path.exists() else {"parts": {}}
    import cfgmft

    for part in parts:
        t0, c0 = time.perf_counter(), time.process_time()
        res = globals()[part]()
        res.update({"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0, "commit": _commit(),
                    "date": time.strftime("%Y-%m-%d"), "version": cfgmft.__version__})
        data["parts"][part] = res
        print(f"{part}: {res['seconds']:.0f} s", flush=True)
        data.update({"command": "python scripts/rules_doc_checks.py", "machine": platform.machine(),
                     "cpus": os.cpu_count(),
                     "convention": "omega strength, w = 1 + omega; m = x.mu_c/|mu_c|^2; var_ratio = v_perp/sigma2; float64"})
        try:
            import diffusers
            import torch

            data["libraries"] = {"diffusers": diffusers.__version__, "torch": torch.__version__}
        except ImportError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
