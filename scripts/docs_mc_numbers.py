"""The Monte Carlo examples that the explanation pages quote, each rerun and written with its
command, parameters, seed and commit (docs/explanation/discrete-grids.md, step-control.md).

Run: ``python scripts/docs_mc_numbers.py PART [--out results/docs_mc_numbers] [--seed 0]``, PART one of

* ``finite-d-grid``: ``cfgmft schedule evaluate`` at ``d = 32``, ``K = 400``, sphere prior,
  ``omega = 2``, 12 Karras steps, euler, with the finite-``d`` model on the grid and exact-score
  Monte Carlo (500 samples x 8 mixtures) side by side (``OUT/finite_d_grid.json``; a minute);
* ``random-points``: the discrete-grid prediction against Monte Carlo at random points of the
  exponential regime near the commitment criterion (``OUT/random_points.json``; a few minutes):
  sphere prior, ``sigma2 = 1``, ``alpha`` uniform in ``[0.25, 0.4]``, 6-8 Karras steps
  (``karras:N:0.002:80:7``), ``omega`` uniform in ``[1, 4]``, ``d`` in 18-36, update euler or
  ancestral (the rules where the criterion is met in the fixed checks), ``K = round(e^{alpha d})``
  at most ``2^20`` (for the cost), kept when ``d min|e_c - phi|`` of the prediction is in
  ``[4, 6]``, until 10 points; 1000 samples each (the Monte Carlo of
  ``scripts/discrete_grid_checks.py``);
* ``c2-example``: ``cfgmft simulate --alpha 0.2 --d 50 --prior sphere --omega 2 --samples 512
  --json`` (``K = 22026``, SDE, ``--tol 1e-3``, the two-stage default and its float32 pilot)
  (``OUT/c2_example.json``, its JSON output and the wall time; a few minutes).

The docs build reads these files (``docs/_scripts/tables_explain.py``).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _commit() -> str:
    from cfgmft.io import source_commit

    return source_commit() or "unknown"


def _cli(args: list[str]) -> tuple[dict, float]:
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "cfgmft", *args], capture_output=True, text=True, check=True)
    return json.loads(r.stdout), time.perf_counter() - t


FINITE_D_GRID = ["schedule", "evaluate", "--prior", "sphere", "--classes", "400", "--d", "32", "--omega", "2",
                 "--grid", "karras:12:0.002:80:7", "--update", "euler", "--finite-d", "--simulate",
                 "--samples", "500", "--disorder", "8", "--json", "--quiet"]
C2_EXAMPLE = ["simulate", "--alpha", "0.2", "--d", "50", "--prior", "sphere", "--omega", "2", "--samples", "512",
              "--json", "--quiet"]


def finite_d_grid(seed: int) -> dict:
    args = FINITE_D_GRID + (["--seed", str(seed)] if seed else [])
    out, wall = _cli(args)
    return {"command": "cfgmft " + " ".join(args), "wall_seconds": wall, "output": out}


def c2_example(seed: int) -> dict:
    args = C2_EXAMPLE + (["--seed", str(seed)] if seed else [])
    out, wall = _cli(args)
    return {"command": "cfgmft " + " ".join(args), "wall_seconds": wall, "output": out}


def random_points(seed: int, n_points: int = 10, band=(4.0, 6.0), k_max: int = 2**20) -> dict:
    sys.path.insert(0, str(HERE))
    from discrete_grid_checks import run  # the Monte Carlo of the fixed checks

    from cfgmft.solvers.discrete_grid import predict_discrete

    rng = np.random.default_rng(seed)
    rows, drawn = [], 0
    while len(rows) < n_points:
        drawn += 1
        alpha, steps = float(rng.uniform(0.25, 0.4)), int(rng.integers(6, 9))
        omega, d = float(rng.uniform(1.0, 4.0)), int(rng.integers(18, 37))
        update = str(rng.choice(["euler", "ancestral"]))
        alpha, omega = round(alpha, 3), round(omega, 2)
        if round(math.exp(alpha * d)) > k_max:
            continue
        grid = f"karras:{steps}:0.002:80:7"
        p = predict_discrete("sphere", 1.0, omega, update, grid, alpha=alpha)
        if p.switching_min_abs is None or not band[0] <= d * p.switching_min_abs <= band[1]:
            continue
        pt = dict(group="random point", prior="sphere", alpha=alpha, d=d, grid=grid, omega=omega, update=update,
                  samples=1000)
        r = run(pt, seed + 1000 + 2 * len(rows))
        rows.append(r)
        print(f"alpha {alpha} d {d} K {r['K']} {grid} omega {omega} {update}: d|e_c - phi| "
              f"{r['d_switching_min_abs']:.2f}; z m {r['z']['m']:+.1f}, v {r['z']['var_ratio']:+.1f}; "
              f"{r['seconds']:.0f} s", flush=True)
    return {"selection": {"alpha": [0.25, 0.4], "steps": [6, 8], "omega": [1, 4], "d": [18, 36],
                          "updates": ["euler", "ancestral"], "d_switching_min_abs": list(band), "K_max": k_max,
                          "points": n_points, "samples": 1000, "drawn": drawn},
            "rows": rows}


PARTS = {"finite-d-grid": ("finite_d_grid.json", finite_d_grid), "random-points": ("random_points.json", random_points),
         "c2-example": ("c2_example.json", c2_example)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("part", choices=sorted(PARTS))
    ap.add_argument("--out", default="results/docs_mc_numbers")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    from cfgmft import __version__

    name, fn = PARTS[a.part]
    t = time.perf_counter()
    data = fn(a.seed)
    data = {"version": __version__, "commit": _commit(), "part": a.part, "seed": a.seed,
            "script": f"python scripts/docs_mc_numbers.py {a.part}" + (f" --seed {a.seed}" if a.seed else ""),
            "seconds": time.perf_counter() - t, **data}
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    print(f"wrote {out / name} in {data['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
