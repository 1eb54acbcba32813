"""Symbolic checks of the infinite-class theory (cfgmft.theory) and of the code bridge.

The hand-written formulas below are independent of the derivation code: each test compares
what the derivation produced with a small hand derivation, exactly (sympy) or numerically.
"""

from __future__ import annotations

import json
import subprocess
import sys

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy.special import ive

from cfgmft.solvers._generated import infinite_class as gen
from cfgmft.theory import bridge
from cfgmft.theory.derivation import Derivation
from cfgmft.theory.functions import exprel, to_elementary
from cfgmft.theory.infinite_class import InfiniteClassGaussian, InfiniteClassSphere
from cfgmft.theory.symbols import A, B, M, S, omega, sigma2, t

# hand versions of the model functions (deliberately not imported from theory.symbols)
_e2 = sp.exp(-2 * t)
GAMMA = sigma2 * _e2 + 1 - _e2
G_UNC = 1 + sigma2 * _e2


@pytest.fixture(scope="module")
def gauss() -> InfiniteClassGaussian:
    return InfiniteClassGaussian()


@pytest.fixture(scope="module")
def sphere(gauss) -> InfiniteClassSphere:
    return InfiniteClassSphere(gaussian=gauss)


# --- the Derivation base class ------------------------------------------------------------------------
class _Toy(Derivation):
    title = "toy"

    def _form(self):
        a = sp.Symbol("a")
        sq = self.add_step("square", "square of a sum", sp.expand((a + 1) ** 2))
        self.add_step("root", "equation with a double root", sp.Eq(sq, 0))
        self.add_step("pair", "a system", (sp.Eq(a, 1), sp.Eq(a ** 2, 1)))


def test_derivation_steps_and_exports():
    toy = _Toy()
    assert toy.names == ("square", "root", "pair")
    assert len(toy) == 3
    a = sp.Symbol("a")
    assert toy["square"].expr == a ** 2 + 2 * a + 1
    assert toy.rhs("root") == 0
    assert toy["pair"].rhs == (1, 1)
    text = toy.to_text()
    assert "[root] equation with a double root" in text and "a**2 + 2*a + 1 = 0" in text
    latex = toy.to_latex()
    assert r"\paragraph{square}" in latex and "a^{2} + 2 a + 1" in latex
    d = json.loads(json.dumps(toy.to_dict()))
    assert [st["name"] for st in d["steps"]] == ["square", "root", "pair"]
    assert d["steps"][2]["text"] == "a = 1; a**2 = 1"
    assert all("Symbol(" not in st["text"] for st in d["steps"])  # plain strings, not srepr
    with pytest.raises(KeyError, match="no step named"):
        toy["missing"]


def test_derivation_is_lazy_and_rejects_duplicates():
    lazy = _Toy(form=False)
    assert "not formed" in repr(lazy)
    assert lazy.names[0] == "square"  # formed on access

    class Dup(Derivation):
        def _form(self):
            self.add_step("x", "first", sp.Integer(1))
            self.add_step("x", "second", sp.Integer(2))

    with pytest.raises(ValueError, match="duplicate"):
        Dup()


def test_infinite_class_exports_are_json(gauss, sphere):
    for der in (gauss, sphere):
        d = json.loads(json.dumps(der.to_dict()))
        assert len(d["steps"]) == len(der) > 10
        assert der.to_latex().count(r"\paragraph") == len(der)


# --- scores and moment equations ------------------------------------------------------------------------
def test_guided_score_coefficients(gauss):
    x, mu = sp.symbols("x mu", real=True)
    s_c = -(x - sp.exp(-t) * mu) / GAMMA
    s_u = -x / G_UNC
    s = (1 + omega) * s_c - omega * s_u
    assert sp.simplify(gauss.A_expr - (-sp.diff(s, x))) == 0
    assert sp.simplify(gauss.B_expr - sp.diff(s, mu)) == 0
    # C5 sign: A - 1/Gamma = omega exp(-2t)/(Gamma G) >= 0 for omega >= 0
    assert sp.simplify(gauss.A_expr - 1 / GAMMA - omega * _e2 / (GAMMA * G_UNC)) == 0


def test_moment_equations(gauss):
    hand = {
        "sde": ((1 - 2 * A) * M + 2 * B, 2 * (1 - 2 * A) * S + 2),
        "ode": ((1 - A) * M + B, 2 * (1 - A) * S),
    }
    for smp, (dM, dS) in hand.items():
        got_M, got_S = gauss.moment_rhs[smp]
        assert sp.expand(got_M - dM) == 0, smp
        assert sp.expand(got_S - dS) == 0, smp
        fwd_M, fwd_S = gauss.moment_rhs_forward[smp]
        assert sp.expand(fwd_M + dM) == 0 and sp.expand(fwd_S + dS) == 0


@pytest.mark.parametrize("sampler", ["sde", "ode"])
def test_omega0_exact_solution_symbolic(gauss, sampler):
    """M = exp(-t), S = Gamma_t solve the forward moment equations at omega = 0 ..."""
    dM, dS = gauss.moment_rhs_forward[sampler]
    coef = {A: gauss.A_expr.subs(omega, 0), B: gauss.B_expr.subs(omega, 0)}

    def residuals(M_try, S_try):
        sub = {**coef, M: M_try, S: S_try}
        return (sp.simplify(sp.diff(M_try, t) - dM.subs(sub)), sp.simplify(sp.diff(S_try, t) - dS.subs(sub)))

    assert residuals(sp.exp(-t), GAMMA) == (0, 0)
    # ... and the check is not vacuous: the unconditional variance is not a solution
    assert residuals(sp.exp(-t), G_UNC) != (0, 0)
    assert all(sp.simplify(r) == 0 for r in gauss.omega0_residuals(sampler))


def test_omega0_closed_forms_are_one_symbolically(gauss):
    forms = {**{f"stable_{k}": v for k, v in gauss.closed_forms.items()},
             **{f"plain_{k}": v for k, v in gauss.closed_forms_plain.items()}}
    assert len(forms) == 8
    for name, expr in forms.items():
        at0 = sp.hyperexpand(to_elementary(expr.subs(omega, 0)))
        assert sp.simplify(at0) == 1, name


def test_quadrature_solutions_solve_the_equations(gauss):
    for smp, residuals in gauss.quadrature_residuals().items():
        for res in residuals:
            assert sp.simplify(res) == 0, smp


def test_closed_forms_exact_values(gauss):
    """sigma2 = 1, omega = 2: ODE m = 2, var = 1/4; SDE m = 7/4, var = 31/80 (hand integration)."""
    cf = gauss.closed_forms_plain
    at = {omega: 2, sigma2: 1}
    expected = {"m_final_ode": 2, "var_ratio_ode": sp.Rational(1, 4),
                "m_final_sde": sp.Rational(7, 4), "var_ratio_sde": sp.Rational(31, 80)}
    for name, val in expected.items():
        assert sp.simplify(sp.hyperexpand(cf[name].subs(at)) - val) == 0, name
        assert float(getattr(gen, f"{name}_const")(2.0, 1.0)) == pytest.approx(float(val), rel=1e-14)


def test_hand_formulas_of_the_brief(gauss):
    """The forms stated before the derivation, including the second form of the ODE mean."""
    c = sigma2 / (1 + sigma2)
    brief = {
        "var_ratio_ode": c ** omega,
        "m_final_sde": 1 + sigma2 - sigma2 * c ** omega,
        "var_ratio_sde": ((1 + sigma2) - sigma2 * c ** (2 * omega)) / (2 * omega + 1),
    }
    for name, expr in brief.items():
        assert sp.simplify(sp.powsimp(gauss.closed_forms_plain[name] - expr, force=True)) == 0, name
    alt = (1 + omega) * c ** (omega / 2) * sp.hyper((-omega / 2, sp.S.Half), (sp.Rational(3, 2),), -1 / sigma2)
    for w_, s2_ in ((0.5, 0.1), (2.0, 1.0), (7.0, 10.0), (-0.75, 3.0), (3.3, 0.3)):
        a = complex(sp.N(alt.subs({omega: w_, sigma2: s2_}), 25))
        assert float(gen.m_final_ode_const(w_, s2_)) == pytest.approx(a.real, rel=1e-13)


def test_omega_minus_half_limit(gauss):
    lim = sp.limit(gauss.closed_forms_plain["var_ratio_sde"], omega, -sp.Rational(1, 2))
    assert sp.simplify(sp.expand_log(lim - (1 + sigma2) * sp.log((1 + sigma2) / sigma2), force=True)) == 0
    for s2_ in (0.01, 1.0, 10.0):
        exact = (1 + s2_) * np.log1p(1 / s2_)
        assert gen.var_ratio_sde_const(-0.5, s2_) == pytest.approx(exact, rel=1e-15)
        near = gen.var_ratio_sde_const(np.array([-0.5 - 1e-9, -0.5 + 1e-9]), s2_)
        assert np.all(np.abs(near / exact - 1) < 1e-8)


def test_stable_forms_match_mpmath():
    """Generated (expm1/log1p/exprel/hyp2f1) forms against the plain forms at 30 digits."""
    mpmath.mp.dps = 30
    rng = np.random.default_rng(1)
    for _ in range(40):
        w_ = float(rng.uniform(-1, 12))
        s2_ = float(10 ** rng.uniform(-3, 3))
        W, S2 = mpmath.mpf(w_), mpmath.mpf(s2_)
        c = S2 / (1 + S2)
        ref = {
            "m_final_ode": (1 + W) * mpmath.hyp2f1(-W / 2, 1, 1.5, 1 / (1 + S2)),
            "var_ratio_ode": c ** W,
            "m_final_sde": 1 + S2 - S2 * c ** W,
            "var_ratio_sde": (1 + S2 - S2 * c ** (2 * W)) / (2 * W + 1),
        }
        for name, val in ref.items():
            got = float(getattr(gen, f"{name}_const")(w_, s2_))
            assert got == pytest.approx(float(val), rel=1e-12, abs=1e-300), (name, w_, s2_)


def test_kl_per_dim(gauss):
    m, v = sp.symbols("m_final var_ratio", positive=True)
    # d-dimensional Gaussian KL divided by d, |mu_c|^2 = d, both covariances isotropic
    d = sp.Symbol("d", positive=True)
    S_gen, S_tgt = v * sigma2, sigma2
    kl_d = sp.Rational(1, 2) * (d * S_gen / S_tgt - d + d * sp.log(S_tgt / S_gen) + (m - 1) ** 2 * d / S_tgt)
    assert sp.simplify(sp.expand_log(gauss.kl_expr.subs({sp.Symbol("m_final", real=True): m,
                                                          sp.Symbol("var_ratio", positive=True): v})
                                     - kl_d / d, force=True)) == 0
    assert gen.kl_per_dim(1.0, 1.0, 0.3) == 0.0
    assert gen.kl_per_dim(1.5, 0.5, 2.0) == pytest.approx(0.5 * (0.5 - 1 - np.log(0.5) + 0.25 / 2.0))


def test_exprel_function():
    x = sp.Symbol("x", real=True)
    assert exprel(0) == 1
    assert sp.simplify(sp.diff(exprel(x), x) - sp.diff((sp.exp(x) - 1) / x, x)) == 0
    assert sp.limit(to_elementary(exprel(x)), x, 0) == 1


# --- sphere ------------------------------------------------------------------------------------------------
def test_sphere_typical_radius_and_omega0(sphere, gauss):
    r = sp.Symbol("r", positive=True)
    tt = np.linspace(0.0, 6.0, 61)
    for s2_ in (0.05, 1.0, 7.0):
        Gt = 1 + s2_ * np.exp(-2 * tt)
        np.testing.assert_allclose(gen.A_u_sphere(tt, Gt, s2_), 1 / Gt, rtol=1e-13)
        # at any radius: A_u = (1 - exp(-t) a/sqrt(r))/Gamma, a = Debye ratio at y = exp(-t) sqrt(r)/Gamma
        Gm = s2_ * np.exp(-2 * tt) + 1 - np.exp(-2 * tt)
        for rr in (0.3, 2.0, 9.0):
            yy = np.exp(-tt) * np.sqrt(rr) / Gm
            a = 2 * yy / (1 + np.sqrt(1 + 4 * yy ** 2))
            np.testing.assert_allclose(gen.A_u_sphere(tt, rr, s2_), (1 - np.exp(-tt) * a / np.sqrt(rr)) / Gm,
                                       rtol=1e-13)
        # away from the typical radius the sphere differs from the gaussian prior (early times)
        assert np.all(np.abs(gen.A_u_sphere(tt[:11], 2 * Gt[:11], s2_) - 1 / Gt[:11]) > 1e-3)
    assert sp.simplify(sphere.A_expr.subs(omega, 0) - 1 / GAMMA) == 0
    assert r in sphere.A_u_expr.free_symbols and omega not in sphere.A_u_expr.free_symbols
    assert sphere.B_expr == gauss.B_expr


def test_bessel_ratio_debye_asymptote():
    """I_{d/2}(kappa)/I_{d/2-1}(kappa) -> 2y/(1 + sqrt(1 + 4y^2)), y = kappa/d, error O(1/d)."""
    ys = np.array([0.25, 0.5, 1.0, 2.0, 4.0])
    errs = []
    for d in (50, 200, 800):
        kappa = d * ys
        num, den = ive(d / 2, kappa), ive(d / 2 - 1, kappa)
        assert np.all(den > 1e-290) and np.all(num > 1e-290)  # no underflow in the reference
        errs.append(np.abs(num / den - gen.bessel_ratio_asymptote(ys)))
    errs = np.array(errs)
    assert np.all(errs[-1] < 2.0 / 800)
    ratios = errs[:-1] / errs[1:]  # d multiplied by 4 -> error divided by about 4
    assert np.all((ratios > 3.5) & (ratios < 4.5)), ratios


# --- the bridge ----------------------------------------------------------------------------------------------
def test_generated_module_is_fresh(gauss, sphere):
    committed = bridge.generated_path().read_text(encoding="utf-8")
    assert committed == bridge.render(gauss, sphere), "run python -m cfgmft.theory.bridge"
    assert committed.startswith("# ruff: noqa: E501\n") and "GENERATED FILE" in committed


def test_generated_functions_are_vectorised():
    tt = np.linspace(0, 3, 7)[:, None]
    ww = np.array([0.0, 1.0, 2.5])[None, :]
    out = gen.A_coef(tt, ww, 0.3)
    assert out.shape == (7, 3) and out.dtype == np.float64
    assert isinstance(gen.A_coef(0.1, 2, 1), np.float64)
    # constant in t (sigma2 = 1, omega = 0): still broadcast to the input shape
    assert gen.quadrature_result_ode(np.zeros(4), 0.5, 1.0)[0].shape == (4,)
    np.testing.assert_allclose(gen.var_ratio_ode_const(ww, 1.0), 0.5 ** ww)
    np.testing.assert_allclose(gen.Gamma(tt, 0.3), 0.3 * np.exp(-2 * tt) + 1 - np.exp(-2 * tt))


def test_imports_stay_light():
    code = ("import sys, cfgmft.solvers.infinite_class, cfgmft.solvers._generated.infinite_class;"
            "assert 'sympy' not in sys.modules, 'sympy'; assert 'numba' not in sys.modules, 'numba';"
            "import cfgmft.theory, cfgmft.theory.bridge; assert 'numba' not in sys.modules, 'numba (theory)'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


# --- log_var_ratio: the KL and the moment equations in logs ---------------------------------------------------
def test_kl_per_dim_log_is_the_kl_in_logs(gauss):
    from cfgmft.solvers._generated import exponential as gen_ex
    from cfgmft.theory.observables import KL_PER_DIM, KL_PER_DIM_LOG

    lv = sp.Symbol("log_var_ratio", real=True)
    v = sp.Symbol("var_ratio", positive=True)
    assert gauss.kl_expr == KL_PER_DIM  # one definition, checked by the derivation
    assert sp.simplify(to_elementary(gauss.kl_log_expr).subs(lv, sp.log(v)) - gauss.kl_expr) == 0
    assert KL_PER_DIM_LOG == gauss.kl_log_expr
    rng = np.random.default_rng(7)
    for _ in range(30):
        m, v_, s2 = rng.uniform(0.2, 3), rng.uniform(1e-3, 5), rng.uniform(1e-3, 10)
        ref = 0.5 * (v_ - 1 - np.log(v_) + (m - 1) ** 2 / s2)
        for g in (gen, gen_ex):
            assert g.kl_per_dim_log(m, np.log(v_), s2) == pytest.approx(ref, rel=1e-12, abs=1e-15)
            assert g.kl_per_dim(m, v_, s2) == pytest.approx(ref, rel=1e-12, abs=1e-15)
    # where var_ratio underflows the log form keeps the value: (0 - 1 - l + shift^2/sigma2)/2
    assert gen.kl_per_dim_log(1.5, -2000.0, 0.5) == pytest.approx(0.5 * (-1 + 2000 + 0.25 / 0.5), rel=1e-15)
    assert gen_ex.kl_per_dim_log(1.5, -2000.0, 0.5) == gen.kl_per_dim_log(1.5, -2000.0, 0.5)
    # no cancellation near var_ratio = 1: (e^l - 1 - l)/2 ~ l^2/4
    assert gen.kl_per_dim_log(1.0, 1e-9, 1.0) == pytest.approx(0.25e-18, rel=1e-6)


def test_log_variance_equations_are_the_moment_equations_over_S():
    from cfgmft.solvers._generated import exponential as gen_ex

    rng = np.random.default_rng(8)
    for _ in range(20):
        t_, m, s_, w, s2, rho = (rng.uniform(0.05, 3), rng.uniform(-1, 2), rng.uniform(1e-3, 3), rng.uniform(-1, 8),
                                 rng.uniform(1e-2, 5), rng.uniform(0.01, 1))
        for smp in ("sde", "ode"):
            dM, dS = getattr(gen, f"mean_field_rhs_sphere_{smp}")(t_, m, s_, w, s2)
            dM_l, dlog = getattr(gen, f"mean_field_rhs_sphere_log_{smp}")(t_, m, np.log(s_), w, s2)
            assert dM_l == pytest.approx(dM, rel=1e-12, abs=1e-12)
            assert dlog * s_ == pytest.approx(dS, rel=1e-10, abs=1e-12)
            pairs = ((f"rhs_committed_{smp}", f"rhs_committed_log_{smp}", (s2,)),
                     (f"rhs_uncommitted_{smp}", f"rhs_uncommitted_log_{smp}", (w, s2, rho)))
            for plain, logged, rest in pairs:
                dM, dS = getattr(gen_ex, plain)(t_, m, s_, *rest)
                dM_l, dlog = getattr(gen_ex, logged)(t_, m, np.log(s_), *rest)
                assert dM_l == pytest.approx(dM, rel=1e-12, abs=1e-12)
                assert dlog * s_ == pytest.approx(dS, rel=1e-10, abs=1e-12)


def test_log_var_ratio_closed_forms_and_quadrature_results():
    ww = np.array([-1.0, -0.5, 0.0, 2.0, 7.0])
    for s2 in (1e-4, 1.0, 10.0):
        np.testing.assert_allclose(np.exp(gen.log_var_ratio_ode_const(ww, s2)), gen.var_ratio_ode_const(ww, s2),
                                   rtol=1e-13)
        np.testing.assert_allclose(np.exp(gen.log_var_ratio_sde_const(ww, s2)), gen.var_ratio_sde_const(ww, s2),
                                   rtol=1e-13)
    # ODE: log q^omega with q = sigma2/(1 + sigma2), finite where q^omega underflows
    assert gen.log_var_ratio_ode_const(100.0, 1e-4) == pytest.approx(100 * np.log(1e-4 / (1 + 1e-4)), rel=1e-14)
    assert gen.var_ratio_ode_const(100.0, 1e-4) == 0.0
    assert gen.quadrature_log_result_ode(-300.0, 0.5, 2.0)[1] == pytest.approx(-600 + np.log(2.0), rel=1e-15)
    _, log_s = gen.quadrature_log_result_sde(-1.0, 0.5, 0.3, 2.0)
    assert log_s == pytest.approx(np.log(0.3 + 2.0 * np.exp(-2.0)), rel=1e-14)
