"""Python API mirroring the CLI: ``predict`` is ``cfgmft theory``.

Every function takes the problem objects of :mod:`cfgmft.params` and returns plain
dictionaries whose keys are the CLI's JSON keys, in the convention
``s = (1+omega) s_c - omega s_u`` and in float64.
"""

from __future__ import annotations

import math

from . import CONVENTION, __version__
from .errors import NumericalError, ParameterError
from .params import Problem

#: Keys of a prediction that later theories fill (null where they do not apply).
NULL_KEYS = ("t_commit", "t_condense", "t_collapse", "margin")

KL_CONVENTION = "KL(generated || target) per dimension, Gaussian fit, |mu_c|^2 = d"


def predict(problem: Problem) -> dict:
    """The theory's prediction for ``problem``.

    Infinite-class limit (``classes = inf``): CFG between the class Gaussian and the
    continuum unconditional density, exact at any ``d`` for the ``gaussian`` prior
    (closed forms for constant ``omega`` and ``T -> infinity``, quadratures otherwise) and
    the ``d -> infinity`` mean-field equations for the ``sphere`` prior.
    """
    from .solvers.infinite_class import predict_infinite_class

    mix, guid, samp = problem.mixture, problem.guidance, problem.sampler
    if mix.regime != "infinite":
        arg = "--alpha" if mix.alpha is not None else "--classes"
        raise ParameterError(arg, f"the finite-class and exponential-class theory is not available in cfgmft {__version__}; use --classes inf")
    omega = guid.omega if guid.is_constant else guid.schedule
    pred = predict_infinite_class(mix.prior, mix.sigma2, omega, samp.kind, T=samp.T)
    out = problem.to_dict()
    out.pop("steps", None)
    values = {
        "m_final": pred.m_final,
        "mean_shift": pred.mean_shift,
        "var_ratio": pred.var_ratio,
        "kl_per_dim": pred.kl_per_dim,
    }
    for key, v in values.items():
        if not math.isfinite(v):
            raise NumericalError(f"{key} is not finite ({v}) for {problem.to_dict()}")
    out.update(
        version=__version__,
        theory="infinite-class limit" + (" (d -> infinity mean field)" if mix.prior == "sphere" else " (exact at any d)"),
        convention=CONVENTION,
        precision="float64",
        kl_convention=KL_CONVENTION,
        method=pred.method,
        notes=list(pred.notes),
        **values,
    )
    out.update({k: None for k in NULL_KEYS})
    return out
