"""The result types every layer returns.

* :class:`Estimate` is a Monte Carlo number: a value with its standard error. Its JSON form is
  ``{"mean": value, "stderr": stderr}`` (the value is always an estimate of a mean over samples
  or over disorder draws).
* :class:`Prediction` is what every theory returns (the infinite-class solver, the
  exponential-regime mean field, :func:`cfgmft.api.predict`): a read-only dict of its numbers
  and settings with attribute access, like scipy's ``OptimizeResult``, that always holds a
  ``status`` and a ``message`` saying what happened.
* :class:`Simulation` is what the Monte Carlo returns (:func:`cfgmft.api.simulate`): the same
  read-only mapping with attribute access, shaped like :class:`Prediction` (the problem's keys,
  the observables, ``status`` and ``message``), every observable as its JSON form
  ``{"mean", "stderr"}``; :attr:`Simulation.estimates` gives them as :class:`Estimate`,
  :attr:`Simulation.problem` the problem, :meth:`Simulation.to_json` /
  :meth:`Simulation.from_json` the round trip.
* :func:`over_draws` is the one rule that combines the estimates of independent disorder draws
  (independent mixtures) into one estimate.
"""

from __future__ import annotations

import math
from dataclasses import FrozenInstanceError, dataclass

import numpy as np

from .errors import NumericalError

__all__ = ["Estimate", "Prediction", "Simulation", "over_draws", "wilson_interval", "OVER_DRAWS_CONVENTION", "ONE_DRAW_CONVENTION"]

#: what the standard error of :func:`over_draws` means, for the result files
OVER_DRAWS_CONVENTION = ("over disorder draws: sqrt(max(Var_draws, mean sampling variance)/R), "
                         "sampling and disorder together")
#: ... and with a single draw
ONE_DRAW_CONVENTION = "sampling error of one mixture (disorder not sampled: use --disorder R >= 2)"


@dataclass(frozen=True)
class Estimate:
    """A value with its standard error (``stderr``)."""

    value: float
    stderr: float

    def __iter__(self):
        yield self.value
        yield self.stderr

    def __repr__(self):
        return f"{self.value:.6g} ± {self.stderr:.2g}"

    def to_dict(self) -> dict:
        """The JSON form ``{"mean": value, "stderr": stderr}``."""
        return {"mean": float(self.value), "stderr": float(self.stderr)}

    @classmethod
    def from_dict(cls, obj: dict) -> "Estimate":
        """Inverse of :meth:`to_dict`."""
        return cls(float(obj["mean"]), float(obj["stderr"]))


class Prediction(dict):
    """A theory's prediction: a read-only mapping of names to values, also readable as
    attributes (``p.var_ratio`` is ``p["var_ratio"]``).

    Always present: ``status`` (a short word or phrase; the solvers document theirs) and
    ``message`` (what happened, in words). The other keys are the observables (``m_final``,
    ``mean_shift``, ``var_ratio``, ``kl_per_dim``, ...), the event times and the inputs, as each
    solver documents. :meth:`to_dict` is the JSON form (``inf`` in ``T`` and ``alpha`` written
    as ``None``, tuples as lists).
    """

    __slots__ = ()

    def __init__(self, *, status: str, message: str, **fields):
        super().__init__(status=status, message=message, **fields)

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"this prediction has no {name!r}; it has {', '.join(self)}") from None

    def __setattr__(self, name, value):
        raise FrozenInstanceError(f"cannot assign to field {name!r}: a Prediction is read-only")

    def __dir__(self):
        return [*super().__dir__(), *self.keys()]

    def __repr__(self):
        return "Prediction(" + ", ".join(f"{k}={v!r}" for k, v in self.items()) + ")"

    def to_dict(self) -> dict:
        """The JSON-serialisable form."""
        out = {}
        for k, v in self.items():
            if k in ("T", "alpha") and isinstance(v, float) and math.isinf(v):
                v = None
            out[k] = list(v) if isinstance(v, tuple) else v
        return out


#: the Monte Carlo observables of a :class:`Simulation`, as ``{"mean", "stderr"}`` (``None`` where n/a)
SIMULATION_OBSERVABLES = ("m_final", "mean_shift", "var_ratio", "var_ratio_parallel", "var_m", "kl_per_dim",
                          "accuracy", "margin", "log_odds")


class Simulation(Prediction):
    """A Monte Carlo result (:func:`cfgmft.api.simulate`, ``cfgmft simulate --json``), shaped
    like :class:`Prediction`: a read-only mapping of the JSON keys, readable as attributes.

    Keys: the problem's (``prior``, ``sigma2``, ``classes``, ``alpha``, ``d``, ``omega`` or the
    schedule, ``sampler``, ``T``, ``steps``), ``K``, ``samples``, ``disorder``, ``seed``,
    ``backend``, ``device``, ``precision``, the timings ``seconds_sampling`` and
    ``seconds_total`` (and the pilot's ``step_control.pilot_seconds`` under ``tol``), every
    observable of :data:`SIMULATION_OBSERVABLES` as ``{"mean", "stderr"}`` (``None`` where it
    does not apply), ``status`` and ``message``.

    ``r.estimates["var_ratio"]`` (or ``r.estimate("var_ratio")``) is an :class:`Estimate`;
    ``r.problem`` rebuilds the :class:`cfgmft.params.Problem`; ``Simulation.from_dict(r.to_dict())``
    and ``Simulation.from_json(r.to_json())`` give back an equal result.
    """

    __slots__ = ()

    def __init__(self, *, status: str = "ok", message: str = "", **fields):
        super().__init__(status=status, message=message, **fields)

    def __repr__(self):
        est = ", ".join(f"{k}={Estimate.from_dict(self[k])!r}" for k in SIMULATION_OBSERVABLES
                        if isinstance(self.get(k), dict))
        return f"Simulation(d={self.get('d')}, K={self.get('K')}, samples={self.get('samples')}, {est})"

    @property
    def estimates(self) -> dict:
        """Every observable as an :class:`Estimate` (``None`` where it does not apply)."""
        return {k: None if self.get(k) is None else Estimate.from_dict(self[k])
                for k in SIMULATION_OBSERVABLES if k in self}

    def estimate(self, name: str) -> Estimate | None:
        """The observable ``name`` as an :class:`Estimate` (``None`` where it does not apply)."""
        if name not in SIMULATION_OBSERVABLES or name not in self:
            raise KeyError(f"{name!r} is not an observable of this simulation; they are "
                           + ", ".join(k for k in SIMULATION_OBSERVABLES if k in self))
        return None if self[name] is None else Estimate.from_dict(self[name])

    @property
    def problem(self):
        """The :class:`cfgmft.params.Problem` that was simulated (its ``T`` the Monte Carlo's start)."""
        from .params import Problem

        obj = dict(self)
        if obj.get("alpha") is not None:
            obj["classes"] = None
        if obj.get("omega") is None and obj.get("schedule") is None:
            obj["schedule"] = obj.get("schedule_spec")
        return Problem.from_dict(obj)

    def to_dict(self) -> dict:
        """The JSON-serialisable form (plain dicts and lists; ``inf`` as ``"inf"``)."""
        from .io import to_jsonable

        return to_jsonable(dict(self))

    def to_json(self, **kwargs) -> str:
        """The JSON text of :meth:`to_dict` (``kwargs`` go to :func:`json.dumps`)."""
        import json

        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)

    @classmethod
    def from_dict(cls, obj: dict) -> "Simulation":
        """Inverse of :meth:`to_dict`."""
        if not isinstance(obj, dict):
            raise TypeError(f"a Simulation is read from a dict, got {type(obj).__name__}")
        return cls(**{"status": "ok", "message": "", **obj})

    @classmethod
    def from_json(cls, text: str) -> "Simulation":
        """Inverse of :meth:`to_json`."""
        import json

        return cls.from_dict(json.loads(text))


def wilson_interval(p: float, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval (95% by default) of a proportion ``p`` observed on ``n`` trials:
    unlike ``p +- z sqrt(p(1-p)/n)`` it has a width at ``p = 0`` and ``p = 1``."""
    n = float(n)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(max(p * (1 - p), 0.0) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def over_draws(values, stderrs, what: str = "estimate") -> Estimate:
    """Combine the estimates ``values[i] ± stderrs[i]`` of ``R`` independent disorder draws.

    The value is the mean over draws. With ``R >= 2`` the standard error is
    ``sqrt(max(Var_draws, mean(stderrs^2)) / R)``: the spread over draws already contains the
    sampling noise, whose size each draw knows well, so with few draws the (noisy) spread is
    floored by it; sampling and disorder are covered together. With ``R = 1`` it is that draw's
    sampling error. A non-finite value is a :class:`NumericalError` naming ``what``.
    """
    vals = np.asarray(values, dtype=np.float64)
    errs = np.asarray(stderrs, dtype=np.float64)
    if vals.size == 0 or vals.shape != errs.shape:
        raise ValueError(f"{what}: need one standard error per draw, got {vals.size} values and {errs.size} errors")
    if not np.all(np.isfinite(vals)):
        raise NumericalError(f"{what} is not finite in a Monte Carlo draw")
    if vals.size > 1:
        between = float(vals.var(ddof=1))
        sampling = float(np.mean(np.square(errs)))
        stderr = math.sqrt(max(between, sampling) / vals.size)
    else:
        stderr = float(errs[0])
    return Estimate(float(vals.mean()), stderr)
