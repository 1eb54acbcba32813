"""Guidance rules: how the conditional and the unconditional predictions are combined.

A *schedule* (:mod:`cfgmft.schedules`) says how hard to guide, ``omega(t)``; a *rule* says how the
two predictions are combined at that strength. Linear CFG is one rule among several. This module
is the one definition of every rule: the Monte Carlo (:mod:`cfgmft.validation`) and the
``d -> infinity`` theory of the rules (:mod:`cfgmft.solvers.rules`) both call
:meth:`Rule.combine`.

Notation (``../shared/docs/MODEL.md`` section 3b). ``c`` and ``u`` are the conditional and the
unconditional predictions of the same state ``x`` at the same time ``t``, in the rule's *space*;
``omega`` is the strength from the schedule, ``w = 1 + omega`` the diffusers/EDM guidance scale;
``Delta = c - u``. Norms are RMS over the ``d`` coordinates, ``|v| / sqrt(d)``, so that a
parameter means the same at every ``d``; ``std`` is the standard deviation over the coordinates.

The rules, by text form (the guided prediction; the space it acts in):

* ``cfg``: ``c + omega Delta`` (any space);
* ``powerlaw:beta=B``: ``c + omega (|Delta| / sqrt d)^B Delta`` (Pavasovic et al. 2025; score);
* ``apg:eta=E,r=R``: ``Delta`` clipped to ``|Delta|/sqrt d <= R`` (``R > 0``), split into
  ``Delta_par`` along ``c`` and ``Delta_perp``; ``c + omega (Delta_perp + E Delta_par)`` (Sadat et
  al. 2024; EDM denoiser);
* ``zerostar``: ``s* = <c, u> / |u|^2``; ``s* u + w (c - s* u)`` (Fan et al. 2025; eps);
* ``rescale:phi=P``: ``g = u + w (c - u)``; ``P g std(c)/std(g) + (1 - P) g`` (Lin et al. 2024,
  diffusers' ``guidance_rescale``; eps).

Reductions to ``cfg`` (exact): ``powerlaw`` with ``B = 0``, ``apg`` with ``E = 1, R = 0``,
``rescale`` with ``P = 0``; every rule at ``omega = 0`` returns ``c`` (exact conditional
sampling), and every rule returns ``c`` where ``c = u`` (after commitment), so guidance is inert
there for every rule.

Spaces. At a fixed ``t`` the score ``s``, the EDM-scaled denoiser ``D = xs + sigma^2 e^{-t} s``
(``xs = e^t x``, ``sigma^2 = e^{2t} - 1``) and ``eps = (xs - D)/sigma = -sigma e^{-t} s`` are affine
functions of one another, with the same coefficients for both predictions. In the mixture's
convention (``validation/scores.py``) each prediction is ``s = (e^{-t} M - x) / Gamma_t`` with a
*target* ``M`` (``mu_c`` for the conditional, ``E[mu|x,t]`` for the unconditional), so every
prediction is ``alpha M + beta x`` with the space's :func:`space_coefficients`. ``eps`` is a
common multiple of the score at each ``t``: the ``eps`` rules here (``zerostar``, ``rescale``) are
invariant under a common scale, so they are the same rules on scores. ``powerlaw`` (its norm) and
``apg`` (its threshold ``R``) are not scale invariant: their space is part of their definition.

Vector operations. :meth:`Rule.combine` takes the predictions as ``(N, n)`` arrays, one row per
sample, and an ``ops`` object with ``ops.dot(a, b)`` (the per-row inner product divided by
``d``) and ``ops.mean(a)`` (the per-row mean over the coordinates). :data:`ROW_OPS` is the
Monte Carlo's (rows of ``d`` coordinates); the ``d -> infinity`` theory passes the coordinates
of the predictions in an orthonormal basis of ``span{mu_c, x}``, where inner products per
dimension concentrate and the coordinate mean of a vector of that span vanishes (``O(d^{-1/2})``).

Grid-only options. Two options act across the model evaluations of a discrete sampler grid
(:mod:`cfgmft.validation.discrete`, :mod:`cfgmft.solvers.discrete_grid`), so they exist on a grid
only and every continuous-time path refuses them (:func:`check_continuous`, naming ``guidance``):

* ``apg:...,momentum=M`` (diffusers' ``adaptive_projected_guidance_momentum``): APG acts on the
  running buffer ``B <- Delta + M B`` (``B = 0`` before the first evaluation) instead of ``Delta``;
  the buffer is updated at every model evaluation with ``omega != 0`` (diffusers turns the guider
  off, buffer included, where its scale makes the step unguided); ``M = 0`` is plain ``apg``;
* ``zerostar:zero_init=N`` (diffusers' ``zero_init_steps``): the guided prediction of the first
  ``N`` model evaluations is zero in the eps space (``eps = 0``: ``D = xs``, the state does not
  move on that step of euler or ddim), whatever ``omega``; ``N = 0`` is plain ``zerostar``.

Both count model evaluations (diffusers' guider calls): one per step of euler, ddim and
ancestral, two per step of heun (one on its last step). Their text forms omit them at 0.

The one definition of every rule is :meth:`Rule.increment`, the guided prediction minus ``c``
from ``c``, ``u`` and ``Delta`` given separately: :func:`guided_target` forms ``Delta`` as
``alpha (mu_c - E)`` rather than as ``c - u`` (both predictions share ``beta x``, which dwarfs
``Delta`` at high noise: ``c - u`` there is rounding times ``sigma``), and :meth:`Rule.combine`
is ``c + increment(c, u, c - u)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np

from .errors import ParameterError, check_int, check_real

__all__ = [
    "SPACES", "Rule", "CFG", "PowerLaw", "APG", "ZeroStar", "Rescale", "RULES", "RULE_KINDS", "parse_rule",
    "rule_from_dict", "as_rule", "RowOps", "ROW_OPS", "space_coefficients", "guided_target", "cfg_target",
    "GRID_OPTIONS", "check_continuous", "RULES_TEXT", "guided_increment", "space_delta",
]

#: The spaces a rule can act in.
SPACES = ("score", "eps", "denoiser")

#: Where a space's coefficient vanishes at ``t = 0`` (:func:`guided_target`), the rule is read at
#: this time instead (its limit; the score changes by ``O(T_FLOOR)``).
T_FLOOR = 1e-12
#: Allowed range of the power-law exponent.
BETA_MIN, BETA_MAX = -0.9, 4.0
#: Allowed range of APG's parallel weight.
ETA_MIN, ETA_MAX = -10.0, 10.0
#: Allowed range of APG's RMS norm threshold (0: no clipping).
R_MAX = 1e6
#: Allowed range of APG's momentum (grid only).
MOMENTUM_MIN, MOMENTUM_MAX = -1.0, 1.0
#: Largest number of CFG-Zero*'s zero-init evaluations (grid only).
ZERO_INIT_MAX = 100000
#: The grid-only options (module docstring), by rule kind; 0 is "off" for each.
GRID_OPTIONS = {"apg": ("momentum",), "zerostar": ("zero_init",)}


class RowOps:
    """Per-row inner products of ``(N, d)`` arrays, divided by ``d``, and per-row coordinate means."""

    @staticmethod
    def dot(a, b):
        return np.einsum("nd,nd->n", a, b) / a.shape[1]

    @staticmethod
    def mean(a):
        return a.mean(axis=1)


ROW_OPS = RowOps()


def _fmt(x: float) -> str:
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


@dataclass(frozen=True)
class Rule:
    """A guidance rule (module docstring). Subclasses set ``kind``, ``space`` and their
    parameters (dataclass fields with defaults), and implement :meth:`_increment`."""

    kind: ClassVar[str] = ""
    space: ClassVar[str] = "score"
    #: parameter name -> (lo, hi) of its allowed closed range
    ranges: ClassVar[dict] = {}
    #: the parameters that are integers
    integers: ClassVar[tuple] = ()

    def __post_init__(self):
        for f in fields(self):
            lo, hi = self.ranges[f.name]
            try:
                if f.name in self.integers:
                    value = check_int(f.name, getattr(self, f.name), lo=lo, hi=hi)
                else:
                    value = check_real(f.name, getattr(self, f.name), lo=lo, hi=hi)
            except ParameterError as exc:
                raise ParameterError("guidance", f"{self.kind}: {exc}") from None
            object.__setattr__(self, f.name, value)

    # -- identity -------------------------------------------------------------------------
    @property
    def params(self) -> dict:
        """The parameters, ``{name: value}``."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def grid_options(self) -> dict:
        """The grid-only options that are on (not 0), ``{name: value}`` (module docstring)."""
        return {k: getattr(self, k) for k in GRID_OPTIONS.get(self.kind, ()) if getattr(self, k) != 0}

    @property
    def grid_only(self) -> bool:
        """A grid-only option is on: the rule exists on a discrete sampler grid only."""
        return bool(self.grid_options)

    @property
    def _shown(self) -> dict:
        """The parameters of the text and dict forms: the grid-only options only where on."""
        off = set(GRID_OPTIONS.get(self.kind, ())) - set(self.grid_options)
        return {k: v for k, v in self.params.items() if k not in off}

    @property
    def spec(self) -> str:
        """Text form, ``kind[:name=value,...]`` (:func:`parse_rule` is its inverse); a grid-only
        option is written only where it is on."""
        p = self._shown
        if not p:
            return self.kind
        return self.kind + ":" + ",".join(f"{k}={_fmt(v)}" for k, v in p.items())

    def to_dict(self) -> dict:
        """JSON form ``{"kind": ..., "space": ..., **params}`` (:func:`rule_from_dict` is its inverse)."""
        return {"kind": self.kind, "space": self.space, **self._shown}

    def __str__(self) -> str:
        return self.spec

    #: the guided prediction in words (``c``, ``u``: the two predictions in :attr:`space`)
    formula: ClassVar[str] = ""

    @property
    def convention(self) -> str:
        """The convention every output of this rule states."""
        if self.kind == "cfg":
            return "s = (1+omega) s_c - omega s_u"
        return f"{self.spec}: {self.formula}, in the {self.space} space, w = 1 + omega"

    # -- what the samplers and the theory ask ----------------------------------------------
    @property
    def reduces_to_cfg(self) -> bool:
        """``True`` where the parameters make the rule linear CFG exactly."""
        return False

    @property
    def linear_in_x(self) -> bool:
        """The guided score is affine in ``x`` with coefficients that depend on ``t`` only."""
        return self.reduces_to_cfg

    @property
    def time_only(self) -> bool:
        """The effective strength depends on ``t`` only (not on the state)."""
        return self.reduces_to_cfg

    def combine(self, c, u, omega, ops=ROW_OPS):
        """The guided prediction from the conditional ``c`` and unconditional ``u`` predictions
        (``(N, n)`` arrays in :attr:`space`) at strength ``omega`` (a float):
        ``c + increment(c, u, c - u)``. The grid-only options are not applied here (they act
        across evaluations: :mod:`cfgmft.validation.discrete`)."""
        if omega == 0.0:
            return np.array(c, dtype=np.float64, copy=True)
        c = np.asarray(c, dtype=np.float64)
        u = np.asarray(u, dtype=np.float64)
        return c + self._increment(c, u, c - u, float(omega), ops)

    def increment(self, c, u, delta, omega, ops=ROW_OPS):
        """The guided prediction minus ``c``, from ``c``, ``u`` and ``delta = c - u`` given
        separately (``delta`` exact where ``c - u`` would round: module docstring); the one
        definition of the rule. Zero at ``omega = 0``."""
        c = np.asarray(c, dtype=np.float64)
        if omega == 0.0:
            return np.zeros(np.broadcast_shapes(c.shape, np.shape(delta)))
        return self._increment(c, np.asarray(u, dtype=np.float64), np.asarray(delta, dtype=np.float64), float(omega),
                               ops)

    def _increment(self, c, u, delta, omega, ops):  # pragma: no cover - abstract
        raise NotImplementedError


def _rms(v, ops):
    return np.sqrt(np.maximum(ops.dot(v, v), 0.0))


@dataclass(frozen=True)
class CFG(Rule):
    """Linear classifier-free guidance, ``c + omega (c - u) = u + w (c - u)``, ``w = 1 + omega``.
    The same rule in every space (its weights sum to one)."""

    formula: ClassVar[str] = "c + omega (c - u)"
    kind: ClassVar[str] = "cfg"
    space: ClassVar[str] = "score"

    @property
    def reduces_to_cfg(self) -> bool:
        return True

    def _increment(self, c, u, delta, omega, ops):
        return omega * delta


@dataclass(frozen=True)
class PowerLaw(Rule):
    """Power-law CFG (Pavasovic et al. 2025), in the score space:
    ``s_c + omega (|Delta_s| / sqrt d)^beta Delta_s``, ``Delta_s = s_c - s_u``; ``beta = 0`` is ``cfg``.
    Where ``Delta_s = 0`` the update is 0 (for ``beta > -1`` it tends to 0 there)."""

    beta: float = 0.5
    formula: ClassVar[str] = "c + omega (|c - u|/sqrt d)^beta (c - u)"
    kind: ClassVar[str] = "powerlaw"
    space: ClassVar[str] = "score"
    ranges: ClassVar[dict] = {"beta": (BETA_MIN, BETA_MAX)}

    @property
    def reduces_to_cfg(self) -> bool:
        return self.beta == 0.0

    def _increment(self, c, u, delta, omega, ops):
        if self.beta == 0.0:
            return omega * delta
        n = _rms(delta, ops)
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = np.where(n > 0.0, n ** self.beta, 0.0)
        return (omega * gain)[:, None] * delta


@dataclass(frozen=True)
class APG(Rule):
    """Adaptive projected guidance (Sadat et al. 2024), in the EDM denoiser space, in the papers'
    form ``D_c + omega (...)``: ``Delta_D = D_c - D_u`` is scaled down to RMS norm ``r`` where it is
    larger (``r > 0``; ``r = 0``: no clipping), split into ``Delta_par``, its projection on ``D_c``,
    and ``Delta_perp = Delta_D - Delta_par``; ``D = D_c + omega (Delta_perp + eta Delta_par)``.
    ``eta = 1, r = 0`` is ``cfg``. In diffusers this rule at ``omega`` is
    ``AdaptiveProjectedGuidance(guidance_scale=omega, eta=eta, adaptive_projected_guidance_rescale=r S
    sqrt(d), use_original_formulation=True)`` on an ``x0``-predicting model (data scale ``S``; an
    unscaled L2 threshold); its default form ``u + w * update`` is another rule unless ``eta = 1,
    r = 0`` (docs/guide/guidance-rules.md, "Mapping to diffusers").

    ``momentum`` (grid only, module docstring): diffusers' ``adaptive_projected_guidance_momentum``;
    on a grid the sampler passes the running buffer as ``delta`` to :meth:`increment`."""

    eta: float = 0.0
    r: float = 0.0
    momentum: float = 0.0
    formula: ClassVar[str] = "c + omega (Delta_perp + eta Delta_par), Delta = c - u clipped to RMS r, par along c"
    kind: ClassVar[str] = "apg"
    space: ClassVar[str] = "denoiser"
    ranges: ClassVar[dict] = {"eta": (ETA_MIN, ETA_MAX), "r": (0.0, R_MAX), "momentum": (MOMENTUM_MIN, MOMENTUM_MAX)}

    @property
    def reduces_to_cfg(self) -> bool:
        return self.eta == 1.0 and self.r == 0.0 and self.momentum == 0.0

    def _increment(self, c, u, delta, omega, ops):
        if self.r > 0.0:
            n = _rms(delta, ops)
            with np.errstate(divide="ignore", invalid="ignore"):
                scale = np.where(n > self.r, self.r / n, 1.0)
            delta = delta * scale[:, None]
        nc2 = ops.dot(c, c)
        with np.errstate(divide="ignore", invalid="ignore"):
            proj = np.where(nc2 > 0.0, ops.dot(delta, c) / nc2, 0.0)
        par = proj[:, None] * c
        return omega * ((delta - par) + self.eta * par)


@dataclass(frozen=True)
class ZeroStar(Rule):
    """CFG-Zero* (Fan et al. 2025), in the eps (equivalently score) space: the unconditional
    prediction is first scaled by ``s* = <c, u> / |u|^2``, then ``s* u + w (c - s* u)``,
    ``w = 1 + omega``. ``s* = 1`` would be ``cfg``; where ``u = 0``, ``s* = 1``. The increment
    ``omega (c - s* u)`` is computed as ``omega (s* Delta - (1 - s*) c)`` with ``1 - s* = -<Delta,
    u>/|u|^2`` (no difference of nearly equal numbers where ``c ~ u``).

    ``zero_init`` (grid only, module docstring): diffusers' ``zero_init_steps``, applied by the
    grid sampler (the first ``zero_init`` evaluations' guided eps is 0)."""

    zero_init: int = 0
    formula: ClassVar[str] = "s* u + w (c - s* u), s* = <c, u>/|u|^2"
    kind: ClassVar[str] = "zerostar"
    space: ClassVar[str] = "eps"
    ranges: ClassVar[dict] = {"zero_init": (0, ZERO_INIT_MAX)}
    integers: ClassVar[tuple] = ("zero_init",)

    def _increment(self, c, u, delta, omega, ops):
        nu2 = ops.dot(u, u)
        with np.errstate(divide="ignore", invalid="ignore"):
            st = np.where(nu2 > 0.0, ops.dot(c, u) / nu2, 1.0)
            one_minus = np.where(nu2 > 0.0, -ops.dot(delta, u) / nu2, 0.0)
        return omega * (st[:, None] * delta + one_minus[:, None] * c)


@dataclass(frozen=True)
class Rescale(Rule):
    """Rescaled CFG (Lin et al. 2024; diffusers' ``guidance_rescale = phi``), in the eps
    (equivalently score) space: ``g = u + w (c - u)``, then ``phi g std(c)/std(g) + (1 - phi) g``,
    ``std`` over the coordinates (mean removed, as ``torch.std``; the ratio does not depend on the
    normalisation). ``phi = 0`` is ``cfg``."""

    phi: float = 0.7
    formula: ClassVar[str] = "phi g std(c)/std(g) + (1 - phi) g, g = c + omega (c - u)"
    kind: ClassVar[str] = "rescale"
    space: ClassVar[str] = "eps"
    ranges: ClassVar[dict] = {"phi": (0.0, 1.0)}

    @property
    def reduces_to_cfg(self) -> bool:
        return self.phi == 0.0

    def _increment(self, c, u, delta, omega, ops):
        # g - c = omega Delta + phi (std(c)/std(g) - 1) g, the ratio's departure from 1 from
        # var(g) - var(c) = 2 omega cov(c, Delta) + omega^2 var(Delta) (no difference of nearly
        # equal numbers where Delta is small against c)
        inc = omega * delta
        if self.phi == 0.0:
            return inc
        g = c + inc
        mc, md = ops.mean(c), ops.mean(delta)
        var_c = np.maximum(ops.dot(c, c) - mc ** 2, 0.0)
        dvar = 2.0 * omega * (ops.dot(c, delta) - mc * md) + omega * omega * (ops.dot(delta, delta) - md ** 2)
        sc = np.sqrt(var_c)
        sg = np.sqrt(np.maximum(var_c + dvar, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            departure = np.where(sg > 0.0, -dvar / (sg * (sc + sg)), 0.0)
        return inc + (self.phi * departure)[:, None] * g


#: kind -> class
RULES = {cls.kind: cls for cls in (CFG, PowerLaw, APG, ZeroStar, Rescale)}
#: The text forms, for help texts.
RULE_KINDS = ("cfg", "powerlaw:beta=B", "apg:eta=E,r=R[,momentum=M]", "zerostar[:zero_init=N]", "rescale:phi=P")
#: The grammar in one line, for every help text (the CLI's ``--guidance``).
RULES_TEXT = (", ".join(RULE_KINDS) + "; momentum and zero_init (diffusers' adaptive_projected_guidance_momentum "
              "and zero_init_steps) act across a sampler grid's steps: --grid only")


def check_continuous(rule, where: str = "continuous time") -> None:
    """Refuse a rule with a grid-only option on (module docstring) in ``where``: a
    ``ParameterError`` naming ``guidance``, one line."""
    if rule is not None and rule.grid_only:
        opts = ",".join(f"{k}={_fmt(v)}" for k, v in rule.grid_options.items())
        raise ParameterError("guidance", f"{rule.kind}'s {opts} acts across the steps of a sampler grid: it exists "
                                         f"on --grid only, not in {where} (give --grid and --update, or leave it out)")


def _bad(text, why):
    return ParameterError("guidance", f"{why}; the rules are {', '.join(RULE_KINDS)} (got {text!r})")


def parse_rule(text: str) -> Rule:
    """The rule of a text form ``kind[:name=value,...]`` (see :data:`RULE_KINDS`); parameters not
    given take their defaults."""
    if not isinstance(text, str):
        raise _bad(text, "must be a text")
    kind, _, rest = text.strip().partition(":")
    kind = kind.strip().lower()
    if kind not in RULES:
        raise _bad(text, f"unknown rule {kind!r}")
    cls = RULES[kind]
    names = [f.name for f in fields(cls)]
    kwargs = {}
    if rest.strip():
        for part in rest.split(","):
            name, eq, value = part.partition("=")
            name = name.strip()
            if not eq or name not in names:
                allowed = ", ".join(names) if names else "none"
                raise _bad(text, f"{kind}: bad parameter {part.strip()!r} (its parameters: {allowed}, as name=value)")
            if name in kwargs:
                raise _bad(text, f"{kind}: parameter {name!r} given twice")
            kwargs[name] = value.strip()
    return cls(**kwargs)


def rule_from_dict(obj: dict) -> Rule:
    """The rule of a :meth:`Rule.to_dict` form."""
    if not isinstance(obj, dict) or "kind" not in obj:
        raise ParameterError("guidance", f"must be a dict with a 'kind' ({', '.join(RULES)}), got {obj!r}")
    kind = obj["kind"]
    if kind not in RULES:
        raise _bad(kind, f"unknown rule {kind!r}")
    cls = RULES[kind]
    names = {f.name for f in fields(cls)}
    extra = set(obj) - names - {"kind", "space"}
    if extra:
        raise ParameterError("guidance", f"{kind}: unknown parameters {sorted(extra)}")
    if obj.get("space", cls.space) != cls.space:
        raise ParameterError("guidance", f"{kind} acts in the {cls.space} space, got space {obj['space']!r}")
    return cls(**{k: obj[k] for k in names if k in obj})


def as_rule(obj) -> Rule:
    """A :class:`Rule` from a rule, its text form, its dict form or ``None`` (``cfg``)."""
    if obj is None:
        return CFG()
    if isinstance(obj, Rule):
        return obj
    if isinstance(obj, dict):
        return rule_from_dict(obj)
    return parse_rule(obj)


# ----------------------------------------------------------------------------- spaces


def space_coefficients(space: str, t: float, sigma2: float) -> tuple[float, float]:
    """``(alpha, beta)`` such that the prediction of target ``M`` at ``(x, t)`` in ``space`` is
    ``alpha M + beta x`` (module docstring), for the mixture of class variance ``sigma2``:

    * ``score``: ``s = (e^{-t} M - x) / Gamma_t``: ``alpha = e^{-t}/Gamma_t``, ``beta = -1/Gamma_t``;
    * ``eps = -sigma e^{-t} s = -sqrt(Delta_t) s``, ``sigma = sqrt(e^{2t} - 1)``;
    * ``denoiser``: ``D = xs + sigma^2 e^{-t} s = (sigma2 e^{-t} x + Delta_t M) / Gamma_t``.
    """
    e2 = math.exp(-2.0 * t)
    delta = -math.expm1(-2.0 * t)
    G = sigma2 * e2 + delta
    if space == "score":
        return math.exp(-t) / G, -1.0 / G
    if space == "eps":
        sd = math.sqrt(delta)  # sigma e^{-t} = sqrt(1 - e^{-2t}): no overflow at large t
        return -sd * math.exp(-t) / G, sd / G
    if space == "denoiser":
        return delta / G, sigma2 * math.exp(-t) / G
    raise ParameterError("space", f"must be one of {', '.join(SPACES)}, got {space!r}")


def cfg_target(mu_c, E, omega):
    """Linear CFG on targets, ``(1 + omega) mu_c - omega E`` (the guided score is
    ``(e^{-t} M_g - x)/Gamma_t``): the one place the Monte Carlo writes the CFG formula (the
    sampler, its exact local-Gaussian step's ``omega``-weights aside, and the grid samplers call it)."""
    return (1.0 + omega) * mu_c - omega * E


def guided_target(rule: Rule, x, t: float, sigma2: float, mu_c, E, omega: float, ops=ROW_OPS):
    """The guided target ``M_g`` of ``rule`` at ``(x, t)``: the guided score is
    ``(e^{-t} M_g - x) / Gamma_t``. ``mu_c`` is the conditional target, ``E`` the unconditional
    one (``E[mu|x,t]``), as ``(N, n)`` (or broadcastable) arrays. For ``cfg`` this is
    ``(1 + omega) mu_c - omega E`` in every space. Otherwise the two predictions are formed in the
    rule's space, combined, and mapped back: ``M_g = mu_c + (g - c) / alpha`` (exact, since
    ``c = alpha mu_c + beta x``; written so that no ``beta x`` is subtracted back). The eps and
    denoiser spaces have ``alpha = 0`` at ``t = 0`` (both predictions equal there): the rule is
    then read at its limit ``t -> 0``, at ``t = T_FLOOR``."""
    if omega == 0.0:
        return np.broadcast_to(mu_c, np.shape(x)).astype(np.float64)
    if rule.reduces_to_cfg:
        return cfg_target(mu_c, E, omega)
    a, b = space_coefficients(rule.space, max(t, T_FLOOR), sigma2)
    if a == 0.0:
        # e^{-t} underflows (t > ~745): the score (e^{-t} M_g - x)/Gamma_t is -x/Gamma_t for any
        # finite target, so the conditional target is exact there in float64
        return np.broadcast_to(mu_c, np.shape(x)).astype(np.float64)
    return mu_c + guided_increment(rule, x, t, sigma2, mu_c, E, omega, ops)


def guided_increment(rule: Rule, x, t: float, sigma2: float, mu_c, E, omega: float, ops=ROW_OPS, delta=None):
    """``M_g - mu_c`` of :func:`guided_target` for a rule that is not linear CFG (at ``omega != 0``),
    each term at its own scale. ``delta``: the ``Delta`` the rule acts on, in its space (default
    ``alpha (mu_c - E)``; a grid sampler passes APG's momentum buffer)."""
    a, b = space_coefficients(rule.space, max(t, T_FLOOR), sigma2)
    shape = np.shape(x)
    if a == 0.0:
        return np.zeros(shape)
    bx = b * x
    c = np.broadcast_to(a * mu_c + bx, shape)
    u = a * E + bx
    if delta is None:
        delta = np.broadcast_to(a * (mu_c - E), shape)
    return rule.increment(c, u, delta, omega, ops) / a


def space_delta(rule: Rule, t: float, sigma2: float, mu_c, E):
    """``Delta = c - u = alpha (mu_c - E)`` in ``rule``'s space (exact)."""
    a, _ = space_coefficients(rule.space, max(t, T_FLOOR), sigma2)
    return a * (mu_c - E)
