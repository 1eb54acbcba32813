"""Per-step guidance for a real sampler, from a cfgmft guidance table (numpy only).

A guidance table (``cfgmft schedule export``, :func:`cfgmft.commands.schedule.export`) lists
the steps of a sampler grid ``sigma_0 > ... > sigma_N = 0`` (EDM noise levels in the data's
units) with one guidance ``omega_i`` (scale ``w_i = 1 + omega_i``) for every model evaluation
of step ``i``, from ``sigma_i`` to ``sigma_{i+1}``. It stands for the schedule
``table:sigma:const`` on the mixture's noise levels ``sigma/S`` (``S`` the data scale), which
:class:`GuidanceTable` keeps, so that it answers on any grid:

* :meth:`GuidanceTable.w_for_sigmas` (and :func:`w_for_sigmas`): the per-step scales on a
  sampler's grid of ``N + 1`` levels, the schedule read at each step's midpoint in ``t`` (the
  export rule): on the table's own grid these are its rows exactly; on another grid, the rows
  whose interval holds each step's midpoint;
* :meth:`GuidanceTable.w_at_sigma`: the scale of the table row whose step holds the noise level
  ``sigma`` (``sigma_{i+1} < sigma <= sigma_i``; above ``sigma_0`` the first row), for a
  denoiser wrapper that sees only ``sigma``. A sampler that evaluates the model once per step at
  the step's start (Euler, Euler ancestral, DDIM, DPM-Solver++(2M)) gets the rows exactly; a
  second evaluation at ``sigma_{i+1}`` (Heun's corrector) gets row ``i + 1``: for per-step
  exactness there, index by step with :meth:`w_for_sigmas`.

Guidance combines the two predictions as ``pred = pred_u + w (pred_c - pred_u)``, the same
``s = (1 + omega) s_c - omega s_u`` on scores, for any prediction type (epsilon, ``x0``, ``v``,
EDM's ``F``): each is affine in the score with coefficients that do not depend on the class.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..commands.schedule import export, load_guidance_table, read_guidance_table, table_rule
from ..guidance import CFG, Rule, as_rule
from ..errors import ParameterError
from ..schedules import Schedule, omega_function, t_of_sigma

__all__ = ["GuidanceTable", "w_for_sigmas"]


def _sigmas(sigmas, name: str = "sigmas") -> np.ndarray:
    """A sampler grid: finite noise levels, strictly decreasing, ``>= 0``, at least two."""
    s = _levels(sigmas, name)
    if s.ndim != 1 or s.size < 2:
        raise ParameterError(name, f"must be N + 1 >= 2 noise levels of a sampler grid, got shape {s.shape}")
    if not np.all(np.isfinite(s)) or s.min() < 0 or not np.all(np.diff(s) < 0):
        raise ParameterError(name, "must be finite noise levels >= 0, strictly decreasing")
    return s


def _read_table_file(path) -> str:
    """The text of a guidance table file (:func:`cfgmft.io.read_record_text`: a regular file of
    bounded size, UTF-8); anything else is a :class:`ParameterError` naming ``table``."""
    from ..io import RecordReadError, read_record_text

    try:
        return read_record_text(path)
    except FileNotFoundError:
        raise ParameterError("table", f"no such file {str(path)!r} (a guidance table is cfgmft schedule export's "
                                      "dict, its JSON or CSV text, or a file holding either)") from None
    except (RecordReadError, OSError) as e:
        raise ParameterError("table", f"cannot be read as a guidance table file: {e}") from None


def _levels(value, name: str) -> np.ndarray:
    try:
        return np.asarray(value.detach().cpu().numpy() if hasattr(value, "detach") else value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(name, f"must be noise levels (numbers), got {value!r}") from None


@dataclass(frozen=True)
class GuidanceTable:
    """A guidance table: ``schedule`` (``table:sigma:const`` on the mixture's noise levels),
    ``data_scale`` ``S``, the table's grid ``sigmas`` (``N + 1`` levels, data units) and its
    per-step scales ``w`` (``N``), and the guidance ``rule`` the table is for (the exported
    file's ``guidance``; ``cfg`` where it has none); read-only."""

    schedule: Schedule
    data_scale: float
    sigmas: tuple[float, ...]
    w: tuple[float, ...]
    rule: Rule = CFG()

    # -- making one ----------------------------------------------------------------------
    @classmethod
    def from_export(cls, source) -> "GuidanceTable":
        """From :func:`~cfgmft.commands.schedule.export`'s dict, its JSON or CSV text, or a file
        holding either (a :class:`pathlib.Path` or a path string that names an existing file)."""
        if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source
                                        and not source.lstrip().startswith("{")):
            source = _read_table_file(source)
        table = load_guidance_table(source)
        sch = read_guidance_table(table)
        return cls._from_schedule_rows(sch, float(table.get("data_scale", 1.0)), table_rule(table))

    @classmethod
    def from_schedule(cls, schedule, grid, *, data_scale: float = 1.0, rule=None) -> "GuidanceTable":
        """The table of ``schedule`` (any form :func:`cfgmft.schedules.as_schedule` takes) on
        the sampler grid ``grid`` (``karras:...``, ``sigmas:...`` or a
        :class:`cfgmft.grids.SigmaGrid`), for the guidance ``rule``, as ``cfgmft schedule export``
        writes it."""
        return cls.from_export(export(schedule, grid, data_scale=data_scale, rule=as_rule(rule)))

    @classmethod
    def _from_schedule_rows(cls, sch, S: float, rule=None) -> "GuidanceTable":
        nodes = np.asarray(sch.nodes, dtype=np.float64)  # sigma_0 > ... > sigma_{N-1}, mixture units
        sig = tuple(float(x) for x in np.append(nodes * S, 0.0))
        return cls(sch, S, sig, tuple(1.0 + float(v) for v in sch.values), as_rule(rule))

    # -- reading it ----------------------------------------------------------------------
    @property
    def steps(self) -> int:
        return len(self.w)

    @property
    def omega(self) -> tuple[float, ...]:
        return tuple(x - 1.0 for x in self.w)

    def _t(self, sigmas: np.ndarray) -> np.ndarray:
        return np.asarray(t_of_sigma(sigmas / self.data_scale), dtype=np.float64)

    def w_for_sigmas(self, sigmas) -> np.ndarray:
        """Per-step scales ``w_i`` for the sampler grid ``sigmas`` (``N + 1`` levels in the
        data's units, decreasing, usually ending at 0): the schedule at each step's midpoint
        in ``t``; float64, shape ``(N,)``."""
        t = self._t(_sigmas(sigmas))
        return 1.0 + np.asarray(omega_function(self.schedule)(0.5 * (t[:-1] + t[1:])), dtype=np.float64).reshape(-1)

    def w_at_sigma(self, sigma) -> np.ndarray:
        """The scale of the row whose step holds ``sigma`` (module docstring); any shape."""
        s = _levels(sigma, "sigma")
        if not np.all(np.isfinite(s)) or np.any(s < 0):
            raise ParameterError("sigma", f"must be finite noise levels >= 0, got {sigma!r}")
        return 1.0 + np.asarray(omega_function(self.schedule)(self._t(s)), dtype=np.float64).reshape(s.shape)


def w_for_sigmas(table, sigmas) -> np.ndarray:
    """Per-step guidance scales ``w_i = 1 + omega_i`` for the sampler grid ``sigmas`` (``N + 1``
    noise levels in the data's units): ``table`` is a :class:`GuidanceTable`, an exported table
    (dict, JSON or CSV text, a file) or a schedule (then read with data scale 1 on ``sigmas``
    itself). For a loop ``for i in range(N): ... pred = pred_u + w[i] * (pred_c - pred_u)``."""
    if not isinstance(table, GuidanceTable):
        if isinstance(table, (dict, Path)) or (isinstance(table, str) and ("rows" in table or "\n" in table
                                                                          or Path(table).is_file())):
            table = GuidanceTable.from_export(table)
        else:
            s = _sigmas(sigmas)
            try:
                table = GuidanceTable.from_schedule(table, "sigmas:" + ",".join(repr(float(x)) for x in s))
            except ParameterError as e:
                raise ParameterError("table", "must be a GuidanceTable, an exported table (dict, JSON or CSV text, a "
                                              f"file) or a schedule; as a schedule: {e}") from None
    return table.w_for_sigmas(sigmas)
