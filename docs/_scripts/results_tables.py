"""The results tables of the docs, written from the committed results files.

Every table of ``docs/results/`` that holds numbers of a run is written here, at every build,
from the run's own output under ``docs/full_run/`` or ``results/``, with the commit and date
at which that file was committed (``git log``): nobody types a number twice. The pages
include the files this writes to ``docs/results/_generated/`` (not committed).
"""

from __future__ import annotations

import gzip
import json
import math
import re
import subprocess
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
OUT = DOCS / "results" / "_generated"


def provenance(*paths: str) -> str:
    """``file (commit abc1234, 2026-02-23)`` for each path, from git; 'not committed' if none."""
    parts = []
    for rel in paths:
        try:
            out = subprocess.run(["git", "log", "-1", "--format=%h %cs", "--", rel], cwd=ROOT,
                                 capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        when = f"committed in `{out.split()[0]}` on {out.split()[1]}" if out else "not committed"
        parts.append(f"`{rel}` ({when})")
    return "From " + ", ".join(parts) + "."


def pm(e, digits=4) -> str:
    """``mean ± stderr`` of an estimate ``{"mean", "stderr"}``."""
    if e is None:
        return "n/a"
    return f"{e['mean']:.{digits}f} ± {e['stderr']:.{digits}f}"


def z(mc, pred) -> str:
    se = math.hypot(mc["stderr"], pred["stderr"])
    return f"{(mc['mean'] - pred['mean']) / se:+.2f}" if se > 0 else "n/a"


def write(name: str, text: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


# -- the claims: the full run of cfgmft reproduce ------------------------------------------------

def claims() -> None:
    rel_json, rel_md = "docs/full_run/results.json.gz", "docs/full_run/report.md"
    res = json.load(gzip.open(ROOT / rel_json))
    report = (ROOT / rel_md).read_text()
    statements = dict(re.findall(r"^## (C\d): (.*)$", report, re.M))
    st = res["settings"]
    mode = "quick" if st.get("quick") else "full"
    head = (f"{provenance(rel_json, rel_md)} cfgmft {res['version']}, `cfgmft reproduce` in {mode} mode, "
            f"seed {st.get('seed')}, {res['seconds'] / 60:.0f} min of wall time; convention "
            f"`{res['convention']}`.\n\n")
    rows = ["| claim | statement | verdict | the report's section |", "|---|---|---|---|"]
    confirmed = 0
    for c in ("C1", "C2", "C3", "C4", "C5", "C6"):
        raw = res[c].get("verdict") if isinstance(res.get(c), dict) else None
        verdict = {True: "confirmed", False: "not confirmed", None: "pending"}.get(raw, str(raw))
        confirmed += verdict == "confirmed"
        v = verdict if verdict == "confirmed" else f"**{verdict}**"
        rows.append(f"| {c} | {statements.get(c, '')} | {v} | {{ref}}`{c} <full-run-{c.lower()}>` |")
    write("claims.md", head + f"{confirmed} of 6 claims confirmed.\n\n" + "\n".join(rows) + "\n")
    # the report itself, with a label on each claim's section, without its figures (the run's figures are not committed)
    body = report.split("\n", 1)[1]
    body = re.sub(r"^!\[(C\d[^\]]*)\]\([^)]*\)\s*$", r"*(The figure \1 of this run is not committed; the gallery has the quick run's.)*", body, flags=re.M)
    body = re.sub(r"^## (C\d):", lambda m: f"(full-run-{m.group(1).lower()})=\n## {m.group(1)}:", body, flags=re.M)
    body = body.replace("Every number below is in `results.json` beside this file; each claim's record "
                        "(settings, seed, version, checksum) is in `claims/<claim>.json`.",
                        "Every number below is in `docs/full_run/results.json.gz`.")
    write("full_run_report.md", provenance(rel_md) + "\n\n" + body)


# -- benchmarks ------------------------------------------------------------------------------------

def time_to_accuracy() -> None:
    out = []
    for sub, label in (("N256", "`N = 256` samples"), ("N4096", "`N = 4096` samples")):
        rel = f"results/time_to_accuracy/{sub}/time_to_accuracy.json"
        d = json.load(open(ROOT / rel))
        p = d["parameters"]
        out += [f"**{label}** (`K = {p['K']}`, `d = {p['d']}`, {p['prior']} prior, `sigma2 = {p['sigma2']:g}`, "
                f"`omega = {p['omega']:g}`, {p['sampler'].upper()}, tol {p['tol']:g}). {provenance(rel)}", ""]
        out += d["table"] + ["", f"`{d['final_line']}`", ""]
    write("time_to_accuracy.md", "\n".join(out))


def step_error() -> None:
    out = []
    for rel, title in (("results/step_error/step_error.json", "One posterior evaluation per step"),
                       ("results/step_error_stages2/step_error.json", "The predictor-corrector (`--stages 2`), `2N` evaluations at `N` steps")):
        d = json.load(open(ROOT / rel))
        show = [n for n in (100, 200, 400, 800) if n in d["levels"]]
        out += [f"**{title}**: |step error| of `E[m]` / `var_ratio` against {d['ref']} steps, "
                f"`d = {d['d']}`, {d['n']} samples. {provenance(rel)}", "",
                "| case | sampler | " + " | ".join(f"{n} steps" for n in show) + " |",
                "|---|---|" + "---|" * len(show)]
        for case in d["cases"].values():
            by = {r["steps"]: r for r in case["rows"]}
            cells = [f"{abs(by[n]['m']):.1e} / {abs(by[n]['var_ratio']):.1e}" if n in by else "" for n in show]
            out.append(f"| {case['label']} | {case['sampler'].upper()} | " + " | ".join(cells) + " |")
        out.append("")
    write("step_error.md", "\n".join(out))


def c2_large_k() -> None:
    rel = "results/c2_large_k/c2_large_k.json"
    d = json.load(open(ROOT / rel))
    out = [provenance(rel), "",
           "| d | K | wall time | E[m] MC | finite-d | z | v_perp/sigma2 MC | finite-d | z | Bayes accuracy |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for pt in sorted(d["points"].values(), key=lambda p: p["d"]):
        mc, fd = pt["mc"], pt["finite_d"]
        mins, secs = divmod(round(pt["wall_seconds"]), 60)
        out.append(f"| {pt['d']} | {pt['K']} | {mins} min {secs} s | {pm(mc['m_final'])} | {pm(fd['m_final'])} | "
                   f"{z(mc['m_final'], fd['m_final'])} | {pm(mc['var_ratio'])} | {pm(fd['var_ratio'])} | "
                   f"{z(mc['var_ratio'], fd['var_ratio'])} | {mc['accuracy']['mean']:.3f} |")
    write("c2_large_k.md", "\n".join(out) + "\n")


def _short(spec: str) -> str:
    return re.sub(r"-?\d+\.\d+(e-?\d+)?", lambda m: f"{float(m.group(0)):.3g}", spec)


def c6_d12() -> None:
    rel = "results/c6_d12/confirm_d12.json"
    d = json.load(open(ROOT / rel))
    out = [provenance(rel) + " The criterion has two parts, both required: (1) the design's Monte Carlo "
           "`v_perp/sigma2` inside the band within 3 standard errors (the file's own `confirmed`), and (2) "
           "its Bayes accuracy above `omega = 0`'s by more than 3 combined standard errors (computed here "
           "from the file's numbers).", "",
           "| prior, alpha, d (K) | design | MC `v_perp/sigma2`: design / constant / `omega = 0` | "
           "Bayes accuracy: design / constant / `omega = 0` | accuracy gain | verdict |",
           "|---|---|---|---|---|---|"]
    for e in d:
        mc = e["monte_carlo"]
        v = " / ".join(pm(mc[k]["var_ratio"], 3) for k in ("design", "constant", "unguided"))
        a = " / ".join(pm(mc[k]["accuracy"], 3) for k in ("design", "constant", "unguided"))
        ad, au = mc["design"]["accuracy"], mc["unguided"]["accuracy"]
        gain = (ad["mean"] - au["mean"]) / math.hypot(ad["stderr"], au["stderr"])
        ok = bool(e["confirmed"]) and gain > 3
        why = "" if ok else (": variance outside the band" if not e["confirmed"] else f": accuracy gain {gain:.1f} se")
        out.append(f"| {e['prior']}, {e['alpha']:g}, {e['d']} ({e['K']}) | `{_short(e['schedule'])}` | {v} | {a} | "
                   f"{gain:.1f} se | {'confirmed' if ok else 'not confirmed'}{why} |")
    write("c6_d12.md", "\n".join(out) + "\n")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    claims()
    time_to_accuracy()
    step_error()
    c2_large_k()
    c6_d12()


if __name__ == "__main__":
    main()
