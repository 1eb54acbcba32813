"""``cfgmft reproduce``: one section per claim of docs/explanation/model.md §6, with numbers, a verdict and a
figure, written to ``OUT/report.md`` (figures ``OUT/c*.png``, every number and parameter in
``OUT/results.json``).

This version computes C1, C4 and C5 (infinite-class limit: closed forms, quadratures and
Monte Carlo with exact scores), C2 and C3 (the d -> infinity random-energy mean field
against finite-size scaling of Monte Carlo across d) and C6 (a negative-window schedule
designed on the mean-field theory by :mod:`cfgmft.solvers.design`, then simulated) and C7 (beyond the
paper: every guidance rule of :mod:`cfgmft.guidance`, theory against Monte Carlo at equal separability).

Each claim is a module (:mod:`.c1` ... :mod:`.c7`) with the same four functions, which the
driver :func:`reproduce` calls in turn:

* ``compute(settings) -> data``: the numbers (a dict; its keys that do not start with ``_``
  go to ``results.json``);
* ``judge(data) -> Verdict``: the claim's criterion, part by part (:class:`.report.Verdict`);
* ``figure(data, path)``: the figure (and any further files beside it);
* ``section(data, verdict) -> str``: the markdown section of ``report.md``.

Saving and resuming (:mod:`.store`): as soon as a claim is done, its record
``OUT/claims/<NAME>.json`` is written atomically: the settings of the run (every size, the
seed, the mode), the package version and convention, the claim's ``results.json`` entry, its
markdown section, the SHA-256 of every file its figure step wrote, its timing, and a checksum
of all of these (the scheme of the sweep executor's unit files, :mod:`cfgmft.sweep`). A re-run
in the same folder reuses every claim whose record verifies (checksum, same settings, same
version and source code, its files unchanged) and recomputes the others, saying on standard error why a
record present was not used; ``report.md`` and ``results.json`` are rebuilt from the records.
``force=True`` recomputes every selected claim; ``only`` selects claims (the report still shows
the other claims' saved sections when they were run with the same settings).

Verdict criteria (stated in the report next to each verdict):

* a Monte Carlo number *agrees* with the theory when ``|MC - theory| <= 4 stderr``;
* a distortion is *significant* when it differs from exact sampling by more than 4 stderr.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from ..errors import ParameterError
from ..io import output_folder
from . import c1, c2, c3, c4, c5, c6, c7, common, report, store
from .c5 import random_nonnegative_schedule
from .common import AGREE_K
from .report import CLAIMS, NOT_YET, Verdict
from .settings import Settings

__all__ = ["reproduce", "parse_only", "Settings", "Verdict", "CLAIMS", "NOT_YET", "STEPS", "AGREE_K",
           "random_nonnegative_schedule"]

#: the claims the driver runs, in report order: name -> module
STEPS = {"C1": c1, "C2": c2, "C3": c3, "C4": c4, "C5": c5, "C6": c6, "C7": c7}


def parse_only(only) -> list:
    """The claims selected by ``only`` (``None``: all; a string ``"C2,C6"`` or a list of names,
    case-insensitive), in report order; anything else raises ParameterError('only', ...)
    naming the allowed values."""
    allowed = ", ".join(STEPS)
    if only is None:
        return list(STEPS)
    names = only.split(",") if isinstance(only, str) else list(only)
    picked = set()
    for raw in names:
        name = str(raw).strip().upper()
        if name not in STEPS:
            raise ParameterError("only", f"must be a comma-separated list of claims from {allowed}, got {only!r}")
        picked.add(name)
    if not picked:
        raise ParameterError("only", f"must name at least one claim from {allowed}, got {only!r}")
    return [n for n in STEPS if n in picked]


def _claims_bar(total: int, enabled: bool):
    """The progress of the claims to compute (:func:`cfgmft.progress.progress`: the claims done,
    the total and the ETA; each claim's stage and its Monte Carlo / finite-size runs, counted
    by :func:`.common.tick`)."""
    from ..progress import progress

    return progress(total=total, desc="cfgmft reproduce", unit="claim", enabled=enabled)


def reproduce(out="results/reproduce", quick: bool = False, seed: int = 20260223, *, force: bool = False,
              only=None, progress: bool | None = None, tiny: bool = False) -> Path:
    """Run the selected claims (all by default) and write ``out/report.md``; returns its path.

    Finished claims are saved as they finish and reused by the next run in ``out`` (see the
    module docstring); ``force`` recomputes them. ``progress``: the claims done, their total
    and an ETA on standard error (:func:`cfgmft.progress.progress`: a bar on a terminal, one line
    per stage otherwise; default: on). ``tiny`` is a very small run for the tests of the
    machinery (its numbers say nothing about the claims)."""
    import matplotlib

    matplotlib.use("Agg")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParameterError("seed", f"must be an integer >= 0, got {seed!r}")
    selected = parse_only(only)
    out = output_folder(out)
    s = Settings.make(quick, seed, tiny=tiny)
    if progress is None:
        progress = True
    t0 = time.perf_counter()
    with store.Lock(out):
        saved, notes = store.load_all(out, s, STEPS)
        todo = [n for n in selected if force or n not in saved]
        store.check_writable(out, todo)
        for name, why in notes:
            if not (force and name in selected):
                sys.stderr.write(f"cfgmft reproduce: {why}\n")
        reused = [n for n in selected if n not in todo]
        if reused:
            sys.stderr.write(f"cfgmft reproduce: reusing the saved {', '.join(reused)} of {out / store.FOLDER} "
                             "(same settings and version; --force recomputes)\n")
        path = report.write_from_records(out, saved, s, time.perf_counter() - t0, pending=todo, reused=reused)
        bar = _claims_bar(len(todo), progress)
        for name in todo:
            claim = STEPS[name]
            started = datetime.now(timezone.utc).isoformat(timespec="seconds")
            c0 = time.perf_counter()
            runs = [0]

            def ticked(n, name=name, runs=runs):
                runs[0] += n
                bar.set_postfix_str(f"{name} (compute): {runs[0]} runs done")

            try:
                with common.ticking(ticked):
                    bar.stage(f"{name} (compute)")
                    data = claim.compute(s)
                    bar.stage(f"{name} (judge, figure, section)")
                    verdict = claim.judge(data)
                    before = store.snapshot(out)
                    claim.figure(data, out / claim.FIGURE)
                    files = store.written_since(out, before, claim.FIGURE)
                    text = claim.section(data, verdict)
                    entry = report.record(data, verdict)
            except BaseException:
                bar.close()
                raise
            bar.set_postfix_str(f"{name} done in {time.perf_counter() - c0:.0f} s")
            bar.update(1)
            saved[name] = store.save(out, name, s, entry, text, files, time.perf_counter() - c0, started)
            # rebuilt after every claim, so an interruption keeps what is done
            path = report.write_from_records(out, saved, s, time.perf_counter() - t0,
                                             pending=todo[todo.index(name) + 1:], reused=reused)
        bar.close()
    return path
