"""Benchmark: exact pruning of the streamed sums (``FiniteMixture.pruned(f)``) against the unpruned
path, side by side in one run, before and after the commitment of the class posterior.

Run: ``python benchmarks/bench_pruning.py [--K 32768] [--d 32] [--N 256] [--steps 200]
[--sigma2 0.1] [--omega 2] [--prune 1e-6] [--repeat 3] [--chunk 2048]``.

* Both runs are the default guided SDE sampler with the same seed; the time of every posterior
  evaluation is recorded with its ``t`` and the fraction of (row, chunk) pairs that were added
  (the rest skipped: no ``exp``, no second matrix product). The runs are interleaved
  ``--repeat`` times; medians per phase are reported.
* Phases: before commitment (``t > t_commit``) and after, with ``t_commit`` the largest grid time
  where the mean posterior weight of the target class exceeds 1/2 (an extra unpruned run with
  ``record='w_c'``, not timed).
* The samples of the two runs are compared: the bound of the pruned posterior mean,
  ``2 f/(1 - f) max|mu|`` per evaluation, is a bound on the per-step change, not on the samples.
* BLAS on one thread (set before numpy is imported).
"""

from __future__ import annotations

import argparse
import os


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--K", type=int, default=2**15)
    p.add_argument("--d", type=int, default=32)
    p.add_argument("--N", type=int, default=256)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--sigma2", type=float, default=0.1)
    p.add_argument("--omega", type=float, default=2.0)
    p.add_argument("--prune", type=float, default=1e-6)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--chunk", type=int, default=2048)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


ARGS = _parse()
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import time  # noqa: E402

import numpy as np  # noqa: E402

from cfgmft.validation.samplers import sample  # noqa: E402
from cfgmft.validation.scores import FiniteMixture  # noqa: E402


def timed(den):
    log = []
    inner = den.posterior_stats

    def wrapped(x, t, **kw):
        den.pair_counts = [0, 0]
        c0 = time.perf_counter()
        out = inner(x, t, **kw)
        log.append((t, time.perf_counter() - c0, den.pair_counts[0] / max(den.pair_counts[1], 1)))
        return out

    den.posterior_stats = wrapped
    return log


def main():
    a = ARGS
    base = FiniteMixture.from_prior(a.K, a.d, "gaussian", a.sigma2, rng=a.seed, chunk_size=a.chunk)
    mu_c = base.means[0].astype(np.float64)
    kw = dict(steps=a.steps, n=a.N, rng=a.seed + 1, batch_size=a.N)
    rec = sample(base, mu_c, a.sigma2, a.omega, "sde", record="w_c", **kw)
    wc = rec.records["w_c"].mean(axis=1)
    committed = np.flatnonzero(wc > 0.5)
    t_commit = float(rec.t_grid[committed[0]]) if committed.size else 0.0
    print(f"K = {a.K}, d = {a.d}, N = {a.N}, sigma2 = {a.sigma2:g}, omega = {a.omega:g}, {a.steps} steps, "
          f"chunk {a.chunk}, prune f = {a.prune:g}; t_commit = {t_commit:.3f}")
    times = {"full": [], "pruned": []}
    frac = {}
    xs = {}
    for _ in range(a.repeat):
        for name in ("full", "pruned"):
            den = FiniteMixture.__new__(FiniteMixture)
            den.__dict__.update(base.__dict__)
            if name == "pruned":
                den = den.pruned(a.prune)
            log = timed(den)
            res = sample(den, mu_c, a.sigma2, a.omega, "sde", **kw)
            xs[name] = res.x
            arr = np.array(log)
            times[name].append(arr)
            frac[name] = arr
    out = {}
    for phase, sel in (("before commitment", lambda t: t > t_commit), ("after commitment", lambda t: t <= t_commit),
                       ("whole run", lambda t: np.ones_like(t, dtype=bool))):
        row = {}
        for name in ("full", "pruned"):
            per_rep = [float(arr[sel(arr[:, 0]), 1].sum()) for arr in times[name]]
            row[name] = float(np.median(per_rep))
        f = frac["pruned"]
        m = sel(f[:, 0])
        added = float(f[m, 2].mean()) if m.any() else float("nan")
        out[phase] = row
        print(f"  {phase:<18}: full {row['full']:.3f} s, pruned {row['pruned']:.3f} s: ratio {row['full'] / row['pruned']:.2f} x"
              f" ({int(m.sum())} evaluations; {100 * (1 - added):.1f}% of (row, chunk) pairs skipped)")
    diff = np.abs(xs["full"] - xs["pruned"]).max()
    print(f"  samples: max |x_pruned - x_full| = {diff:.2e} (|x| ~ {np.sqrt((xs['full'] ** 2).sum(1)).mean():.2f})")


if __name__ == "__main__":
    main()
