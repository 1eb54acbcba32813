"""The examples of docs/explanation/schedule-design.md: ``cfgmft schedule design`` on a few problems
(``sigma2 = 1``, SDE, peak 3, the default band), each run as the command a user types, its JSON
kept whole.

Run: ``python scripts/schedule_design_examples.py [--out results/schedule_design_examples]``
(a few minutes on one core; the finite-d example is most of it). Writes
``OUT/schedule_design_examples.json``: per example the command's arguments, its exit code, wall
seconds and its ``--json`` output. The search is seeded (the command's default seed), so the
designs are a function of the arguments and the code; the docs build writes the table from this file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from cfgmft import __version__

EXAMPLES = [
    ["--prior", "sphere", "--alpha", "0.3"],
    ["--prior", "sphere", "--alpha", "0.6"],
    ["--prior", "sphere", "--alpha", "0.6", "--family", "negramp", "--global", "1024"],
    ["--prior", "gaussian"],
    ["--prior", "sphere", "--alpha", "0.3", "--d", "12"],
]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/schedule_design_examples")
    args = ap.parse_args(argv)
    rows = []
    for ex in EXAMPLES:
        cmd = ["schedule", "design", *ex, "--peak", "3", "--json"]
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "cfgmft", *cmd], capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        out = json.loads(proc.stdout) if proc.returncode == 0 else None
        rows.append({"arguments": ex, "command": "cfgmft " + " ".join(cmd), "returncode": proc.returncode,
                     "stderr": proc.stderr.strip()[-2000:], "seconds": seconds, "output": out})
        print(f"{' '.join(ex):<60} exit {proc.returncode}, {seconds:.0f} s: {out['schedule'] if out else proc.stderr.strip()[:200]}",
              flush=True)
    path = Path(args.out)
    path.mkdir(parents=True, exist_ok=True)
    (path / "schedule_design_examples.json").write_text(json.dumps({"version": __version__, "examples": rows}, indent=1))
    print(f"wrote {path / 'schedule_design_examples.json'}")
    return 0 if all(r["returncode"] == 0 for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
