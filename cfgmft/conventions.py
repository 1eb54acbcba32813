"""The names every layer shares: conventions, priors, samplers (each defined once here).

The tuples' orders are the integer codes the numba kernels take: ``IID_PRIORS.index(prior)``
and ``SAMPLERS.index(sampler)``.
"""

from __future__ import annotations

__all__ = ["CONVENTION", "CONVENTION_LONG", "KL_CONVENTION", "PRECISION", "PRIORS", "IID_PRIORS", "SAMPLERS"]

#: The guidance convention every output states.
CONVENTION = "s = (1+omega) s_c - omega s_u"
#: ... with the diffusers/EDM guidance scale.
CONVENTION_LONG = CONVENTION + " (guidance scale w = 1 + omega)"
#: What ``kl_per_dim`` means.
KL_CONVENTION = "KL(generated || target) per dimension, Gaussian fit, |mu_c|^2 = d"
#: Arithmetic of every output.
PRECISION = "float64"

#: Priors of the class means with a d -> infinity theory (i.i.d. means); codes 0, 1.
IID_PRIORS = ("gaussian", "sphere")
#: Every prior of :class:`cfgmft.params.Mixture`.
PRIORS = IID_PRIORS + ("antipodal", "given")
#: Reverse SDE and probability-flow ODE; codes 0, 1.
SAMPLERS = ("sde", "ode")
