"""``cfgmft phase-diagram``: run a mean-field phase diagram and write it to a folder.

Written to ``OUT/``: ``phase_diagram.npz`` (every map, the grids, the critical line),
``phase_diagram.json`` (every parameter, the package version and convention, the critical
line) and one PNG per map with labelled axes, a colour bar and the critical line
``alpha_c`` (beyond which commitment never happens before ``t = 0``) drawn.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..io import output_folder, save_json
from ..ranges import ALPHA_MAX, ALPHA_MIN_POSITIVE, GRID_NUM_MAX, OMEGA_MAX, OMEGA_MIN, SIGMA2_MAX, SIGMA2_MIN

MAPS = {
    "t_commit": "commitment time t_commit (blank: never commits)",
    "mean_shift": "mean shift E[m] - 1",
    "var_ratio": "variance ratio v_perp / sigma2",
    "kl_per_dim": "KL(generated || target) per dimension",
    "margin": "log-likelihood margin per dimension at t = 0",
}


def parse_grid(name: str, text: str, lo: float, hi: float, lo_open: bool = False):
    """``START:STOP:NUM`` (inclusive, like ``numpy.linspace``, ``1 <= NUM <= 100000``) or a
    single number; every value in ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``)."""
    parts = text.split(":")
    try:
        if len(parts) == 1:
            vals = np.array([float(parts[0])])
        elif len(parts) == 3:
            start, stop, num = float(parts[0]), float(parts[1]), int(parts[2])
            if not 1 <= num <= GRID_NUM_MAX:
                raise ParameterError(name, f"NUM must be in [1, {GRID_NUM_MAX}] in START:STOP:NUM, got {text!r}")
            if num > 1 and not start < stop:
                raise ParameterError(name, f"needs START < STOP in START:STOP:NUM, got {text!r}")
            if not (math.isfinite(start) and math.isfinite(stop)):
                raise ParameterError(name, f"values must be in {'(' if lo_open else '['}{lo:g}, {hi:g}], got {text!r}")
            vals = np.linspace(start, stop, num)
        else:
            raise ValueError
    except ValueError:
        raise ParameterError(name, f"must be a number or START:STOP:NUM, got {text!r}") from None
    bound = f"{'(' if lo_open else '['}{lo:g}, {hi:g}]"
    if (not np.all(np.isfinite(vals)) or np.any(vals < lo) or np.any(vals > hi)
            or (lo_open and np.any(vals == lo))):
        raise ParameterError(name, f"values must be in {bound}, got {text!r}")
    return vals


def run_phase_diagram(alpha: str, omega: str, sigma2: str, *, prior: str, sampler: str, out,
                      T=None, progress: bool = True, guidance=None) -> Path:
    """Compute the diagram over ``alpha`` and one of ``omega`` / ``sigma2`` (grids as text),
    for the guidance rule ``guidance`` (:mod:`cfgmft.guidance`; ``None``: cfg), write everything
    to ``out`` and return the folder."""
    from tqdm.auto import tqdm

    from .. import __version__
    from ..solvers.phase import alpha_c, phase_diagram

    from ..guidance import as_rule

    rule = as_rule(guidance)
    alphas = parse_grid("--alpha", alpha, ALPHA_MIN_POSITIVE, ALPHA_MAX)
    omegas = parse_grid("--omega", omega, OMEGA_MIN, OMEGA_MAX)
    sigma2s = parse_grid("--sigma2", sigma2, SIGMA2_MIN, SIGMA2_MAX)
    if alphas.size * max(omegas.size, sigma2s.size) > 100 * GRID_NUM_MAX:
        raise ParameterError("alpha", f"the grid has more than {100 * GRID_NUM_MAX} points")
    if alphas.size < 2:
        raise ParameterError("alpha", "must be a grid START:STOP:NUM with NUM >= 2 (alpha is one axis of the diagram)")
    if (omegas.size > 1) == (sigma2s.size > 1):
        raise ParameterError("omega", "exactly one of omega and sigma2 must be a grid START:STOP:NUM (NUM >= 2), the other a number")
    out = output_folder(out)
    t0 = time.perf_counter()
    total = alphas.size * max(omegas.size, sigma2s.size)
    with tqdm(total=total, desc="phase diagram", unit="pt", disable=not progress) as bar:
        def cb(done, _total):
            bar.update(done - bar.n)

        if omegas.size > 1:
            pd = phase_diagram(alphas, omegas, sigma2=float(sigma2s[0]), sampler=sampler, prior=prior, T=T, progress=cb,
                               rule=rule)
            crit = np.atleast_1d(alpha_c(omegas, sigma2=float(sigma2s[0]), sampler=sampler, prior=prior, T=T,
                                         rule=rule))
        else:
            pd = phase_diagram(alphas, sigma2_grid=sigma2s, omega=float(omegas[0]), sampler=sampler, prior=prior,
                               T=T, progress=cb, rule=rule)
            crit = np.array([alpha_c(float(omegas[0]), sigma2=float(s), sampler=sampler, prior=prior, T=T, rule=rule)
                             for s in sigma2s])
    seconds = time.perf_counter() - t0
    second = pd.second
    maps = {"t_commit": np.ma.filled(pd.t_commit.astype(float), np.nan), "mean_shift": pd.mean_shift,
            "var_ratio": pd.var_ratio, "kl_per_dim": pd.kl_per_dim, "margin": pd.margin}
    np.savez(out / "phase_diagram.npz", alpha=pd.alpha, **{pd.second_name: second}, alpha_c=crit,
             committed=pd.committed, status=pd.status, m_final=pd.m_final,
             t_condense=np.ma.filled(pd.t_condense.astype(float), np.nan), **maps)
    params = {
        "prior": prior, "sampler": sampler, "T": T, "guidance": rule.spec, "convention": rule.convention,
        "alpha_grid": alpha, "second_axis": pd.second_name,
        f"{pd.second_name}_grid": omega if pd.second_name == "omega" else sigma2,
        pd.fixed_name: pd.fixed, "alpha_c": crit, "alpha_c_tolerance": 1e-8, "seconds": seconds,
        "precision": "float64", "theory": "exponential-class random-energy mean field (d -> infinity)",
        "nan_in_npz": "t_commit and t_condense are NaN where the event does not happen",
        "files": ["phase_diagram.npz"] + [f"{k}.png" for k in MAPS], "package_version": __version__,
    }
    save_json(out / "phase_diagram.json", params)
    _figures(out, pd, maps, crit, prior, sampler)
    return out


def _figures(out: Path, pd, maps: dict, crit, prior: str, sampler: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    second = pd.second
    ext = [second[0], second[-1], pd.alpha[0], pd.alpha[-1]]
    for key, label in MAPS.items():
        z = maps[key]
        fig, ax = plt.subplots(figsize=(6.4, 4.8))
        norm = None
        if key == "var_ratio" and np.nanmin(z) > 0:
            from matplotlib.colors import LogNorm
            norm = LogNorm(vmin=np.nanmin(z), vmax=max(np.nanmax(z), np.nanmin(z) * 1.0001))
        im = ax.imshow(np.ma.masked_invalid(z), origin="lower", aspect="auto", extent=ext, norm=norm,
                       cmap="viridis", interpolation="nearest")
        fig.colorbar(im, ax=ax, label=label)
        ok = np.isfinite(crit) & (crit > 0)
        ax.plot(second[ok], np.clip(crit[ok], pd.alpha[0], pd.alpha[-1]), color="crimson", lw=2, ls="--",
                label="alpha_c: no commitment above")
        ax.set_xlim(second[0], second[-1])
        ax.set_ylim(pd.alpha[0], pd.alpha[-1])
        ax.set(xlabel=f"{pd.second_name}" + ("  (guidance scale w = 1 + omega)" if pd.second_name == "omega" else ""),
               ylabel="alpha = log(K)/d",
               title=f"{key}: {prior} prior, {sampler.upper()}, {pd.fixed_name} = {pd.fixed:g}")
        ax.legend(loc="upper right", fontsize=8, framealpha=0.6)
        fig.tight_layout()
        fig.savefig(out / f"{key}.png", dpi=110)
        plt.close(fig)
