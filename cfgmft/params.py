"""Problem objects shared by every layer: the mixture, the guidance and the sampler.

Every value is validated at construction; a bad one raises
:class:`~cfgmft.errors.ParameterError` (a ``ValueError``) naming the argument and the
allowed range. Hot kernels downstream assume valid input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .conventions import PRIORS, SAMPLERS
from .errors import ParameterError, check_choice, check_int, check_real
from .grids import DEFAULT_MC_T  # defined with the time grids; re-exported here
from .ranges import DEFAULT_STEPS
from .ranges import (ALPHA_D_MAX, ALPHA_MAX, ALPHA_MIN_POSITIVE, D_MAX, OMEGA_MAX, OMEGA_MIN, SIGMA2_MAX,
                     SIGMA2_MIN, TIME_MAX)
from .guidance import Rule, as_rule
from .schedules import Constant, Schedule, as_schedule

__all__ = ["Mixture", "Guidance", "Sampler", "Problem", "PRIORS", "SAMPLERS", "DEFAULT_MC_T"]


@dataclass(frozen=True, eq=False)
class Mixture:
    """A Gaussian mixture of ``K`` equal-weight classes ``N(mu_k, sigma2 I_d)``.

    Parameters
    ----------
    sigma2 : float in [1e-8, 1e8]
        Class variance.
    prior : 'gaussian' | 'sphere' | 'antipodal' | 'given'
        Prior of the class means: ``N(0, I_d)``, uniform on the sphere of radius
        ``sqrt(d)``, the two antipodal classes ``+m, -m`` with ``m`` uniform on that sphere
        (``K = 2``), or the user's ``means`` (then ``K`` and ``d`` come from its shape).
    classes : int >= 2 or ``math.inf``
        Number of classes ``K``; ``inf`` is the infinite-class (continuum) limit.
    alpha : float >= 0, optional
        Exponential regime ``K = round(e^{alpha d})``; excludes ``classes``. ``alpha = 0`` is
        the sub-exponential limit of the ``d -> infinity`` theory.
    d : int >= 2, optional
        Dimension. Not needed by the ``d -> infinity`` theory.
    means : (K, d) array, optional
        Given class means (``prior='given'``).
    target : int
        Index ``c`` of the target class, ``0 <= c < K``.
    """

    sigma2: float = 1.0
    prior: str = "gaussian"
    classes: float = math.inf
    alpha: float | None = None
    d: int | None = None
    means: np.ndarray | None = field(default=None, repr=False)
    target: int = 0

    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731 (frozen dataclass)
        set_("sigma2", check_real("sigma2", self.sigma2, lo=SIGMA2_MIN, hi=SIGMA2_MAX))
        if self.means is not None:
            means = np.asarray(self.means, dtype=np.float64)
            if means.ndim != 2 or means.shape[0] < 2 or means.shape[1] < 2:
                raise ParameterError("means", f"must be a (K, d) array with K >= 2 and d >= 2, got shape {means.shape}")
            if not np.all(np.isfinite(means)):
                raise ParameterError("means", "must be finite")
            if self.prior not in ("given", "gaussian"):  # 'gaussian' is only the default
                raise ParameterError("prior", f"must be 'given' when means are passed, got {self.prior!r}")
            if self.alpha is not None:
                raise ParameterError("alpha", "cannot be combined with given means")
            if self.d is not None and int(self.d) != means.shape[1]:
                raise ParameterError("d", f"must equal the means' dimension {means.shape[1]}, got {self.d!r}")
            means.setflags(write=False)
            set_("means", means)
            set_("prior", "given")
            set_("classes", int(means.shape[0]))
            set_("d", int(means.shape[1]))
        else:
            check_choice("prior", self.prior, ("gaussian", "sphere", "antipodal"))
            if self.prior == "antipodal":  # the two classes +m, -m of Pavasovic et al.
                if self.alpha is not None or self.classes not in (2, math.inf, None):
                    raise ParameterError("prior", "'antipodal' is the two classes +m, -m (|m| = sqrt(d)): it takes no alpha and classes = 2")
                set_("classes", 2)
            if self.d is not None:
                set_("d", check_int("d", self.d, lo=2, hi=D_MAX))
            if self.alpha is not None:
                if self.classes is not math.inf and self.classes is not None:
                    raise ParameterError("alpha", "give either alpha or classes, not both")
                set_("alpha", check_real("alpha", self.alpha, lo=0.0, hi=ALPHA_MAX))
                if 0.0 < self.alpha < ALPHA_MIN_POSITIVE:
                    raise ParameterError("alpha", f"must be 0 (the sub-exponential limit) or in [{ALPHA_MIN_POSITIVE:g}, {ALPHA_MAX:g}], got {self.alpha!r}")
                if self.d is not None and self.alpha * self.d > ALPHA_D_MAX:
                    raise ParameterError("alpha", f"K = e^(alpha d) overflows: alpha d = {self.alpha * self.d:g} > {ALPHA_D_MAX:g}")
                set_("classes", None)
                if self.d is not None and self.alpha > 0 and self.K < 2:
                    raise ParameterError("alpha", f"K = round(e^(alpha d)) = {self.K} < 2 at d = {self.d}; need alpha >= {math.log(1.5) / self.d:.6g}")
            elif self.classes is None or (isinstance(self.classes, float) and math.isinf(self.classes) and self.classes > 0):
                set_("classes", math.inf)
            else:
                set_("classes", check_int("classes", self.classes, lo=2))
        if self.classes is not None and self.classes is not math.inf:
            set_("target", check_int("target", self.target, lo=0, hi=int(self.classes) - 1))
        else:
            set_("target", check_int("target", self.target, lo=0))

    @property
    def regime(self) -> str:
        """``'infinite'`` (K -> inf at fixed d), ``'exponential'`` (K = e^{alpha d}) or
        ``'finite'`` (a fixed K)."""
        if self.alpha is not None:
            return "exponential"
        return "infinite" if self.classes == math.inf else "finite"

    @property
    def K(self):
        """Number of classes (``math.inf`` in the infinite-class limit; for the exponential
        regime ``round(e^{alpha d})``, which needs ``d``)."""
        if self.alpha is None:
            return self.classes
        if self.d is None:
            raise ParameterError("d", "is needed to turn alpha into a number of classes K = round(e^(alpha d))")
        return int(round(math.exp(self.alpha * self.d)))

    @property
    def alpha_effective(self) -> float:
        """``log(K)/d``: the exponential rate that a finite ``K`` at dimension ``d`` stands for."""
        if self.alpha is not None:
            return self.alpha
        if self.classes == math.inf:
            return math.inf
        if self.d is None:
            raise ParameterError("d", "is needed to read a finite number of classes as alpha = log(K)/d")
        return math.log(self.classes) / self.d

    def to_dict(self) -> dict:
        return {
            "prior": self.prior,
            "sigma2": self.sigma2,
            "classes": "inf" if self.classes == math.inf else self.classes,
            "alpha": self.alpha,
            "d": self.d,
            "target": self.target,
        }


@dataclass(frozen=True)
class Guidance:
    """Guidance: a strength, a constant ``omega`` or a schedule ``omega(t)`` (how hard), and a
    rule (:mod:`cfgmft.guidance`: how the two predictions are combined; default ``cfg``,
    ``s = (1+omega(t)) s_c - omega(t) s_u``).

    The diffusers/EDM guidance scale is ``w = 1 + omega``. ``rule``: a
    :class:`~cfgmft.guidance.Rule`, its text form (``"apg:eta=0,r=0.05"``), its dict form or
    ``None`` (``cfg``).
    """

    schedule: Schedule
    rule: Rule

    def __init__(self, omega=None, schedule=None, rule=None):
        if (omega is None) == (schedule is None):
            raise ParameterError("omega", "give exactly one of omega (a number) or schedule")
        if omega is not None:
            sched = Constant(check_real("omega", omega, lo=OMEGA_MIN, hi=OMEGA_MAX))
        else:
            sched = as_schedule(schedule)
        object.__setattr__(self, "schedule", sched)
        object.__setattr__(self, "rule", as_rule(rule))

    @property
    def is_cfg(self) -> bool:
        """The rule is linear CFG (exactly, possibly through its parameters)."""
        return self.rule.reduces_to_cfg

    @property
    def is_constant(self) -> bool:
        return isinstance(self.schedule, Constant)

    @property
    def omega(self) -> float | None:
        """The constant guidance strength, or ``None`` for a time-dependent schedule."""
        return self.schedule.omega if self.is_constant else None

    def __call__(self, t):
        return self.schedule(t)

    def to_dict(self) -> dict:
        return {"omega": self.omega, "schedule": self.schedule.to_json(), "schedule_spec": self.schedule.spec,
                "guidance": self.rule.spec}


@dataclass(frozen=True)
class Sampler:
    """The sampler: reverse SDE or probability-flow ODE, from ``T`` down to 0.

    ``T=None`` means the ``T -> infinity`` limit (theory: exact limit; Monte Carlo: starts
    at :data:`DEFAULT_MC_T`). ``steps`` is the number of integration steps of Monte Carlo.
    """

    kind: str = "sde"
    T: float | None = None
    steps: int = DEFAULT_STEPS

    def __post_init__(self):
        check_choice("sampler", self.kind, SAMPLERS)
        if self.T is not None:
            if isinstance(self.T, float) and math.isinf(self.T) and self.T > 0:
                object.__setattr__(self, "T", None)
            else:
                object.__setattr__(self, "T", check_real("T", self.T, lo=0.0, lo_open=True, hi=TIME_MAX))
        object.__setattr__(self, "steps", check_int("steps", self.steps, lo=1))

    @property
    def T_mc(self) -> float:
        """The start time Monte Carlo uses."""
        return DEFAULT_MC_T if self.T is None else self.T

    def to_dict(self) -> dict:
        return {"sampler": self.kind, "T": self.T, "steps": self.steps}


@dataclass(frozen=True)
class Problem:
    """A mixture, a guidance and a sampler: everything a prediction or a simulation needs."""

    mixture: Mixture
    guidance: Guidance
    sampler: Sampler

    def __post_init__(self):
        for name, kind in (("mixture", Mixture), ("guidance", Guidance), ("sampler", Sampler)):
            if not isinstance(getattr(self, name), kind):
                raise ParameterError(name, f"must be a cfgmft.params.{kind.__name__}, got {getattr(self, name)!r}")

    def to_dict(self) -> dict:
        """The flat JSON form: the mixture's, the guidance's and the sampler's keys
        (:meth:`from_dict` is its inverse)."""
        out = {}
        out.update(self.mixture.to_dict())
        out.update(self.guidance.to_dict())
        out.update(self.sampler.to_dict())
        return out

    @classmethod
    def from_dict(cls, obj: dict) -> "Problem":
        """The problem of a :meth:`to_dict` form (extra keys are ignored; the missing ones take
        their defaults). The guidance is ``omega`` (a number) or else ``schedule`` (a schedule's
        JSON or text form), with the rule ``guidance`` (text or dict form; absent: ``cfg``). Given means (``prior='given'``) are not in the dict and are refused."""
        if not isinstance(obj, dict):
            raise ParameterError("problem", f"must be a dict, got {type(obj).__name__}")
        if obj.get("prior") == "given":
            raise ParameterError("prior", "a problem with given means cannot be rebuilt from its dict (the means are not in it)")
        classes = obj.get("classes", math.inf)
        if classes in ("inf", None):
            classes = math.inf
        mix = Mixture(sigma2=obj.get("sigma2", 1.0), prior=obj.get("prior", "gaussian"), classes=classes,
                      alpha=obj.get("alpha"), d=obj.get("d"), target=obj.get("target", 0))
        if obj.get("omega") is not None:
            guidance = Guidance(omega=obj["omega"], rule=obj.get("guidance"))
        else:
            guidance = Guidance(schedule=obj.get("schedule"), rule=obj.get("guidance"))
        T = obj.get("T")
        sampler = Sampler(kind=obj.get("sampler", "sde"), T=None if T in (None, "inf") else T,
                          steps=obj.get("steps", Sampler.steps))
        return cls(mix, guidance, sampler)
