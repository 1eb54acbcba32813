"""Benchmark: the time to reach a given accuracy (absolute step error of ``E[m]`` and of the
variance ratio, the two observables that ``cfgmft simulate --tol`` controls), cfgmft's default
``--tol`` path against a straightforward dense numpy Euler-Maruyama baseline, side by side.

Run: ``python benchmarks/bench_time_to_accuracy.py [--K 131072] [--d 32] [--N 256] [--omega 2]
[--tol 1e-3] [--seed 0] [--verify-factor 8] [--check-samples N] [--baseline-budget 1200]
[--part all|cfgmft|baseline|merge] [--out results/time_to_accuracy] [--quick]``. The README's
numbers: ``--part cfgmft`` and ``--part baseline`` at once (two processes), then ``--part merge``,
each with ``--verify-factor 4 --check-samples 128 --baseline-budget 2400``.

Problem: ``K`` classes with means on the sphere of radius ``sqrt(d)`` (drawn from ``--seed``
by ``FiniteMixture.from_prior``), ``sigma2 = 1``, constant ``omega``, reverse SDE, target class
0, ``T = 12`` (``cfgmft.grids.DEFAULT_MC_T``), ``x_T ~ N(0, I_d)`` (the start law of
:func:`cfgmft.validation.samplers.sample`), ``N`` samples.

* cfgmft (the default path of ``cfgmft simulate --tol TOL``):
  :func:`~cfgmft.validation.stepcontrol.steps_for_tolerance` (pilot of 256 samples, its own
  seed) chooses ``S`` steps, then :func:`~cfgmft.validation.samplers.sample` runs ``N`` samples
  at ``S`` steps on the streamed :class:`~cfgmft.validation.scores.FiniteMixture` (default
  local-Gaussian scheme, order 2, ``logsnr`` grid, and the ``--tol`` path's two posterior
  evaluations per step for the SDE, the predictor-corrector: ``stepcontrol.TOL_STAGES``). Its
  time to accuracy is the wall time of the pilot plus that of the main run.
* Achieved error of cfgmft (not assumed): :func:`~cfgmft.validation.stepcontrol.run_levels` at
  ``S, 2S, 4S, 8S`` steps (``--verify-factor 8``) with common ``x_T`` and Brownian paths, on
  other samples (their own seed); the error at ``S`` is the paired difference to ``8S`` plus
  the reference's own error by Richardson, ``(O(4S) - O(8S)) / (2^q - 1)`` with ``q`` the order
  measured between ``2S, 4S, 8S`` (clipped to [1, 2], as in ``benchmarks/study_step_error.py``),
  with the paired standard error of that per-sample combination.
* Baseline (written here, no cfgmft code in its step): per step the dense ``N x K`` float64
  logits ``e^{-t} x.mu_k / Gamma_t - e^{-2t} |mu_k|^2 / (2 Gamma_t)``, a softmax, the posterior
  mean by a matrix product, the guided score ``s = (1 + omega) s_c - omega s_u`` and one
  Euler-Maruyama step of the reverse SDE ``dx = [x + 2 s] dtau + sqrt(2) dW`` on a uniform
  grid in ``t`` from ``T`` to 0. It runs at ``M = M0, 2 M0, 4 M0, ...`` steps with common random
  numbers (the Brownian increments of the finest grid of ``--baseline-max`` steps summed for the
  coarser ones; same ``x_T`` law) and stops when its bound at ``M``,
  ``(|O(M) - O(2M)| + 2 se) 2^p / (2^p - 1)`` (``p`` its measured order between the last three
  levels, clipped to [1, 2], Euler-Maruyama's weak order being 1; 1 before there are three;
  the form of the ``--tol`` controller),
  is within ``tol`` for both observables, or when the next level would exceed
  ``--baseline-budget`` seconds (after three levels at least). An order measured below 1
  (noise, or not yet asymptotic) is taken as 1, which gives the smaller extrapolated count. Converged: its time to accuracy is the measured wall time of
  the run at that ``M``. Not converged: the count ``M_needed`` that the law ``C / M^p`` through
  the last bound puts at ``tol``, and its time is ``M_needed`` times its measured time per step
  at ``N``; this is printed and saved as **extrapolated**, with the ladder and the order. Both
  definitions leave out the baseline's own ladder (reported apart), and the baseline aims at
  ``tol`` while cfgmft's controller aims at ``tol / 1.25``: the comparison favours the baseline.
* Same answer: the step-converged values (Richardson on each method's two finest levels, per
  sample) of the two methods, on the same ``x_T`` with independent Brownian paths, are compared
  by the paired standard error of their per-sample difference.
* Timing: wall clock (``time.perf_counter``) and process CPU time (``time.process_time``) of
  each call, the process's BLAS on ``--blas-threads`` threads (default 1), set before numpy is
  imported. The final line ``ratio baseline/cfgmft time to TOL: R x`` gives the CPU-time ratio,
  with the wall-clock one beside it: on a shared machine (and with ``--part cfgmft`` and
  ``--part baseline`` run at once, then ``--part merge``) the wall times depend on the other
  jobs, the CPU times much less.

Many samples (``--N 4096 --baseline-samples 256``): the baseline's ladder runs on the first
``--baseline-samples`` of the check's ``x_T`` (its step error is a bias, the same at any ``N``;
only its standard errors grow), or is reused from an earlier part with the same problem
(``--baseline-ladder-from results/time_to_accuracy/part_baseline.json``), and its time per step
at ``N`` is the median of ``--baseline-time-steps`` dense steps at ``N`` samples; its time to
accuracy is then ``M_needed`` times that, reported as extrapolated.

Writes ``time_to_accuracy.json`` (every number with its parameters, version, machine) into
``--out``. ``--quick``: ``K = 2^12``, ``d = 16``, ``N = 64``, a 30 s baseline budget (a smoke run).
"""

from __future__ import annotations

import argparse
import math
import os
import sys


def _parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--K", type=int, default=2**17)
    p.add_argument("--d", type=int, default=32)
    p.add_argument("--N", type=int, default=256, help="samples of the main run and of the baseline")
    p.add_argument("--omega", type=float, default=2.0)
    p.add_argument("--sigma2", type=float, default=1.0)
    p.add_argument("--tol", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0, help="means; the pilot, main, check and baseline seeds are seed+1..seed+4")
    p.add_argument("--verify-factor", type=int, default=8, help="reference of the achieved-error check, in units of S")
    p.add_argument("--check-samples", type=int, default=None, help="samples of the achieved-error check (default --N)")
    p.add_argument("--baseline-M0", type=int, default=64)
    p.add_argument("--baseline-max", type=int, default=2**15, help="finest grid of the baseline's common random numbers")
    p.add_argument("--baseline-budget", type=float, default=1200.0, help="seconds for the baseline's ladder")
    p.add_argument("--baseline-samples", type=int, default=None,
                   help="samples of the baseline's ladder (default --N); its time per step is then measured at --N")
    p.add_argument("--baseline-time-steps", type=int, default=4,
                   help="dense steps timed at --N when the ladder has fewer samples")
    p.add_argument("--baseline-ladder-from", default=None, metavar="PART_JSON",
                   help="reuse the ladder of a part_baseline.json with the same problem (and --baseline-samples)")
    p.add_argument("--check-from", default=None, metavar="PART_JSON",
                   help="reuse the achieved-error check of a part_cfgmft.json when it checked the same steps, samples and seed")
    p.add_argument("--blas-threads", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="K = 2^12, d = 16, N = 64, baseline budget 30 s")
    p.add_argument("--part", choices=("all", "cfgmft", "baseline", "merge"), default="all",
                   help="run one part per process and assemble them with merge (default: all in one)")
    p.add_argument("--out", default="results/time_to_accuracy")
    return p


if __name__ == "__main__":
    _ARGS = _parser().parse_args()
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = str(_ARGS.blas_threads)
else:  # imported (tests): keep the caller's threads, default 1
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from cfgmft import __version__  # noqa: E402
from cfgmft.grids import DEFAULT_MC_T  # noqa: E402
from cfgmft.validation.samplers import sample  # noqa: E402
from cfgmft.validation.scores import FiniteMixture  # noqa: E402
from cfgmft.validation.stepcontrol import (CONTROLLED, ORDERS, PILOT, SAFETY, TOL_STAGES,  # noqa: E402
                                           paired_observables, run_levels, steps_for_tolerance)

SAMPLER = "sde"
#: Posterior evaluations per step of the ``--tol`` path for the SDE (the predictor-corrector).
STAGES = TOL_STAGES[SAMPLER]


def make_problem(K, d, sigma2, seed):
    """The mixture (sphere prior, means from ``seed``) and the target mean (class 0)."""
    mix = FiniteMixture.from_prior(K, d, "sphere", sigma2, rng=seed)
    return mix, np.array(mix.means[0], dtype=np.float64)


def x_T_of(seed, n, d):
    """The ``x_T`` that :func:`run_levels` draws for ``rng=seed`` (so the baseline can share it)."""
    x_ss, _ = np.random.SeedSequence(seed).spawn(2)
    return np.random.Generator(np.random.PCG64(x_ss)).standard_normal((n, d))


# ----------------------------------------------------------------------------- cfgmft


def run_cfgmft(mix, mu_c, omega, tol, n, *, pilot_seed, main_seed, T=DEFAULT_MC_T):
    """cfgmft's ``--tol`` path: the pilot chooses the steps, then ``n`` samples at them
    (wall and process CPU seconds of each)."""
    clock, cpu = time.perf_counter(), time.process_time()
    choice = steps_for_tolerance(mix, mu_c, mix.sigma2, omega, SAMPLER, tol, rng=pilot_seed, T=T, stages=STAGES)
    pilot_seconds, pilot_cpu = time.perf_counter() - clock, time.process_time() - cpu
    clock, cpu = time.perf_counter(), time.process_time()
    res = sample(mix, mu_c, mix.sigma2, omega, SAMPLER, T=T, steps=choice.steps, n=n, rng=main_seed, stages=STAGES)
    main_seconds, main_cpu = time.perf_counter() - clock, time.process_time() - cpu
    terms = paired_observables(res.x, mu_c, mix.sigma2)
    values = {k: {"mean": float(terms[k].mean()), "stderr": float(terms[k].std(ddof=1) / math.sqrt(n))} for k in CONTROLLED}
    return {"steps": choice.steps, "choice": choice.to_dict(), "pilot_seconds": pilot_seconds, "pilot_cpu_seconds": pilot_cpu,
            "main_seconds": main_seconds, "main_cpu_seconds": main_cpu, "main_loop_seconds": res.seconds,
            "seconds": pilot_seconds + main_seconds, "cpu_seconds": pilot_cpu + main_cpu,
            "values": values, "pilot_samples": PILOT, "safety": SAFETY, "stages": STAGES,
            "pilot_precision": choice.pilot_precision,
            "main_evaluations": n * choice.steps * STAGES}


def _richardson_terms(fine, coarse, q):
    """Per-sample step-converged terms from the two finest levels with order ``q``."""
    return fine - (coarse - fine) / (2.0**q - 1.0)


def _order(d1, d2, lo, hi):
    """Order from successive differences ``d1`` (coarser pair) and ``d2`` (finer pair), clipped."""
    if d1 == 0.0 or d2 == 0.0:
        return hi
    return float(np.clip(math.log2(abs(d1) / abs(d2)), lo, hi))


def verify_cfgmft(mix, mu_c, omega, steps, tol, n, *, seed, factor=8, T=DEFAULT_MC_T):
    """Achieved step error of cfgmft at ``steps`` against a paired reference at ``factor * steps``
    (levels ``steps * 2^j``), with Richardson on the reference (module docstring)."""
    if factor < 4 or factor & (factor - 1):
        raise ValueError(f"--verify-factor must be a power of 2, at least 4, got {factor}")
    levels = [steps * 2**j for j in range(int(math.log2(factor)) + 1)]
    clock, cpu = time.perf_counter(), time.process_time()
    run = run_levels(mix, mu_c, mix.sigma2, omega, SAMPLER, levels, n=n, rng=seed, T=T, stages=STAGES)
    seconds, cpu = time.perf_counter() - clock, time.process_time() - cpu
    S, R = levels[0], levels[-1]
    out = {"levels": levels, "samples": n, "seed": seed, "seconds": seconds, "cpu_seconds": cpu,
           "seconds_per_level": {str(k): v for k, v in run.seconds.items()}, "observables": {}}
    converged = {}
    for name in CONTROLLED:
        q = _order(run.diff(R // 4, R // 2, name)[0], run.diff(R // 2, R, name)[0], 1.0, 2.0)
        ref_terms = _richardson_terms(run.terms[R][name], run.terms[R // 2][name], q)
        delta = run.terms[S][name] - ref_terms
        err = float(delta.mean())
        se = float(delta.std(ddof=1) / math.sqrt(n))
        raw, raw_se = run.diff(S, R, name)
        ref_err, ref_err_se = run.diff(R // 2, R, name)
        out["observables"][name] = {
            "value_at_steps": run.value(S, name), "reference_value": run.value(R, name),
            "raw_error_vs_reference": raw, "raw_error_se": raw_se,
            "reference_order": q, "reference_error_estimate": ref_err / (2.0**q - 1.0),
            "reference_error_se": ref_err_se / (2.0**q - 1.0),
            "error": err, "error_se": se, "met": abs(err) <= tol, "met_with_2se": abs(err) + 2.0 * se <= tol,
            "diffs": {f"{a}-{b}": list(run.diff(a, b, name)) for a, b in zip(levels[:-1], levels[1:])},
        }
        converged[name] = ref_terms
    out["met"] = all(out["observables"][k]["met"] for k in CONTROLLED)
    out["met_with_2se"] = all(out["observables"][k]["met_with_2se"] for k in CONTROLLED)
    return out, converged


# ----------------------------------------------------------------------------- baseline


def dense_posterior_mean(x, t, means, norms2, sigma2):
    """``E[mu | x, t]`` the straightforward way: the full ``N x K`` logits, softmax, matrix product."""
    G = sigma2 * math.exp(-2.0 * t) - math.expm1(-2.0 * t)
    a, b = math.exp(-t) / G, math.exp(-2.0 * t) / (2.0 * G)
    L = x @ means.T  # N x K
    L *= a
    L -= b * norms2
    L -= L.max(axis=1, keepdims=True)
    np.exp(L, out=L)
    L /= L.sum(axis=1, keepdims=True)
    return L @ means


def guided_score_dense(x, t, means, norms2, mu_c, omega, sigma2):
    """``s = (1 + omega) s_c - omega s_u`` with ``s_c = -(x - e^{-t} mu_c)/Gamma_t`` and
    ``s_u = -(x - e^{-t} E[mu|x,t])/Gamma_t``."""
    G = sigma2 * math.exp(-2.0 * t) - math.expm1(-2.0 * t)
    e = math.exp(-t)
    s_c = -(x - e * mu_c) / G
    s_u = -(x - e * dense_posterior_mean(x, t, means, norms2, sigma2)) / G
    return (1.0 + omega) * s_c - omega * s_u


class FineBrownian:
    """Standard normal draws of the ``M_fine``-step uniform grid, draw ``j`` from its own
    generator, and their sums for a coarser uniform grid (common random numbers)."""

    def __init__(self, M_fine, n, d, seed):
        self.M_fine, self.n, self.d = int(M_fine), int(n), int(d)
        self.ss = np.random.SeedSequence(seed)

    def fine(self, j):
        child = np.random.SeedSequence(entropy=self.ss.entropy, spawn_key=(int(j),))
        return np.random.Generator(np.random.PCG64(child)).standard_normal((self.n, self.d))

    def increment(self, M, k, dt_fine):
        """Brownian increment of coarse step ``k`` of the ``M``-step grid: the sum of the
        ``M_fine / M`` fine increments ``sqrt(dt_fine) xi_j`` it covers."""
        r = self.M_fine // M
        acc = self.fine(k * r)
        for j in range(k * r + 1, (k + 1) * r):
            acc += self.fine(j)
        return math.sqrt(dt_fine) * acc


def baseline_run(means, norms2, mu_c, omega, sigma2, M, x_T, brownian, T=DEFAULT_MC_T):
    """Euler-Maruyama of the reverse SDE ``dx = [x + 2 s(x, t)] dtau + sqrt(2) dW`` at ``M``
    uniform steps from ``t = T`` to 0, dense scores. Returns ``(x_0, wall seconds, CPU seconds)``
    of the loop, with the summing of the fine Brownian increments (the price of the common
    random numbers, not of the baseline) replaced by the cost of one plain normal draw per step."""
    if brownian.M_fine % M:
        raise ValueError(f"M = {M} must divide the finest grid {brownian.M_fine}")
    dt = T / M
    dt_fine = T / brownian.M_fine
    x = np.array(x_T, dtype=np.float64)
    noise_wall = noise_cpu = 0.0
    clock, cpu = time.perf_counter(), time.process_time()
    for k in range(M):
        t = T - k * dt
        c0, u0 = time.perf_counter(), time.process_time()
        dW = brownian.increment(M, k, dt_fine)
        noise_wall += time.perf_counter() - c0
        noise_cpu += time.process_time() - u0
        x = x + (x + 2.0 * guided_score_dense(x, t, means, norms2, mu_c, omega, sigma2)) * dt + math.sqrt(2.0) * dW
    wall, cpu = time.perf_counter() - clock, time.process_time() - cpu
    one = np.random.default_rng(0)
    reps = min(M, 64)
    c0, u0 = time.perf_counter(), time.process_time()
    for _ in range(reps):
        one.standard_normal(x.shape)
    plain_wall = (time.perf_counter() - c0) / reps * M
    plain_cpu = (time.process_time() - u0) / reps * M
    return x, wall - noise_wall + plain_wall, cpu - noise_cpu + plain_cpu


def baseline_ladder(mix, mu_c, omega, tol, n, *, seed, x_T, M0=64, M_fine=2**15, budget=1200.0, T=DEFAULT_MC_T,
                    log=print):
    """The baseline at ``M0, 2 M0, ...`` until its bound meets ``tol`` or the budget is spent
    (module docstring). Returns the ladder, the bounds, orders and the time to accuracy."""
    means = np.ascontiguousarray(mix.means, dtype=np.float64)
    norms2 = np.ascontiguousarray(mix.norms2, dtype=np.float64)
    sigma2 = mix.sigma2
    brownian = FineBrownian(M_fine, n, mix.d, seed)
    levels, terms, secs, cpus = [], {}, {}, {}
    bounds, orders = {}, {}
    spent = 0.0
    converged_at = None
    M = int(M0)
    stop_reason = None
    while True:
        x, s, u = baseline_run(means, norms2, mu_c, omega, sigma2, M, x_T, brownian, T)
        spent += s
        levels.append(M)
        terms[M] = paired_observables(x, mu_c, sigma2)
        secs[M], cpus[M] = s, u
        log(f"  baseline M = {M:>6}: {s:8.1f} s wall, {u:8.1f} s CPU ({s / M:.3f} s/step), E[m] = {terms[M]['m'].mean():.5f}, "
            f"var_ratio = {terms[M]['var_ratio'].mean():.5f}")
        if len(levels) >= 2:
            Mc = levels[-2]
            b, o = {}, {}
            for name in CONTROLLED:
                dlt = terms[Mc][name] - terms[M][name]
                dm, se = float(dlt.mean()), float(dlt.std(ddof=1) / math.sqrt(n))
                p, raw = 1.0, None
                if len(levels) >= 3:
                    d1 = float((terms[levels[-3]][name] - terms[Mc][name]).mean())
                    raw = math.log2(abs(d1) / abs(dm)) if d1 != 0.0 and dm != 0.0 else None
                    p = _order(d1, dm, 1.0, 2.0)
                o[name] = p
                b[name] = {"diff": dm, "se": se, "order": p, "measured_order": raw,
                           "bound": (abs(dm) + 2.0 * se) * 2.0**p / (2.0**p - 1.0)}
            bounds[Mc], orders[Mc] = b, o
            log("    bound at M = %d: " % Mc + ", ".join(f"{k} {v['bound']:.2e} (|diff| {abs(v['diff']):.2e} +- {v['se']:.1e}, "
                                                        f"order {v['order']:.2f}, measured "
                                                        f"{'n/a' if v['measured_order'] is None else format(v['measured_order'], '.2f')})"
                                                        for k, v in b.items()))
            if all(v["bound"] <= tol for v in b.values()):
                converged_at = Mc
                stop_reason = "converged"
                break
        if 2 * M > M_fine:
            stop_reason = f"finest grid {M_fine} reached"
            break
        if len(levels) >= 3 and spent + 2.0 * s > budget:  # three levels at least: a measured order
            stop_reason = f"next level (~{2 * s:.0f} s) would exceed the budget of {budget:.0f} s"
            break
        M *= 2
    per_step = float(np.median([secs[m] / m for m in levels]))
    per_step_cpu = float(np.median([cpus[m] / m for m in levels]))
    out = {"levels": levels, "samples": n, "seed": seed, "M_fine": M_fine, "budget_seconds": budget,
           "ladder_seconds": spent, "ladder_cpu_seconds": sum(cpus.values()),
           "seconds_per_level": {str(m): secs[m] for m in levels}, "cpu_seconds_per_level": {str(m): cpus[m] for m in levels},
           "seconds_per_step": per_step, "cpu_seconds_per_step": per_step_cpu, "stop_reason": stop_reason,
           "values": {str(m): {k: float(terms[m][k].mean()) for k in CONTROLLED} for m in levels},
           "bounds": {str(m): v for m, v in bounds.items()}}
    if converged_at is not None:
        out.update(extrapolated=False, M_needed=converged_at, seconds=secs[converged_at], cpu_seconds=cpus[converged_at],
                   ladder_seconds_to_accuracy=sum(secs[m] for m in levels))
    elif bounds:
        Ml = max(bounds)
        need = {}
        for name, v in bounds[Ml].items():
            need[name] = Ml * max(1.0, v["bound"] / tol) ** (1.0 / v["order"])
        M_needed = int(math.ceil(max(need.values())))
        out.update(extrapolated=True, M_needed=M_needed, M_needed_per_observable=need, extrapolated_from=Ml,
                   seconds=M_needed * per_step, cpu_seconds=M_needed * per_step_cpu)
    else:
        out.update(extrapolated=True, M_needed=None, seconds=float("nan"), cpu_seconds=float("nan"))
    # step-converged per-sample values (Richardson on the two finest levels, the last measured order)
    conv = {}
    if len(levels) >= 2:
        Mf, Mc = levels[-1], levels[-2]
        for name in CONTROLLED:
            p = orders[Mc][name]
            conv[name] = _richardson_terms(terms[Mf][name], terms[Mc][name], p)
    return out, conv


def agreement(conv_cfgmft, conv_baseline, n=None):
    """Paired comparison of the step-converged values (same ``x_T``, independent paths), on the
    first ``n`` samples of both (default: as many as the smaller has)."""
    out = {}
    for name in CONTROLLED:
        m = min(conv_cfgmft[name].size, conv_baseline[name].size) if n is None else n
        a, b = conv_cfgmft[name][:m], conv_baseline[name][:m]
        dlt = b - a
        se = float(dlt.std(ddof=1) / math.sqrt(m))
        diff = float(dlt.mean())
        out[name] = {"samples": int(m), "cfgmft": float(a.mean()), "cfgmft_se": float(a.std(ddof=1) / math.sqrt(m)),
                     "baseline": float(b.mean()), "baseline_se": float(b.std(ddof=1) / math.sqrt(m)),
                     "difference": diff, "paired_se": se, "z": diff / se if se > 0 else float("nan")}
    return out


# ----------------------------------------------------------------------------- driver


def settings(args):
    if args.quick:
        args.K, args.d, args.N = 2**12, 16, 64
        args.baseline_budget = min(args.baseline_budget, 30.0)
    return args


def seeds_of(args):
    return {"means": args.seed, "pilot": args.seed + 1, "main": args.seed + 2, "check": args.seed + 3,
            "baseline_brownian": args.seed + 4}


def machine():
    return {"cpu_count": os.cpu_count(), "numpy": np.__version__, "python": sys.version.split()[0],
            "platform": platform.platform(), "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}


def part_cfgmft(args, mix, mu_c, log=print):
    """(a): the pilot, the main run, and the achieved-error check."""
    seeds = seeds_of(args)
    log("\n(a) cfgmft: steps_for_tolerance (pilot) + sample at the chosen steps")
    cf = run_cfgmft(mix, mu_c, args.omega, args.tol, args.N, pilot_seed=seeds["pilot"], main_seed=seeds["main"])
    log(f"  chose S = {cf['steps']} steps (pilot bounds {cf['choice']['estimate']}); pilot {cf['pilot_seconds']:.1f} s "
        f"({cf['pilot_cpu_seconds']:.1f} s CPU, {cf['choice']['pilot_evaluations']} point-steps), main run "
        f"{cf['main_seconds']:.1f} s ({cf['main_cpu_seconds']:.1f} s CPU)")
    log(f"  achieved error: levels S..{args.verify_factor}S with common random numbers, {args.check_samples or args.N} samples, "
        f"seed {seeds['check']}")
    check = None
    if args.check_from:
        # the check is a function of the problem, the scheme, S, its samples, seed and factor: reuse
        # an earlier one only where all of them are the same
        with open(args.check_from) as f:
            whole = json.load(f)
        prev, theirs = whole["cfgmft_check"], whole.get("parameters_of_part", {})
        want = {"levels": [cf["steps"] * 2**j for j in range(int(math.log2(args.verify_factor)) + 1)],
                "samples": args.check_samples or args.N, "seed": seeds["check"]}
        same = (all(prev[k] == v for k, v in want.items()) and whole["cfgmft"].get("stages", 1) == STAGES
                and all(theirs.get(k) == getattr(args, k) for k in LADDER_KEYS if k != "baseline_budget"))
        if same:
            check = dict(prev, reused_from=args.check_from)
            with np.load(os.path.splitext(args.check_from)[0] + ".npz") as z:
                conv = {k: z[k] for k in z.files}
            log(f"    reused from {args.check_from} (same S = {cf['steps']}, samples and seed)")
        else:
            log(f"    {args.check_from} checked other steps, samples or seed: run anew")
    if check is None:
        check, conv = verify_cfgmft(mix, mu_c, args.omega, cf["steps"], args.tol, args.check_samples or args.N,
                                    seed=seeds["check"], factor=args.verify_factor)
    for name, v in check["observables"].items():
        log(f"    {name}: error at S {v['error']:+.2e} +- {v['error_se']:.1e} (vs {check['levels'][-1]} steps "
            f"{v['raw_error_vs_reference']:+.2e}, reference's own {v['reference_error_estimate']:+.2e}, order {v['reference_order']:.2f})"
            f" -> {'within' if v['met'] else 'NOT within'} tol")
    log(f"  check took {check['seconds']:.1f} s")
    return {"cfgmft": cf, "cfgmft_check": check, "machine_cfgmft": machine()}, conv


#: Parameters a reused ladder (``--baseline-ladder-from``) must share with this run.
LADDER_KEYS = ("K", "d", "omega", "sigma2", "tol", "seed", "baseline_M0", "baseline_max", "baseline_budget", "quick")


def baseline_step_time(mix, mu_c, omega, n, steps, *, seed, T=DEFAULT_MC_T):
    """Wall and CPU seconds per step of the dense baseline at ``n`` samples, the median over
    ``steps`` Euler-Maruyama steps spread over ``[T, 0]`` (a plain normal draw per step)."""
    means = np.ascontiguousarray(mix.means, dtype=np.float64)
    norms2 = np.ascontiguousarray(mix.norms2, dtype=np.float64)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, mix.d))
    walls, cpus = [], []
    dt = T / 1024
    for t in np.linspace(T, dt, steps):
        clock, cpu = time.perf_counter(), time.process_time()
        s = guided_score_dense(x, float(t), means, norms2, mu_c, omega, mix.sigma2)
        x = x + (x + 2.0 * s) * dt + math.sqrt(2.0 * dt) * rng.standard_normal(x.shape)
        walls.append(time.perf_counter() - clock)
        cpus.append(time.process_time() - cpu)
    return float(np.median(walls)), float(np.median(cpus))


def part_baseline(args, mix, mu_c, log=print):
    """(b): the dense Euler-Maruyama ladder, on the ``x_T`` of the cfgmft check (its first
    ``--baseline-samples``); with fewer samples than ``N``, or with a ladder reused from
    ``--baseline-ladder-from``, its time per step at ``N`` is measured apart."""
    seeds = seeds_of(args)
    m = args.N if args.baseline_samples is None else args.baseline_samples
    if not 2 <= m <= args.N:
        raise SystemExit(f"--baseline-samples must be in [2, --N = {args.N}], got {m}")
    if args.baseline_ladder_from:
        with open(args.baseline_ladder_from) as f:
            prev = json.load(f)
        theirs = prev["parameters_of_part"]
        for key in LADDER_KEYS:
            if theirs.get(key) != getattr(args, key):
                raise SystemExit(f"--baseline-ladder-from: its {key} = {theirs.get(key)!r}, this run's {getattr(args, key)!r}")
        if prev["baseline"]["samples"] != m:
            raise SystemExit(f"--baseline-ladder-from: its ladder has {prev['baseline']['samples']} samples, "
                             f"--baseline-samples {m}")
        bl = dict(prev["baseline"], reused_from=args.baseline_ladder_from)
        npz = os.path.splitext(args.baseline_ladder_from)[0] + ".npz"
        with np.load(npz) as z:
            conv = {k: z[k] for k in z.files}
        log(f"\n(b) baseline: the ladder of {args.baseline_ladder_from} ({m} samples, levels {bl['levels']}, "
            f"M_needed {bl['M_needed']})")
    else:
        log(f"\n(b) baseline: dense softmax + Euler-Maruyama on a uniform grid (budget {args.baseline_budget:.0f} s, "
            f"{m} samples)")
        x_T = x_T_of(seeds["check"], args.N, args.d)[:m]
        bl, conv = baseline_ladder(mix, mu_c, args.omega, args.tol, m, seed=seeds["baseline_brownian"], x_T=x_T,
                                   M0=args.baseline_M0, M_fine=args.baseline_max, budget=args.baseline_budget, log=log)
    if m != args.N:
        # the step error is a bias (it does not depend on N); the time per step does
        wall, cpu = baseline_step_time(mix, mu_c, args.omega, args.N, args.baseline_time_steps, seed=seeds["main"])
        log(f"  baseline time per step at N = {args.N}: {wall:.3f} s wall, {cpu:.3f} s CPU "
            f"(median of {args.baseline_time_steps} steps); the ladder's was at {m} samples")
        bl.update(ladder_samples=m, ladder_seconds_per_step=bl["seconds_per_step"],
                  ladder_cpu_seconds_per_step=bl["cpu_seconds_per_step"], seconds_per_step=wall, cpu_seconds_per_step=cpu,
                  time_steps=args.baseline_time_steps)
        if bl.get("M_needed") is not None:
            if not bl["extrapolated"]:
                bl["extrapolated"] = True
                bl["extrapolated_from"] = bl["M_needed"]
            bl.update(seconds=bl["M_needed"] * wall, cpu_seconds=bl["M_needed"] * cpu)
    return {"baseline": bl, "machine_baseline": machine()}, conv


def assemble(args, a, conv_c, b, conv_b, log=print):
    """The side-by-side table, the ratio line and the result object."""
    cf, check, bl = a["cfgmft"], a["cfgmft_check"], b["baseline"]
    agree = agreement(conv_c, conv_b) if conv_b else {}
    ratio = bl["seconds"] / cf["seconds"]
    ratio_cpu = bl["cpu_seconds"] / cf["cpu_seconds"]
    kind = "EXTRAPOLATED" if bl["extrapolated"] else "measured"
    last = str(max(int(k) for k in bl["bounds"])) if bl["bounds"] else None
    rows = [
        ("steps to tol", f"{cf['steps']} (logsnr grid)", f"{bl['M_needed']} (uniform grid, {kind})"),
        ("how the steps were found", f"pilot, {cf['pilot_seconds']:.1f} s ({cf['pilot_cpu_seconds']:.1f} s CPU)",
         f"ladder {bl['levels']}, {bl['ladder_seconds']:.0f} s ({bl['ladder_cpu_seconds']:.0f} s CPU), not counted"),
        ("evaluations per sample", f"{cf['steps'] * cf.get('stages', 1)} ({cf.get('stages', 1)} per step); pilot "
                                   f"{cf['choice']['pilot_evaluations']} point-steps",
         f"{bl['M_needed']} (1 per step)"),
        ("time per step at N", f"{cf['main_seconds'] / cf['steps']:.4f} s ({cf['main_cpu_seconds'] / cf['steps']:.4f} s CPU)",
         f"{bl['seconds_per_step']:.4f} s ({bl['cpu_seconds_per_step']:.4f} s CPU), measured"),
        ("run at the chosen steps", f"{cf['main_seconds']:.1f} s ({cf['main_cpu_seconds']:.1f} s CPU)",
         f"{bl['seconds']:.1f} s ({bl['cpu_seconds']:.1f} s CPU), {kind}"),
        ("time to tol", f"{cf['seconds']:.1f} s ({cf['cpu_seconds']:.1f} s CPU), pilot + run",
         f"{bl['seconds']:.1f} s ({bl['cpu_seconds']:.1f} s CPU), {kind}"),
    ]
    for name in CONTROLLED:
        v = check["observables"][name]
        bb = bl["bounds"][last][name] if last else None
        mo = "n/a" if not bb or bb["measured_order"] is None else f"{bb['measured_order']:.2f}"
        rows.append((f"step error {name}", f"{v['error']:+.1e} +- {v['error_se']:.0e} achieved at S (vs {check['levels'][-1]} steps)",
                     f"bound {bb['bound']:.1e} at M = {last} (order used {bb['order']:.2f}, measured {mo})" if bb else "n/a"))
    for name, v in agree.items():
        rows.append((f"step-converged {name}", f"{v['cfgmft']:.4f} +- {v['cfgmft_se']:.4f}",
                     f"{v['baseline']:.4f} +- {v['baseline_se']:.4f} (paired difference {v['difference']:+.4f} +- {v['paired_se']:.4f}, z = {v['z']:+.1f})"))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    table = [f"| {'':<{w0}} | {'cfgmft --tol ' + _tol_text(args.tol):<{w1}} | numpy dense softmax + Euler-Maruyama |",
             f"|{'-' * (w0 + 2)}|{'-' * (w1 + 2)}|---|"]
    table += [f"| {r0:<{w0}} | {r1:<{w1}} | {r2} |" for r0, r1, r2 in rows]
    log("\n" + "\n".join(table))
    notes = []
    if bl["extrapolated"]:
        notes.append(f"baseline time is EXTRAPOLATED: its ladder {bl['levels']} stopped ({bl['stop_reason']}); "
                     f"M_needed = {bl['M_needed']} from its bound at M = {bl['extrapolated_from']} with the order used, "
                     f"times {bl['seconds_per_step']:.4f} s/step ({bl['cpu_seconds_per_step']:.4f} s CPU) measured at N = {args.N}")
    run_only = bl["cpu_seconds"] / cf["main_cpu_seconds"]
    notes.append(f"cfgmft's pilot is {cf['pilot_cpu_seconds'] / cf['cpu_seconds']:.0%} of its CPU time at N = {args.N} "
                 f"(its cost does not grow with N); the runs at the chosen steps alone: {run_only:.1f} x by CPU time, "
                 f"{bl['seconds'] / cf['main_seconds']:.1f} x by wall clock")
    notes.append(f"by wall clock: ratio {ratio:.1f} x (each part's wall time depends on the other jobs of a shared machine; "
                 f"the CPU times do much less)")
    for line in notes:
        log(line)
    final = (f"ratio baseline/cfgmft time to {_tol_text(args.tol)}: {ratio_cpu:.1f} x (CPU time; wall clock {ratio:.1f} x"
             + ("; baseline extrapolated)" if bl["extrapolated"] else ")"))
    log(final)
    return {
        "version": __version__, "benchmark": "time_to_accuracy",
        "parameters": {"K": args.K, "d": args.d, "N": args.N, "prior": "sphere", "sigma2": args.sigma2,
                       "omega": args.omega, "sampler": SAMPLER, "target": 0, "T": DEFAULT_MC_T, "tol": args.tol,
                       "seed": args.seed, "seeds": seeds_of(args), "quick": bool(args.quick),
                       "verify_factor": args.verify_factor, "check_samples": args.check_samples or args.N,
                       "baseline_M0": args.baseline_M0,
                       "baseline_max": args.baseline_max, "baseline_budget": args.baseline_budget,
                       "controlled": list(CONTROLLED), "cfgmft_order": cf["choice"].get("order", ORDERS[(SAMPLER, 1)]),
                       "cfgmft_stages": cf.get("stages", 1), "baseline_samples": b["baseline"].get("ladder_samples", args.N)},
        "machine": machine(), **a, **b, "agreement": agree,
        "ratio": ratio, "ratio_cpu": ratio_cpu, "baseline_extrapolated": bl["extrapolated"], "table": table,
        "notes": notes, "final_line": final,
    }


def _tol_text(tol):
    """``1e-3`` for 0.001, ``2.5e-4`` for 0.00025."""
    mant, exp = f"{tol:.6e}".split("e")
    return f"{mant.rstrip('0').rstrip('.')}e{int(exp)}"


def _header(args, log):
    log(f"K = {args.K}, d = {args.d}, sphere prior, sigma2 = {args.sigma2}, omega = {args.omega}, reverse SDE, "
        f"target class 0, T = {DEFAULT_MC_T}, N = {args.N}, tol = {args.tol:g}, seeds {seeds_of(args)}, "
        f"BLAS threads {os.environ.get('OPENBLAS_NUM_THREADS')}, load average {machine()['load_average']}")


def run(args, log=print):
    """Both parts in this process, then the table (``--part all``)."""
    args = settings(args)
    _header(args, log)
    clock = time.perf_counter()
    mix, mu_c = make_problem(args.K, args.d, args.sigma2, args.seed)
    a, conv_c = part_cfgmft(args, mix, mu_c, log)
    b, conv_b = part_baseline(args, mix, mu_c, log)
    result = assemble(args, a, conv_c, b, conv_b, log)
    result["seconds_total"] = time.perf_counter() - clock
    return result


def _save_part(out, name, part, conv):
    with open(os.path.join(out, f"part_{name}.json"), "w") as f:
        json.dump(part, f, indent=1)
    np.savez(os.path.join(out, f"part_{name}.npz"), **conv)


def _load_part(out, name):
    with open(os.path.join(out, f"part_{name}.json")) as f:
        part = json.load(f)
    with np.load(os.path.join(out, f"part_{name}.npz")) as z:
        conv = {k: z[k] for k in z.files}
    return part, conv


def main(args):
    args = settings(args)
    os.makedirs(args.out, exist_ok=True)
    suffix = "_quick" if args.quick else ""
    if args.part in ("cfgmft", "baseline"):
        # one part per process (e.g. both at once on a 2-core machine; the times are per
        # process, and the CPU times are the robust ones then); --part merge assembles them
        _header(args, print)
        mix, mu_c = make_problem(args.K, args.d, args.sigma2, args.seed)
        fn = part_cfgmft if args.part == "cfgmft" else part_baseline
        part, conv = fn(args, mix, mu_c)
        part["parameters_of_part"] = {k: v for k, v in vars(args).items()}
        _save_part(args.out, args.part + suffix, part, conv)
        print(f"wrote {os.path.join(args.out, 'part_' + args.part + suffix + '.json')}")
        return
    if args.part == "merge":
        a, conv_c = _load_part(args.out, "cfgmft" + suffix)
        b, conv_b = _load_part(args.out, "baseline" + suffix)
        defaults = vars(_parser().parse_args([]))  # a part written before an option existed ran with its default
        skip = ("part", "out", "check_from", "baseline_ladder_from")  # how a part was run, not what it measured
        parts_run = []
        for part in (a, b):
            mine = {k: v for k, v in vars(args).items() if k not in skip}
            ran = part.pop("parameters_of_part")
            parts_run.append(ran)
            theirs = {k: v for k, v in {**defaults, **ran}.items() if k not in skip}
            if mine != theirs:
                raise SystemExit(f"--part merge: the parts were run with other parameters: {theirs} != {mine}")
        _header(args, print)
        result = assemble(args, a, conv_c, b, conv_b)
        result["run_as"] = "two processes (--part cfgmft, --part baseline), assembled by --part merge"
        result["parts_parameters"] = {"cfgmft": parts_run[0], "baseline": parts_run[1]}
    else:
        result = run(args)
        result["run_as"] = "one process (--part all)"
    path = os.path.join(args.out, f"time_to_accuracy{suffix}.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {path}")


if __name__ == "__main__":
    main(_ARGS)
