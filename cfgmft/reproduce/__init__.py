"""``cfgmft reproduce``: one section per claim of docs/model.md §6, with numbers, a verdict and a
figure, written to ``OUT/report.md`` (figures ``OUT/c*.png``, every number and parameter in
``OUT/results.json``).

This version computes C1, C4 and C5 (infinite-class limit: closed forms, quadratures and
Monte Carlo with exact scores), C2 and C3 (the d -> infinity random-energy mean field
against finite-size scaling of Monte Carlo across d) and C6 (a negative-window schedule
designed on the mean-field theory by :mod:`cfgmft.solvers.design`, then simulated).

Each claim is a module (:mod:`.c1` ... :mod:`.c6`) with the same four functions, which the
driver :func:`reproduce` calls in turn:

* ``compute(settings) -> data``: the numbers (a dict; its keys that do not start with ``_``
  go to ``results.json``);
* ``judge(data) -> Verdict``: the claim's criterion, part by part (:class:`.report.Verdict`);
* ``figure(data, path)``: the figure (and any further files beside it);
* ``section(data, verdict) -> str``: the markdown section of ``report.md``.

Verdict criteria (stated in the report next to each verdict):

* a Monte Carlo number *agrees* with the theory when ``|MC - theory| <= 4 stderr``;
* a distortion is *significant* when it differs from exact sampling by more than 4 stderr.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..errors import ParameterError
from ..io import output_folder
from . import c1, c2, c3, c4, c5, c6, report
from .c5 import random_nonnegative_schedule
from .common import AGREE_K
from .report import CLAIMS, NOT_YET, Verdict
from .settings import Settings

__all__ = ["reproduce", "Settings", "Verdict", "CLAIMS", "NOT_YET", "STEPS", "AGREE_K",
           "random_nonnegative_schedule"]

#: the claims the driver runs, in report order: name -> module
STEPS = {"C1": c1, "C2": c2, "C3": c3, "C4": c4, "C5": c5, "C6": c6}


def reproduce(out="results/reproduce", quick: bool = False, seed: int = 20260223) -> Path:
    """Run every computable claim and write ``out/report.md``; returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    from tqdm.auto import tqdm

    if not isinstance(seed, int) or seed < 0:
        raise ParameterError("seed", f"must be an integer >= 0, got {seed!r}")
    out = output_folder(out)
    s = Settings.make(quick, seed)
    t0 = time.perf_counter()
    sections, results = {}, {"settings": report.settings_record(s)}
    path = out / "report.md"
    for name, claim in tqdm(STEPS.items(), desc="cfgmft reproduce", unit="claim"):
        data = claim.compute(s)
        verdict = claim.judge(data)
        claim.figure(data, out / claim.FIGURE)
        sections[name] = claim.section(data, verdict)
        results[name] = report.record(data, verdict)
        # written after every claim, so an interruption keeps what is done
        path = report.write(out, sections, results, s, time.perf_counter() - t0, pending=len(sections) < len(STEPS))
    return path
