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
``table:GRID:INTERP:X1,X2,...:W1,W2,...``   tabulated: value ``Wi`` at node ``Xi``, a time
                                            (``GRID`` = ``t``) or an EDM noise level
                                            (``sigma``); ``INTERP`` = ``const``: ``Wi`` holds
                                            from ``Xi`` towards the data end up to the next
                                            node; ``linear``: linear in ``t`` or in ``sigma``
                                            between nodes; constant at the end values outside
                                            the nodes (:class:`Table`)
==========================================  ==================================================

Noise levels: ``sigma(t) = sqrt(e^{2t} - 1)`` and ``t(sigma) = log1p(sigma^2)/2``
(:func:`sigma_of_t`, :func:`t_of_sigma`). A sampler's per-step guidance (diffusers'
``start``/``stop``, a guidance interval in step indices, sigma limits) becomes a ``table`` on
the sampler's grid: :mod:`cfgmft.grids`.

Lowering: every schedule is, for the integrators, one :class:`Pieces` table (its
:attr:`Schedule.pieces`). The breakpoints ``b_1 < ... < b_n`` cut ``t >= 0`` into the pieces
``[0, b_1), (b_1, b_2), ..., (b_n, inf)``; on piece ``j``

    omega(t) = c0 + c1 t + c2 cos(c3 t) + c4 sigma(t)          (:func:`piece_value`)

with the row ``coef[j] = (c0, c1, c2, c3, c4)``, and ``omega(b_i) = at[i]`` at a breakpoint
(``sigma(t)`` is read at ``min(t, T_SIGMA_CAP)``; see :data:`T_SIGMA_CAP`). The
vectorised evaluation (``schedule(t)``), the numba kernels of the mean-field solvers (which
read the row of the piece they integrate, so a jump never falls inside a step), the
quadratures of the infinite-class solver and the Monte Carlo time grid (which gains the
breakpoints) all read this one table. Each piece's formula is monotone on the piece, so the
extremes of ``omega(t)`` are at the pieces' ends. A new kind is one class with a ``_lower``
method.
"""

from __future__ import annotations

import json
import math
import numbers
from dataclasses import MISSING, dataclass, fields
from functools import cached_property
from typing import ClassVar

import numpy as np

from .errors import ParameterError, check_real
from .ranges import OMEGA_MAX, OMEGA_MIN, SIGMA_MAX, TIME_MAX

__all__ = [
    "Schedule", "Constant", "Interval", "LinearRamp", "CosineRamp", "LowHighLow",
    "NegativeWindow", "NegativeRamp", "Table", "parse_schedule", "schedule_from_json", "as_schedule",
    "SCHEDULE_KINDS", "OMEGA_MIN", "Pieces", "piece_value", "piece_index", "omega_function", "OmegaFunction",
    "T_SIGMA_CAP", "sigma_of_t", "t_of_sigma",
]


def _fmt(x: float) -> str:
    """Shortest text that round-trips a float exactly ('2' for 2.0)."""
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


def _check_list(name: str, value) -> tuple[float, ...]:
    """``value`` (a list, tuple or 1-d array of real numbers) as a tuple of finite floats."""
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__") or np.ndim(value) != 1:
        raise ParameterError(name, f"must be a list of numbers, got {value!r}")
    return tuple(check_real(f"{name}[{i}]", x) for i, x in enumerate(value))


#: The sigma term of a piece is evaluated at ``min(t, T_SIGMA_CAP)``: ``sigma(300) ~ e^300`` is
#: still a finite float64, so a row with ``c4 = 0`` gives ``0 * sigma = 0`` at any time up to
#: ``TIME_MAX`` (never ``0 * inf``). A piece with ``c4 != 0`` must end at or below the cap
#: (:meth:`Pieces.make` checks it), where the cap never acts.
T_SIGMA_CAP = 300.0


def sigma_of_t(t):
    """EDM noise level ``sigma(t) = sqrt(e^{2t} - 1)`` of the forward time ``t >= 0``."""
    return np.sqrt(np.expm1(2.0 * np.asarray(t, dtype=np.float64)))


def t_of_sigma(sigma):
    """Forward time ``t = log1p(sigma^2)/2`` of the EDM noise level ``sigma >= 0`` (the inverse of
    :func:`sigma_of_t`; ``sigma <= SIGMA_MAX`` keeps ``sigma^2`` finite)."""
    s = np.asarray(sigma, dtype=np.float64)
    with np.errstate(over="ignore"):
        direct = 0.5 * np.log1p(s * s)
        # beyond 1e100 (above any grid's levels; sigma^2 overflows at 1.3e154): log(sigma) + log1p(sigma^-2)/2
        big = s > 1e100
        if np.any(big):
            safe = np.where(big, s, 1e101)
            direct = np.where(big, np.log(safe) + 0.5 * np.log1p(1.0 / (safe * safe)), direct)
    return direct[()] if isinstance(direct, np.ndarray) else direct


def piece_value(c0, c1, c2, c3, c4, t):
    """``omega(t) = c0 + c1 t + c2 cos(c3 t) + c4 sigma(t)`` on one piece, ``sigma(t) =
    sqrt(expm1(2t))`` the EDM noise level, read at ``min(t, T_SIGMA_CAP)`` (scalars or arrays,
    no branch; numba compiles it as it is)."""
    return c0 + c1 * t + c2 * np.cos(c3 * t) + c4 * np.sqrt(np.expm1(2.0 * np.minimum(t, T_SIGMA_CAP)))


def piece_index(breaks, t):
    """Index of the piece that holds ``t`` (``t`` strictly inside it; at a breakpoint ``b_i``
    the piece below): the number of breakpoints ``< t`` (scalars or arrays; numba compiles
    it as it is)."""
    return np.searchsorted(breaks, t)


@dataclass(frozen=True, eq=False)
class Pieces:
    """``omega(t)`` as a piecewise function (module docstring): ``breaks`` ``(n,)`` strictly
    increasing in ``[0, TIME_MAX]``, ``coef`` ``(n + 1, 5)`` rows ``(c0, c1, c2, c3, c4)`` of
    :func:`piece_value`, ``at`` ``(n,)`` the values at the breakpoints; float64, read-only."""

    breaks: np.ndarray
    coef: np.ndarray
    at: np.ndarray

    #: number of coefficients of a row
    WIDTH: ClassVar[int] = 5

    @classmethod
    def make(cls, rows, breaks=(), at=()) -> "Pieces":
        """From piece rows (each ``(c0,)``, ``(c0, c1)``, ``(c0, c1, c2, c3)`` or
        ``(c0, c1, c2, c3, c4)``; missing coefficients are 0), the breakpoints between them and
        the values there.

        A row with a sigma term (``c4 != 0``) has no cosine term and ``c1 c4 >= 0`` (so it is
        monotone, which keeps :meth:`extremes` exact) and ends at a breakpoint
        ``<= T_SIGMA_CAP`` (the last, unbounded piece has ``c4 = 0``)."""
        coef = np.zeros((len(rows), cls.WIDTH))
        for j, row in enumerate(rows):
            coef[j, :len(row)] = row
        arrs = [np.array(breaks, dtype=np.float64), coef, np.array(at, dtype=np.float64)]
        if not (arrs[0].shape == arrs[2].shape == (len(rows) - 1,) and np.all(np.diff(arrs[0]) > 0)):
            raise ValueError(f"pieces: need {len(rows) - 1} increasing breakpoints and values, got {breaks}, {at}")
        ends = np.append(arrs[0], np.inf)
        for j in np.flatnonzero(coef[:, 4] != 0.0):
            if coef[j, 2] != 0.0 or coef[j, 1] * coef[j, 4] < 0.0 or not ends[j] <= T_SIGMA_CAP:
                raise ValueError(f"pieces: row {j} {tuple(coef[j])} with a sigma term must have c2 = 0, "
                                 f"c1 c4 >= 0 and end at t <= {T_SIGMA_CAP:g} (ends at {ends[j]:g})")
        for a in arrs:
            a.setflags(write=False)
        return cls(*arrs)

    def __call__(self, t):
        """``omega(t)`` for an array of times ``t >= 0`` (float64 array of its shape)."""
        t = np.asarray(t, dtype=np.float64)
        j = piece_index(self.breaks, t)
        c = self.coef[j]
        out = np.asarray(piece_value(c[..., 0], c[..., 1], c[..., 2], c[..., 3], c[..., 4], t), dtype=np.float64)
        if self.breaks.size:
            jb = np.minimum(j, self.breaks.size - 1)
            on = self.breaks[jb] == t
            out = np.where(on, self.at[jb], out)
        return out

    def extremes(self, t_max: float = TIME_MAX) -> tuple[float, float]:
        """``(min, max)`` of ``omega(t)`` over ``0 <= t <= t_max`` (the pieces' ends and the
        breakpoint values: each piece is monotone, a sigma-linear one too since ``sigma(t)``
        increases)."""
        edges = [0.0, *self.breaks.tolist(), max(t_max, float(self.breaks[-1]) if self.breaks.size else 0.0)]
        vals = list(self.at)
        for j in range(self.coef.shape[0]):
            lo, hi = edges[j], edges[j + 1]
            vals += [float(piece_value(*self.coef[j], lo)), float(piece_value(*self.coef[j], hi))]
        return float(min(vals)), float(max(vals))


@dataclass(frozen=True)
class Schedule:
    """Base class. Subclasses define ``kind``, their fields and ``_lower`` (their :class:`Pieces`)."""

    kind: ClassVar[str] = ""
    #: fields that are times (non-negative); the others are guidance values
    _time_fields: ClassVar[tuple[str, ...]] = ()
    #: fields that are words, not numbers
    _word_fields: ClassVar[tuple[str, ...]] = ()
    #: fields that are lists of numbers (text form: comma-separated; JSON: arrays)
    _list_fields: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self):
        for f in fields(self):
            name, value = f.name, getattr(self, f.name)
            arg = f"schedule {self.kind} {name}"
            if name in self._word_fields:
                continue
            if name in self._list_fields:
                object.__setattr__(self, name, _check_list(arg, value))
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

    def _lower(self) -> Pieces:
        """The schedule as a :class:`Pieces` table."""
        raise NotImplementedError

    # -- shared behaviour --------------------------------------------------------------
    @cached_property
    def pieces(self) -> Pieces:
        """The :class:`Pieces` table every evaluator reads."""
        return self._lower()

    @property
    def breakpoints(self) -> tuple[float, ...]:
        """Times where ``omega(t)`` or its derivative jumps (integrators stop there)."""
        return tuple(self.pieces.breaks.tolist())

    def __call__(self, t):
        """``omega(t)``, vectorised: float64 array of the shape of ``t`` (a float for a scalar)."""
        out = self.pieces(t)
        return float(out) if np.ndim(t) == 0 else out

    def min_value(self) -> float:
        """Smallest value of ``omega(t)`` over ``0 <= t <= TIME_MAX`` (exact)."""
        return self.pieces.extremes()[0]

    def max_value(self) -> float:
        """Largest value of ``omega(t)`` over ``0 <= t <= TIME_MAX`` (exact)."""
        return self.pieces.extremes()[1]

    def is_nonnegative(self) -> bool:
        """True when ``omega(t) >= 0`` for every ``t`` (the hypothesis of claim C5)."""
        return self.min_value() >= 0.0

    @property
    def spec(self) -> str:
        """The text form, e.g. ``interval:2:0.3:1.5``."""
        parts = [self.kind]
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in self._word_fields:
                parts.append(v)
            elif f.name in self._list_fields:
                parts.append(",".join(_fmt(x) for x in v))
            else:
                parts.append(_fmt(v))
        return ":".join(parts)

    def to_json(self) -> dict:
        """The JSON form: ``{"kind": ..., <field>: <value>, ...}``."""
        d = {"kind": self.kind}
        for f in fields(self):
            v = getattr(self, f.name)
            d[f.name] = list(v) if f.name in self._list_fields else v
        return d

    def __str__(self) -> str:
        return self.spec


@dataclass(frozen=True)
class Constant(Schedule):
    """``omega(t) = omega`` for all ``t``."""

    omega: float
    kind: ClassVar[str] = "constant"

    def _lower(self):
        return Pieces.make([(self.omega,)])


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

    def _lower(self):
        return Pieces.make([(0.0,), (self.omega,), (0.0,)], (self.t_lo, self.t_hi), (self.omega, self.omega))


class _Ramp(Schedule):
    """Shared checks of the two ramps (mean ``mean`` over ``[0, t_ramp]``)."""

    _time_fields: ClassVar[tuple[str, ...]] = ("t_ramp",)
    _word_fields: ClassVar[tuple[str, ...]] = ("direction",)

    def _validate(self):
        if self.t_ramp <= 0:
            raise ParameterError(f"schedule {self.kind} T_R", f"must be a finite number > 0, got {self.t_ramp:g}")
        if self.direction not in ("up", "down"):
            raise ParameterError(f"schedule {self.kind} direction", f"must be 'up' or 'down', got {self.direction!r}")

    def _lower(self):
        # the ramp on [0, t_ramp] (closed), then 0
        ramp, at_end = self._ramp()
        return Pieces.make([ramp, (0.0,)], (self.t_ramp,), (at_end,))


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

    def _ramp(self):
        slope = 2.0 * self.mean / self.t_ramp
        if self.direction == "up":
            return (2.0 * self.mean, -slope), 0.0
        return (0.0, slope), 2.0 * self.mean


@dataclass(frozen=True)
class CosineRamp(_Ramp):
    """Cosine ramp with mean ``mean`` on ``[0, t_ramp]``, zero beyond.

    ``up``: ``mean (1 + cos(pi t/t_ramp))``; ``down``: ``mean (1 - cos(pi t/t_ramp))``.
    """

    mean: float
    t_ramp: float
    direction: str = "up"
    kind: ClassVar[str] = "cosine"

    def _ramp(self):
        sign = 1.0 if self.direction == "up" else -1.0
        return (self.mean, 0.0, sign * self.mean, math.pi / self.t_ramp), self.mean * (1.0 - sign)


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

    def _lower(self):
        return Pieces.make([(self.omega_low,), (self.omega_high,), (self.omega_low,)], (self.t_lo, self.t_hi),
                           (self.omega_high, self.omega_high))


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

    def _lower(self):
        return Pieces.make([(self.omega_late,), (self.omega_neg,), (self.omega_pos,)], (self.t_lo, self.t_hi),
                           (self.omega_neg, self.omega_neg))


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

    def _lower(self):
        return Pieces.make([(self.intercept, self.slope), (self.omega_pos,)], (self.t_switch,),
                           (self.intercept + self.slope * self.t_switch,))


def _is_constant_row(row) -> bool:
    return all(c == 0.0 for c in row[1:])


@dataclass(frozen=True)
class Table(Schedule):
    """Tabulated guidance: ``values[i]`` at ``nodes[i]``, nodes in forward time (``grid='t'``)
    or in EDM noise level (``grid='sigma'``, node time ``t = log1p(sigma^2)/2``).

    The nodes are strictly monotone in either order (kept as given; the schedule sorts them
    by ``t``). With the nodes sorted, ``u_1 < ... < u_n`` in ``t``:

    * ``interp='const'``: a node's value holds from the node towards the data end, up to the
      next node: ``values`` of ``u_1`` on ``[0, u_1]``, of ``u_i`` on ``(u_{i-1}, u_i]``, and
      of ``u_n`` also for ``t > u_n``. Listed at a sampler's step starts ``sigma_0 > ... >
      sigma_{N-1}`` (the grid without its final 0), ``values[i]`` is the guidance of the whole
      step from ``sigma_i`` to ``sigma_{i+1}``;
    * ``interp='linear'``: linear in the grid variable between consecutive nodes (in ``t``:
      ``c0 + c1 t``; in ``sigma``: ``c0 + c4 sigma(t)``, exact), equal to the node values at
      the nodes, and constant at the end values outside ``[u_1, u_n]``.

    Breakpoints are the nodes where the value or the slope changes (a node between two equal
    constant pieces is no breakpoint). Every value must be in ``[-1, 1000]``, ``t`` nodes in
    ``[0, 1000]``, ``sigma`` nodes in ``[0, SIGMA_MAX]``.
    """

    grid: str
    interp: str
    nodes: tuple[float, ...]
    values: tuple[float, ...]
    kind: ClassVar[str] = "table"
    _word_fields: ClassVar[tuple[str, ...]] = ("grid", "interp")
    _list_fields: ClassVar[tuple[str, ...]] = ("nodes", "values")

    GRIDS: ClassVar[tuple[str, ...]] = ("t", "sigma")
    INTERPS: ClassVar[tuple[str, ...]] = ("const", "linear")

    def _validate(self):
        if self.grid not in self.GRIDS:
            raise ParameterError("schedule table GRID", f"must be 't' or 'sigma', got {self.grid!r}")
        if self.interp not in self.INTERPS:
            raise ParameterError("schedule table INTERP", f"must be 'const' or 'linear', got {self.interp!r}")
        x, v = np.array(self.nodes), np.array(self.values)
        if x.size == 0 or x.size != v.size:
            raise ParameterError("schedule table", f"needs as many VALUES as NODES (at least one), got "
                                                   f"{x.size} nodes and {v.size} values")
        hi, unit = (TIME_MAX, "time t") if self.grid == "t" else (SIGMA_MAX, "noise level sigma")
        bad = np.flatnonzero(~((x >= 0.0) & (x <= hi)))
        if bad.size:
            raise ParameterError("schedule table NODES", f"each {unit} must be in [0, {hi:g}], got "
                                                         f"nodes[{bad[0]}] = {float(x[bad[0]])!r}")
        d = np.diff(x)
        if not (np.all(d > 0) or np.all(d < 0)):
            raise ParameterError("schedule table NODES", "must be strictly increasing or strictly decreasing, got "
                                                         f"{_fmt_list(self.nodes)}")
        if not np.all(np.diff(self._sorted()[0]) > 0):
            raise ParameterError("schedule table NODES", "noise levels too close to be distinct times "
                                                         f"t = log1p(sigma^2)/2, got {_fmt_list(self.nodes)}")
        bad = np.flatnonzero(~((v >= OMEGA_MIN) & (v <= OMEGA_MAX)))
        if bad.size:
            raise ParameterError("schedule table VALUES", f"each must be in [{OMEGA_MIN:g}, {OMEGA_MAX:g}] "
                                                          f"(1+omega >= 0), got values[{bad[0]}] = {float(v[bad[0]])!r}")

    def _sorted(self):
        """``(u, x, v)``: the node times increasing, the nodes in the grid variable and the
        values in the same order."""
        x = np.array(self.nodes, dtype=np.float64)
        v = np.array(self.values, dtype=np.float64)
        if x.size > 1 and x[0] > x[-1]:
            x, v = x[::-1], v[::-1]
        u = x if self.grid == "t" else np.asarray(t_of_sigma(x), dtype=np.float64)
        return u, x, v

    def _lower(self):
        u, x, v = self._sorted()
        n = u.size
        rows, breaks, at = [(v[0],)], [], []  # the first row is below u_1 (empty if u_1 = 0)
        for i in range(n):
            breaks.append(u[i])
            at.append(v[i])
            if i == n - 1:
                rows.append((v[i],))
            elif self.interp == "const":
                rows.append((v[i + 1],))
            else:
                slope = (v[i + 1] - v[i]) / (x[i + 1] - x[i])
                c0 = v[i] - slope * x[i]
                rows.append((c0, slope) if self.grid == "t" else (c0, 0.0, 0.0, 0.0, slope))
        if u[0] == 0.0 and self.interp == "linear":  # no piece below the first node
            rows, breaks, at = rows[1:], breaks[1:], at[1:]
        out_rows, out_b, out_at = [rows[0]], [], []
        for b, a, row in zip(breaks, at, rows[1:]):
            prev = out_rows[-1]
            if _is_constant_row(prev) and _is_constant_row(row) and prev[0] == row[0] == a:
                continue  # no jump and no kink: not a breakpoint
            out_rows.append(row)
            out_b.append(b)
            out_at.append(a)
        return Pieces.make(out_rows, out_b, out_at)

    def min_value(self) -> float:
        """Smallest value: the smallest node value (exact; the rows reproduce the node values
        to rounding)."""
        return float(min(self.values))

    def max_value(self) -> float:
        """Largest value: the largest node value (exact)."""
        return float(max(self.values))


def _fmt_list(xs) -> str:
    return ",".join(_fmt(x) for x in xs)


SCHEDULE_KINDS: dict[str, type[Schedule]] = {
    cls.kind: cls for cls in (Constant, Interval, LinearRamp, CosineRamp, LowHighLow,
                              NegativeWindow, NegativeRamp, Table)
}


def _usage(cls: type[Schedule]) -> str:
    names = [f.name.upper() if f.default is MISSING else f"[{f.name.upper()}]" for f in fields(cls)]
    lists = [f.name.upper() for f in fields(cls) if f.name in cls._list_fields]
    return ":".join([cls.kind, *names]) + (f" ({', '.join(lists)}: comma-separated numbers)" if lists else "")


def parse_schedule(text: str) -> Schedule:
    """Parse the text form ``KIND:V1:V2:...`` (see the module docstring for the grammar)."""
    if not isinstance(text, str) or not text.strip():
        raise ParameterError("schedule", "must be a text such as 'constant:2' or 'interval:2:0.3:1.5'")
    kind, *raw = [p.strip() for p in text.strip().split(":")]
    cls = SCHEDULE_KINDS.get(kind)
    if cls is None:
        raise ParameterError("schedule", f"unknown kind {kind!r}; allowed: {', '.join(SCHEDULE_KINDS)}")
    flds = fields(cls)
    n_req = sum(1 for f in flds if f.default is MISSING)
    if not n_req <= len(raw) <= len(flds):
        raise ParameterError("schedule", f"{kind} takes the form {_usage(cls)}, got {text!r}")
    kwargs = {}
    for f, v in zip(flds, raw):
        if f.name in cls._word_fields:
            kwargs[f.name] = v
            continue
        if f.name in cls._list_fields:
            try:
                kwargs[f.name] = [float(x) for x in v.split(",")]
            except ValueError:
                raise ParameterError("schedule", f"{kind} {f.name.upper()} must be comma-separated numbers, "
                                                 f"got {v!r}") from None
            continue
        try:
            kwargs[f.name] = float(v)
        except ValueError:
            raise ParameterError("schedule", f"{kind} {f.name.upper()} must be a number, got {v!r}") from None
    try:
        return cls(**kwargs)
    except ParameterError as e:
        raise ParameterError("schedule", str(e)) from None


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




class OmegaFunction:
    """``omega(t)`` as the integrators and samplers read it, from any of the forms users pass.

    ``omega`` may be a real number (constant guidance; :attr:`constant` holds it), a
    :class:`Schedule` or its text or JSON form (:attr:`schedule` holds it), or any callable
    ``omega(t)`` vectorised over float64 arrays of forward times, optionally with a
    ``breakpoints`` attribute listing the times where it jumps (a user's schedule). Calling the
    object returns float64 values of the shape of ``t``; every value must be finite and
    ``>= -1`` (else :class:`ParameterError` naming ``name``). :attr:`breakpoints` are sorted,
    finite and ``>= 0``.
    """

    def __init__(self, omega, name: str = "omega"):
        self.name = name
        self.constant: float | None = None
        self.schedule: Schedule | None = None
        if isinstance(omega, (Schedule, str, dict)):
            self.schedule = as_schedule(omega)
            self._fn = self.schedule
            self.breakpoints = self.schedule.breakpoints
            self.label = f"schedule: {self.schedule}"
        elif callable(omega):
            self._fn = omega
            self.breakpoints = self._user_breakpoints(omega)
            self.label = f"schedule: {omega}"
        elif isinstance(omega, np.ndarray) and omega.ndim > 0:
            raise ParameterError(name, f"must be a finite real number >= -1 or a callable omega(t), got an array "
                                       f"of shape {omega.shape}")
        elif isinstance(omega, (numbers.Real, np.ndarray)) and not isinstance(omega, bool):
            self.constant = check_real(name, omega, lo=OMEGA_MIN)
            self._fn = None
            self.breakpoints = ()
            self.label = self.constant
        else:
            raise ParameterError(name, f"must be a real number, a schedule or a callable omega(t), "
                                       f"got {type(omega).__name__}")

    def _user_breakpoints(self, fn) -> tuple[float, ...]:
        bps = getattr(fn, "breakpoints", None)
        if bps is None:
            return ()
        try:
            vals = tuple(float(b) for b in bps)
        except (TypeError, ValueError):
            raise ParameterError(f"{self.name}.breakpoints", f"must be a sequence of times t >= 0, got {bps!r}") from None
        if not all(b >= 0 for b in vals):  # also rejects NaN
            raise ParameterError(f"{self.name}.breakpoints", f"must be times t >= 0, got {vals!r}")
        return tuple(sorted(set(b for b in vals if math.isfinite(b))))  # t = inf is never reached

    def __call__(self, t):
        """``omega(t)``: a float for a scalar ``t``, else a float64 array of the shape of ``t``."""
        arr = np.asarray(t, dtype=np.float64)
        if self._fn is None:
            w = np.full(arr.shape, self.constant)
        elif self.schedule is not None:
            w = self.schedule.pieces(arr)
        else:
            w = np.asarray(self._fn(arr.copy()), dtype=np.float64)
            if w.shape != arr.shape:
                try:
                    w = np.broadcast_to(w, arr.shape).copy()
                except ValueError:
                    raise ParameterError(self.name, f"omega(t) must return an array of the shape of t, got shape "
                                                    f"{w.shape} for t of shape {arr.shape}") from None
            bad = ~(np.isfinite(w) & (w >= OMEGA_MIN))
            if bad.any():
                i = int(np.flatnonzero(bad.ravel())[0])
                raise ParameterError(self.name, f"omega(t) must be finite and >= -1, got omega({float(arr.ravel()[i])!r}) "
                                                f"= {float(w.ravel()[i])!r}")
        return float(w) if np.ndim(t) == 0 else w

    def check_on(self, t_end: float) -> None:
        """Check a user's callable on ``[0, t_end]`` (2001 points and its breakpoints)."""
        if self.schedule is None and self._fn is not None:
            grid = np.concatenate([np.linspace(0.0, t_end, 2001), np.asarray(self.breakpoints, dtype=np.float64)])
            self(grid[grid <= t_end])

    def __repr__(self):
        return f"OmegaFunction({self.label!r})"


def omega_function(omega, name: str = "omega") -> OmegaFunction:
    """``omega`` as an :class:`OmegaFunction` (returned as it is if it already is one)."""
    return omega if isinstance(omega, OmegaFunction) else OmegaFunction(omega, name)
