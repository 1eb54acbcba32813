"""``cfgmft reproduce``: one section per claim of MODEL.md §6, with numbers, a verdict and a
figure, written to ``OUT/report.md`` (figures ``OUT/c*.png``, every number and parameter in
``OUT/results.json``).

This version computes C1, C4 and C5 (infinite-class limit: closed forms, quadratures and
Monte Carlo with exact scores), C2 and C3 (the d -> infinity random-energy mean field
against finite-size scaling of Monte Carlo across d) and C6 (a negative-window schedule
designed on the mean-field theory, then simulated).

Verdict criteria (stated in the report next to each verdict):

* a Monte Carlo number *agrees* with the theory when ``|MC - theory| <= 4 stderr``;
* a distortion is *significant* when it differs from exact sampling by more than 4 stderr.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from . import CONVENTION, __version__
from .errors import ParameterError
from .io import save_json
from .params import DEFAULT_MC_T
from .schedules import (Constant, CosineRamp, Interval, LinearRamp, LowHighLow, NegativeWindow,
                        Schedule)

AGREE_K = 4.0  # agreement criterion, in standard errors

CLAIMS = {
    "C1": "Vanilla CFG shifts the mean outward (E[m] > 1) and shrinks the variance (v_perp < sigma2).",
    "C2": "Exponential regime (alpha > 0): distortion persists as d -> infinity.",
    "C3": "Sub-exponential regime: distortion vanishes as d -> infinity.",
    "C4": "Infinite-class limit: distortion is unavoidable at any d.",
    "C5": "No schedule with omega(t) >= 0 prevents variance shrinkage.",
    "C6": "A schedule with a negative-guidance window restores the variance while keeping class separability.",
}
NOT_YET: dict = {}


@dataclass
class Settings:
    """Sizes of the Monte Carlo; ``quick`` is the CI-sized run."""

    quick: bool
    seed: int
    sigma2: float = 1.0
    d: int = 8
    n: int = 20000
    steps: int = 400
    omegas_mc: tuple = (0.0, 1.0, 2.0, 4.0)
    dims_c4: tuple = (4, 16, 64)
    n_random_schedules: int = 400
    K_finite: tuple = (100, 1000, 10000)
    n_finite: int = 4000
    # finite-size scaling of C2 (exponential regime) and C3 (fixed K)
    c2_alpha: float = 0.2
    c2_dims: tuple = (20, 30, 40, 50)
    c2_samples: int = 1000
    c2_disorder: int = 4
    #: samples of the finite-d prediction (reduced model) per d
    fd_samples: int = 20000
    c3_dims: tuple = (8, 16, 32, 64, 128, 256)
    c3_samples: int = 8000
    # C6: schedule design in the exponential regime, then Monte Carlo
    c6_alpha: float = 0.3
    c6_dims: tuple = (20, 25)
    c6_samples: int = 4000
    c6_disorder: int = 8

    @classmethod
    def make(cls, quick: bool, seed: int) -> "Settings":
        if quick:
            return cls(quick=True, seed=seed, n=4000, steps=200, n_random_schedules=100,
                       K_finite=(100, 1000), n_finite=1000, c2_dims=(20, 25, 30), c2_samples=1000,
                       c2_disorder=2, fd_samples=8000, c3_dims=(8, 16, 32, 64), c3_samples=2000,
                       c6_dims=(20,), c6_samples=4000, c6_disorder=6)
        return cls(quick=False, seed=seed)


def _theory(prior, sigma2, omega, sampler):
    from .solvers.infinite_class import predict_infinite_class

    return predict_infinite_class(prior, sigma2, omega, sampler)


def _mc(denoiser, mu_c, sigma2, omega, sampler, s: Settings, seed, n=None):
    from .validation.montecarlo import run_monte_carlo

    return run_monte_carlo(denoiser, mu_c, sigma2, omega, sampler, n=n or s.n, steps=s.steps,
                           T=DEFAULT_MC_T, rng=seed).estimates


def _agree(mc_mean, mc_se, theory) -> bool:
    return abs(mc_mean - theory) <= AGREE_K * mc_se


def _ms(est) -> tuple[float, float]:
    return float(est.value), float(est.stderr)


def reproduce(out="results/reproduce", quick: bool = False, seed: int = 20260223) -> Path:
    """Run every computable claim and write ``out/report.md``; returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    from tqdm.auto import tqdm

    if not isinstance(seed, int) or seed < 0:
        raise ParameterError("seed", f"must be an integer >= 0, got {seed!r}")
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ParameterError("out", f"cannot create folder {str(out)!r} ({e.strerror})") from None
    s = Settings.make(quick, seed)
    t0 = time.perf_counter()
    steps = [("C1", _claim_c1), ("C2", _claim_c2), ("C3", _claim_c3), ("C4", _claim_c4), ("C5", _claim_c5),
             ("C6", _claim_c6)]
    sections, results = {}, {"settings": asdict(s)}
    path = out / "report.md"
    for name, fn in tqdm(steps, desc="cfgmft reproduce", unit="claim"):
        sections[name], results[name] = fn(s, out)
        # written after every claim, so an interruption keeps what is done
        results["seconds"] = time.perf_counter() - t0
        done = len(sections) == len(steps)
        path.write_text(_report(sections, s, results["seconds"], pending=not done))
        save_json(out / "results.json", results)
    return path


# -- C1 ---------------------------------------------------------------------------------------

def _claim_c1(s: Settings, out: Path):
    import matplotlib.pyplot as plt

    from .validation.mixture import draw_means
    from .validation.scores import ContinuumGaussian

    omegas = np.linspace(0.0, 8.0, 81)
    theory = {smp: [_theory("gaussian", s.sigma2, float(w), smp) for w in omegas] for smp in ("sde", "ode")}
    mu_c = draw_means(1, s.d, "gaussian", rng=s.seed)[0]
    den = ContinuumGaussian(s.sigma2)
    rows, ok = [], True
    for smp in ("sde", "ode"):
        for i, w in enumerate(s.omegas_mc):
            th = _theory("gaussian", s.sigma2, w, smp)
            mc = _mc(den, mu_c, s.sigma2, w, smp, s, seed=s.seed + 17 * i + (0 if smp == "sde" else 1000))
            m, m_se = _ms(mc.m)
            v, v_se = _ms(mc.var_ratio)
            agree = _agree(m, m_se, th.m_final) and _agree(v, v_se, th.var_ratio)
            distorted = True if w == 0 else (m - 1 > AGREE_K * m_se and 1 - v > AGREE_K * v_se)
            ok &= agree and distorted
            rows.append(dict(sampler=smp, omega=w, m_theory=th.m_final, m_mc=m, m_se=m_se,
                             v_theory=th.var_ratio, v_mc=v, v_se=v_se, agree=agree, distorted=distorted))
    pos = omegas > 0
    th_ok = all(p.m_final > 1 and p.var_ratio < 1 for smp in theory for p, q in zip(theory[smp], pos) if q)
    ok &= th_ok

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for smp, color in (("sde", "C0"), ("ode", "C1")):
        axes[0].plot(omegas, [p.m_final for p in theory[smp]], color=color, label=f"theory, {smp.upper()}")
        axes[1].plot(omegas, [p.var_ratio for p in theory[smp]], color=color, label=f"theory, {smp.upper()}")
        rr = [r for r in rows if r["sampler"] == smp]
        axes[0].errorbar([r["omega"] for r in rr], [r["m_mc"] for r in rr], yerr=[r["m_se"] for r in rr],
                         fmt="o", color=color, ms=4, capsize=3, label=f"Monte Carlo d={s.d}, {smp.upper()}")
        axes[1].errorbar([r["omega"] for r in rr], [r["v_mc"] for r in rr], yerr=[r["v_se"] for r in rr],
                         fmt="o", color=color, ms=4, capsize=3, label=f"Monte Carlo d={s.d}, {smp.upper()}")
    axes[0].axhline(1, color="k", lw=0.8, ls=":")
    axes[1].axhline(1, color="k", lw=0.8, ls=":")
    axes[0].set(xlabel="guidance strength omega  (w = 1 + omega)", ylabel="E[m]  (exact sampling: 1)",
                title="C1: mean overlap with the class mean")
    axes[1].set(xlabel="guidance strength omega  (w = 1 + omega)", ylabel="v_perp / sigma2  (exact: 1)",
                title="C1: variance ratio", yscale="log")
    for ax in axes:
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(f"Infinite-class limit, gaussian prior, sigma2 = {s.sigma2:g}; s = (1+omega) s_c - omega s_u")
    fig.tight_layout()
    fig.savefig(out / "c1.png", dpi=120)
    plt.close(fig)

    lines = [
        "Theory: infinite-class limit, gaussian prior (closed forms, exact at any d); "
        f"sigma2 = {s.sigma2:g}, T -> infinity. Monte Carlo: exact continuum scores, d = {s.d}, "
        f"N = {s.n} samples, {s.steps} exponential-integrator steps from T = 12.",
        "",
        "| sampler | omega | E[m] theory | E[m] MC | v/sigma2 theory | v/sigma2 MC | within 4 se |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['sampler']} | {r['omega']:g} | {r['m_theory']:.6f} | {r['m_mc']:.4f} ± {r['m_se']:.4f} | "
                     f"{r['v_theory']:.6f} | {r['v_mc']:.4f} ± {r['v_se']:.4f} | {'yes' if r['agree'] else 'NO'} |")
    lines += [
        "",
        f"Theory on the grid omega in (0, 8] (81 points), both samplers: E[m] > 1 and v_perp/sigma2 < 1 at every point: {'yes' if th_ok else 'NO'}.",
        "",
        "Criterion: the theory has E[m] > 1 and v_perp < sigma2 for every omega > 0 on the grid; every Monte Carlo "
        "point agrees with the theory within 4 standard errors; for omega > 0 the Monte Carlo mean shift is above "
        "0 and the variance ratio below 1 by more than 4 standard errors.",
    ]
    return _section("C1", lines, "c1.png", ok), {"rows": rows, "theory_grid_ok": th_ok, "verdict": ok}


# -- C2, C3: the d -> infinity theory of the exponential regime ---------------------------------

C23_ALPHAS = np.linspace(0.0, 1.2, 61)
C23_OMEGAS = (1.0, 2.0, 4.0)


def _c23_curves(s: Settings):
    return _c23_curves_at(s.sigma2)


@functools.lru_cache(maxsize=4)
def _c23_curves_at(sigma2: float):
    """Mean-field distortion against alpha for a few omega, both priors, SDE (shared by C2, C3)."""
    from .solvers.exponential import predict_exponential
    from .solvers.phase import alpha_c

    curves = {}
    for prior in ("sphere", "gaussian"):
        for w in C23_OMEGAS:
            preds = [predict_exponential(prior, sigma2, w, "sde", alpha=float(a)) for a in C23_ALPHAS]
            curves[(prior, w)] = dict(
                mean_shift=np.array([p.mean_shift for p in preds]), var_ratio=np.array([p.var_ratio for p in preds]),
                t_commit=[p.t_commit for p in preds], status=[p.status for p in preds],
                alpha_c=float(alpha_c(w, sigma2=sigma2, sampler="sde", prior=prior)))
    return curves


def _c23_figure(s: Settings, out: Path, name: str, highlight: str):
    import matplotlib.pyplot as plt

    curves = _c23_curves(s)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for (prior, w), c in curves.items():
        color = {1.0: "C0", 2.0: "C1", 4.0: "C2"}[w]
        ls = "-" if prior == "sphere" else "--"
        axes[0].plot(C23_ALPHAS, c["mean_shift"], color=color, ls=ls, label=f"omega={w:g}, {prior}")
        axes[1].plot(C23_ALPHAS, c["var_ratio"], color=color, ls=ls, label=f"omega={w:g}, {prior}")
        for ax in axes:
            ax.axvline(c["alpha_c"], color=color, ls=ls, lw=0.6, alpha=0.6)
    axes[0].axhline(0, color="k", lw=0.8, ls=":")
    axes[1].axhline(1, color="k", lw=0.8, ls=":")
    axes[0].set(xlabel="alpha = log(K)/d", ylabel="mean shift E[m] - 1 (d -> infinity)", title=f"{name}: mean shift")
    axes[1].set(xlabel="alpha = log(K)/d", ylabel="v_perp / sigma2 (d -> infinity)", title=f"{name}: variance ratio")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"Random-energy mean field (d -> infinity), SDE, sigma2 = {s.sigma2:g}: {highlight}\n"
                 "thin vertical lines: alpha_c, beyond which the target never commits")
    fig.tight_layout()
    fig.savefig(out / f"{name.lower()}.png", dpi=120)
    plt.close(fig)


def _claim_c2(s: Settings, out: Path):
    curves = _c23_curves(s)
    pos = C23_ALPHAS > 0
    ok = all(np.all(c["mean_shift"][pos] > 0) and np.all(c["var_ratio"][pos] < 1) for c in curves.values())
    _c23_figure(s, out, "C2", "distortion at every alpha > 0")
    lines = [
        f"Theory (d -> infinity, random-energy mean field, `cfgmft theory --alpha A`), SDE sampler, sigma2 = {s.sigma2:g}, "
        f"alpha on a grid of {C23_ALPHAS.size} points in [0, {C23_ALPHAS[-1]:g}]:",
        "",
        "| prior | omega | alpha_c | alpha = 0.1: shift, v/sigma2 | alpha = 0.3 | alpha = 0.6 |",
        "|---|---|---|---|---|---|",
    ]
    idx = {a: int(np.argmin(abs(C23_ALPHAS - a))) for a in (0.1, 0.3, 0.6)}
    for (prior, w), c in curves.items():
        cells = [f"{c['mean_shift'][i]:.4f}, {c['var_ratio'][i]:.4f}" for i in idx.values()]
        lines.append(f"| {prior} | {w:g} | {c['alpha_c']:.6f} | " + " | ".join(cells) + " |")
    res = _fss(s, out, "c2_mc", prior="sphere", alpha=s.c2_alpha, dims=s.c2_dims, samples=s.c2_samples,
               disorder=s.c2_disorder)
    pts = res["points"]
    significant = all(p["mean_shift"]["mean"] > AGREE_K * p["mean_shift"]["stderr"] for p in pts)
    fit = res["fits"]["m_final"]
    best = fit["fits"][fit["preferred"]]
    nonzero = best["a"] - 1 > 3 * best["a_stderr"]
    consistent = res["verdicts"]["m_final"] == "consistent"
    # power: the extrapolation must resolve a third of the predicted mean shift, so that a
    # wide error bar alone cannot make it "consistent"
    resolved = best["a_stderr"] < (res["theory"]["m_final"] - 1) / 3
    mc_ok = significant and nonzero and consistent and resolved
    lines += [
        "",
        f"Theory side: E[m] > 1 and v_perp < sigma2 at every alpha > 0 of the grid, every omega, both priors: "
        f"{'yes' if ok else 'NO'}. Below alpha_c the trajectory commits at t_commit and the distortion "
        "accumulated before it is carried to t = 0; above alpha_c it never commits and the infinite-class "
        "closed forms hold.",
        "",
        f"Monte Carlo (`cfgmft validate`): sphere prior, alpha = {s.c2_alpha:g} (K = round(e^(alpha d))), omega = 2, "
        f"SDE, {s.c2_samples} samples x {s.c2_disorder} mixtures per d, {s.steps} steps:",
        "",
        *_fss_table(res),
        "",
        f"Mean shift above 0 by more than 4 standard errors at every d: {'yes' if significant else 'NO'}; "
        f"extrapolated E[m] ({fit['preferred']}) {best['a']:.4f} ± {best['a_stderr']:.4f} against the theory "
        f"{res['theory']['m_final']:.4f}: {res['verdicts']['m_final']}; above 1 by more than 3 standard errors: "
        f"{'yes' if nonzero else 'NO'}; its standard error below a third of the predicted shift: "
        f"{'yes' if resolved else 'NO'}. The variance ratio: {res['verdicts']['var_ratio']} "
        f"(theory {res['theory']['var_ratio']:.4f}).",
        "",
        *_fd_lines(res),
        "",
        "Criterion: the theory side as above; the Monte Carlo mean shift significant at every d; its extrapolation "
        "to d -> infinity above 0, within 3 standard errors of the theory, with a standard error below a third of "
        "the predicted shift; and the finite-d prediction within 3 combined standard errors of the Monte Carlo at "
        "every d (E[m] and v_perp/sigma2). The extrapolation alone is weak evidence (1/d and 1/sqrt(d) are hard to "
        "tell apart at these d); the finite-d prediction ties each Monte Carlo point to the same mean-field "
        "mechanism, and the d -> infinity limit of that prediction is the theory.",
    ]
    fd = res["finite_d"]
    fd_ok = bool(fd.get("applies")) and fd["assessed"] and all(fd["max_abs_z"][k] <= 3.0 for k in ("m_final", "var_ratio"))
    verdict = ok and mc_ok and fd_ok
    data = {"alphas": C23_ALPHAS, "curves": {f"{p}:{w:g}": c for (p, w), c in curves.items()}, "theory_ok": ok,
            "monte_carlo": res, "verdict": verdict}
    return _section("C2", lines, "c2.png", verdict, extra_figures=["c2_mc/validate.png"]), data


def _fss(s: Settings, out: Path, name: str, **kw):
    """Finite-size scaling through :func:`cfgmft.validate.validate` (omega = 2, SDE)."""
    from .params import Guidance, Mixture, Problem, Sampler
    from .commands.validate import validate, write_outputs

    prior, alpha = kw["prior"], kw.get("alpha")
    mix = Mixture(sigma2=s.sigma2, prior=prior, alpha=alpha, classes=kw.get("classes", None if alpha is not None else 2),
                  d=kw["dims"][0])
    problem = Problem(mix, Guidance(omega=2.0), Sampler("sde", steps=s.steps))
    res = validate(problem, list(kw["dims"]), samples=kw["samples"], disorder=kw.get("disorder", 1),
                   seed=s.seed + sum(map(ord, name)), finite_d_samples=s.fd_samples)
    write_outputs(res, out / name)
    return res


def _fd_lines(res) -> list:
    """The finite-d prediction against the Monte Carlo of a :func:`_fss` run, as report lines."""
    fd = res.get("finite_d") or {}
    if not fd.get("applies"):
        return [f"Finite-d prediction: not applicable ({fd.get('reason')})."]
    rows = ["Finite-d prediction (`cfgmft theory --d D --finite-d`: reduced stochastic model with smooth commitment, "
            "per-sample fluctuations and quenched finite-K competitors; its own sampling error) against the Monte Carlo, "
            "z = (MC - prediction) / combined standard error:", "",
            "| d | K | E[m]: prediction | z | v_perp/sigma2: prediction | z | Var(m) |mu|^2/sigma2: prediction | z |",
            "|---|---|---|---|---|---|---|---|"]
    for r in fd["points"]:
        rows.append(f"| {r['d']} | {r['K']} | " + " | ".join(
            f"{r[k]['prediction']:.4f} ± {r[k]['stderr']:.4f} | {r[k]['z']:+.2f}"
            for k in ("m_final", "var_ratio", "var_ratio_parallel")) + " |")
    rows += ["", "Largest |z|: " + ", ".join(f"{k} {v:.2f}" for k, v in fd["max_abs_z"].items()) + "."]
    return rows


def _fss_table(res) -> list:
    rows = ["| d | K | E[m] - 1 | v_perp/sigma2 | Var(m) |mu|^2/sigma2 |", "|---|---|---|---|---|"]
    for p in res["points"]:
        rows.append(f"| {p['d']} | {p['K']} | {p['mean_shift']['mean']:.4f} ± {p['mean_shift']['stderr']:.4f} | "
                    f"{p['var_ratio']['mean']:.4f} ± {p['var_ratio']['stderr']:.4f} | "
                    f"{p['var_ratio_parallel']['mean']:.4f} ± {p['var_ratio_parallel']['stderr']:.4f} |")
    return rows


def _claim_c3(s: Settings, out: Path):
    curves = _c23_curves(s)
    at0 = {k: (c["mean_shift"][0], c["var_ratio"][0]) for k, c in curves.items()}
    ok = all(abs(ms) < 1e-8 and abs(v - 1) < 1e-8 for ms, v in at0.values())
    small = {k: (c["mean_shift"][1], c["var_ratio"][1]) for k, c in curves.items()}
    _c23_figure(s, out, "C3", "no distortion at alpha = 0")
    lines = [
        "Theory (d -> infinity): with log K/d -> 0 (alpha = 0) the target commits at the start of sampling and "
        "guidance is inert afterwards, so the sampler is exact:",
        "",
        f"| prior | omega | alpha = 0: shift, v/sigma2 | alpha = {C23_ALPHAS[1]:g}: shift, v/sigma2 |",
        "|---|---|---|---|",
    ]
    for k in curves:
        lines.append(f"| {k[0]} | {k[1]:g} | {at0[k][0]:.2e}, {at0[k][1]:.10f} | {small[k][0]:.5f}, {small[k][1]:.5f} |")
    runs = {"antipodal K = 2": _fss(s, out, "c3_antipodal", prior="antipodal", classes=2, dims=s.c3_dims,
                                    samples=s.c3_samples),
            "sphere K = 10": _fss(s, out, "c3_k10", prior="sphere", classes=10, dims=s.c3_dims, samples=s.c3_samples)}
    mc_ok = True
    lines += [
        "",
        f"Theory side: no distortion at alpha = 0 (|shift| and |v/sigma2 - 1| below 1e-8): {'yes' if ok else 'NO'}; "
        "it grows continuously from 0 with alpha (figure).",
    ]
    for label, res in runs.items():
        dec = res["decay"]["mean_shift"]
        decays = dec["p"] is not None and dec["p"] > 3 * dec["p_stderr"]
        consistent = all(v == "consistent" for v in res["verdicts"].values())
        # power: the extrapolation must resolve a third of the distortion seen at the smallest d,
        # so that noisier data cannot pass more easily
        fm0 = res["fits"]["m_final"]["fits"][res["fits"]["m_final"]["preferred"]]
        resolved = fm0["a_stderr"] < res["points"][0]["mean_shift"]["mean"] / 3
        mc_ok &= decays and consistent and resolved
        par = res["decay"]["parallel_variance_defect"]
        fm = res["fits"]["m_final"]["fits"][res["fits"]["m_final"]["preferred"]]
        fv = res["fits"]["var_ratio"]["fits"][res["fits"]["var_ratio"]["preferred"]]
        lines += [
            "",
            f"Monte Carlo, {label}, omega = 2, SDE, {s.c3_samples} samples per d:",
            "",
            *_fss_table(res),
            "",
            f"Extrapolated to d -> infinity: E[m] = {fm['a']:.4f} ± {fm['a_stderr']:.4f}, v_perp/sigma2 = "
            f"{fv['a']:.4f} ± {fv['a_stderr']:.4f} (no distortion: 1, 1): {res['verdicts']['m_final']}, "
            f"{res['verdicts']['var_ratio']}. Mean shift decays as d^(-p), p = "
            + (f"{dec['p']:.3f} ± {dec['p_stderr']:.3f}" if dec["p"] is not None else "n/a")
            + "; parallel variance defect 1 - Var(m)|mu_c|^2/sigma2: p = "
            + (f"{par['p']:.2f} ± {par['p_stderr']:.2f}" if par["p"] is not None else "n/a (not resolved from 0)")
            + ".",
        ]
        if (res.get("finite_d") or {}).get("applies"):
            lines += ["", *_fd_lines(res), "(For information; not part of the verdict: with a fixed, small K the reduced "
                      "model's fresh-competitor approximation is at its weakest, and one mixture per d leaves the spread "
                      "between mixtures out of the Monte Carlo error.)"]
    lines += [
        "",
        "Comparison with Pavasovic et al. (2025), two antipodal classes: a mean overshoot of order d^(-1/2) in "
        "absolute units is a relative shift E[m] - 1 of order d^(-1) (|mu_c| = sqrt(d)), and a variance defect of "
        "order d^(-1) along the class axis; the exponents measured above are to be read against p = 1 for both. "
        "The orthogonal variance is not distorted by two classes (guidance acts along the class axis only).",
        "",
        "Criterion: the theory side as above; for each fixed K the Monte Carlo mean shift decays with d "
        "(p > 3 standard errors above 0), the extrapolations of E[m] and v_perp/sigma2 are within 3 standard "
        "errors of no distortion, and the standard error of the extrapolated E[m] is below a third of the mean "
        "shift at the smallest d (the data could have seen a distortion that does not vanish).",
    ]
    verdict = ok and mc_ok
    data = {"at_alpha_0": {f"{p}:{w:g}": v for (p, w), v in at0.items()}, "theory_ok": ok,
            "monte_carlo": runs, "verdict": verdict}
    return _section("C3", lines, "c3.png", verdict,
                    extra_figures=["c3_antipodal/validate.png", "c3_k10/validate.png"]), data

# -- C4 ---------------------------------------------------------------------------------------

def _claim_c4(s: Settings, out: Path):
    import matplotlib.pyplot as plt

    from .validation.mixture import draw_means
    from .validation.scores import ContinuumGaussian, ContinuumSphere, FiniteMixture

    w, smp = 2.0, "sde"
    th_g = _theory("gaussian", s.sigma2, w, smp)
    th_s = _theory("sphere", s.sigma2, w, smp)
    rows, ok = [], True
    for j, d in enumerate(s.dims_c4):
        for prior in ("gaussian", "sphere"):
            mu_c = draw_means(1, d, prior, rng=s.seed + 101 * j)[0]
            den = ContinuumGaussian(s.sigma2) if prior == "gaussian" else ContinuumSphere(d, s.sigma2)
            mc = _mc(den, mu_c, s.sigma2, w, smp, s, seed=s.seed + 7 * j + (0 if prior == "gaussian" else 500))
            m, m_se = _ms(mc.m)
            v, v_se = _ms(mc.var_ratio)
            th = th_g if prior == "gaussian" else th_s
            agree = _agree(m, m_se, th.m_final) and _agree(v, v_se, th.var_ratio)
            distorted = (m - 1 > AGREE_K * m_se) and (1 - v > AGREE_K * v_se)
            if prior == "gaussian":
                ok &= agree and distorted  # exact at any d: must agree
            else:
                ok &= distorted  # the sphere theory is d -> infinity: agreement only approached
            rows.append(dict(prior=prior, d=d, m_mc=m, m_se=m_se, v_mc=v, v_se=v_se,
                             m_theory=th.m_final, v_theory=th.var_ratio, agree=agree, distorted=distorted))
    # finite K at fixed d approaching the infinite-class limit (reported, not part of the verdict)
    finite = []
    d = s.d
    for i, K in enumerate(s.K_finite):
        means = draw_means(K, d, "gaussian", rng=s.seed + 999 + i)
        den = FiniteMixture(means, s.sigma2)
        mc = _mc(den, means[0], s.sigma2, w, smp, s, seed=s.seed + 3 * i + 2000, n=s.n_finite)
        m, m_se = _ms(mc.m)
        v, v_se = _ms(mc.var_ratio)
        finite.append(dict(K=K, d=d, m_mc=m, m_se=m_se, v_mc=v, v_se=v_se))

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for prior, color, th in (("gaussian", "C0", th_g), ("sphere", "C2", th_s)):
        rr = [r for r in rows if r["prior"] == prior]
        axes[0].errorbar([r["d"] for r in rr], [r["m_mc"] - 1 for r in rr], yerr=[r["m_se"] for r in rr], fmt="o",
                         color=color, capsize=3, label=f"Monte Carlo, {prior} prior")
        axes[0].axhline(th.m_final - 1, color=color, ls="--", label=f"theory, {prior} ({'exact' if prior == 'gaussian' else 'd -> inf'})")
        axes[1].errorbar([r["d"] for r in rr], [r["v_mc"] for r in rr], yerr=[r["v_se"] for r in rr], fmt="o",
                         color=color, capsize=3, label=f"Monte Carlo, {prior} prior")
        axes[1].axhline(th.var_ratio, color=color, ls="--", label=f"theory, {prior}")
    for ax in axes:
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks(list(s.dims_c4), [str(d) for d in s.dims_c4])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].axhline(0, color="k", lw=0.8, ls=":")
    axes[1].axhline(1, color="k", lw=0.8, ls=":")
    axes[0].set(xlabel="dimension d", ylabel="mean shift E[m] - 1  (exact: 0)", title="C4: mean shift at every d")
    axes[1].set(xlabel="dimension d", ylabel="v_perp / sigma2  (exact: 1)", title="C4: variance ratio at every d")
    fig.suptitle(f"Infinite-class limit, omega = {w:g}, {smp.upper()}, sigma2 = {s.sigma2:g}")
    fig.tight_layout()
    fig.savefig(out / "c4.png", dpi=120)
    plt.close(fig)

    lines = [
        f"omega = {w:g}, {smp.upper()} sampler, sigma2 = {s.sigma2:g}. Theory: gaussian prior "
        f"E[m] = {th_g.m_final:.6f}, v/sigma2 = {th_g.var_ratio:.6f} (closed form, exact at every d); "
        f"sphere prior (d -> infinity mean field) E[m] = {th_s.m_final:.6f}, v/sigma2 = {th_s.var_ratio:.6f}.",
        f"Monte Carlo: exact continuum scores, N = {s.n} per point.",
        "",
        "| prior | d | E[m] MC | v/sigma2 MC | theory E[m], v/sigma2 | within 4 se | distortion > 4 se |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['prior']} | {r['d']} | {r['m_mc']:.4f} ± {r['m_se']:.4f} | {r['v_mc']:.4f} ± {r['v_se']:.4f} | "
                     f"{r['m_theory']:.4f}, {r['v_theory']:.4f} | {'yes' if r['agree'] else 'no'} | {'yes' if r['distorted'] else 'NO'} |")
    lines += [
        "",
        f"Finite K at d = {d} (gaussian prior, target = class 0, N = {s.n_finite}): the infinite-class limit is "
        "approached as K grows (reported, not part of the verdict; the target mean is one draw, |mu_c|^2 != d).",
        "",
        "| K | E[m] MC | v/sigma2 MC |",
        "|---|---|---|",
    ]
    for r in finite:
        lines.append(f"| {r['K']} | {r['m_mc']:.4f} ± {r['m_se']:.4f} | {r['v_mc']:.4f} ± {r['v_se']:.4f} |")
    lines += [
        "",
        "Criterion: for the gaussian prior (exact theory at every d) every Monte Carlo point agrees within 4 "
        "standard errors, and at every d (both priors) the mean shift and the variance defect exceed 4 standard "
        "errors. The sphere prior's theory is the d -> infinity limit; its finite-d gap is reported, not required to vanish.",
    ]
    return _section("C4", lines, "c4.png", ok), {"rows": rows, "finite_K": finite, "verdict": ok,
                                                 "theory": {"gaussian": th_g.to_dict(), "sphere": th_s.to_dict()}}


# -- C5 ---------------------------------------------------------------------------------------

def random_nonnegative_schedule(rng: np.random.Generator) -> Schedule:
    """A random schedule with ``omega(t) >= 0`` from the constant, interval, ramp and
    low-high-low families (times in [0, 3], strengths in [0, 8])."""
    kind = rng.integers(5)
    a, b = np.sort(rng.uniform(0.0, 3.0, size=2))
    if b - a < 1e-3:
        b = a + 0.1
    w = float(rng.uniform(0.0, 8.0))
    if kind == 0:
        return Constant(w)
    if kind == 1:
        return Interval(w, float(a), float(b))
    if kind == 2:
        return LinearRamp(w / 2, float(b), ("up", "down")[rng.integers(2)])
    if kind == 3:
        return CosineRamp(w / 2, float(b), ("up", "down")[rng.integers(2)])
    return LowHighLow(float(rng.uniform(0, 2)), w, float(a), float(b))


def _claim_c5(s: Settings, out: Path):
    import matplotlib.pyplot as plt

    from .validation.mixture import draw_means
    from .validation.scores import ContinuumGaussian

    rng = np.random.default_rng(s.seed + 5)
    scheds = [random_nonnegative_schedule(rng) for _ in range(s.n_random_schedules)]
    res = {smp: [_theory("gaussian", s.sigma2, sc, smp) for sc in scheds] for smp in ("sde", "ode")}
    vmax = {smp: max(p.var_ratio for p in res[smp]) for smp in res}
    theory_ok = all(v <= 1.0 for v in vmax.values())
    negs = [NegativeWindow(2.0, -0.5, 0.0, 0.4), NegativeWindow(2.0, -0.8, 0.05, 0.6), NegativeWindow(1.0, -0.3, 0.0, 1.0)]
    neg_res = {smp: [_theory("gaussian", s.sigma2, sc, smp) for sc in negs] for smp in ("sde", "ode")}
    neg_above = any(p.var_ratio > 1 for smp in neg_res for p in neg_res[smp])
    # Monte Carlo of two non-negative schedules and one negative window
    den = ContinuumGaussian(s.sigma2)
    mu_c = draw_means(1, s.d, "gaussian", rng=s.seed + 55)[0]
    mc_rows, mc_ok = [], True
    for i, sc in enumerate([Interval(2.0, 0.3, 1.5), LinearRamp(2.0, 2.0, "up"), negs[0]]):
        for smp in ("sde", "ode"):
            th = _theory("gaussian", s.sigma2, sc, smp)
            mc = _mc(den, mu_c, s.sigma2, sc, smp, s, seed=s.seed + 31 * i + (0 if smp == "sde" else 700))
            v, v_se = _ms(mc.var_ratio)
            m, m_se = _ms(mc.m)
            agree = _agree(v, v_se, th.var_ratio) and _agree(m, m_se, th.m_final)
            mc_ok &= agree
            mc_rows.append(dict(schedule=sc.spec, sampler=smp, v_theory=th.var_ratio, v_mc=v, v_se=v_se,
                                m_theory=th.m_final, m_mc=m, m_se=m_se, agree=agree))
    ok = theory_ok and neg_above and mc_ok

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for smp, color in (("sde", "C0"), ("ode", "C1")):
        ax.scatter([p.mean_shift for p in res[smp]], [p.var_ratio for p in res[smp]], s=8, color=color, alpha=0.5,
                   label=f"random omega(t) >= 0, {smp.upper()}")
        ax.scatter([p.mean_shift for p in neg_res[smp]], [p.var_ratio for p in neg_res[smp]], s=40, marker="*",
                   color=color, edgecolor="k", label=f"negative window, {smp.upper()}")
    ax.axhline(1, color="k", lw=0.8, ls=":")
    ax.axvline(0, color="k", lw=0.8, ls=":")
    ax.set(xlabel="mean shift E[m] - 1", ylabel="v_perp / sigma2", yscale="log",
           title=f"C5: {s.n_random_schedules} random non-negative schedules (theory)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "c5.png", dpi=120)
    plt.close(fig)

    lines = [
        f"Infinite-class limit, gaussian prior, sigma2 = {s.sigma2:g}. {s.n_random_schedules} random schedules with "
        "omega(t) >= 0 (constant, interval, linear and cosine ramps, low-high-low; strengths up to 8, times in [0, 3]), "
        "variance ratio from the exact quadratures:",
        "",
        f"* largest v_perp/sigma2 over the random schedules: SDE {vmax['sde']:.6f}, ODE {vmax['ode']:.6f} (C5 needs <= 1).",
        "* negative-window schedules (the family of C6) can exceed 1:",
        "",
        "| schedule | v/sigma2 SDE | v/sigma2 ODE | E[m] SDE | E[m] ODE |",
        "|---|---|---|---|---|",
    ]
    for k, sc in enumerate(negs):
        a, b = neg_res["sde"][k], neg_res["ode"][k]
        lines.append(f"| `{sc.spec}` | {a.var_ratio:.6f} | {b.var_ratio:.6f} | {a.m_final:.6f} | {b.m_final:.6f} |")
    lines += [
        "",
        f"Monte Carlo (d = {s.d}, N = {s.n}, exact continuum scores):",
        "",
        "| schedule | sampler | v/sigma2 theory | v/sigma2 MC | E[m] theory | E[m] MC | within 4 se |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in mc_rows:
        lines.append(f"| `{r['schedule']}` | {r['sampler']} | {r['v_theory']:.5f} | {r['v_mc']:.4f} ± {r['v_se']:.4f} | "
                     f"{r['m_theory']:.5f} | {r['m_mc']:.4f} ± {r['m_se']:.4f} | {'yes' if r['agree'] else 'NO'} |")
    lines += [
        "",
        "Criterion: no random non-negative schedule gives v_perp/sigma2 > 1 (theory, both samplers), at least one "
        "negative-window schedule does, and the Monte Carlo agrees with the theory within 4 standard errors. "
        "(The proof for the gaussian prior: d log v/dt gains -omega(t) e^{-2t}/(Gamma G) <= 0 for the ODE, and a "
        "comparison argument for the SDE; see README.)",
    ]
    data = {"max_var_ratio": vmax, "negative_window": {smp: [p.to_dict() for p in neg_res[smp]] for smp in neg_res},
            "negative_window_specs": [n.spec for n in negs], "mc": mc_rows, "verdict": ok}
    return _section("C5", lines, "c5.png", ok), data


# -- C6 ---------------------------------------------------------------------------------------

def _over_draws(values) -> dict:
    """Mean and standard error over independent draws (of the disorder)."""
    v = np.asarray(values, dtype=np.float64)
    return {"mean": float(v.mean()), "stderr": float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else 0.0}


def _claim_c6(s: Settings, out: Path):
    import matplotlib.pyplot as plt

    from .params import Guidance, Mixture, Problem, Sampler
    from .schedules import Constant, NegativeWindow
    from .api import simulate
    from .solvers.exponential import predict_exponential

    a, prior, smp, w = s.c6_alpha, "sphere", "sde", 2.0
    base = predict_exponential(prior, s.sigma2, w, smp, alpha=a)
    # schedule design on the d -> infinity theory: positive guidance early, a window omega < 0,
    # then omega_late; keep designs that commit and keep at least half the margin, pick the one
    # whose variance ratio is closest to 1
    cands = []
    for wn in (-0.3, -0.6, -0.9):
        for t_lo in (0.2, 0.4, 0.6, 0.8, 1.0):
            for t_hi in (0.6, 0.8, 1.0, 1.5, 2.0):
                for late in (0.0, w):
                    if t_hi <= t_lo:
                        continue
                    sc = NegativeWindow(w, wn, t_lo, t_hi, late)
                    p = predict_exponential(prior, s.sigma2, sc, smp, alpha=a)
                    if p.status == "committed" and p.margin >= 0.5 * base.margin:
                        cands.append((abs(p.var_ratio - 1), sc, p))
    cands.sort(key=lambda c: c[0])
    _, design, pred = cands[0]
    theory_ok = abs(pred.var_ratio - 1) <= abs(base.var_ratio - 1) / 4 and pred.margin > 0
    rows, mc_ok = [], True
    for d in s.c6_dims:
        # paired design: both schedules run on the same mixtures with the same noise, so the
        # disorder cancels in their difference; errors from the spread over the draws
        per = {"constant": [], "designed": []}
        for j in range(s.c6_disorder):
            seed_j = int(np.random.SeedSequence([s.seed, 60, d, j]).generate_state(1)[0])
            for name, sc in (("constant", Constant(w)), ("designed", design)):
                prob = Problem(Mixture(sigma2=s.sigma2, prior=prior, alpha=a, d=d), Guidance(schedule=sc),
                               Sampler(smp, steps=s.steps))
                per[name].append(simulate(prob, samples=s.c6_samples, disorder=1, seed=seed_j))
        res = {name: {k: _over_draws([r[k]["mean"] for r in runs]) for k in ("m_final", "var_ratio", "accuracy", "margin")}
               for name, runs in per.items()}
        diff = _over_draws([b["var_ratio"]["mean"] - c["var_ratio"]["mean"] for c, b in zip(per["constant"], per["designed"])])
        gain = diff["mean"] / diff["stderr"] if diff["stderr"] > 0 else math.inf
        acc = min(res["constant"]["accuracy"]["mean"], res["designed"]["accuracy"]["mean"])
        improved, separable = gain > 3, res["designed"]["accuracy"]["mean"] >= 0.99
        mc_ok &= improved and separable
        from .api import predict_finite_d

        fd = {}
        for name, sc in (("constant", Constant(w)), ("designed", design)):
            prob = Problem(Mixture(sigma2=s.sigma2, prior=prior, alpha=a, d=d), Guidance(schedule=sc), Sampler(smp, steps=s.steps))
            f = predict_finite_d(prob, samples=s.fd_samples, seed=s.seed)
            fd[name] = {k: f[k] for k in ("m_final", "var_ratio")}
            for k in ("m_final", "var_ratio"):
                mc = res[name][k]
                fd[name][k] = dict(fd[name][k], z=(mc["mean"] - f[k]["mean"]) / math.hypot(mc["stderr"], f[k]["stderr"]))
        rows.append(dict(d=d, K=per["constant"][0]["K"], constant=res["constant"], designed=res["designed"],
                         var_gain=diff, z_gain=gain, improved=improved, separable=separable, min_accuracy=acc,
                         finite_d=fd))
    ok = theory_ok and mc_ok

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    tt = np.linspace(0, 3, 600)
    axes[0].plot(tt, np.full_like(tt, w), label="constant:2")
    axes[0].plot(tt, design(tt), label=design.spec)
    axes[0].axhline(0, color="k", lw=0.8, ls=":")
    axes[0].axvline(base.t_commit, color="C0", lw=0.8, ls="--", label="t_commit (constant)")
    axes[0].axvline(pred.t_commit, color="C1", lw=0.8, ls="--", label="t_commit (designed)")
    axes[0].set(xlabel="t (sampling runs from right to left)", ylabel="omega(t)", title="schedules")
    labels = ["theory d -> inf"] + [f"MC d={r['d']}" for r in rows]
    x = np.arange(len(labels))
    for k, (name, th) in enumerate((("constant", base), ("designed", pred))):
        v = [th.var_ratio] + [r[name]["var_ratio"]["mean"] for r in rows]
        ve = [0] + [r[name]["var_ratio"]["stderr"] for r in rows]
        axes[1].errorbar(x + 0.1 * (2 * k - 1), v, yerr=ve, fmt="o", capsize=3, color=f"C{k}", label=name)
        axes[1].plot(x[1:] + 0.1 * (2 * k - 1) + 0.08, [r["finite_d"][name]["var_ratio"]["mean"] for r in rows], "D",
                     mfc="none", color=f"C{k}", label=f"{name}: finite-d prediction")
        marg = [th.margin] + [r[name]["margin"]["mean"] for r in rows]
        me = [0] + [r[name]["margin"]["stderr"] for r in rows]
        axes[2].errorbar(x + 0.1 * (2 * k - 1), marg, yerr=me, fmt="o", capsize=3, color=f"C{k}", label=name)
    axes[1].axhline(1, color="k", lw=0.8, ls=":")
    axes[2].axhline(0, color="k", lw=0.8, ls=":")
    for ax, title, yl in ((axes[1], "variance ratio", "v_perp / sigma2 (exact: 1)"),
                          (axes[2], "class separability", "log-likelihood margin per dimension")):
        ax.set_xticks(x, labels)
        ax.set(title=title, ylabel=yl)
        ax.grid(alpha=0.3)
    for ax in axes:
        ax.legend(fontsize=7)
    fig.suptitle(f"C6: {prior} prior, alpha = {a:g}, sigma2 = {s.sigma2:g}, {smp.upper()}")
    fig.tight_layout()
    fig.savefig(out / "c6.png", dpi=120)
    plt.close(fig)

    lines = [
        f"Exponential regime, {prior} prior, alpha = {a:g}, sigma2 = {s.sigma2:g}, {smp.upper()}. Design on the d -> infinity "
        f"theory: among {len(cands)} negative-window schedules `negwin:2:W:T_LO:T_HI:W_LATE` (W in -0.3, -0.6, -0.9; "
        "windows in [0.2, 2]; omega_late 0 or 2) that commit and keep at least half the margin of constant guidance, "
        "the one with v_perp/sigma2 closest to 1:",
        "",
        "| schedule | E[m] | v_perp/sigma2 | margin | t_commit |",
        "|---|---|---|---|---|",
        f"| `constant:2` | {base.m_final:.4f} | {base.var_ratio:.4f} | {base.margin:.4f} | {base.t_commit:.4f} |",
        f"| `{design.spec}` | {pred.m_final:.4f} | {pred.var_ratio:.4f} | {pred.margin:.4f} | {pred.t_commit:.4f} |",
        "",
        f"Theory: the variance defect shrinks by {abs(base.var_ratio - 1) / max(abs(pred.var_ratio - 1), 1e-16):.0f}x and "
        f"the margin stays positive: {'yes' if theory_ok else 'NO'}. The window must act before commitment: after "
        "t_commit guidance is inert, so windows near t = 0 change nothing in this regime.",
        "",
        f"Monte Carlo (`cfgmft simulate`), {s.c6_samples} samples x {s.c6_disorder} mixtures per point, both "
        "schedules on the same mixtures and noise (paired); standard errors over the mixtures:",
        "",
        "| d | K | schedule | E[m] | v_perp/sigma2 | finite-d prediction: E[m] (z), v_perp/sigma2 (z) | Bayes accuracy | margin |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        for name in ("constant", "designed"):
            q, f = r[name], r["finite_d"][name]
            lines.append(f"| {r['d']} | {r['K']} | {name} | {q['m_final']['mean']:.4f} ± {q['m_final']['stderr']:.4f} | "
                         f"{q['var_ratio']['mean']:.4f} ± {q['var_ratio']['stderr']:.4f} | "
                         f"{f['m_final']['mean']:.4f} ({f['m_final']['z']:+.1f}), {f['var_ratio']['mean']:.4f} ({f['var_ratio']['z']:+.1f}) | "
                         f"{q['accuracy']['mean']:.4f} ± {q['accuracy']['stderr']:.4f} | "
                         f"{q['margin']['mean']:.4f} ± {q['margin']['stderr']:.4f} |")
    lines += [
        "",
        "Variance gain of the designed schedule over constant guidance (paired difference): "
        + ", ".join(f"d = {r['d']}: {r['var_gain']['mean']:+.4f} ± {r['var_gain']['stderr']:.4f} ({r['z_gain']:.1f} se)"
                    for r in rows) + ". At these d the Monte Carlo distortion is larger "
        "than the d -> infinity one and the restoration is partial: the schedule moves the variance towards 1, as "
        "predicted, but does not reach it. The finite-d prediction (`cfgmft theory --d D --finite-d`, the reduced model of "
        "C2, run with each schedule; z = (MC - prediction)/combined standard error) gives the size of that finite-d "
        "effect for both schedules: not part of the verdict, it says whether the partial restoration is the expected "
        "finite-size behaviour of the same mechanism.",
        "",
        "Criterion: theory: the designed schedule's variance defect at most a quarter of constant guidance's, with a "
        "positive margin; Monte Carlo at every d: its variance ratio above constant guidance's by more than 3 "
        "standard errors of the paired difference, and Bayes accuracy of its samples >= 0.99 (class separability kept).",
    ]
    data = {"design": design.spec, "candidates": len(cands), "theory": {"constant": base.to_dict(), "designed": pred.to_dict()},
            "monte_carlo": rows, "theory_ok": theory_ok, "verdict": ok}
    return _section("C6", lines, "c6.png", ok), data


# -- report -----------------------------------------------------------------------------------

def _section(name, lines, fig, ok, extra_figures=()):
    head = [f"## {name}: {CLAIMS[name]}", ""]
    tail = ["", f"Verdict: {'confirmed' if ok else 'not confirmed'}", "", f"![{name}]({fig})", ""]
    tail += [f"![{name} Monte Carlo]({f})\n" for f in extra_figures]
    return "\n".join(head + lines + tail)


def _report(sections: dict, s: Settings, seconds: float, pending: bool = False) -> str:
    parts = [
        "# cfgmft reproduce",
        "",
        f"cfgmft {__version__}; convention `{CONVENTION}` (guidance scale w = 1 + omega); float64; "
        f"{'quick' if s.quick else 'full'} mode, seed {s.seed}; {seconds:.1f} s. Every number below is in "
        "`results.json` beside this file.",
        "",
        "Observables: m = x.mu_c/|mu_c|^2 (exact sampling: E[m] = 1); v_perp = |x - m mu_c|^2/(d-1) (exact: sigma2). "
        "Monte Carlo numbers are mean ± one standard error.",
        "",
    ]
    for name in CLAIMS:
        if name in sections:
            parts.append(sections[name])
        elif pending and name not in NOT_YET:
            parts += [f"## {name}: {CLAIMS[name]}", "", "Pending: still running (or interrupted).", ""]
        else:
            parts += [f"## {name}: {CLAIMS[name]}", "", f"Not yet computed: {NOT_YET[name]}.", ""]
    return "\n".join(parts)
