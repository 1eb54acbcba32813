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
# # 3. Phase diagrams and the critical line
#
# In the exponential regime ($K - 1 = e^{\alpha d}$, $d \to \infty$) a guided sample either commits to
# its class before $t = 0$ or never does (notebook 2). The mean-field solver maps the outcome, and the
# distortion it leaves, over the plane of $\alpha$ and the guidance strength $\omega$; the boundary is
# the critical line $\alpha_c(\omega)$. Sphere prior, SDE sampler, convention
# $s = (1+\omega) s_c - \omega s_u$; `cfgmft phase-diagram` computes the same grids from the command
# line. Equations from the derivation objects (`sympy.latex`). `CFGMFT_QUICK=1`: a coarse grid.

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
# ## Where the line starts: exact sampling
#
# At $\omega = 0$ commitment is the collapse of exact sampling; the collapse time exists only while
# $\sigma^2 (e^{2\alpha} - 1) < 1$. The two limits of $\alpha$ bracket the diagram: as $\alpha \to 0$ a
# sample commits at once (no distortion), as $\alpha \to \infty$ never (the infinite-class limit of
# notebook 1):

# %%
from cfgmft.theory.exponential import exponential_derivation

expo = exponential_derivation("sphere")
show(expo, "collapse_condition", "collapse_time", "alpha_to_zero_commitment", "alpha_to_infinity")

# %% [markdown]
# Solving $t_C = 0$ for $\alpha$ with sympy gives $\alpha_c(0)$; the solver's critical line
# (`cfgmft.solvers.phase.alpha_c`, a bisection on the mean-field equations) must start there.

# %%
from cfgmft.solvers.phase import alpha_c, phase_diagram

tC = expo["collapse_time"].rhs
a_s, s2_s = (next(s for s in tC.free_symbols if s.name == n) for n in ("alpha", "sigma2"))
roots = [r for r in sp.solve(sp.Eq(tC, 0), a_s) if r.is_real is not False]
alpha_c0 = sp.simplify(roots[0])
display(Math(r"\alpha_c(\omega = 0) = " + sp.latex(alpha_c0)))
for sigma2 in (0.5, 1.0, 2.0):
    exact, solver = float(alpha_c0.subs(s2_s, sigma2)), alpha_c(0.0, sigma2=sigma2)
    print(f"sigma2 = {sigma2}: alpha_c(0) closed form {exact:.8f}, solver {solver:.8f}")
    assert abs(exact - solver) < 1e-6

# %% [markdown]
# ## The phase diagram in $(\alpha, \omega)$
#
# For each point: does the sample commit, and what is left of the variance ($v_\perp/\sigma^2$, exact
# sampling 1)? The critical line is drawn on top.

# %%
import matplotlib.pyplot as plt

n_a, n_w = (14, 10) if QUICK else (60, 41)
alphas, omegas = np.linspace(0.02, 1.0, n_a), np.linspace(0.0, 6.0, n_w)
pd = phase_diagram(alphas, omegas, sigma2=1.0, prior="sphere", sampler="sde")
line_w = np.linspace(0.0, 6.0, 7 if QUICK else 25)
line_a = alpha_c(line_w, sigma2=1.0, prior="sphere", sampler="sde")

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
ext = [omegas[0], omegas[-1], alphas[0], alphas[-1]]
im = axes[0].imshow(np.log10(pd.var_ratio), origin="lower", aspect="auto", extent=ext, cmap="viridis")
fig.colorbar(im, ax=axes[0], label="log10 v_perp/sigma2")
axes[1].imshow(pd.committed, origin="lower", aspect="auto", extent=ext, cmap="Greys", vmin=0, vmax=2)
for ax in axes:
    ax.plot(line_w, line_a, "r-", lw=2, label="alpha_c(omega)")
    ax.set(xlabel="omega", ylabel="alpha = log(K-1)/d")
    ax.legend(fontsize=8, loc="upper left")
axes[0].set_title("variance ratio (d -> infinity)")
axes[1].set_title("grey: commits before t = 0; white: never")
plt.show()

# %% [markdown]
# The grid and the line agree: every grid point below the line commits, every point above does not
# (up to the grid spacing, checked here), and the variance is shrunk everywhere with $\omega > 0$.

# %%
crit = np.interp(omegas, line_w, line_a)
below = alphas[:, None] < crit[None, :] - 0.03
above = alphas[:, None] > crit[None, :] + 0.03
assert pd.committed[below].all() and not pd.committed[above].any()
assert np.all(pd.var_ratio[:, omegas > 0] < 1)
print(f"alpha_c(omega) on omega = {line_w.round(2).tolist()}:\n{np.round(line_a, 4).tolist()}")

# %% [markdown]
# ## Against the class variance $\sigma^2$
#
# At fixed $\omega = 2$, the same diagram over $(\alpha, \sigma^2)$: broader classes overlap more and
# commit later.

# %%
sig = np.geomspace(0.1, 4.0, 8 if QUICK else 30)
pd2 = phase_diagram(alphas, sigma2_grid=sig, omega=2.0, prior="sphere", sampler="sde")
fig, ax = plt.subplots(figsize=(5.5, 3.8))
im = ax.pcolormesh(sig, alphas, np.log10(pd2.var_ratio), shading="auto")
ax.contour(sig, alphas, pd2.committed.astype(float), levels=[0.5], colors="r")
ax.set(xscale="log", xlabel="sigma2", ylabel="alpha", title="omega = 2: log10 v_perp/sigma2; red: commitment boundary")
fig.colorbar(im, ax=ax)
plt.show()
