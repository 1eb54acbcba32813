"""``cfgmft phase-diagram``: run a mean-field phase diagram and write it to a folder.

Two shapes: a map over ``alpha`` and one of ``omega`` / ``sigma2`` (the other fixed), or a
1-D scan over ``alpha`` alone (``omega`` and ``sigma2`` both fixed).

Written to ``OUT/``: ``phase_diagram.npz`` (every map, the grids, the critical line) and
``phase_diagram.json`` (every parameter, the package version and convention, the critical
line ``alpha_c``, beyond which commitment never happens before ``t = 0``; for a 1-D scan also
the scan itself). These files are the result. With ``figures``: one PNG per map with labelled
axes, a colour bar and the critical line drawn (the margin on a diverging colour map centred at
0, with its zero contour); for a 1-D scan one PNG of the observables against ``alpha``.
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
                      T=None, progress: bool = True, figures: bool = False, guidance=None) -> Path:
    """Compute the diagram over ``alpha`` and one of ``omega`` / ``sigma2`` (grids as text), or
    the 1-D scan over ``alpha`` when both are single numbers, write everything to ``out`` and
    return the folder, for the guidance rule ``guidance`` (:mod:`cfgmft.guidance`; ``None``: cfg); ``figures`` also draws the PNGs (matplotlib, most of a small diagram's
    time). ``progress``: :func:`cfgmft.progress.progress` on standard error."""
    from .. import __version__
    from ..progress import progress as progress_bar
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
    if omegas.size > 1 and sigma2s.size > 1:
        raise ParameterError("omega", "at most one of omega and sigma2 can be a grid START:STOP:NUM, the other a "
                                      "number (both numbers: a 1-D scan over alpha)")
    out = output_folder(out)
    t0 = time.perf_counter()
    total = alphas.size * max(omegas.size, sigma2s.size)
    with progress_bar(total=total, desc="cfgmft phase-diagram", unit="pt", enabled=progress) as bar:
        def cb(done, _total):
            bar.update(done - bar.n)

        if sigma2s.size == 1:  # an omega grid, or the 1-D scan (one omega)
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
    one_d = pd.second.size == 1
    second = pd.second
    maps = {"t_commit": np.ma.filled(pd.t_commit.astype(float), np.nan), "mean_shift": pd.mean_shift,
            "var_ratio": pd.var_ratio, "kl_per_dim": pd.kl_per_dim, "margin": pd.margin}
    np.savez(out / "phase_diagram.npz", alpha=pd.alpha, **{pd.second_name: second}, alpha_c=crit,
             committed=pd.committed, status=pd.status, m_final=pd.m_final,
             t_condense=np.ma.filled(pd.t_condense.astype(float), np.nan), **maps)
    pngs = (["scan.png"] if one_d else [f"{k}.png" for k in MAPS]) if figures else []
    params = {
        "prior": prior, "sampler": sampler, "T": T, "guidance": rule.spec, "convention": rule.convention,
        "alpha_grid": alpha,
        "shape": "scan over alpha" if one_d else f"map over alpha x {pd.second_name}",
        "second_axis": None if one_d else pd.second_name,
    }
    if one_d:
        params.update(omega=float(omegas[0]), sigma2=float(sigma2s[0]))
    else:
        params.update({f"{pd.second_name}_grid": omega if pd.second_name == "omega" else sigma2, pd.fixed_name: pd.fixed})
    params.update({
        "alpha_c": float(crit[0]) if one_d else crit, "alpha_c_tolerance": 1e-8, "seconds": seconds,
        "precision": "float64", "theory": "exponential-class random-energy mean field (d -> infinity)",
        "nan_in_npz": "t_commit and t_condense are NaN where the event does not happen",
        "files": ["phase_diagram.npz", "phase_diagram.json"] + pngs, "package_version": __version__,
    })
    if one_d:
        params["scan"] = {"alpha": pd.alpha, "committed": pd.committed[:, 0],
                          **{k: [None if not math.isfinite(v) else float(v) for v in maps[k][:, 0]] for k in MAPS}}
    save_json(out / "phase_diagram.json", params)
    if figures:
        t1 = time.perf_counter()
        if one_d:
            _scan_figure(out, pd, maps, float(crit[0]), prior, sampler)
        else:
            _figures(out, pd, maps, crit, prior, sampler)
        params["seconds_figures"] = time.perf_counter() - t1
        save_json(out / "phase_diagram.json", params)
    return out


def format_phase_diagram(params: dict, out) -> str:
    """The text summary of ``cfgmft phase-diagram`` from its ``phase_diagram.json`` object."""
    lines = [f"cfgmft {params['package_version']} phase-diagram: {params['shape']}, {params['prior']} prior, "
             f"{params['sampler']} sampler ({params['theory']})"]
    if params["second_axis"] is None:
        ac = params["alpha_c"]
        lines.append(f"  omega = {params['omega']:g}, sigma2 = {params['sigma2']:g}: alpha_c = "
                     + ("n/a (commits up to alpha = 1000)" if ac is None or not math.isfinite(ac) else f"{ac:.8g}")
                     + " (commits before t = 0 iff alpha < alpha_c)")
        scan = params["scan"]
        lines.append(f"  {'alpha':>10} {'t_commit':>12} {'mean_shift':>12} {'var_ratio':>12} {'kl_per_dim':>12} "
                     f"{'margin':>12}")
        for i, a in enumerate(scan["alpha"]):
            cells = ["never" if v is None else f"{v:.6g}" for v in (scan[k][i] for k in MAPS)]
            lines.append(f"  {a:>10.5g} " + " ".join(f"{c:>12}" for c in cells))
    else:
        name = params["second_axis"]
        fixed = "sigma2" if name == "omega" else "omega"
        grid = np.load(Path(out) / "phase_diagram.npz")[name]
        crit = params["alpha_c"]
        lines.append(f"  {fixed} = {params[fixed]:g}; alpha_c (commits before t = 0 iff alpha < alpha_c) along {name}:")
        step = max(1, len(grid) // 10)
        for i in list(range(0, len(grid), step)) + ([len(grid) - 1] if (len(grid) - 1) % step else []):
            c = crit[i]
            lines.append(f"    {name} = {grid[i]:<10.5g} alpha_c = "
                         + ("n/a" if c is None or not math.isfinite(c) else f"{c:.8g}"))
    files = ", ".join(params["files"])
    lines.append(f"  written to {out}/ ({files})" + ("" if any(f.endswith(".png") for f in params["files"])
                                                     else "; figures with --figures"))
    return "\n".join(lines)


def _figures(out: Path, pd, maps: dict, crit, prior: str, sampler: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    second = pd.second
    ext = [second[0], second[-1], pd.alpha[0], pd.alpha[-1]]
    for key, label in MAPS.items():
        z = maps[key]
        fig, ax = plt.subplots(figsize=(6.4, 4.8))
        norm, cmap = None, "viridis"
        if key == "var_ratio" and np.nanmin(z) > 0:
            from matplotlib.colors import LogNorm
            norm = LogNorm(vmin=np.nanmin(z), vmax=max(np.nanmax(z), np.nanmin(z) * 1.0001))
        if key == "margin":  # the sign matters (a competitor beats the target below 0): diverging, centred at 0
            from matplotlib.colors import TwoSlopeNorm
            lo, hi = float(np.nanmin(z)), float(np.nanmax(z))
            span = max(abs(lo), abs(hi), 1e-12)
            norm, cmap = TwoSlopeNorm(vcenter=0.0, vmin=min(lo, -1e-3 * span), vmax=max(hi, 1e-3 * span)), "RdBu_r"
        im = ax.imshow(np.ma.masked_invalid(z), origin="lower", aspect="auto", extent=ext, norm=norm,
                       cmap=cmap, interpolation="nearest")
        fig.colorbar(im, ax=ax, label=label)
        if key == "margin" and np.nanmin(z) < 0 < np.nanmax(z) and min(z.shape) >= 2:
            cs = ax.contour(second, pd.alpha, z, levels=[0.0], colors="k", linewidths=1.2)
            ax.clabel(cs, fmt={0.0: "margin = 0"}, fontsize=7)
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


def _scan_figure(out: Path, pd, maps: dict, crit: float, prior: str, sampler: str) -> None:
    """The 1-D scan: each observable against ``alpha``, with ``alpha_c`` marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(MAPS), figsize=(3.2 * len(MAPS), 3.2))
    for ax, (key, label) in zip(axes, MAPS.items()):
        ax.plot(pd.alpha, maps[key][:, 0], lw=1.5)
        if math.isfinite(crit) and crit > 0:
            ax.axvline(crit, color="crimson", ls="--", lw=1, label=f"alpha_c = {crit:.4g}")
        if key == "margin":
            ax.axhline(0.0, color="k", lw=0.6)
        ax.set(xlabel="alpha = log(K)/d", title=key)
        ax.set_ylabel(label, fontsize=7)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"{prior} prior, {sampler.upper()}, omega = {pd.second[0]:g}, sigma2 = {pd.fixed:g}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "scan.png", dpi=100)
    plt.close(fig)
