"""The one bridge from sympy expressions to plain numerical Python.

:func:`render` forms the derivations of :mod:`cfgmft.theory.infinite_class`, prints the
expressions they expose with a :class:`~sympy.printing.numpy.SciPyPrinter` (``numpy`` for
elementary functions, ``scipy.special.hyp2f1`` for ``2F1``, ``scipy.special.exprel`` for
``(exp(x)-1)/x``), after common-subexpression elimination, and returns the source of the
module ``cfgmft.solvers._generated.infinite_class``. :func:`regenerate` writes it.
The generated module imports only ``numpy`` and ``scipy.special``; every function converts
its arguments to float64 arrays and broadcasts them, so it is vectorised.

The committed generated file must equal a fresh :func:`render` (a test checks it):
after changing a derivation, run ``python -m cfgmft.theory.bridge`` (``--check`` only
compares).
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

from . import symbols as sy
from .infinite_class import SAMPLERS, InfiniteClassGaussian, InfiniteClassSphere

__all__ = ["GeneratedFunction", "CodePrinter", "functions", "render", "render_module", "regenerate",
           "generated_path", "main"]

MODULE = "cfgmft.solvers._generated.infinite_class"


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
    plain = g.closed_forms_plain
    for name, what in (("m_final_ode", "ODE final mean overlap M(0)"),
                       ("var_ratio_ode", "ODE final variance ratio S(0)/sigma2"),
                       ("m_final_sde", "SDE final mean overlap M(0)"),
                       ("var_ratio_sde", "SDE final variance ratio S(0)/sigma2 (finite at omega = -1/2)")):
        fns.append(GeneratedFunction(
            f"{name}_const", (w, s2), cf[name],
            f"{what}, gaussian prior, constant omega, T -> infinity. Plain form: "
            f"{sp.sstr(plain[name])}.", f"Gaussian.{name}_const, Gaussian.closed_forms_stable"))
    fns.append(GeneratedFunction(
        "kl_per_dim", (sy.m_final, sy.var_ratio, s2), g.kl_expr,
        "KL(N(m_final mu_c, var_ratio sigma2 I) || N(mu_c, sigma2 I)) per dimension, |mu_c|^2 = d.",
        "Gaussian.kl_per_dim"))
    return fns


def _function_source(fn: GeneratedFunction, printer: CodePrinter) -> str:
    multi = isinstance(fn.exprs, tuple)
    exprs = list(fn.exprs) if multi else [fn.exprs]
    exprs = [sp.sympify(e) for e in exprs]
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


def generated_path() -> Path:
    """Path of ``solvers/_generated/infinite_class.py`` (located through the package)."""
    import cfgmft.solvers._generated as pkg

    return Path(pkg.__path__[0]) / "infinite_class.py"


def regenerate(path: str | Path | None = None) -> Path:
    """Write the generated module (default: :func:`generated_path`) and return its path."""
    target = Path(path) if path is not None else generated_path()
    target.write_text(render(), encoding="utf-8")
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cfgmft.theory.bridge",
                                     description="Regenerate " + MODULE + " from the sympy derivations.")
    parser.add_argument("--check", action="store_true",
                        help="only compare the committed file with a fresh render; exit 1 if they differ")
    ns = parser.parse_args(argv)
    path = generated_path()
    if ns.check:
        fresh = render()
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if fresh != current:
            print(f"{path} is stale; run python -m cfgmft.theory.bridge", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    print(regenerate(path))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
