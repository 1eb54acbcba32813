"""The report writer shared by the claims: the verdict type, one markdown section per claim,
figure saving, and the files ``report.md`` and ``results.json``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import CONVENTION, __version__
from ..sweep import atomic_write_text
from .settings import Settings

#: the claims of docs/explanation/model.md §6, in report order
CLAIMS = {
    "C1": "Vanilla CFG shifts the mean outward (E[m] > 1) and shrinks the variance (v_perp < sigma2).",
    "C2": "Exponential regime (alpha > 0): distortion persists as d -> infinity.",
    "C3": "Sub-exponential regime: distortion vanishes as d -> infinity.",
    "C4": "Infinite-class limit: distortion is unavoidable at any d.",
    "C5": "No schedule with omega(t) >= 0 prevents variance shrinkage.",
    "C6": "A schedule with a negative-guidance window restores the variance while keeping class separability.",
    "C7": "(beyond the paper) Every guidance rule (cfg, powerlaw, APG, CFG-Zero*, rescaled CFG): its distortion "
          "predicted by its d -> infinity theory and checked by Monte Carlo at equal separability; which distorts "
          "least there; whether a rule with non-negative strength escapes the variance loss.",
}
#: claims not computed by this version, with the reason (printed in their sections)
NOT_YET: dict = {}

#: dots per inch of every figure
DPI = 120


@dataclass(frozen=True)
class Verdict:
    """The outcome of a claim's criterion.

    ``checks`` names each part of the criterion (in the order the section states them) with
    whether it holds; the claim is confirmed when all hold. ``recorded`` lists the checks
    that ``results.json`` carries beside the claim's data.
    """

    checks: dict
    recorded: tuple = field(default=())

    @property
    def ok(self) -> bool:
        return all(bool(v) for v in self.checks.values())

    @property
    def reason(self) -> str:
        """The checks that failed, in words ("all criteria met" when none did)."""
        failed = [k for k, v in self.checks.items() if not v]
        return "all criteria met" if not failed else "not met: " + ", ".join(failed)


def record(data: dict, verdict: Verdict) -> dict:
    """The claim's entry of ``results.json``: its data (keys starting with ``_`` are kept
    for the figure only), the recorded checks and the verdict."""
    entry = {k: v for k, v in data.items() if not k.startswith("_")}
    entry.update({k: bool(verdict.checks[k]) for k in verdict.recorded})
    entry["verdict"] = verdict.ok
    return entry


def section(name: str, lines: list, figure: str, verdict: Verdict, extra_figures=()) -> str:
    """A claim's markdown section: heading with the claim, ``lines``, the verdict (with the
    failed checks when not confirmed) and the figure links (relative to ``report.md``)."""
    head = [f"## {name}: {CLAIMS[name]}", ""]
    tail = ["", f"Verdict: {'confirmed' if verdict.ok else 'not confirmed'}", ""]
    if not verdict.ok:
        tail += [f"({verdict.reason})", ""]
    tail += [f"![{name}]({figure})", ""]
    tail += [f"![{name} Monte Carlo]({f})\n" for f in extra_figures]
    return "\n".join(head + lines + tail)


def save_figure(fig, path: Path) -> None:
    """Lay out, write and close a matplotlib figure."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def render(sections: dict, s: Settings, seconds: float, pending=(), reused=()) -> str:
    """The whole ``report.md``: header, then every claim's section; a claim without a section
    is marked as still running (in ``pending``) or as not computed with these settings."""
    pending = set(pending if not isinstance(pending, bool) else (n for n in CLAIMS if n not in sections and pending))
    mode = "tiny (tests of the machinery only)" if getattr(s, "tiny", False) else ("quick" if s.quick else "full")
    parts = [
        "# cfgmft reproduce",
        "",
        f"cfgmft {__version__}; convention `{CONVENTION}` (guidance scale w = 1 + omega); float64; "
        f"{mode} mode, seed {s.seed}; {seconds:.1f} s. Every number below is in "
        "`results.json` beside this file; each claim's record (settings, seed, version, checksum) is in "
        "`claims/<claim>.json`.",
        "",
        "Observables: m = x.mu_c/|mu_c|^2 (exact sampling: E[m] = 1); v_perp = |x - m mu_c|^2/(d-1) (exact: sigma2). "
        "Monte Carlo numbers are mean ± one standard error.",
        "",
    ]
    if reused:
        parts += [f"Reused from the saved records of an earlier run with the same settings: {', '.join(reused)} "
                  "(`cfgmft reproduce --force` recomputes them).", ""]
    for name in CLAIMS:
        if name in sections:
            parts.append(sections[name])
        elif name in NOT_YET:
            parts += [f"## {name}: {CLAIMS[name]}", "", f"Not yet computed: {NOT_YET[name]}.", ""]
        elif name in pending:
            parts += [f"## {name}: {CLAIMS[name]}", "", "Pending: still running (or interrupted).", ""]
        else:
            parts += [f"## {name}: {CLAIMS[name]}", "",
                      f"Not computed with these settings in this folder: run `cfgmft reproduce --only {name}` "
                      "with the same options.", ""]
    return "\n".join(parts)


def write_from_records(out: Path, records: dict, s: Settings, seconds: float, pending=(), reused=()) -> Path:
    """Write ``out/report.md`` and ``out/results.json`` from the claims' saved records
    (:mod:`.store`); returns the report's path. ``results.json`` holds the settings, every
    claim's entry, and per claim where it came from (``claims``: seconds, started, record)."""
    import json

    from ..io import to_jsonable

    sections = {n: records[n]["section"] for n in CLAIMS if n in records}
    results = {"settings": settings_record(s)}
    results.update({n: records[n]["results"] for n in CLAIMS if n in records})
    results["claims"] = {n: {"seconds": records[n]["timing"]["seconds"], "started_utc": records[n]["timing"]["started_utc"],
                             "record": f"claims/{n}.json", "checksum": records[n]["checksum"],
                             "reused": n in reused} for n in CLAIMS if n in records}
    results["pending"] = [n for n in CLAIMS if n in pending]
    results["seconds"] = seconds
    path = out / "report.md"
    atomic_write_text(path, render(sections, s, seconds, pending=pending, reused=reused))
    data = {"version": __version__, "convention": CONVENTION, **results}
    atomic_write_text(out / "results.json", json.dumps(to_jsonable(data), indent=2, allow_nan=False) + "\n")
    return path


def settings_record(s: Settings) -> dict:
    """The settings as ``results.json`` stores them."""
    return asdict(s)
