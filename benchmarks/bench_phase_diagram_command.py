"""Benchmark: the whole ``cfgmft phase-diagram`` command as a user runs it, not only its kernel.

Run: ``python benchmarks/bench_phase_diagram_command.py [--repeat R]``.

For a small diagram (``--alpha 0.05:1.0:20 --omega 0:4:9``), the README's (``--alpha
0.02:1.3:129 --omega 0:8:81``) and a 1-D scan (``--alpha 0.02:1.2:60 --omega 2``), the wall
time of the command in a fresh process (numba's on-disk cache warm: one untimed run first),
without figures (the default: the data files are the result) and with ``--figures``, next to
the kernel alone (:func:`cfgmft.solvers.phase.phase_diagram` plus the ``alpha_c`` line, warm, in
this process). Printed side by side with the ratios; the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

CASES = {
    "small 20 x 9": ["--alpha", "0.05:1.0:20", "--omega", "0:4:9"],
    "README 129 x 81": ["--alpha", "0.02:1.3:129", "--omega", "0:8:81"],
    "1-D scan, 60": ["--alpha", "0.02:1.2:60", "--omega", "2"],
}
COMMON = ["--prior", "sphere", "--quiet"]


def _command(args: list[str], out: str, figures: bool) -> float:
    cmd = [sys.executable, "-m", "cfgmft", "phase-diagram", *args, *COMMON, "--out", out]
    if figures:
        cmd.append("--figures")
    env = dict(os.environ, MPLBACKEND="Agg")
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return time.perf_counter() - t0


def _kernel(args: list[str]) -> float:
    import numpy as np

    from cfgmft.commands.phase_diagram import parse_grid
    from cfgmft.solvers.phase import alpha_c, phase_diagram

    alphas = parse_grid("alpha", args[1], 1e-6, 100)
    omegas = parse_grid("omega", args[3], -1, 1000)
    t0 = time.perf_counter()
    phase_diagram(alphas, omegas, sigma2=1.0, sampler="sde", prior="sphere")
    np.atleast_1d(alpha_c(omegas, sigma2=1.0, sampler="sde", prior="sphere"))
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    opts = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in CASES.items():
            _command(args, os.path.join(tmp, "warm"), True)  # numba's cache and matplotlib's font cache warm
            _kernel(args)
            kernel = min(_kernel(args) for _ in range(opts.repeat))
            plain = min(_command(args, os.path.join(tmp, "a"), False) for _ in range(opts.repeat))
            figs = min(_command(args, os.path.join(tmp, "b"), True) for _ in range(opts.repeat))
            rows.append((name, kernel, plain, figs))
    print(f"cfgmft phase-diagram, whole command in a fresh process (best of {opts.repeat}; numba cache warm), "
          "sphere prior, SDE")
    print(f"{'case':<18} {'kernel':>9} {'command':>9} {'--figures':>10} {'command/kernel':>15} "
          f"{'figures/command':>16}")
    for name, kernel, plain, figs in rows:
        print(f"{name:<18} {kernel:>8.2f}s {plain:>8.2f}s {figs:>9.2f}s {plain / kernel:>15.1f} {figs / plain:>16.2f}")


if __name__ == "__main__":
    main()
