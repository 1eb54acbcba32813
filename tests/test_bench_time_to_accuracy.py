"""The functions of benchmarks/bench_time_to_accuracy.py on a tiny problem: cfgmft's chosen steps
meet the tolerance against a paired step-converged reference, the dense Euler-Maruyama baseline
converges (its paired bounds shrink at about its weak order 1) toward the same step-converged
E[m] and variance ratio as cfgmft, and the driver writes every number. No timing assertions."""

import importlib.util
import json
import math
import pathlib
import types

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_time_to_accuracy", ROOT / "benchmarks" / "bench_time_to_accuracy.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


K, D, OMEGA, TOL = 64, 8, 2.0, 1e-2


@pytest.fixture(scope="module")
def tiny(bench):
    mix, mu_c = bench.make_problem(K, D, 1.0, 0)
    return mix, mu_c


def test_dense_baseline_score_is_cfgmft_guided_score(bench, tiny):
    from cfgmft.validation.scores import guided_score

    mix, mu_c = tiny
    x = np.random.default_rng(5).standard_normal((7, D)) * 2.0
    means, norms2 = np.ascontiguousarray(mix.means), np.ascontiguousarray(mix.norms2)
    for t in (0.0, 0.3, 2.0, 12.0):
        ours = bench.guided_score_dense(x, t, means, norms2, mu_c, OMEGA, 1.0)
        ref = guided_score(mix, x, t, mu_c, 1.0, OMEGA)
        assert np.allclose(ours, ref, rtol=1e-11, atol=1e-11)


def test_fine_brownian_sums_are_the_coarse_increments(bench):
    bm = bench.FineBrownian(16, 3, 2, seed=9)
    dt_fine = 12.0 / 16
    coarse = bm.increment(4, 1, dt_fine)
    assert np.allclose(coarse, math.sqrt(dt_fine) * sum(bm.fine(j) for j in range(4, 8)), rtol=1e-14, atol=1e-14)
    assert np.array_equal(bm.increment(16, 5, dt_fine), math.sqrt(dt_fine) * bm.fine(5))


def test_cfgmft_meets_tol_and_baseline_converges_to_the_same_values(bench, tiny):
    mix, mu_c = tiny
    n = 2048
    cf = bench.run_cfgmft(mix, mu_c, OMEGA, TOL, 256, pilot_seed=1, main_seed=2)
    assert cf["steps"] >= 2 and max(cf["choice"]["estimate"].values()) <= TOL
    check, conv_c = bench.verify_cfgmft(mix, mu_c, OMEGA, cf["steps"], TOL, n, seed=3)
    assert check["levels"] == [cf["steps"] * 2**j for j in range(4)]
    for name, v in check["observables"].items():
        # the achieved error (Richardson-corrected, against 8x the steps) is within tol
        assert abs(v["error"]) <= TOL, (name, v)
        assert v["error_se"] < TOL / 4, (name, v)
    assert check["met"]

    x_T = bench.x_T_of(3, n, D)
    bl, conv_b = bench.baseline_ladder(mix, mu_c, OMEGA, TOL, n, seed=4, x_T=x_T, M0=64, M_fine=2**11,
                                       budget=math.inf, log=lambda *a: None)
    assert not bl["extrapolated"] and bl["M_needed"] in bl["levels"]
    b = bl["bounds"][str(bl["M_needed"])]
    assert all(v["bound"] <= TOL for v in b.values())
    # the baseline's paired differences shrink (weak order ~1 of Euler-Maruyama) for var_ratio,
    # its dominant error: each doubling at least 1.5x smaller from 128 steps on
    diffs = [abs(bl["bounds"][str(m)]["var_ratio"]["diff"]) for m in bl["levels"][1:-1]]
    assert all(a > 1.5 * c for a, c in zip(diffs, diffs[1:])), diffs

    agree = bench.agreement(conv_c, conv_b, n)
    for name, v in agree.items():
        # same x_T, independent Brownian paths: the paired standard error of the per-sample
        # difference, plus what is left of each method's step error (bounded by tol each)
        assert v["paired_se"] < 0.02
        assert abs(v["difference"]) <= 4.0 * v["paired_se"] + 2.0 * TOL, (name, v)


def test_quick_driver_writes_every_number(bench, tmp_path, monkeypatch):
    args = types.SimpleNamespace(K=0, d=0, N=0, omega=OMEGA, sigma2=1.0, tol=TOL, seed=0, verify_factor=8,
                                 check_samples=None, check_from=None, part="all", baseline_M0=64, baseline_max=2**10, baseline_budget=0.0, blas_threads=1,
                                 quick=True, out=str(tmp_path), baseline_samples=None, baseline_time_steps=4,
                                 baseline_ladder_from=None)
    monkeypatch.setattr(bench, "settings", lambda a: (a.__dict__.update(K=256, d=8, N=64) or a))
    lines = []
    res = bench.run(args, log=lines.append)
    assert res["parameters"]["K"] == 256 and res["parameters"]["tol"] == TOL
    assert res["machine"]["cpu_count"] == __import__("os").cpu_count()
    assert res["machine"]["numpy"] == np.__version__
    # a zero budget stops the ladder after three levels: the baseline's time is extrapolated
    assert res["baseline"]["levels"] == [64, 128, 256] and res["baseline_extrapolated"]
    assert res["baseline"]["extrapolated_from"] == 128 and res["baseline"]["M_needed"] >= 128
    assert res["agreement"]["m"]["samples"] == 64
    assert res["final_line"].startswith("ratio baseline/cfgmft time to 1e-2: ") and " x (CPU time" in res["final_line"]
    assert bench._tol_text(1e-3) == "1e-3" and bench._tol_text(2.5e-4) == "2.5e-4"
    assert "baseline extrapolated" in res["final_line"]
    assert any("EXTRAPOLATED" in line for line in lines)
    json.dumps(res)  # every number serialisable


def test_baseline_ladder_on_fewer_samples_and_reused(bench, tiny, tmp_path):
    # the ladder on 32 of N = 64 samples, its time per step measured at N; then the same ladder
    # reused by a run with the same problem, and refused by one with another omega
    mix, mu_c = tiny
    args = types.SimpleNamespace(K=K, d=D, N=64, omega=OMEGA, sigma2=1.0, tol=TOL, seed=0, baseline_M0=64,
                                 baseline_max=2**10, baseline_budget=0.0, quick=False, baseline_samples=32,
                                 baseline_time_steps=3, baseline_ladder_from=None)
    part, conv = bench.part_baseline(args, mix, mu_c, log=lambda *a: None)
    bl = part["baseline"]
    assert bl["samples"] == 32 and bl["ladder_samples"] == 32 and bl["time_steps"] == 3 and bl["extrapolated"]
    assert bl["cpu_seconds"] == pytest.approx(bl["M_needed"] * bl["cpu_seconds_per_step"], rel=1e-12)
    part["parameters_of_part"] = dict(vars(args))
    bench._save_part(str(tmp_path), "baseline", part, conv)
    again = types.SimpleNamespace(**{**vars(args), "baseline_ladder_from": str(tmp_path / "part_baseline.json")})
    part2, conv2 = bench.part_baseline(again, mix, mu_c, log=lambda *a: None)
    assert part2["baseline"]["M_needed"] == bl["M_needed"] and part2["baseline"]["levels"] == bl["levels"]
    assert np.array_equal(conv2["m"], conv["m"])
    other = types.SimpleNamespace(**{**vars(again), "omega": 1.0})
    with pytest.raises(SystemExit, match="omega"):
        bench.part_baseline(other, mix, mu_c, log=lambda *a: None)
