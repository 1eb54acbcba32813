# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4. Monte Carlo, finite-size scaling and the finite-d model
#
# The mean-field theory of notebooks 2 and 3 is exact as $d \to \infty$ at fixed $\alpha = \log(K-1)/d$.
# At the dimensions a Monte Carlo can reach ($d \le 100$, $K$ up to $10^6$) the commitment is smooth,
# the samples fluctuate around the mean-field trajectory and the competitors are a finite, quenched
# set. The finite-$d$ model (`cfgmft theory --d D --finite-d`, `cfgmft.api.predict_finite_d`) keeps
# these three effects in a reduced stochastic model; this notebook compares it, point by point, with
# exact-score Monte Carlo (`cfgmft simulate`), and both with the $d \to \infty$ theory.
#
# Convention $s = (1+\omega) s_c - \omega s_u$, $\omega = 2$, SDE, 800 steps. Equations from the
# derivation objects (`sympy.latex`).
#
# It is also a script (the finite-d table of docs/explanation/finite-d.md):
#
#     python notebooks/finite_d_vs_monte_carlo.py [--out results/finite_d] [--points sphere:0.1:20,...]
#
# Each point is `prior:alpha:d[:samples:disorder]` (`--extra`: the settings of `EXTRA_POINTS`, with
# sigma2 != 1, the ODE and a schedule): the Monte Carlo is `cfgmft simulate --prior P --alpha A --d D
# --omega 2 --samples N --disorder R --seed 7 --json` (SDE, 800 steps), the prediction
# `cfgmft.api.predict_finite_d` with 20000 model samples; both are saved in `OUT/` as JSON with their
# parameters (a point already there is not recomputed, so the script resumes), and a markdown table
# with `z = (MC - prediction)/combined standard error` is printed. The default list takes hours on one
# core (`K` up to `1.2e6`). In the notebook, `CFGMFT_QUICK=1` runs two small points, otherwise
# `NOTEBOOK_POINTS` (minutes).

# %%
# %matplotlib inline
import argparse
import json
import math
import os
import sys
import tempfile
from pathlib import Path

import sympy as sp

from cfgmft.api import predict, predict_finite_d, simulate
from cfgmft.io import save_json
from cfgmft.params import Guidance, Mixture, Problem, Sampler

QUICK = os.environ.get("CFGMFT_QUICK") == "1"
IN_KERNEL = "ipykernel" in sys.modules

# %% [markdown]
# ## What the $d \to \infty$ theory idealises
#
# Three steps of the derivation become approximations at finite $d$: the target's posterior weight is
# a step function (sharp commitment), the sample sits on the mean-field trajectory (no fluctuations
# of $q$ and $r$), and the condensed competitors are replaced by their self-averaging part:

# %%
if IN_KERNEL:
    from IPython.display import Markdown, Math, display

    from cfgmft.theory.exponential import exponential_derivation
    from cfgmft.theory.rem import rem_derivation

    def show(derivation, *names):
        """Display named steps of a formed derivation: its description, then sympy.latex of each expression."""
        for name in names:
            step = derivation[name]
            display(Markdown(f"`{name}`: {step.description}"))
            for expr in step.expr if isinstance(step.expr, tuple) else (step.expr,):
                display(Math(sp.latex(expr)))

    expo = exponential_derivation("sphere")
    show(expo, "target_weight", "trajectory_order_parameters", "condensed_approximation")
    show(rem_derivation("sphere"), "condensed_weights")

# %% [markdown]
# ## The comparison, point by point
#
# The functions below run one point (Monte Carlo, finite-$d$ prediction, $d \to \infty$ theory), save
# it, and tabulate.

# %%
DEFAULT_POINTS = ("sphere:0.1:20:1024:4,sphere:0.1:40:1024:4,sphere:0.1:60:1024:4,sphere:0.1:80:1024:4,"
                  "sphere:0.1:100:512:4,sphere:0.1:120:256:4,sphere:0.2:20:1024:4,sphere:0.2:30:1024:4,"
                  "sphere:0.2:40:1024:4,sphere:0.2:50:512:4,sphere:0.2:70:128:2,gaussian:0.2:20:1024:4,"
                  "gaussian:0.2:40:1024:4")
QUICK_POINTS = "sphere:0.2:12:256:2,sphere:0.2:16:256:2"
#: the notebook's run without CFGMFT_QUICK (minutes, not hours): the sphere series at alpha = 0.2
NOTEBOOK_POINTS = "sphere:0.2:20:1024:4,sphere:0.2:30:1024:4,sphere:0.2:40:1024:4,gaussian:0.2:20:1024:4"
#: other settings (``--extra``): sigma2 != 1, the ODE, a negative-window schedule; Monte Carlo seed 3
EXTRA_POINTS = (
    dict(prior="sphere", sigma2=0.5, alpha=0.2, d=20, sampler="ode"),
    dict(prior="sphere", sigma2=0.5, alpha=0.2, d=30, sampler="ode"),
    dict(prior="sphere", sigma2=0.5, alpha=0.2, d=40, sampler="ode"),
    dict(prior="sphere", sigma2=0.5, alpha=0.2, d=20, sampler="sde"),
    dict(prior="gaussian", sigma2=2.0, alpha=0.2, d=20, sampler="ode", omega=1.0, disorder=16),
    dict(prior="sphere", sigma2=1.0, alpha=0.3, d=20, sampler="sde", schedule="negwin:2:-0.3:0.4:1:2"),
    dict(prior="sphere", sigma2=1.0, alpha=0.3, d=30, sampler="sde", schedule="negwin:2:-0.3:0.4:1:2"),
)
OBS = ("m_final", "var_ratio")


def _parse(text):
    pts = []
    for item in text.split(","):
        f = item.split(":")
        pt = dict(prior=f[0], alpha=float(f[1]), d=int(f[2]))
        if len(f) == 5:
            pt.update(samples=int(f[3]), disorder=int(f[4]))
        pts.append(pt)
    return pts


def _full(pt: dict) -> dict:
    """A point with every setting filled in (defaults: sigma2 1, omega 2, SDE, 1024 x 4, seed 7)."""
    out = dict(sigma2=1.0, sampler="sde", samples=1024, disorder=4, seed=7, omega=None, schedule=None) | pt
    if out["omega"] is None and out["schedule"] is None:
        out["omega"] = 2.0
    return out


def _name(pt: dict) -> str:
    name = f"{pt['prior']}_a{pt['alpha']:g}_d{pt['d']}"
    if (pt["sigma2"], pt["sampler"], pt["omega"], pt["schedule"], pt["seed"]) != (1.0, "sde", 2.0, None, 7):
        g = f"w{pt['omega']:g}" if pt["schedule"] is None else pt["schedule"].replace(":", "_")
        name += f"_s{pt['sigma2']:g}_{pt['sampler']}_{g}_seed{pt['seed']}"
    if (pt["samples"], pt["disorder"]) != (1024, 4):  # two runs of one point at other sizes keep two files
        name += f"_n{pt['samples']}x{pt['disorder']}"
    return name


def run(points, out: Path, fd_samples: int = 20000) -> list:
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for pt in map(_full, points):
        prior, alpha, d = pt["prior"], pt["alpha"], pt["d"]
        guid = Guidance(omega=pt["omega"]) if pt["schedule"] is None else Guidance(schedule=pt["schedule"])
        mix = Mixture(prior=prior, sigma2=pt["sigma2"], alpha=alpha, d=d)
        prob = Problem(mix, guid, Sampler(pt["sampler"], steps=800))
        name = _name(pt)
        mc_file, fd_file = out / f"mc_{name}.json", out / f"fd_{name}.json"
        if mc_file.exists():
            mc = json.loads(mc_file.read_text())
        else:
            mc = simulate(prob, samples=pt["samples"], disorder=pt["disorder"], seed=pt["seed"], progress=True)
            save_json(mc_file, mc)
        if fd_file.exists():
            fd = json.loads(fd_file.read_text())
        else:
            fd = predict_finite_d(prob, samples=fd_samples)
            save_json(fd_file, fd)
        th = predict(Problem(Mixture(prior=prior, sigma2=pt["sigma2"], alpha=alpha), guid, Sampler(pt["sampler"])))
        row = {"prior": prior, "alpha": alpha, "d": d, "K": mc["K"], "samples": mc["samples"], "disorder": mc["disorder"],
               "sigma2": pt["sigma2"], "sampler": pt["sampler"], "guidance": guid.schedule.spec}
        for k in OBS:
            se = math.hypot(mc[k]["stderr"], fd[k]["stderr"])
            row[k] = {"mc": mc[k], "prediction": fd[k], "theory_inf": th[k], "z": (mc[k]["mean"] - fd[k]["mean"]) / se}
        rows.append(row)
    return rows


def table(rows) -> str:
    lines = ["| prior | sigma2 | sampler, guidance | alpha | d | K | samples x mixtures | MC E[m] | prediction | z "
             "| MC v_perp/sigma2 | prediction | z |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = [f"{r[k]['mc']['mean']:.4f} ± {r[k]['mc']['stderr']:.4f} | {r[k]['prediction']['mean']:.4f} ± "
                 f"{r[k]['prediction']['stderr']:.4f} | {r[k]['z']:+.2f}" for k in OBS]
        lines.append(f"| {r['prior']} | {r['sigma2']:g} | {r['sampler']}, `{r['guidance']}` | {r['alpha']:g} | {r['d']} | "
                     f"{r['K']} | {r['samples']} x {r['disorder']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description="The finite-d prediction against exact-score Monte Carlo, point by point (the table of docs/explanation/finite-d.md).")
    p.add_argument("--out", default="results/finite_d")
    p.add_argument("--points", default=QUICK_POINTS if os.environ.get("CFGMFT_QUICK") else DEFAULT_POINTS)
    p.add_argument("--fd-samples", type=int, default=20000)
    p.add_argument("--extra", action="store_true", help="the other settings of EXTRA_POINTS instead of --points")
    a = p.parse_args(argv)
    points = [{"samples": 1024, "seed": 3} | pt for pt in EXTRA_POINTS] if a.extra else _parse(a.points)
    from cfgmft.io import source_commit

    commit = source_commit()
    rows = run(points, Path(a.out), a.fd_samples)
    # each row carries its own settings; the request is kept so the table can be made again
    save_json(Path(a.out) / "table.json", {"points": rows, "requested": "--extra" if a.extra else f"--points {a.points}",
                                           "fd_samples": a.fd_samples, "commit": commit})
    print(table(rows))
    zmax = {k: max(abs(r[k]["z"]) for r in rows) for k in OBS}
    print("\nlargest |z|: " + ", ".join(f"{k} {v:.2f}" for k, v in zmax.items()))
    return rows




# %% [markdown]
# ## Run

# %%
if IN_KERNEL:
    from IPython.display import Markdown, display

    out = Path(tempfile.mkdtemp(prefix="cfgmft-finite-d-"))
    rows = run(_parse(QUICK_POINTS if QUICK else NOTEBOOK_POINTS), out, fd_samples=5000 if QUICK else 20000)
    display(Markdown(table(rows)))
    zmax = {k: max(abs(r[k]["z"]) for r in rows) for k in OBS}
    print("largest |z|: " + ", ".join(f"{k} {v:.2f}" for k, v in zmax.items()))
    assert all(abs(r[k]["z"]) <= 3 for r in rows for k in OBS), "Monte Carlo off the finite-d prediction by > 3 se"

# %% [markdown]
# ## Finite-size scaling
#
# For the sphere prior: the Monte Carlo and the finite-$d$ prediction against $d$, with the
# $d \to \infty$ theory as the horizontal line they approach.

# %%
if IN_KERNEL:
    import matplotlib.pyplot as plt

    sph = [r for r in rows if r["prior"] == "sphere"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, k, label in ((axes[0], "m_final", "E[m]"), (axes[1], "var_ratio", "v_perp / sigma2")):
        dd = [r["d"] for r in sph]
        ax.errorbar(dd, [r[k]["mc"]["mean"] for r in sph], [r[k]["mc"]["stderr"] for r in sph], fmt="o", capsize=3,
                    label="Monte Carlo")
        ax.errorbar([x + 0.3 for x in dd], [r[k]["prediction"]["mean"] for r in sph],
                    [r[k]["prediction"]["stderr"] for r in sph], fmt="D", mfc="none", capsize=3, label="finite-d model")
        ax.axhline(sph[0][k]["theory_inf"], color="k", ls="--", lw=1, label="d -> infinity theory")
        ax.set(xlabel="d", ylabel=label, title=f"sphere, alpha = {sph[0]['alpha']:g}, omega = 2, SDE")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    plt.show()

# %% [markdown]
# The distortion measured at these $d$ is larger than the $d \to \infty$ one; the finite-$d$ model,
# with no fitted parameter, follows the Monte Carlo within its standard errors. `cfgmft reproduce`
# does the same across $d$ for claims C2 and C3 (report sections C2, C3).

# %%
if __name__ == "__main__" and not IN_KERNEL:
    if QUICK:  # the quick points in a scratch folder, checked
        rows = main(["--out", tempfile.mkdtemp(prefix="cfgmft-finite-d-"), "--fd-samples", "5000"])
        assert all(abs(r[k]["z"]) <= 3 for r in rows for k in OBS), rows
    else:
        main(sys.argv[1:])
