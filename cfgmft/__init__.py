"""cfgmft: statistical physics of classifier-free guidance on Gaussian mixtures.

Conventions (docs/explanation/conventions.md): forward Ornstein-Uhlenbeck process dx = -x dt + sqrt(2) dB,
``Delta_t = 1 - exp(-2t)``, class ``k`` noised to ``N(exp(-t) mu_k, Gamma_t I)`` with
``Gamma_t = sigma2 exp(-2t) + Delta_t``; guided score ``s = (1+omega) s_c - omega s_u``.
All numbers are float64. The conventions, the model and the claims: ``docs/explanation/model.md``; the
layers: docs/explanation/architecture.md.
"""

__version__ = "0.1.0"

from .conventions import CONVENTION  # noqa: E402  (the guidance convention every output states)

__all__ = ["CONVENTION", "__version__"]
