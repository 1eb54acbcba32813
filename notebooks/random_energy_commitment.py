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
# # 2. The random energy model of the competitors, the effective potential, commitment
#
# With exponentially many classes, $K - 1 = e^{\alpha d}$, the classes other than the target
# ("competitors") act on a sample like the configurations of Derrida's random energy model: each
# competitor has an energy per dimension, their number is exponential in $d$, and as $d \to \infty$
# their partition function is either dominated by the typical ones (*uncondensed*, annealed) or by a
# few extreme ones (*condensed*). The guided score then follows from an effective potential with two
# branches, and a sample switches branch at a sharp time: it *commits* to its class.
#
# Sphere prior ($|\mu|^2 = d$), convention $s = (1+\omega) s_c - \omega s_u$. Every equation is
# rendered from the derivation objects of `cfgmft.theory` (`cfgmft derive --only random-energy` and
# `--only exponential-class`) with `sympy.latex`. `CFGMFT_QUICK=1`: the small run of the test suite.

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


# %%
from cfgmft.theory.exponential import exponential_derivation
from cfgmft.theory.rem import explicit_ab, rem_derivation

rem = rem_derivation("sphere")
expo = exponential_derivation("sphere")
print(rem.title, "|", expo.title)

# %% [markdown]
# ## The competitors as a random energy model
#
# A competitor at overlap $y$ with the sample direction has energy $E$, and overlaps have the rate
# function $I$ (minus the log-density per dimension). With $e^{\alpha d}$ independent competitors the
# free energy per dimension is a constrained maximum:

# %%
show(rem, "energy", "rate_function", "rem_free_energy", "phi_annealed")

# %% [markdown]
# The unconstrained (annealed) saddle is valid only while its rate stays below $\alpha$: there are
# not enough competitors beyond. Past the condensation radius $r_c(t)$ (in $r = |x|^2/d$) the maximum
# sits on the boundary $I = \alpha$ and a few competitors dominate:

# %%
show(rem, "condensation_condition", "condensation_radius", "phi_condensed_closed", "second_derivative_jump")

# %% [markdown]
# The two branches of $\phi(r)$, evaluated from these expressions (`sympy.lambdify`) at one time $t$;
# they meet with a continuous first derivative at $r_c$ (a continuous transition):

# %%
import matplotlib.pyplot as plt

sigma2, alpha, t_val = 1.0, 0.2, 0.6
ann = explicit_ab(rem["phi_annealed"].rhs)
cond = explicit_ab(rem["phi_condensed_closed"].expr[0].rhs)
rc = explicit_ab(rem["condensation_radius"].rhs)
syms = {s.name: s for s in (ann.free_symbols | cond.free_symbols)}
args = (syms["r"], syms["t"], syms["sigma2"], syms["alpha"])
f_ann, f_cond = sp.lambdify(args, ann, "numpy"), sp.lambdify(args, cond, "numpy")
r_c = float(rc.subs({syms["t"]: t_val, syms["sigma2"]: sigma2, syms["alpha"]: alpha}))
r = np.linspace(0.05, 3 * r_c, 200)
fig, ax = plt.subplots(figsize=(5.5, 3.6))
ax.plot(r, f_ann(r, t_val, sigma2, alpha), label="annealed (uncondensed) branch")
ax.plot(r, f_cond(r, t_val, sigma2, alpha), "--", label="condensed branch (I = alpha)")
ax.axvline(r_c, color="k", lw=0.8, ls=":", label=f"r_c = {r_c:.3f}")
ax.set(xlabel="r = |x|^2 / d", ylabel="phi (free energy per dimension)", title=f"REM, t = {t_val}, alpha = {alpha}")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
plt.show()
# the branches touch at r_c: equal value and slope
h = 1e-6
assert abs(f_ann(r_c, t_val, sigma2, alpha) - f_cond(r_c, t_val, sigma2, alpha)) < 1e-9
slope = lambda f: (f(r_c + h, t_val, sigma2, alpha) - f(r_c - h, t_val, sigma2, alpha)) / (2 * h)
assert abs(slope(f_ann) - slope(f_cond)) < 1e-5
assert np.all(f_cond(r, t_val, sigma2, alpha) <= f_ann(r, t_val, sigma2, alpha) + 1e-12)

# %% [markdown]
# ## The effective potential and its two branches
#
# The target's energy is $e_c = a_t q - b_t$ ($q = x\cdot\mu_c/d$). The guided score is minus the
# gradient of an effective potential $V$; the target's posterior weight is a step function, so $V$ has
# a committed branch (guidance inert: only the target's own density is felt) and an uncommitted one.
# Its gradient jumps where they meet:

# %%
show(expo, "target_energy", "target_weight", "V_omega", "V_committed", "V_uncommitted", "switching_condition",
     "V_gradient_jump")

# %% [markdown]
# A sample commits when its target energy first exceeds the competitors' free energy along its
# trajectory; at $\omega = 0$ this is the collapse time $t_C$ of exact sampling (Biroli et al. 2024):

# %%
show(expo, "commitment_event", "collapse_time", "commitment_exact_sampling")

# %% [markdown]
# ## Commitment times from the mean-field solver
#
# `cfgmft.solvers.exponential.predict_exponential` integrates the mean-field equations on the
# branches above and reports the commitment time. At $\omega = 0$ it must equal the closed form of
# $t_C$ displayed above; with guidance, commitment comes later (smaller $t$), and beyond a critical
# $\alpha_c(\omega)$ a sample never commits (notebook 3).

# %%
from cfgmft.solvers.exponential import predict_exponential

tC = expo["collapse_time"].rhs
tC_f = sp.lambdify([s for s in sorted(tC.free_symbols, key=lambda s: s.name)], tC)  # (alpha, sigma2)
for a in (0.1, 0.2, 0.3):
    p = predict_exponential("sphere", sigma2, 0.0, "sde", alpha=a)
    print(f"alpha = {a}: t_commit (solver, omega = 0) = {p.t_commit:.6f}, t_C (closed form) = {tC_f(a, sigma2):.6f}")
    assert abs(p.t_commit - tC_f(a, sigma2)) < 1e-4

alphas = np.linspace(0.02, 0.34, 9 if QUICK else 33)
fig, ax = plt.subplots(figsize=(5.5, 3.6))
for w in (0.0, 1.0, 2.0, 4.0):
    tc = [predict_exponential("sphere", sigma2, w, "sde", alpha=float(a)).t_commit for a in alphas]
    ax.plot(alphas, tc, "o-", ms=3, label=f"omega = {w:g}")
ax.plot(alphas, [tC_f(a, sigma2) for a in alphas], "k:", label="t_C (closed form, omega = 0)")
ax.set(xlabel="alpha = log(K-1)/d", ylabel="commitment time t*", title="sphere prior, SDE, sigma2 = 1")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Before commitment guidance acts on a sample that has not chosen its class yet and it distorts the
# variance; after commitment guidance is inert. This is why a schedule can only act before $t^*$
# (notebook 5), and why a negative-guidance window placed there can undo the shrinkage (claim C6).
