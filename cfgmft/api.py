"""Python API mirroring the CLI: ``predict`` is ``cfgmft theory``.

Every function takes the problem objects of :mod:`cfgmft.params` and returns plain
dictionaries whose keys are the CLI's JSON keys, in the convention
``s = (1+omega) s_c - omega s_u`` and in float64.
"""

from __future__ import annotations

import math

from . import __version__
from .conventions import CONVENTION, KL_CONVENTION
from .errors import NumericalError, ParameterError
from .params import Problem

#: Keys of a prediction that later theories fill (null where they do not apply).
NULL_KEYS = ("t_commit", "t_condense", "t_collapse", "margin")



def predict(problem: Problem) -> dict:
    """The theory's prediction for ``problem`` (see :func:`_predict`); a floating-point
    overflow or invalid operation anywhere inside is a :class:`NumericalError`, never a
    silent inf or NaN."""
    import numpy as np

    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            return _predict(problem)
    except (FloatingPointError, OverflowError) as e:
        raise NumericalError(f"floating-point failure ({e}) for {problem.guidance.schedule.spec}, "
                             f"sigma2 = {problem.mixture.sigma2:g}") from None


def _predict(problem: Problem) -> dict:
    """The theory's prediction for ``problem``.

    Infinite-class limit (``classes = inf``): CFG between the class Gaussian and the
    continuum unconditional density, exact at any ``d`` for the ``gaussian`` prior
    (closed forms for constant ``omega`` and ``T -> infinity``, quadratures otherwise) and
    the ``d -> infinity`` mean-field equations for the ``sphere`` prior.

    Exponential regime (``alpha``, or a finite ``K`` at dimension ``d`` read as
    ``alpha = log(K)/d``): the ``d -> infinity`` random-energy mean field
    (:func:`cfgmft.solvers.meanfield.predict_exponential`), with the commitment, condensation
    and collapse times and the margin filled in; ``alpha = 0`` is the sub-exponential limit.
    """
    mix, guid, samp = problem.mixture, problem.guidance, problem.sampler
    omega = guid.omega if guid.is_constant else guid.schedule
    out = problem.to_dict()
    out.pop("steps", None)
    if mix.regime == "infinite":
        from .solvers.infinite_class import predict_infinite_class

        pred = predict_infinite_class(mix.prior, mix.sigma2, omega, samp.kind, T=samp.T)
        theory = "infinite-class limit" + (" (d -> infinity mean field)" if mix.prior == "sphere" else " (exact at any d)")
        extra = {k: None for k in NULL_KEYS}
        extra.update(status="infinite_class", message="no commitment: CFG against the continuum at all times")
        notes = list(pred.notes)
    else:
        from .solvers.meanfield import T_DEFAULT, predict_exponential

        if mix.prior in ("given", "antipodal"):
            raise ParameterError("--prior", f"{mix.prior!r} has no d -> infinity theory here beyond its sub-exponential "
                                            "limit (exact sampling); use 'gaussian' or 'sphere', or cfgmft simulate/validate")
        if mix.alpha is None and mix.d is None:
            raise ParameterError("--d", f"is needed to read --classes {mix.classes} as alpha = log(K)/d")
        alpha = mix.alpha_effective
        # a start at T >= T_DEFAULT is the T -> infinity limit to float64 (the neglected terms are
        # O(sigma2 e^{-2T}) < 1e-26 within the allowed sigma2): integrate from T_DEFAULT
        T = None if samp.T is None or samp.T >= T_DEFAULT else samp.T
        pred = predict_exponential(mix.prior, mix.sigma2, alpha, omega, samp.kind, T=T)
        theory = "exponential-class regime, random-energy mean field (d -> infinity)"
        t_commit = pred.t_commit
        if T is None and t_commit is not None and t_commit >= T_DEFAULT:
            # the stand-in start of T -> infinity is not a time: it commits at the start
            t_commit = None
        extra = {"t_commit": t_commit, "t_condense": pred.t_condense, "t_collapse": pred.t_collapse,
                 "margin": pred.margin, "status": pred.status, "message": pred.message,
                 "condensed_before_commit": pred.condensed_before_commit}
        out["alpha"] = alpha
        notes = [pred.message]
        if t_commit is None and pred.t_commit is not None:
            notes.append("commits at the start of sampling (T -> infinity): t_commit is null")
        if mix.alpha is None:
            notes.append(f"K = {mix.classes} classes at d = {mix.d} read as alpha = log(K)/d = {alpha:.6g}")
    values = {
        "m_final": pred.m_final,
        "mean_shift": pred.mean_shift,
        "var_ratio": pred.var_ratio,
        "kl_per_dim": pred.kl_per_dim,
    }
    for key, v in {**values, **{k: extra[k] for k in NULL_KEYS}}.items():
        if v is not None and not math.isfinite(v):
            why = " (var_ratio underflows float64)" if key == "kl_per_dim" and values["var_ratio"] == 0 else ""
            raise NumericalError(f"{key} is not finite ({v}){why} for {problem.guidance.schedule.spec}, "
                                 f"sigma2 = {mix.sigma2:g}")
    out.update(
        version=__version__,
        theory=theory,
        convention=CONVENTION,
        precision="float64",
        kl_convention=KL_CONVENTION,
        method=getattr(pred, "method", "mean_field_numba"),
        notes=notes,
        **values,
        **extra,
    )
    return out


def predict_finite_d(problem: Problem, *, samples: int = 20000, steps: int = 1000, seed: int = 0) -> dict:
    """Finite-``d`` prediction for ``problem`` (its mixture needs ``d`` and a finite ``K``;
    ``gaussian`` or ``sphere`` prior): the reduced stochastic model of
    :mod:`cfgmft.validation.finite_d` (smooth commitment, per-sample fluctuations, quenched
    finite-``K`` competitors, the gaussian prior's norm fluctuations). Returns the
    observables as ``{"mean", "stderr"}`` (the model's own sampling error) with the
    problem's parameters."""
    import numpy as np

    from .params import DEFAULT_MC_T
    from .validation.finite_d import predict_finite_d as _fd

    mix, guid, samp = problem.mixture, problem.guidance, problem.sampler
    if mix.d is None:
        raise ParameterError("--d", "the finite-d prediction needs the dimension d")
    if mix.regime == "infinite":
        raise ParameterError("--classes", "the finite-d prediction needs a finite number of classes (or --alpha)")
    if mix.prior not in ("gaussian", "sphere"):
        raise ParameterError("--prior", f"the finite-d prediction needs i.i.d. class means (gaussian or sphere), got {mix.prior!r}")
    omega = guid.omega if guid.is_constant else guid.schedule
    T = DEFAULT_MC_T if samp.T is None else samp.T
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            res = _fd(mix.prior, mix.sigma2, int(mix.K), int(mix.d), omega, samp.kind, T=T, steps=steps,
                      samples=samples, seed=seed)
    except (FloatingPointError, OverflowError) as e:
        raise NumericalError(f"floating-point failure ({e}) in the finite-d prediction at d = {mix.d}") from None
    out = problem.to_dict()
    out.update(version=__version__, convention=CONVENTION, theory="finite-d reduced model", **res)
    return out
