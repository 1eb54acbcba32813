"""What several claims share: the agreement criterion, the infinite-class theory and Monte
Carlo calls, the d -> infinity curves of C2 and C3, and their finite-size scaling runs."""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path

import numpy as np

from ..params import DEFAULT_MC_T
from .report import save_figure
from .settings import Settings

AGREE_K = 4.0  # agreement criterion, in standard errors

#: the progress callback of the claim being computed (see :func:`ticking`)
_TICK = [None]


@contextlib.contextmanager
def ticking(callback):
    """While in this block, :func:`tick` calls ``callback(n)`` (the driver's per-claim bar)."""
    old, _TICK[0] = _TICK[0], callback
    try:
        yield
    finally:
        _TICK[0] = old


def tick(n: int = 1) -> None:
    """Count ``n`` finished runs (Monte Carlo, finite-size scaling) on the claim's progress bar."""
    if _TICK[0] is not None:
        _TICK[0](n)


def theory(prior, sigma2, omega, sampler):
    """The infinite-class prediction (:func:`cfgmft.solvers.infinite_class.predict_infinite_class`)."""
    from ..solvers.infinite_class import predict_infinite_class

    return predict_infinite_class(prior, sigma2, omega, sampler)


def mc(denoiser, mu_c, sigma2, omega, sampler, s: Settings, seed, n=None):
    """The Monte Carlo estimates of one run with exact scores (``n`` samples, default ``s.n``)."""
    from ..validation.montecarlo import run_monte_carlo

    est = run_monte_carlo(denoiser, mu_c, sigma2, omega, sampler, n=n or s.n, steps=s.steps,
                          T=DEFAULT_MC_T, rng=seed).estimates
    tick()
    return est


def agree(mc_mean, mc_se, value) -> bool:
    """``|MC - value| <= AGREE_K stderr``."""
    return abs(mc_mean - value) <= AGREE_K * mc_se


def ms(est) -> tuple[float, float]:
    """An estimate as ``(value, stderr)`` floats."""
    return float(est.value), float(est.stderr)


# -- C2, C3: the d -> infinity theory of the exponential regime ---------------------------------

C23_ALPHAS = np.linspace(0.0, 1.2, 61)
C23_OMEGAS = (1.0, 2.0, 4.0)


def c23_curves(s: Settings):
    return _c23_curves_at(s.sigma2)


@functools.lru_cache(maxsize=4)
def _c23_curves_at(sigma2: float):
    """Mean-field distortion against alpha for a few omega, both priors, SDE (shared by C2, C3)."""
    from ..solvers.exponential import predict_exponential
    from ..solvers.phase import alpha_c

    curves = {}
    for prior in ("sphere", "gaussian"):
        for w in C23_OMEGAS:
            preds = [predict_exponential(prior, sigma2, w, "sde", alpha=float(a)) for a in C23_ALPHAS]
            curves[(prior, w)] = dict(
                mean_shift=np.array([p.mean_shift for p in preds]), var_ratio=np.array([p.var_ratio for p in preds]),
                t_commit=[p.t_commit for p in preds], status=[p.status for p in preds],
                alpha_c=float(alpha_c(w, sigma2=sigma2, sampler="sde", prior=prior)))
    return curves


def c23_figure(curves: dict, sigma2: float, path: Path, name: str, highlight: str):
    """The d -> infinity mean shift and variance ratio against alpha (figure of C2 and C3)."""
    import matplotlib.pyplot as plt

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
    fig.suptitle(f"Random-energy mean field (d -> infinity), SDE, sigma2 = {sigma2:g}: {highlight}\n"
                 "thin vertical lines: alpha_c, beyond which the target never commits")
    save_figure(fig, path)


def fss(s: Settings, name: str, **kw) -> dict:
    """Finite-size scaling through :func:`cfgmft.commands.validate.validate` (omega = 2, SDE); ``name``
    is the run's folder beside the report (it also seeds the run)."""
    from ..params import Guidance, Mixture, Problem, Sampler
    from ..commands.validate import validate

    prior, alpha = kw["prior"], kw.get("alpha")
    mix = Mixture(sigma2=s.sigma2, prior=prior, alpha=alpha, classes=kw.get("classes", None if alpha is not None else 2),
                  d=kw["dims"][0])
    problem = Problem(mix, Guidance(omega=2.0), Sampler("sde", steps=s.steps))
    res = validate(problem, list(kw["dims"]), samples=kw["samples"], disorder=kw.get("disorder", 1),
                   seed=s.seed + sum(map(ord, name)), finite_d_samples=s.fd_samples)
    tick()
    return res


def write_fss(res: dict, folder: Path) -> None:
    """``validate.json`` and ``validate.png`` of a :func:`fss` run in ``folder``."""
    from ..commands.validate import write_outputs

    write_outputs(res, folder)


def fd_lines(res) -> list:
    """The finite-d prediction against the Monte Carlo of a :func:`fss` run, as report lines."""
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


def fss_table(res) -> list:
    """The Monte Carlo points of a :func:`fss` run, as a markdown table."""
    rows = ["| d | K | E[m] - 1 | v_perp/sigma2 | Var(m) |mu|^2/sigma2 |", "|---|---|---|---|---|"]
    for p in res["points"]:
        rows.append(f"| {p['d']} | {p['K']} | {p['mean_shift']['mean']:.4f} ± {p['mean_shift']['stderr']:.4f} | "
                    f"{p['var_ratio']['mean']:.4f} ± {p['var_ratio']['stderr']:.4f} | "
                    f"{p['var_ratio_parallel']['mean']:.4f} ± {p['var_ratio_parallel']['stderr']:.4f} |")
    return rows
