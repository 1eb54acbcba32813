"""The discrete-grid prediction against exact-score Monte Carlo on the same grid, at the points of
docs/explanation/discrete-grids.md ("Checked against the Monte Carlo on the same grid").

Run: ``python scripts/discrete_grid_checks.py [--out results/discrete_grid_checks] [--seed 0]``
(about a minute on one core). Writes ``OUT/discrete_grid_checks.json``: every point with its
parameters, the Monte Carlo ``E[m]`` and ``v_perp/sigma2`` with their standard errors, the
prediction (:func:`cfgmft.solvers.discrete_grid.predict_discrete`), ``z = (MC - prediction)/se``
and ``d |e_c - phi|``, the smallest distance of an evaluation to the commitment boundary in the
exponential regime (the prediction is the ``d -> infinity`` mean field; it applies where that is
large). The docs build writes the table from this file.

Points (``tests/test_discrete_grid.py`` checks the same comparisons at its own, smaller sizes):

* gaussian continuum (exact at every ``d``), ``d = 8``, 4000 samples: a 10-step Karras grid and a
  20-step DDIM grid, ``constant:2`` and a negative window, every update rule;
* sphere continuum, ``d = 128``, 2000 samples, 10 Karras steps, ``omega = 2``;
* exponential regime, sphere prior, 1000 samples: ``alpha = 0.3``, ``d = 30`` (``K = 8103``),
  10 Karras steps, where the commitment is sharp at the grid points for euler and ancestral and
  not for heun; ``alpha = 0.1`` and ``0.2`` at ``d = 40`` where it is not.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

from cfgmft import __version__
from cfgmft.solvers.discrete_grid import predict_discrete
from cfgmft.updates import UPDATES
from cfgmft.validation.discrete import run_monte_carlo_grid
from cfgmft.validation.mixture import draw_means
from cfgmft.validation.scores import ContinuumGaussian, ContinuumSphere, FiniteMixture

KARRAS10 = "karras:10:0.002:80:7"
DDIM20 = "ddim:20:1000:scaled_linear:0.00085:0.012:leading:1"
NEGWIN = "negwin:2:-0.8:0.05:0.6"


def points():
    for grid in (KARRAS10, DDIM20):
        for omega in (2.0, NEGWIN):
            for update in UPDATES:
                yield dict(group="gaussian continuum", prior="gaussian", alpha=None, d=8, grid=grid, omega=omega,
                           update=update, samples=4000)
    for update in ("euler", "heun", "ancestral"):
        yield dict(group="sphere continuum", prior="sphere", alpha=None, d=128, grid=KARRAS10, omega=2.0,
                   update=update, samples=2000)
    for update in ("euler", "ancestral", "heun"):
        yield dict(group="exponential regime", prior="sphere", alpha=0.3, d=30, grid=KARRAS10, omega=2.0,
                   update=update, samples=1000)
    yield dict(group="exponential regime", prior="sphere", alpha=0.1, d=40, grid=KARRAS10, omega=2.0,
               update="euler", samples=1000)
    yield dict(group="exponential regime", prior="sphere", alpha=0.2, d=40, grid="karras:32:0.002:80:7", omega=2.0,
               update="euler", samples=1000)


def run(pt: dict, seed: int) -> dict:
    t0 = time.perf_counter()
    d, prior, alpha = pt["d"], pt["prior"], pt["alpha"]
    if alpha is None:
        mu = draw_means(1, d, prior, rng=seed)[0]
        model = ContinuumGaussian(1.0) if prior == "gaussian" else ContinuumSphere(d, 1.0)
        r = run_monte_carlo_grid(model, mu, 1.0, pt["omega"], pt["grid"], pt["update"], n=pt["samples"], rng=seed + 1)
        p = predict_discrete(prior, 1.0, pt["omega"], pt["update"], pt["grid"])
        K = None
    else:
        K = int(round(math.exp(alpha * d)))
        den = FiniteMixture.from_prior(K, d, prior, 1.0, rng=seed)
        r = run_monte_carlo_grid(den, den.means[0], 1.0, pt["omega"], pt["grid"], pt["update"], n=pt["samples"],
                                 rng=seed + 1, c=0)
        p = predict_discrete(prior, 1.0, pt["omega"], pt["update"], pt["grid"], alpha=alpha)
    e = r.estimates
    out = dict(pt, K=K, seed=seed,
               mc={"m": [e.m.value, e.m.stderr], "var_ratio": [e.var_ratio.value, e.var_ratio.stderr]},
               prediction={"m": p.m_final, "var_ratio": p.var_ratio},
               z={"m": (e.m.value - p.m_final) / e.m.stderr, "var_ratio": (e.var_ratio.value - p.var_ratio) / e.var_ratio.stderr})
    if alpha is not None:
        out["d_switching_min_abs"] = d * p.switching_min_abs
        out["status"] = p.status
    out["seconds"] = time.perf_counter() - t0
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/discrete_grid_checks")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows = []
    for i, pt in enumerate(points()):
        rows.append(run(pt, args.seed + 2 * i))
        r = rows[-1]
        print(f"{r['group']:<20} {r['grid'][:12]:<12} {str(r['omega'])[:10]:<10} {r['update']:<9} d={r['d']:<4} "
              f"m {r['mc']['m'][0]:.4f} +- {r['mc']['m'][1]:.4f} vs {r['prediction']['m']:.4f} (z {r['z']['m']:+.1f}); "
              f"v {r['mc']['var_ratio'][0]:.4f} +- {r['mc']['var_ratio'][1]:.4f} vs {r['prediction']['var_ratio']:.4f} "
              f"(z {r['z']['var_ratio']:+.1f})  {r['seconds']:.1f} s", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "discrete_grid_checks.json").write_text(json.dumps(
        {"version": __version__, "seed": args.seed, "command": "python scripts/discrete_grid_checks.py"
         + (f" --seed {args.seed}" if args.seed else ""), "seconds": time.perf_counter() - t0, "rows": rows},
        indent=1, allow_nan=False))
    print(f"wrote {out / 'discrete_grid_checks.json'} in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
