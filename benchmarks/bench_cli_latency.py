"""Wall time of `cfgmft theory` from a fresh interpreter (the issue's target: < 3 s,
interpreter start included). Prints the median of several runs and its ratio to the target.

    python benchmarks/bench_cli_latency.py [--runs 7]
"""

import argparse
import statistics
import subprocess
import sys
import time

CASES = [
    ["theory", "--classes", "inf", "--prior", "gaussian", "--sigma2", "1", "--omega", "2", "--sampler", "ode", "--json"],
    ["theory", "--classes", "inf", "--prior", "sphere", "--sigma2", "0.5", "--schedule", "interval:2:0.3:1.5"],
    ["theory", "--alpha", "0.3", "--prior", "sphere", "--omega", "2"],
]
TARGET = 3.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    for case in CASES:
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "cfgmft", *case], check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        print(f"{' '.join(case[:6]):<70} median {med:6.3f} s  (min {min(times):.3f})  "
              f"ratio to the {TARGET:g} s target: {med / TARGET:.2f}")


if __name__ == "__main__":
    main()
