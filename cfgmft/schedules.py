"""Guidance schedules ``omega(t)``.

A schedule is a frozen value object. It evaluates vectorised at forward times ``t >= 0``
(``t = 0`` is the data end, large ``t`` the noise end; sampling runs from large ``t`` to 0),
has a short text form for the CLI and a JSON form, and both round-trip::

    >>> s = parse_schedule("interval:2:0.3:1.5")
    >>> s(np.array([0.1, 1.0]))
    array([0., 2.])
    >>> parse_schedule(s.spec) == s == schedule_from_json(s.to_json())
    True

Convention: ``omega`` is the CFG strength in ``s = (1+omega) s_c - omega s_u``
(the diffusers/EDM guidance scale is ``w = 1 + omega``). Every schedule value must be in
``[-1, 1000]`` (``1 + omega`` is the weight of the conditional score) and every time in
``[0, 1000]`` (:mod:`cfgmft.ranges`).

Grammar (numbers are decimal floats; ``[...]`` is optional):

==========================================  ==================================================
text form                                   omega(t)
==========================================  ==================================================
``constant:W``                              ``W``
``interval:W:T_LO:T_HI``                    ``W`` for ``T_LO <= t <= T_HI``, else 0
                                            (Kynkaanniemi et al. 2024)
``linear:W:T_R[:up|down]``                  linear ramp on ``[0, T_R]`` with mean ``W``, 0 for
                                            ``t > T_R``; ``up`` (default) grows as sampling
                                            proceeds: ``2W(1 - t/T_R)``; ``down``: ``2W t/T_R``
                                            (Wang et al. 2024)
``cosine:W:T_R[:up|down]``                  cosine ramp with mean ``W`` on ``[0, T_R]``;
                                            ``up``: ``W(1 + cos(pi t/T_R))``;
                                            ``down``: ``W(1 - cos(pi t/T_R))``
``lhl:W_LO:W_HI:T_LO:T_HI``                 low-high-low: ``W_HI`` on ``[T_LO, T_HI]``,
                                            ``W_LO`` elsewhere (Jin et al. 2025)
``negwin:W_POS:W_NEG:T_LO:T_HI[:W_LATE]``   negative window: ``W_POS`` for ``t > T_HI``,
                                            ``W_NEG < 0`` on ``[T_LO, T_HI]``, ``W_LATE``
                                            (default 0) for ``t < T_LO``
``negramp:W_POS:A:B:T_SW``                  ``W_POS`` for ``t > T_SW``, the line ``A + B t``
                                            for ``t <= T_SW`` (slope/intercept form of the
                                            negative window; it must dip below 0)
==========================================  ==================================================
"""

from __future__ import annotations

import json
from dataclasses import MISSING, dataclass, fields
from typing import ClassVar

import numpy as np

from .errors import ParameterError, check_real
from .ranges import OMEGA_MAX, OMEGA_MIN, TIME_MAX

__all__ = [
    "Schedule", "Constant", "Interval", "LinearRamp", "CosineRamp", "LowHighLow",
    "NegativeWindow", "NegativeRamp", "parse_schedule", "schedule_from_json", "as_schedule",
    "SCHEDULE_KINDS", "OMEGA_MIN",
]


def _fmt(x: float) -> str:
    """Shortest text that round-trips a float exactly ('2' for 2.0)."""
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


@dataclass(frozen=True)
class Schedule:
    """Base class. Subclasses define ``kind``, their fields and ``_eval``."""

    kind: ClassVar[str] = ""
    #: fields that are times (non-negative); the others are guidance values
    _time_fields: ClassVar[tuple[str, ...]] = ()
    #: fields that are words, not numbers
    _word_fields: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self):
        for f in fields(self):
            name, value = f.name, getattr(self, f.name)
            arg = f"schedule {self.kind} {name}"
            if name in self._word_fields:
                continue
            if name in self._time_fields:
                object.__setattr__(self, name, check_real(arg, value, lo=0.0, hi=TIME_MAX))
            else:
                object.__setattr__(self, name, check_real(arg, value, lo=-TIME_MAX * OMEGA_MAX, hi=TIME_MAX * OMEGA_MAX))
        self._validate()
        lo, hi = self.min_value(), self.max_value()
        if not (OMEGA_MIN <= lo and hi <= OMEGA_MAX):
            raise ParameterError(
                f"schedule {self.kind}",
                f"omega(t) must stay in [{OMEGA_MIN:g}, {OMEGA_MAX:g}] (1+omega >= 0), ranges over [{lo:g}, {hi:g}]")

    # -- to be provided by subclasses -------------------------------------------------
    def _validate(self) -> None:  # pragma: no cover - default: nothing more to check
        pass

    def _eval(self, t: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @property
    def breakpoints(self) -> tuple[float, ...]:
        """Times where ``omega(t)`` or its derivative jumps (integrators stop there)."""
        return ()

    # -- shared behaviour --------------------------------------------------------------
    def __call__(self, t):
        """``omega(t)``, vectorised: float64 array of the shape of ``t`` (a float for a scalar)."""
        arr = np.asarray(t, dtype=np.float64)
        out = np.asarray(self._eval(arr), dtype=np.float64)
        return float(out) if np.ndim(t) == 0 else out

    def _probe_grid(self) -> np.ndarray:
        pts = [0.0, *self.breakpoints]
        eps = [max(1e-12, 1e-12 * p) for p in pts]
        grid = pts + [p + e for p, e in zip(pts, eps)] + [max(p - e, 0.0) for p, e in zip(pts, eps)]
        grid.append(1e3)
        return np.array(sorted(set(grid)))

    def min_value(self) -> float:
        """Smallest value of ``omega(t)`` over ``t >= 0`` (exact: schedules are piecewise
        monotone between breakpoints)."""
        return float(np.min(self(self._probe_grid())))

    def max_value(self) -> float:
        """Largest value of ``omega(t)`` over ``t >= 0``."""
        return float(np.max(self(self._probe_grid())))

    def is_nonnegative(self) -> bool:
        """True when ``omega(t) >= 0`` for every ``t`` (the hypothesis of claim C5)."""
        return self.min_value() >= 0.0

    @property
    def spec(self) -> str:
        """The text form, e.g. ``interval:2:0.3:1.5``."""
        parts = [self.kind]
        for f in fields(self):
            v = getattr(self, f.name)
            parts.append(v if f.name in self._word_fields else _fmt(v))
        return ":".join(parts)

    def to_json(self) -> dict:
        """The JSON form: ``{"kind": ..., <field>: <value>, ...}``."""
        d = {"kind": self.kind}
        for f in fields(self):
            d[f.name] = getattr(self, f.name)
        return d

    def __str__(self) -> str:
        return self.spec


@dataclass(frozen=True)
class Constant(Schedule):
    """``omega(t) = omega`` for all ``t``."""

    omega: float
    kind: ClassVar[str] = "constant"

    def _eval(self, t):
        return np.full_like(t, self.omega)


@dataclass(frozen=True)
class Interval(Schedule):
    """Guidance limited to an interval: ``omega`` on ``[t_lo, t_hi]``, 0 elsewhere."""

    omega: float
    t_lo: float
    t_hi: float
    kind: ClassVar[str] = "interval"
    _time_fields: ClassVar[tuple[str, ...]] = ("t_lo", "t_hi")

    def _validate(self):
        if not self.t_lo < self.t_hi:
            raise ParameterError("schedule interval", f"needs T_LO < T_HI, got T_LO={self.t_lo:g} >= T_HI={self.t_hi:g}")

    def _eval(self, t):
        return np.where((t >= self.t_lo) & (t <= self.t_hi), self.omega, 0.0)

    @property
    def breakpoints(self):
        return (self.t_lo, self.t_hi)


class _Ramp(Schedule):
    """Shared checks of the two ramps (mean ``mean`` over ``[0, t_ramp]``)."""

    _time_fields: ClassVar[tuple[str, ...]] = ("t_ramp",)
    _word_fields: ClassVar[tuple[str, ...]] = ("direction",)

    def _validate(self):
        if self.t_ramp <= 0:
            raise ParameterError(f"schedule {self.kind} T_R", f"must be a finite number > 0, got {self.t_ramp:g}")
        if self.direction not in ("up", "down"):
            raise ParameterError(f"schedule {self.kind} direction", f"must be 'up' or 'down', got {self.direction!r}")

    @property
    def breakpoints(self):
        return (self.t_ramp,)


@dataclass(frozen=True)
class LinearRamp(_Ramp):
    """Linear ramp with mean ``mean`` on ``[0, t_ramp]``, zero beyond.

    ``up``: ``2 mean (1 - t/t_ramp)`` (guidance grows as sampling proceeds towards t = 0);
    ``down``: ``2 mean t/t_ramp``.
    """

    mean: float
    t_ramp: float
    direction: str = "up"
    kind: ClassVar[str] = "linear"

    def _eval(self, t):
        s = np.clip(t / self.t_ramp, 0.0, None)
        shape = (1.0 - s) if self.direction == "up" else s
        return np.where(t <= self.t_ramp, 2.0 * self.mean * shape, 0.0)


@dataclass(frozen=True)
class CosineRamp(_Ramp):
    """Cosine ramp with mean ``mean`` on ``[0, t_ramp]``, zero beyond.

    ``up``: ``mean (1 + cos(pi t/t_ramp))``; ``down``: ``mean (1 - cos(pi t/t_ramp))``.
    """

    mean: float
    t_ramp: float
    direction: str = "up"
    kind: ClassVar[str] = "cosine"

    def _eval(self, t):
        c = np.cos(np.pi * np.clip(t / self.t_ramp, 0.0, 1.0))
        shape = (1.0 + c) if self.direction == "up" else (1.0 - c)
        return np.where(t <= self.t_ramp, self.mean * shape, 0.0)


@dataclass(frozen=True)
class LowHighLow(Schedule):
    """Low-high-low: ``omega_high`` on ``[t_lo, t_hi]``, ``omega_low`` elsewhere."""

    omega_low: float
    omega_high: float
    t_lo: float
    t_hi: float
    kind: ClassVar[str] = "lhl"
    _time_fields: ClassVar[tuple[str, ...]] = ("t_lo", "t_hi")

    def _validate(self):
        if not self.t_lo < self.t_hi:
            raise ParameterError("schedule lhl", f"needs T_LO < T_HI, got T_LO={self.t_lo:g} >= T_HI={self.t_hi:g}")

    def _eval(self, t):
        return np.where((t >= self.t_lo) & (t <= self.t_hi), self.omega_high, self.omega_low)

    @property
    def breakpoints(self):
        return (self.t_lo, self.t_hi)


@dataclass(frozen=True)
class NegativeWindow(Schedule):
    """Positive guidance early, a negative window, then ``omega_late``.

    ``omega_pos`` for ``t > t_hi``; ``omega_neg < 0`` on ``[t_lo, t_hi]``; ``omega_late``
    for ``t < t_lo``.
    """

    omega_pos: float
    omega_neg: float
    t_lo: float
    t_hi: float
    omega_late: float = 0.0
    kind: ClassVar[str] = "negwin"
    _time_fields: ClassVar[tuple[str, ...]] = ("t_lo", "t_hi")

    def _validate(self):
        if not self.t_lo < self.t_hi:
            raise ParameterError("schedule negwin", f"needs T_LO < T_HI, got T_LO={self.t_lo:g} >= T_HI={self.t_hi:g}")
        if not self.omega_neg < 0:
            raise ParameterError("schedule negwin W_NEG", f"must be < 0 (the window's depth), got {self.omega_neg:g}")

    def _eval(self, t):
        return np.where(t > self.t_hi, self.omega_pos,
                        np.where(t >= self.t_lo, self.omega_neg, self.omega_late))

    @property
    def breakpoints(self):
        return (self.t_lo, self.t_hi)


@dataclass(frozen=True)
class NegativeRamp(Schedule):
    """``omega_pos`` for ``t > t_switch``; the line ``intercept + slope t`` for
    ``t <= t_switch``, which must dip below zero somewhere on ``[0, t_switch]``."""

    omega_pos: float
    intercept: float
    slope: float
    t_switch: float
    kind: ClassVar[str] = "negramp"
    _time_fields: ClassVar[tuple[str, ...]] = ("t_switch",)

    def _validate(self):
        if self.t_switch <= 0:
            raise ParameterError("schedule negramp T_SW", f"must be a finite number > 0, got {self.t_switch:g}")
        low = min(self.intercept, self.intercept + self.slope * self.t_switch)
        if not low < 0:
            raise ParameterError("schedule negramp", f"the line A + B t must dip below 0 on [0, T_SW], its minimum is {low:g}")

    def _eval(self, t):
        return np.where(t > self.t_switch, self.omega_pos, self.intercept + self.slope * t)

    @property
    def breakpoints(self):
        return (self.t_switch,)


SCHEDULE_KINDS: dict[str, type[Schedule]] = {
    cls.kind: cls for cls in (Constant, Interval, LinearRamp, CosineRamp, LowHighLow,
                              NegativeWindow, NegativeRamp)
}


def _usage(cls: type[Schedule]) -> str:
    names = [f.name.upper() if f.default is MISSING else f"[{f.name.upper()}]" for f in fields(cls)]
    return ":".join([cls.kind, *names])


def parse_schedule(text: str) -> Schedule:
    """Parse the text form ``KIND:V1:V2:...`` (see the module docstring for the grammar)."""
    if not isinstance(text, str) or not text.strip():
        raise ParameterError("--schedule", "must be a text such as 'constant:2' or 'interval:2:0.3:1.5'")
    kind, *raw = [p.strip() for p in text.strip().split(":")]
    cls = SCHEDULE_KINDS.get(kind)
    if cls is None:
        raise ParameterError("--schedule", f"unknown kind {kind!r}; allowed: {', '.join(SCHEDULE_KINDS)}")
    flds = fields(cls)
    n_req = sum(1 for f in flds if f.default is MISSING)
    if not n_req <= len(raw) <= len(flds):
        raise ParameterError("--schedule", f"{kind} takes the form {_usage(cls)}, got {text!r}")
    kwargs = {}
    for f, v in zip(flds, raw):
        if f.name in cls._word_fields:
            kwargs[f.name] = v
            continue
        try:
            kwargs[f.name] = float(v)
        except ValueError:
            raise ParameterError("--schedule", f"{kind} {f.name.upper()} must be a number, got {v!r}") from None
    try:
        return cls(**kwargs)
    except ParameterError as e:
        raise ParameterError("--schedule", str(e)) from None


def schedule_from_json(obj) -> Schedule:
    """Build a schedule from its JSON form (a dict or a JSON text)."""
    if isinstance(obj, str):
        try:
            obj = json.loads(obj)
        except json.JSONDecodeError as e:
            raise ParameterError("schedule", f"is not valid JSON ({e.msg})") from None
    if not isinstance(obj, dict) or "kind" not in obj:
        raise ParameterError("schedule", "JSON form must be an object with a 'kind' key")
    obj = dict(obj)
    kind = obj.pop("kind")
    cls = SCHEDULE_KINDS.get(kind)
    if cls is None:
        raise ParameterError("schedule", f"unknown kind {kind!r}; allowed: {', '.join(SCHEDULE_KINDS)}")
    names = {f.name for f in fields(cls)}
    extra = set(obj) - names
    if extra:
        raise ParameterError("schedule", f"{kind} has no field(s) {', '.join(sorted(extra))}")
    try:
        return cls(**obj)
    except TypeError as e:
        raise ParameterError("schedule", f"{kind}: {e}") from None


def as_schedule(omega) -> Schedule:
    """A :class:`Schedule` from a number (constant guidance), a text form, a JSON dict or a
    schedule."""
    if isinstance(omega, Schedule):
        return omega
    if isinstance(omega, str):
        return parse_schedule(omega)
    if isinstance(omega, dict):
        return schedule_from_json(omega)
    return Constant(check_real("omega", omega, lo=OMEGA_MIN, hi=OMEGA_MAX))


