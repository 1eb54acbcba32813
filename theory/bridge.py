"""The one bridge from sympy expressions to plain numerical Python.

:func:`render` forms the derivations of :mod:`cfgmft.theory.infinite_class`, prints the
expressions they expose with a :class:`~sympy.printing.numpy.SciPyPrinter` (``numpy`` for
elementary functions, ``scipy.special.hyp2f1`` for ``2F1``, ``scipy.special.exprel`` for
``(exp(x)-1)/x``), after common-subexpression elimination, and returns the source of the
module ``cfgmft.solvers._generated.infinite_class``. :func:`regenerate` writes it.
The generated module imports only ``numpy`` and ``scipy.special``; every function converts
its arguments to float64 arrays and broadcasts them, so it is vectorised.

A second, *scalar* flavour (:func:`render_scalar_module`, :class:`ScalarCodePrinter`) prints
plain scalar Python with ``math`` functions only (no numpy, no broadcasting), so that numba
can compile every function with ``njit(cache=True)``: :func:`render_exponential` returns the
source of ``cfgmft.solvers._generated.exponential`` from :mod:`cfgmft.theory.rem` and
:mod:`cfgmft.theory.exponential` (:func:`exponential_functions`).

The committed generated files must equal a fresh render (tests check it): after changing a
derivation, run ``python -m cfgmft.theory.bridge`` (regenerates both modules; ``--check``
only compares both).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import sympy as sp
from sympy.printing.numpy import SciPyPrinter
from sympy.printing.pycode import PythonCodePrinter

from . import exponential as ex
from . import rem as rm
from . import symbols as sy
from .checks import require_zero
from .functions import log1p
from .infinite_class import SAMPLERS, InfiniteClassGaussian, InfiniteClassSphere
from .observables import KL_PER_DIM, KL_PER_DIM_LOG, LOG_ODDS_GAUSSIAN, LOG_ODDS_SPHERE

__all__ = ["GeneratedFunction", "CodePrinter", "ScalarCodePrinter", "functions", "render", "render_module",
           "render_scalar_module", "exponential_functions", "render_exponential", "rules_functions", "render_rules",
           "rules_generated_path", "regenerate",
           "regenerate_all", "GENERATED_DIR", "generated_path", "exponential_generated_path", "main"]

MODULE = "cfgmft.solvers._generated.infinite_class"
MODULE_EXPONENTIAL = "cfgmft.solvers._generated.exponential"
MODULE_RULES = "cfgmft.solvers._generated.rules"


class CodePrinter(SciPyPrinter):
    """SciPy printer with ``hyper`` -> ``scipy.special.hyp2f1`` and ``exprel``."""

    def __init__(self):
        super().__init__({"fully_qualified_modules": True, "inline": True, "strict": True})

    def _print_hyper(self, expr):
        if len(expr.ap) != 2 or len(expr.bq) != 1:
            raise NotImplementedError(f"only 2F1 is supported, got {expr}")
        a, b = expr.ap
        (c,) = expr.bq
        args = ", ".join(self._print(v) for v in (a, b, c, expr.argument))
        return f"{self._module_format('scipy.special.hyp2f1')}({args})"

    def _print_exprel(self, expr):
        return f"{self._module_format('scipy.special.exprel')}({self._print(expr.args[0])})"


@dataclass(frozen=True)
class GeneratedFunction:
    """One function of the generated module.

    ``args`` are sympy symbols (their names become the Python parameters), ``exprs`` one
    expression or a tuple (the function then returns a tuple), ``doc`` the docstring
    head, ``source`` the derivation step(s) the expressions come from.
    """

    name: str
    args: tuple
    exprs: object
    doc: str
    source: str


def functions(gaussian: InfiniteClassGaussian | None = None,
              sphere: InfiniteClassSphere | None = None) -> list[GeneratedFunction]:
    """The list of functions to generate, read off the derivation objects."""
    g = gaussian if gaussian is not None else InfiniteClassGaussian()
    sph = sphere if sphere is not None else InfiniteClassSphere(gaussian=g)
    t, w, s2 = sy.t, sy.omega, sy.sigma2
    cf = g.closed_forms
    fns = [
        GeneratedFunction("Delta", (t,), sy.Delta(),
                          "Variance of the forward-process noise, Delta_t = 1 - exp(-2t).", "Gaussian.Delta"),
        GeneratedFunction("Gamma", (t, s2), sy.Gamma(),
                          "Variance of a noised class, Gamma_t = sigma2 exp(-2t) + Delta_t.", "Gaussian.Gamma"),
        GeneratedFunction("G", (t, s2), sy.G(),
                          "Variance of the noised continuum (gaussian prior), G_t = 1 + sigma2 exp(-2t).",
                          "Gaussian.G"),
        GeneratedFunction("A_coef", (t, w, s2), g.A_expr,
                          "Guided-score coefficient A of s = -A x + B mu_c (gaussian prior); "
                          "omega may be an array of schedule values omega(t).", "Gaussian.A_coef"),
        GeneratedFunction("B_coef", (t, w, s2), g.B_expr,
                          "Guided-score coefficient B of s = -A x + B mu_c (both priors).", "Gaussian.B_coef"),
        GeneratedFunction("A_u_sphere", (t, sy.r, s2), sph.A_u_expr,
                          "Sphere prior, d -> infinity: unconditional score s_u = -A_u(t, r) x, r = |x|^2/d.",
                          "Sphere.score_uncond_mean_field"),
        GeneratedFunction("A_coef_sphere", (t, sy.r, w, s2), sph.A_expr,
                          "Sphere prior, d -> infinity: guided coefficient (1+omega)/Gamma - omega A_u(t, r).",
                          "Sphere.A_coef_sphere"),
        GeneratedFunction("bessel_ratio_asymptote", (sy.y,), sph.debye_expr,
                          "Uniform (Debye) asymptote of I_{d/2}(kappa)/I_{d/2-1}(kappa) as d -> infinity "
                          "at fixed y = kappa/d.", "Sphere.debye_in_d"),
    ]
    for smp in SAMPLERS:
        fns.append(GeneratedFunction(
            f"moment_rhs_{smp}", (sy.M, sy.S, sy.A, sy.B), g.moment_rhs[smp],
            f"{smp.upper()} moment equations in backward time: returns (dM/dtau, dS/dtau) for the "
            "linear score s = -A x + B mu_c.", f"Gaussian.moment_eqs_{smp}"))
    for smp in SAMPLERS:
        fns.append(GeneratedFunction(
            f"mean_field_rhs_sphere_{smp}", (t, sy.M, sy.S, w, s2), sph.mean_field_rhs[smp],
            f"Sphere prior, d -> infinity, {smp.upper()}: returns (dM/dtau, dS/dtau) at forward time t, "
            "with r = M^2 + S.", f"Sphere.mean_field_eqs_{smp}"))
    for smp in SAMPLERS:
        fns.append(GeneratedFunction(
            f"mean_field_rhs_sphere_log_{smp}", (t, sy.M, sy.log_S, w, s2), sph.mean_field_rhs_log[smp],
            f"Sphere prior, d -> infinity, {smp.upper()}, in log S: returns (dM/dtau, d log_S/dtau) at "
            "forward time t, with r = M^2 + exp(log_S).", f"Sphere.mean_field_eqs_log_{smp}"))
    for smp in SAMPLERS:
        rhs = tuple(e.subs({sy.A: g.A_expr, sy.B: g.B_expr}) for e in g.quadrature_rhs[smp])
        names = "(dL/dt, dJ_M/dt)" if smp == "ode" else "(dL/dt, dJ_M/dt, dJ_S/dt)"
        fns.append(GeneratedFunction(
            f"quadrature_rhs_{smp}", (t, sy.L, w, s2), rhs,
            f"{smp.upper()} forward integrating-factor system (gaussian prior): returns {names}; "
            "start from zeros at t = 0.", f"Gaussian.quadrature_system_{smp}"))
    fns.append(GeneratedFunction(
        "quadrature_result_ode", (sy.L, sy.J_M, sy.S_T), g.quadrature_final["ode"],
        "ODE: (M(0), S(0)) from the forward system at t = T; S_T = S(T).", "Gaussian.quadrature_result_ode"))
    fns.append(GeneratedFunction(
        "quadrature_result_sde", (sy.L, sy.J_M, sy.J_S, sy.S_T), g.quadrature_final["sde"],
        "SDE: (M(0), S(0)) from the forward system at t = T; S_T = S(T).", "Gaussian.quadrature_result_sde"))
    for smp in SAMPLERS:
        args = (sy.L, sy.J_M, sy.S_T) if smp == "ode" else (sy.L, sy.J_M, sy.J_S, sy.S_T)
        fns.append(GeneratedFunction(
            f"quadrature_log_result_{smp}", args, g.quadrature_final_log[smp],
            f"{smp.upper()}: (M(0), log S(0)) from the forward system at t = T; S_T = S(T).",
            f"Gaussian.quadrature_log_result_{smp}"))
    plain = g.closed_forms_plain
    for name, what in (("m_final_ode", "ODE final mean overlap M(0)"),
                       ("var_ratio_ode", "ODE final variance ratio S(0)/sigma2"),
                       ("m_final_sde", "SDE final mean overlap M(0)"),
                       ("var_ratio_sde", "SDE final variance ratio S(0)/sigma2 (finite at omega = -1/2)")):
        fns.append(GeneratedFunction(
            f"{name}_const", (w, s2), cf[name],
            f"{what}, gaussian prior, constant omega, T -> infinity. Plain form: "
            f"{sp.sstr(plain[name])}.", f"Gaussian.{name}_const, Gaussian.closed_forms_stable"))
    for smp in SAMPLERS:
        fns.append(GeneratedFunction(
            f"log_var_ratio_{smp}_const", (w, s2), g.log_var_ratio_closed_forms[smp],
            f"{smp.upper()} log of the final variance ratio, gaussian prior, constant omega, T -> infinity "
            "(finite where var_ratio underflows).", "Gaussian.log_var_ratio_const"))
    fns.append(GeneratedFunction(
        "kl_per_dim", (sy.m_final, sy.var_ratio, s2), g.kl_expr,
        "KL(N(m_final mu_c, var_ratio sigma2 I) || N(mu_c, sigma2 I)) per dimension, |mu_c|^2 = d.",
        "Gaussian.kl_per_dim"))
    fns.append(GeneratedFunction(
        "kl_per_dim_log", (sy.m_final, sy.log_var_ratio, s2), g.kl_log_expr,
        "The same KL per dimension in log_var_ratio = log(var_ratio): exact where var_ratio underflows.",
        "Gaussian.kl_per_dim_log"))
    fns.append(GeneratedFunction(
        "log_odds_gaussian", (sy.m_final, sy.var_ratio, s2, sy.n_c), LOG_ODDS_GAUSSIAN,
        "Separability of the gaussian continuum: E[(1/d)(log P_0(x|c) - log P_0(x))] for x ~ "
        "N(m_final mu_c, var_ratio sigma2 I), |mu_c|^2 = n_c d (exact at every d).",
        "observables.LOG_ODDS_GAUSSIAN"))
    fns.append(GeneratedFunction(
        "log_odds_sphere", (sy.m_final, sy.var_ratio, s2), LOG_ODDS_SPHERE,
        "Separability of the sphere continuum as d -> infinity: (1/d)(log P_0(x|c) - log P_0(x)) "
        "at r = m_final^2 + var_ratio sigma2.", "observables.LOG_ODDS_SPHERE"))
    return fns


def _function_head(fn: GeneratedFunction):
    """``(multi, repl, reduced, argnames, lines)``: the common-subexpression form of
    ``fn``'s expressions and the first lines of its source (signature and docstring), shared
    by the array and the scalar printers."""
    multi = isinstance(fn.exprs, tuple)
    exprs = [sp.sympify(e) for e in (list(fn.exprs) if multi else [fn.exprs])]
    free = set().union(*(e.free_symbols for e in exprs))
    unknown = free - set(fn.args)
    if unknown:
        raise ValueError(f"{fn.name}: free symbols {unknown} are not arguments")
    repl, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("_x"), optimizations=None)
    argnames = [str(a) for a in fn.args]
    doc = textwrap.fill(fn.doc, width=84, initial_indent="", subsequent_indent="    ")
    formula = "; ".join(sp.sstr(e) for e in exprs)
    formula = textwrap.fill(f"Formula: {formula}", width=84, subsequent_indent="    ",
                            break_long_words=True, break_on_hyphens=False)
    lines = [
        f"def {fn.name}({', '.join(argnames)}):",
        f'    """{doc}',
        "",
        f"    {formula}",
        "",
        f"    Source: {fn.source}.",
        '    """',
    ]
    return multi, repl, reduced, argnames, lines


def _function_source(fn: GeneratedFunction, printer: CodePrinter) -> str:
    multi, repl, reduced, argnames, lines = _function_head(fn)
    lines += [
        f"    {', '.join(argnames)}{',' if len(argnames) == 1 else ''} = _f64({', '.join(argnames)})",
    ]
    for sym, val in repl:
        lines.append(f"    {sym} = {printer.doprint(val)}")
    results = ["_r"] if not multi else [f"_r{i}" for i in range(len(reduced))]
    for name, e in zip(results, reduced):
        lines.append(f"    {name} = {printer.doprint(e)}")
    outs = [f"_out({name}, {', '.join(argnames)})" for name in results]
    if multi:
        lines.append(f"    return ({', '.join(outs)})")
    else:
        lines.append(f"    return {outs[0]}")
    return "\n".join(lines)


_HEADER = '''# ruff: noqa: E501
"""{summary}

GENERATED FILE - do not edit by hand. Produced by ``cfgmft.theory.bridge.{producer}`` from
{sources}; regenerate with ``python -m cfgmft.theory.bridge``.

Conventions: forward OU process dx = -x dt + sqrt(2) dB, Gamma_t = sigma2 exp(-2t) + 1 -
exp(-2t), guided score s = (1+omega) s_c - omega s_u (guidance scale w = 1 + omega),
backward time tau = T - t. Every function takes float64-convertible scalars or arrays,
broadcasts them, and returns float64 (a scalar for scalar input).
"""

import numpy
import scipy.special

__all__ = [{names}]


def _f64(*args):
    return tuple(numpy.asarray(a, dtype=numpy.float64) for a in args)


def _out(value, *args):
    shape = numpy.broadcast_shapes(*(numpy.shape(a) for a in args))
    value = numpy.asarray(value, dtype=numpy.float64)
    if value.shape != shape:
        value = numpy.broadcast_to(value, shape).copy()
    return value[()] if value.ndim == 0 else value
'''


def render_module(fns: Sequence[GeneratedFunction], *, summary: str, sources: str,
                  producer: str = "render_module()") -> str:
    """Source of a module defining ``fns`` (deterministic; imports only numpy and scipy.special).

    ``summary`` is the first docstring line, ``sources`` names the derivations (rst text).
    """
    names_seen = [fn.name for fn in fns]
    if len(set(names_seen)) != len(names_seen):
        raise ValueError("duplicate generated function names")
    printer = CodePrinter()
    body = [_function_source(fn, printer) for fn in fns]
    names = ", ".join(f'"{fn.name}"' for fn in fns)
    names = textwrap.fill(names, width=88, initial_indent="", subsequent_indent="    ")
    head = (_HEADER.replace("{summary}", summary).replace("{producer}", producer)
            .replace("{sources}", sources).replace("{names}", names))
    src = head + "\n\n" + "\n\n\n".join(body) + "\n"
    allowed = {"numpy", "scipy.special"}
    used = set(printer.module_imports)
    if not used <= allowed:
        raise RuntimeError(f"generated code needs modules {used - allowed}")
    return src


def render(gaussian: InfiniteClassGaussian | None = None,
           sphere: InfiniteClassSphere | None = None) -> str:
    """Return the source of ``cfgmft.solvers._generated.infinite_class`` (deterministic).

    Pass already formed derivations to avoid forming them again.
    """
    return render_module(
        functions(gaussian, sphere),
        summary="Numerical kernels of the infinite-class CFG theory.",
        sources="the sympy derivations ``cfgmft.theory.infinite_class.InfiniteClassGaussian`` and\n"
                "``InfiniteClassSphere``",
        producer="render()",
    )


# --------------------------------------------------------------------------------------------------
# scalar flavour: plain Python + math, compilable by numba (njit(cache=True))
class ScalarCodePrinter(PythonCodePrinter):
    """Python printer using only the ``math`` module (``math.exp``, ``math.log1p``, ...).

    The output is scalar code that both CPython and numba (``njit``) accept; ``Max``/``Min``
    print as the builtins ``max``/``min``. Special functions outside ``math`` are refused.
    """

    def __init__(self):
        super().__init__({"fully_qualified_modules": True, "inline": True, "strict": True})

    def _print_Rational(self, expr):
        # 1/2 -> 0.5-style float division that numba and CPython evaluate identically
        return f"({expr.p}/{expr.q})"

    def _print_Half(self, expr):
        return self._print_Rational(expr)


def _scalar_function_source(fn: GeneratedFunction, printer: ScalarCodePrinter) -> str:
    multi, repl, reduced, argnames, lines = _function_head(fn)
    for sym, val in repl:
        lines.append(f"    {sym} = {printer.doprint(val)}")
    outs = [printer.doprint(e) for e in reduced]
    if multi:
        lines.append(f"    return ({', '.join(outs)})")
    else:
        lines.append(f"    return {outs[0]}")
    return "\n".join(lines)


_SCALAR_HEADER = '''# ruff: noqa: E501
"""{summary}

GENERATED FILE - do not edit by hand. Produced by ``cfgmft.theory.bridge.{producer}`` from
{sources}; regenerate with ``python -m cfgmft.theory.bridge``.

Conventions: forward OU process dx = -x dt + sqrt(2) dB, Gamma_t = sigma2 exp(-2t) + 1 -
exp(-2t), a_t = exp(-t)/Gamma_t, b_t = exp(-2t)/(2 Gamma_t), guided score
s = (1+omega) s_c - omega s_u (guidance scale w = 1 + omega), backward time tau = T - t,
K - 1 = exp(alpha d) competitors. Plain scalar Python using only ``math``: every function
takes and returns float scalars, so numba can compile each with ``njit(cache=True)``.
"""

import math

__all__ = [{names}]
'''


def render_scalar_module(fns: Sequence[GeneratedFunction], *, summary: str, sources: str,
                         producer: str = "render_scalar_module()") -> str:
    """Source of a scalar module defining ``fns`` (deterministic; imports only ``math``)."""
    names_seen = [fn.name for fn in fns]
    if len(set(names_seen)) != len(names_seen):
        raise ValueError("duplicate generated function names")
    printer = ScalarCodePrinter()
    body = [_scalar_function_source(fn, printer) for fn in fns]
    names = ", ".join(f'"{fn.name}"' for fn in fns)
    names = textwrap.fill(names, width=88, initial_indent="", subsequent_indent="    ")
    head = (_SCALAR_HEADER.replace("{summary}", summary).replace("{producer}", producer)
            .replace("{sources}", sources).replace("{names}", names))
    src = head + "\n\n" + "\n\n\n".join(body) + "\n"
    used = set(printer.module_imports)
    if not used <= {"math"}:
        raise RuntimeError(f"scalar generated code needs modules {used - {'math'}}")
    return src


def exponential_functions() -> list[GeneratedFunction]:
    """Scalar functions of the exponential-class theory, read off the derivation objects.

    Per prior (``rem_<prior>_*``): ``phi_annealed``, ``rate_saddle``, ``condensation_residual``
    (``I(lambda=1) - alpha``: condensed iff > 0), ``condensation_radius``, ``energy_family``
    (``E(lambda)``: the condensed ``phi`` and the best competitor's energy), ``rho_family``;
    gaussian: ``rate_u`` and ``rate_u_du`` (``I`` in ``u = 1/lambda`` and its derivative, the
    residual ``I(u) - alpha`` of the implicit equation for ``lambda_alpha`` and its Newton
    slope); sphere: the closed-form ``lambda_alpha``. Shared: ``target_energy``,
    ``switching`` (``e_c - phi``), ``A``/``B`` of the committed and the uncommitted branch
    (``rho`` as argument), per-branch ``A`` (``uncondensed``, ``condensed`` in ``lam``), the
    mean-field right-hand sides of both samplers (committed; uncommitted in ``rho``), in ``S``
    and in ``log_S`` (``rhs_*_log_*``: what the kernels integrate), the collapse time, the
    per-dimension KL in ``var_ratio`` and in ``log_var_ratio`` (both from
    :mod:`cfgmft.theory.observables`) and the log-likelihood ``margin``.
    """
    t, s2, al, w = sy.t, sy.sigma2, rm.alpha, sy.omega
    rr, qq, MM, SS = sy.r, rm.q, sy.M, sy.S
    lam_arg = sp.Symbol("lam", positive=True)  # ``lambda`` is a Python keyword
    u = rm.u_lam
    rho = ex.rho_s
    phi = rm.phi_s
    X = rm.explicit_ab
    fns: list[GeneratedFunction] = [
        GeneratedFunction("Gamma_t", (t, s2), X(rm.Gamma_t), "Gamma_t = sigma2 exp(-2t) + 1 - exp(-2t).",
                          "symbols.Gamma"),
        GeneratedFunction("a_t", (t, s2), X(rm.a_t), "a_t = exp(-t)/Gamma_t.", "rem.a_expr"),
        GeneratedFunction("b_t", (t, s2), X(rm.b_t), "b_t = exp(-2t)/(2 Gamma_t).", "rem.b_expr"),
    ]
    for prior in rm.PRIORS:
        der = rm.rem_derivation(prior)
        src = f"RandomEnergy{prior.capitalize()}"
        fam = (t, rr, s2, lam_arg)
        fns += [
            GeneratedFunction(f"rem_{prior}_phi_annealed", (t, rr, al, s2), X(der.phi_annealed),
                              f"{prior} prior: uncondensed phi(t, r).", f"{src}.phi_annealed"),
            GeneratedFunction(f"rem_{prior}_rate_saddle", (t, rr, s2), X(der.rate_saddle),
                              f"{prior} prior: I at the annealed saddle.", f"{src}.condensation_condition"),
            GeneratedFunction(f"rem_{prior}_condensation_residual", (t, rr, al, s2), X(der.rate_saddle) - al,
                              f"{prior} prior: condensation condition, condensed iff I(lambda=1) - alpha > 0.",
                              f"{src}.condensation_condition"),
            GeneratedFunction(f"rem_{prior}_condensation_radius", (t, al, s2), X(der.condensation_radius),
                              f"{prior} prior: r_c(t), condensed iff r > r_c.", f"{src}.condensation_radius"),
            GeneratedFunction(f"rem_{prior}_energy_family", fam, X(der.energy_family).subs(rm.lam, lam_arg),
                              f"{prior} prior: E(lambda) along the maximisers of E - lambda I; condensed "
                              "phi = E(lambda_alpha).", f"{src}.energy_family"),
            GeneratedFunction(f"rem_{prior}_rho_family", fam, X(der.rho_family).subs(rm.lam, lam_arg),
                              f"{prior} prior: competitors' mean E[mu|x, not c] = rho x, rho = y(lambda)/sqrt(r).",
                              f"{src}.competitor_mean"),
        ]
        if prior == "gaussian":
            # I(u) = y^2/2 + (-v - log(1 - v))/2 with 1 - v = n_perp = 1/(1 + 2 b u): printing
            # log(1 - v) as -log1p(2 b u) keeps full precision for u -> oo (alpha large)
            y_u = sp.cancel(der.family[rm.y_ov].subs(rm.lam, 1 / u))
            v_u = 2 * rm.b_t * u / (1 + 2 * rm.b_t * u)
            Iu = X(y_u ** 2 / 2 + (-v_u + log1p(2 * rm.b_t * u)) / 2)
            require_zero(Iu - X(der.rate_family_u), "stable I(u) equals rate_family_u", symbolic=False)
            fns += [
                GeneratedFunction("rem_gaussian_rate_u", (t, rr, s2, u), Iu,
                                  "gaussian prior: I(u), u = 1/lambda; increasing in u > 0 (lambda_alpha: "
                                  "I(u) = alpha).", f"{src}.rate_family_u"),
                GeneratedFunction("rem_gaussian_rate_u_du", (t, rr, s2, u), sp.diff(Iu, u),
                                  "gaussian prior: dI/du (Newton slope of the residual I(u) - alpha).",
                                  f"{src}.rate_family_u (derivative)"),
            ]
        else:
            fns.append(GeneratedFunction("rem_sphere_lambda_alpha", (t, rr, al, s2), X(der.lambda_alpha),
                                         "sphere prior: closed-form root of I(lambda) = alpha.",
                                         f"{src}.lambda_alpha"))
    der = ex.exponential_derivation("gaussian")
    A_com, B_com = der.AB_direct["committed"]
    A_unc, B_unc = der.AB_direct["uncommitted"]
    fns += [
        GeneratedFunction("target_energy", (t, qq, s2), der.target_energy,
                          "e_c = a_t q - b_t: the target's energy per dimension (n_c = 1).",
                          "ExponentialClassMeanField.target_energy"),
        GeneratedFunction("switching", (t, qq, phi, s2), der.switching,
                          "switching function e_c - phi: > 0 on the committed branch.",
                          "ExponentialClassMeanField.switching_condition"),
        GeneratedFunction("A_committed", (t, s2), A_com.subs(w, 0), "committed: A = 1/Gamma_t (omega drops out).",
                          "ExponentialClassMeanField.score_direct"),
        GeneratedFunction("B_committed", (t, s2), B_com.subs(w, 0), "committed: B = a_t.",
                          "ExponentialClassMeanField.score_direct"),
        GeneratedFunction("A_uncommitted", (t, w, s2, rho), A_unc,
                          "uncommitted: A = (1+omega)/Gamma - omega (1 - exp(-t) rho)/Gamma.",
                          "ExponentialClassMeanField.A_uncommitted"),
        GeneratedFunction("B_uncommitted", (t, w, s2), B_unc, "uncommitted: B = (1+omega) a_t.",
                          "ExponentialClassMeanField.branch_coefficients"),
    ]
    for prior in rm.PRIORS:
        dp = ex.exponential_derivation(prior)
        for name in ("uncondensed", "condensed"):
            A_b = dp.AB_branch[name][0]
            args = (t, rr, w, s2) + ((lam_arg,) if name == "condensed" else ())
            fns.append(GeneratedFunction(f"A_{name}_{prior}", args, A_b.subs(rm.lam, lam_arg),
                                         f"{prior} prior, uncommitted and {name}: guided coefficient A.",
                                         "ExponentialClassMeanField.branch_coefficients"))
    for smp in ex.SAMPLERS:
        fns.append(GeneratedFunction(f"rhs_committed_{smp}", (t, MM, SS, s2), der.mean_field_rhs[("committed", smp)],
                                     f"{smp.upper()}, committed: (dM/dtau, dS/dtau).",
                                     "ExponentialClassMeanField.mean_field_branches"))
        fns.append(GeneratedFunction(f"rhs_uncommitted_{smp}", (t, MM, SS, w, s2, rho), der.mean_field_rhs_rho[smp],
                                     f"{smp.upper()}, uncommitted, competitors' mean rho x: (dM/dtau, dS/dtau).",
                                     "ExponentialClassMeanField.mean_field_branches"))
    for smp in ex.SAMPLERS:
        fns.append(GeneratedFunction(f"rhs_committed_log_{smp}", (t, MM, sy.log_S, s2),
                                     der.mean_field_rhs_log[("committed", smp)],
                                     f"{smp.upper()}, committed, in log S: (dM/dtau, d log_S/dtau).",
                                     f"ExponentialClassMeanField.moment_eqs_log_{smp}"))
        fns.append(GeneratedFunction(f"rhs_uncommitted_log_{smp}", (t, MM, sy.log_S, w, s2, rho),
                                     der.mean_field_rhs_rho_log[smp],
                                     f"{smp.upper()}, uncommitted, competitors' mean rho x, in log S: "
                                     "(dM/dtau, d log_S/dtau).", f"ExponentialClassMeanField.moment_eqs_log_{smp}"))
    fns.append(GeneratedFunction("t_collapse", (al, s2), der.t_collapse_expr,
                                 "t_C = log(1 + 1/(exp(2 alpha) - 1) - sigma2)/2 (valid iff "
                                 "sigma2 (exp(2 alpha) - 1) < 1).", "ExponentialClassMeanField.collapse_time"))
    mf, vr = sy.m_final, sy.var_ratio
    fns.append(GeneratedFunction("kl_per_dim", (mf, vr, s2), KL_PER_DIM,
                                 "KL(N(m_final mu_c, var_ratio sigma2 I) || N(mu_c, sigma2 I)) per dimension.",
                                 "observables.KL_PER_DIM (docs/explanation/model.md section 4)"))
    fns.append(GeneratedFunction("kl_per_dim_log", (mf, sy.log_var_ratio, s2), KL_PER_DIM_LOG,
                                 "The same KL per dimension in log_var_ratio = log(var_ratio): exact where "
                                 "var_ratio underflows.", "observables.KL_PER_DIM_LOG (docs/explanation/model.md section 4)"))
    e_best = sp.Symbol("e_best", real=True)
    fns.append(GeneratedFunction("margin", (MM, e_best, s2), X(der.target_energy).subs({t: 0, qq: MM}) - e_best,
                                 "per-dimension log-likelihood margin at t = 0 of the target over the best "
                                 "competitor, e_c(0, M) - e_best (the common -r/(2 sigma2) - log(2 pi sigma2)/2 "
                                 "cancels).", "ExponentialClassMeanField.log_class_density"))
    return fns


def render_exponential() -> str:
    """Return the source of ``cfgmft.solvers._generated.exponential`` (deterministic)."""
    return render_scalar_module(
        exponential_functions(),
        summary="Scalar (numba-compilable) kernels of the exponential-class CFG theory.",
        sources="the sympy derivations ``cfgmft.theory.rem.RandomEnergyGaussian``, ``RandomEnergySphere``\n"
                "and ``cfgmft.theory.exponential.ExponentialClassMeanField``",
        producer="render_exponential()",
    )


def rules_functions() -> list[GeneratedFunction]:
    """Scalar functions of the guidance rules' ``d -> infinity`` theory (:mod:`cfgmft.theory.rules`):
    ``rule_<kind>_AB(t, M, S, omega, sigma2, rho, <params>)`` returns ``(A, B)`` of the uncommitted
    guided score ``s = -A x + B mu_c`` with the competitors' (or continuum's) mean ``rho x``, for
    every rule of :data:`cfgmft.theory.rules.RULE_KINDS`."""
    from . import rules as ru

    args = (sy.t, sy.M, sy.S, sy.omega, sy.sigma2, ru.rho)
    fns = []
    for kind in ru.RULE_KINDS:
        der = ru.rule_derivation(kind)
        fns.append(GeneratedFunction(
            f"rule_{kind}_AB", args + der.params, (der.A, der.B),
            f"{kind}: (A, B) of the uncommitted guided score s = -A x + B mu_c, E[mu|x] = rho x, "
            "in M = x.mu_c/d and S = |x - M mu_c|^2/d.", f"RuleMeanField({kind!r}).score_coefficients"))
    return fns


def render_rules() -> str:
    """Return the source of ``cfgmft.solvers._generated.rules`` (deterministic)."""
    return render_scalar_module(
        rules_functions(),
        summary="Scalar (numba-compilable) guided-score coefficients of every guidance rule, d -> infinity.",
        sources="the sympy derivations ``cfgmft.theory.rules.RuleMeanField``",
        producer="render_rules()",
    )


#: ``solvers/_generated``, found from this file without importing the solvers (theory sits below
#: them): ``theory/`` and ``solvers/`` are siblings in the source tree, as ``cfgmft/theory`` and
#: ``cfgmft/solvers`` are in an installed package
GENERATED_DIR = Path(__file__).resolve().parents[1] / "solvers" / "_generated"


def generated_path() -> Path:
    """Path of ``solvers/_generated/infinite_class.py`` (in :data:`GENERATED_DIR`)."""
    return GENERATED_DIR / "infinite_class.py"


def exponential_generated_path() -> Path:
    """Path of ``solvers/_generated/exponential.py`` (in :data:`GENERATED_DIR`)."""
    return GENERATED_DIR / "exponential.py"


def rules_generated_path() -> Path:
    """Path of ``solvers/_generated/rules.py`` (in :data:`GENERATED_DIR`)."""
    return GENERATED_DIR / "rules.py"


def regenerate(path: str | Path | None = None) -> Path:
    """Write the generated module (default: :func:`generated_path`) and return its path."""
    target = Path(path) if path is not None else generated_path()
    target.write_text(render(), encoding="utf-8")
    return target


def regenerate_all() -> list[Path]:
    """Write the generated modules (infinite-class, exponential, rules) and return their paths."""
    target = exponential_generated_path()
    target.write_text(render_exponential(), encoding="utf-8")
    rules = rules_generated_path()
    rules.write_text(render_rules(), encoding="utf-8")
    return [regenerate(), target, rules]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cfgmft.theory.bridge",
                                     description="Regenerate " + MODULE + ", " + MODULE_EXPONENTIAL + " and " + MODULE_RULES
                                     + " from the sympy derivations.")
    parser.add_argument("--check", action="store_true",
                        help="only compare the committed files with fresh renders; exit 1 if one differs")
    ns = parser.parse_args(argv)
    if ns.check:
        status = 0
        for path, fresh in ((generated_path(), render()), (exponential_generated_path(), render_exponential()),
                            (rules_generated_path(), render_rules())):
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if fresh != current:
                print(f"{path} is stale; run python -m cfgmft.theory.bridge", file=sys.stderr)
                status = 1
            else:
                print(f"{path} is up to date")
        return status
    for path in regenerate_all():
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
