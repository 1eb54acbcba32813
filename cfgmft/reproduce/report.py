"""The report writer shared by the claims: the verdict type, one markdown section per claim,
figure saving, and the files ``report.md`` and ``results.json``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import CONVENTION, __version__
from ..io import save_json
from .settings import Settings

#: the claims of docs/model.md §6, in report order
CLAIMS = {
    "C1": "Vanilla CFG shifts the mean outward (E[m] > 1) and shrinks the variance (v_perp < sigma2).",
    "C2": "Exponential regime (alpha > 0): distortion persists as d -> infinity.",
    "C3": "Sub-exponential regime: distortion vanishes as d -> infinity.",
    "C4": "Infinite-class limit: distortion is unavoidable at any d.",
    "C5": "No schedule with omega(t) >= 0 prevents variance shrinkage.",
    "C6": "A schedule with a negative-guidance window restores the variance while keeping class separability.",
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


def render(sections: dict, s: Settings, seconds: float, pending: bool = False) -> str:
    """The whole ``report.md``: header, then every claim's section (``pending`` marks the
    claims not yet done while the run is in progress)."""
    parts = [
        "# cfgmft reproduce",
        "",
        f"cfgmft {__version__}; convention `{CONVENTION}` (guidance scale w = 1 + omega); float64; "
        f"{'quick' if s.quick else 'full'} mode, seed {s.seed}; {seconds:.1f} s. Every number below is in "
        "`results.json` beside this file.",
        "",
        "Observables: m = x.mu_c/|mu_c|^2 (exact sampling: E[m] = 1); v_perp = |x - m mu_c|^2/(d-1) (exact: sigma2). "
        "Monte Carlo numbers are mean ± one standard error.",
        "",
    ]
    for name in CLAIMS:
        if name in sections:
            parts.append(sections[name])
        elif pending and name not in NOT_YET:
            parts += [f"## {name}: {CLAIMS[name]}", "", "Pending: still running (or interrupted).", ""]
        else:
            parts += [f"## {name}: {CLAIMS[name]}", "", f"Not yet computed: {NOT_YET[name]}.", ""]
    return "\n".join(parts)


def write(out: Path, sections: dict, results: dict, s: Settings, seconds: float, pending: bool) -> Path:
    """Write ``out/report.md`` and ``out/results.json`` (``results`` gains ``seconds``);
    returns the report's path."""
    results["seconds"] = seconds
    path = out / "report.md"
    path.write_text(render(sections, s, seconds, pending=pending))
    save_json(out / "results.json", results)
    return path


def settings_record(s: Settings) -> dict:
    """The settings as ``results.json`` stores them."""
    return asdict(s)
