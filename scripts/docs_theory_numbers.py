"""The theory numbers that the explanation pages quote (alpha_c, moments, commitment times, the
discrete-grid values), computed with cfgmft's solvers and written with their parameters.

Run: ``python scripts/docs_theory_numbers.py [--out results/docs_theory_numbers]`` (theory only, no
Monte Carlo: about a minute on one core, most of it the 16000-step grids). Writes
``OUT/numbers.json``: ``{"version", "commit", "seconds", "numbers": {name: {"value", "parameters"}}}``,
every value a float (or None where the theory has none). The docs build reads it
(``docs/_scripts/tables_explain.py``) and ``tests/test_docs_theory_numbers.py`` recomputes a few
of them, so the file cannot go stale against the code.

Every number is deterministic (no seed): theory of the infinite-class limit, the exponential
regime's ``d -> infinity`` mean field, the critical line and the moment maps on a sampler's grid.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from cfgmft import __version__
from cfgmft.grids import sigma_grid
from cfgmft.solvers.discrete_grid import predict_discrete
from cfgmft.solvers.exponential import predict_exponential
from cfgmft.solvers.infinite_class import predict_infinite_class
from cfgmft.solvers.phase import alpha_c
from cfgmft.updates import CONTINUUM_SAMPLER

C6_GRID_DESIGN = "negwin:2:-0.3:0.4:1:2"
C5_WINDOW = "negwin:2:-0.8:0.05:0.6"
CONV_CASES = [("gaussian", None, 2.0), ("gaussian", None, C5_WINDOW), ("sphere", None, 2.0), ("sphere", 0.2, 2.0),
              ("sphere", 0.3, C6_GRID_DESIGN)]
CONV_STEPS = (1000, 4000, 16000)


def _commit() -> str:
    from cfgmft.io import source_commit

    return source_commit() or "unknown"


def _f(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _continuous(prior, alpha, omega, sampler, T=None):
    if alpha is None:
        return predict_infinite_class(prior, 1.0, omega, sampler, T=T)
    return predict_exponential(prior, 1.0, omega, sampler, alpha=alpha, T=T)


def _conv_errors(prior, alpha, omega, update, n):
    """N x |discrete - continuous from T = t_0| of m_final and log var_ratio (as tests/test_discrete_grid.py)."""
    g = sigma_grid(f"karras:{n}:0.002:80:7")
    p = predict_discrete(prior, 1.0, omega, update, g, alpha=alpha, start="unit")
    c = _continuous(prior, alpha, omega, CONTINUUM_SAMPLER[update], T=float(g.t[0]))
    return n * abs(p.m_final - c.m_final), n * abs(p.log_var_ratio - c.log_var_ratio)


def compute(convergence: bool = True) -> dict:
    """name -> {"value", "parameters"} for every number the pages quote."""
    out = {}

    def put(name, value, **parameters):
        out[name] = {"value": _f(value), "parameters": parameters}

    # the critical line: sphere prior, sigma2 = 1
    for omega in (0.0, 2.0, 5.0):
        put(f"alpha_c_sde_w{omega:g}", alpha_c(omega, sigma2=1.0, sampler="sde", prior="sphere"),
            what="alpha_c", prior="sphere", sigma2=1.0, sampler="sde", omega=omega, xtol=1e-8)
    put("alpha_c_ode_w5", alpha_c(5.0, sigma2=1.0, sampler="ode", prior="sphere"),
        what="alpha_c", prior="sphere", sigma2=1.0, sampler="ode", omega=5.0, xtol=1e-8)

    # exponential regime, sphere prior, omega = 2, SDE (C2's theory; the collapse and commitment times)
    for alpha in (0.1, 0.2):
        p = predict_exponential("sphere", 1.0, 2.0, "sde", alpha=alpha)
        par = dict(prior="sphere", sigma2=1.0, omega=2.0, sampler="sde", alpha=alpha, T=None)
        put(f"c2_a{alpha:g}_m", p.m_final, what="m_final", **par)
        put(f"c2_a{alpha:g}_var", p.var_ratio, what="var_ratio", **par)
        if alpha == 0.2:
            put("c2_a0.2_t_commit", p.t_commit, what="t_commit", **par)
            put("c2_a0.2_t_collapse", p.t_collapse, what="t_collapse", **par)

    # infinite-class limit: C4's sphere value, C5's negative window, the log-odds of constant omega = 3
    p = predict_infinite_class("sphere", 1.0, 2.0, "sde")
    put("c4_sphere_m", p.m_final, what="m_final", prior="sphere", sigma2=1.0, omega=2.0, sampler="sde", alpha=None)
    p = predict_infinite_class("gaussian", 1.0, C5_WINDOW, "sde")
    put("c5_window_var", p.var_ratio, what="var_ratio", prior="gaussian", sigma2=1.0, schedule=C5_WINDOW,
        sampler="sde", alpha=None)
    for prior in ("gaussian", "sphere"):
        p = predict_infinite_class(prior, 1.0, 3.0, "sde")
        put(f"log_odds_w3_{prior}", p.log_odds, what="log_odds", prior=prior, sigma2=1.0, omega=3.0, sampler="sde",
            alpha=None)

    # the report's grid design (C6): the selected window against constant:2, sphere, alpha = 0.3, SDE
    for key, sch in (("design", C6_GRID_DESIGN), ("const", "constant:2")):
        p = predict_exponential("sphere", 1.0, sch, "sde", alpha=0.3)
        par = dict(prior="sphere", sigma2=1.0, schedule=sch, sampler="sde", alpha=0.3, T=None)
        for what in ("var_ratio", "margin", "t_commit"):
            put(f"c6_{key}_{what}", p[what], what=what, **par)

    # discrete grids: the finite start t_0 of karras:N:0.002:80:7 against T -> infinity (ODE)
    t0 = float(sigma_grid("karras:10:0.002:80:7").t[0])
    put("grid_t0_gauss_m", predict_infinite_class("gaussian", 1.0, 2.0, "ode", T=t0).m_final, what="m_final",
        prior="gaussian", sigma2=1.0, omega=2.0, sampler="ode", alpha=None, T=t0)
    for T, key in ((t0, "t0"), (None, "inf")):
        put(f"grid_{key}_a0.3_var", predict_exponential("sphere", 1.0, 2.0, "ode", alpha=0.3, T=T).var_ratio,
            what="var_ratio", prior="sphere", sigma2=1.0, omega=2.0, sampler="ode", alpha=0.3, T=T)
    # the C6 grid design on karras grids (sphere, alpha = 0.3): ancestral at 10, 46, 1000 steps; euler at 10
    for n in (10, 46, 1000):
        grid = f"karras:{n}:0.002:80:7"
        put(f"grid_design_ancestral_{n}", predict_discrete("sphere", 1.0, C6_GRID_DESIGN, "ancestral", grid,
                                                           alpha=0.3).var_ratio,
            what="var_ratio", prior="sphere", sigma2=1.0, schedule=C6_GRID_DESIGN, update="ancestral", grid=grid,
            alpha=0.3)
    grid = "karras:10:0.002:80:7"
    for key, sch in (("design", C6_GRID_DESIGN), ("const", "constant:2")):
        put(f"grid_{key}_euler_10", predict_discrete("sphere", 1.0, sch, "euler", grid, alpha=0.3).var_ratio,
            what="var_ratio", prior="sphere", sigma2=1.0, schedule=sch, update="euler", grid=grid, alpha=0.3)

    # convergence to continuous time: the largest N x error (m_final, log var_ratio) over the cases
    # of tests/test_discrete_grid.py, N = 1000, 4000, 16000, start N(0, I) at t_0 ("unit")
    if convergence:
        worst = (0.0, None)
        for prior, alpha, omega in CONV_CASES:
            for update in ("euler", "heun", "ancestral"):
                for n in CONV_STEPS:
                    em, ev = _conv_errors(prior, alpha, omega, update, n)
                    for v, obs in ((em, "m_final"), (ev, "log_var_ratio")):
                        if v > worst[0]:
                            worst = (v, dict(prior=prior, alpha=alpha, omega=omega, update=update, steps=n,
                                             observable=obs))
        put("grid_conv_max_n_error", worst[0], what="max N x |discrete - continuous|",
            cases=[list(c) for c in CONV_CASES], updates=["euler", "heun", "ancestral"], steps=list(CONV_STEPS),
            grid="karras:N:0.002:80:7", start="unit", worst=worst[1])
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/docs_theory_numbers")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    numbers = compute()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = {"version": __version__, "commit": _commit(), "command": "python scripts/docs_theory_numbers.py",
            "seconds": time.perf_counter() - t, "numbers": numbers}
    (out / "numbers.json").write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    for k, v in numbers.items():
        print(f"{k:<28} {v['value']}")
    print(f"wrote {out / 'numbers.json'} in {data['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
