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
# # 5. Schedules: the no-go, the negative window, the frontier
#
# A guidance schedule $\omega(t)$ changes the strength with the noise level. This notebook shows
# (i) the no-go: no schedule with $\omega(t) \ge 0$ prevents the variance from shrinking (claim C5);
# (ii) a window of *negative* guidance before commitment restores it (claim C6); (iii) the trade-off
# between restored variance and class separability over a family of such windows.
# Convention $s = (1+\omega) s_c - \omega s_u$. Equations from the derivation objects (`sympy.latex`).
# `CFGMFT_QUICK=1`: fewer schedules.

# %%
# %matplotlib inline
import os

import numpy as np
import sympy as sp
from IPython.display import Markdown, Math, display

QUICK = os.environ.get("CFGMFT_QUICK") == "1"


def show(derivation, *names):
    """Display named steps of a formed derivation: its description, then sympy.latex of each expression."""
    for name in names:
        step = derivation[name]
        display(Markdown(f"`{name}`: {step.description}"))
        for expr in step.expr if isinstance(step.expr, tuple) else (step.expr,):
            display(Math(sp.latex(expr)))


# %% [markdown]
# ## The no-go
#
# A schedule enters the linear coefficient of the guided score pointwise. Whenever $\omega(t) \ge 0$
# the coefficient is at least its exact-sampling value $1/\Gamma_t$, so the restoring force is never
# weaker than exact and the variance equation can only end below the exact variance:

# %%
from cfgmft.theory.infinite_class import InfiniteClassGaussian

der = InfiniteClassGaussian()
show(der, "schedule_coefficients", "guidance_excess", "moment_eqs_sde")

# %% [markdown]
# Random non-negative schedules (constant, interval, ramps, low-high-low; the family of
# `cfgmft reproduce`'s C5), through the infinite-class theory: none exceeds $v_\perp/\sigma^2 = 1$. A few
# negative windows do.

# %%
import matplotlib.pyplot as plt

from cfgmft.reproduce import random_nonnegative_schedule
from cfgmft.schedules import NegativeWindow
from cfgmft.solvers.infinite_class import predict_infinite_class

rng = np.random.default_rng(5)
scheds = [random_nonnegative_schedule(rng) for _ in range(40 if QUICK else 400)]
v_nonneg = {smp: np.array([predict_infinite_class("gaussian", 1.0, sc, smp).var_ratio for sc in scheds])
            for smp in ("sde", "ode")}
negs = [NegativeWindow(2.0, -0.5, 0.0, 0.4), NegativeWindow(2.0, -0.8, 0.05, 0.6), NegativeWindow(1.0, -0.3, 0.0, 1.0)]
v_neg = {smp: [predict_infinite_class("gaussian", 1.0, sc, smp).var_ratio for sc in negs] for smp in ("sde", "ode")}
for smp in ("sde", "ode"):
    print(f"{smp.upper()}: largest v_perp/sigma2 over {len(scheds)} non-negative schedules = {v_nonneg[smp].max():.6f}; "
          f"negative windows: {', '.join(f'{v:.4f}' for v in v_neg[smp])}")
    assert v_nonneg[smp].max() <= 1.0 + 1e-9
    assert max(v_neg[smp]) > 1.0

fig, ax = plt.subplots(figsize=(5.5, 3.5))
bins = np.linspace(0, 1.3, 40)
for smp, c in (("sde", "C0"), ("ode", "C1")):
    ax.hist(v_nonneg[smp], bins=bins, alpha=0.5, color=c, label=f"omega(t) >= 0, {smp.upper()}")
    for v in v_neg[smp]:
        ax.axvline(v, color=c, ls="--", lw=1)
ax.axvline(1.0, color="k", lw=1)
ax.set(xlabel="v_perp / sigma2 (infinite-class theory)", ylabel="schedules",
       title="no-go: non-negative schedules never reach 1 (dashed: negative windows)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## The negative window in the exponential regime
#
# With $K - 1 = e^{\alpha d}$ guidance acts only before commitment (notebook 2). A window
# $\omega(t) = W < 0$ on $[t_{lo}, t_{hi}]$, placed before commitment, undoes the shrinkage;
# `cfgmft.solvers.design.design_negative_window` searches a grid of windows
# `negwin:OMEGA:W:T_LO:T_HI:W_LATE` on the mean-field theory and keeps the one closest to exact variance
# among those that commit and keep at least half the separability margin of constant guidance.

# %%
from cfgmft.solvers.design import design_negative_window

kw = dict(window_omegas=(-0.3, -0.6), t_lo=(0.2, 0.4, 0.6), t_hi=(1.0, 1.5)) if QUICK else {}
des = design_negative_window("sphere", 1.0, 0.3, 2.0, "sde", **kw)
b, p = des.baseline, des.prediction
print(f"constant:2          v_perp/sigma2 = {b.var_ratio:.4f}, margin = {b.margin:.4f}, t_commit = {b.t_commit:.4f}")
print(f"{des.schedule.spec:20s}v_perp/sigma2 = {p.var_ratio:.4f}, margin = {p.margin:.4f}, t_commit = {p.t_commit:.4f}")
print(f"variance defect reduced {des.defect_reduction:.1f}x; {len(des.admissible)} of {len(des.candidates)} candidates admissible")
# the criterion of claim C6 on the theory side: the defect at most a quarter of constant guidance's
assert abs(p.var_ratio - 1) <= abs(b.var_ratio - 1) / 4 and p.margin >= des.min_margin > 0

# %% [markdown]
# ## The frontier
#
# Every candidate window as a point (variance ratio, separability margin): the admissible ones and
# the frontier: the candidates that no candidate farther from exact variance beats in margin. Moving
# towards exact variance costs margin; the design is the admissible point closest to $v_\perp/\sigma^2 = 1$.

# %%
cand = des.candidates
v = np.array([c.prediction.var_ratio for c in cand])
m = np.array([c.prediction.margin for c in cand])
ok = np.array([c.admissible for c in cand])
defect = np.abs(v - 1)
idx = np.argsort(defect)
front = [i for k, i in enumerate(idx) if m[i] >= max(m[idx[k:]])]  # no farther candidate has a larger margin
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
axes[0].scatter(v[~ok], m[~ok], s=12, c="0.7", label="not admissible")
axes[0].scatter(v[ok], m[ok], s=14, c="C0", label="admissible")
axes[0].plot(v[front], m[front], "C2-", lw=1, label="frontier")
axes[0].plot([b.var_ratio], [b.margin], "ks", label="constant:2")
axes[0].plot([p.var_ratio], [p.margin], "r*", ms=12, label="design")
axes[0].axvline(1, color="k", lw=0.8, ls=":")
axes[0].set(xlabel="v_perp / sigma2 (d -> infinity)", ylabel="margin per dimension", title="windows: variance vs separability")
axes[0].legend(fontsize=7)
tt = np.linspace(0, 3, 600)
axes[1].plot(tt, np.full_like(tt, 2.0), label="constant:2")
axes[1].plot(tt, des.schedule(tt), label=des.schedule.spec)
axes[1].axvline(b.t_commit, color="C0", ls="--", lw=0.8, label="t_commit, constant")
axes[1].axvline(p.t_commit, color="C1", ls="--", lw=0.8, label="t_commit, design")
axes[1].set(xlabel="t (sampling runs from right to left)", ylabel="omega(t)", title="the designed schedule")
axes[1].legend(fontsize=7)
plt.show()
assert p.var_ratio > b.var_ratio
