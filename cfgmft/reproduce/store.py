"""The saved records of ``cfgmft reproduce``: one file per finished claim, so that a re-run
resumes.

``OUT/claims/<NAME>.json`` holds the claim's name, the settings of the run
(:func:`.report.settings_record`: every size, the seed, the mode), the package version and
convention, the claim's entry of ``results.json``, its markdown section of ``report.md``, the
SHA-256 of every file its figure step wrote (paths relative to ``OUT``), its timing, and a
SHA-256 checksum of all of these. The file is written atomically and the checksum is
computed as for the sweep executor's unit files (:mod:`cfgmft.sweep`: canonical JSON without
the ``checksum`` field), so a file is complete or absent whatever happens to the process, and
a file edited by hand or damaged does not verify.

A record is reused only if it verifies: it parses, has this format and claim, its checksum
matches, its settings and version are this run's, the source of cfgmft is the same (the
SHA-256 of every module, :func:`code_fingerprint`: code edited since, at the same version
number, is recomputed too), and every file it lists is present with the same SHA-256. Anything else is recomputed; :func:`load_all` says why for every record
present that it does not use.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

from .. import CONVENTION, __version__
from ..errors import ParameterError
from ..io import to_jsonable
from ..sweep import FolderLock, atomic_write_json, canonical_json, record_checksum, read_json
from .report import settings_record
from .settings import Settings

FORMAT = "cfgmft-reproduce-claim/1"
#: the records' folder beside the report
FOLDER = "claims"
#: files of the run itself, never a claim's output
_OWN = {"report.md", "results.json", ".lock"}
#: the packages whose source makes the code fingerprint of a record
_PACKAGES = ("cfgmft", "cfgmft.commands", "cfgmft.reproduce", "cfgmft.theory", "cfgmft.solvers",
             "cfgmft.solvers._generated", "cfgmft.validation")


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of the Python source of cfgmft (every module of its packages, by package and
    file name): a record computed by other code is recomputed, even at the same version."""
    import importlib

    h = hashlib.sha256()
    for name in _PACKAGES:
        pkg = importlib.import_module(name)
        for folder in getattr(pkg, "__path__", []):
            for f in sorted(Path(folder).glob("*.py")):
                h.update(f"{name}/{f.name}\0".encode())
                h.update(f.read_bytes())
                h.update(b"\0")
    return h.hexdigest()


class Lock(FolderLock):
    """One ``cfgmft reproduce`` at a time writes to a folder (released when the process ends)."""

    def __enter__(self):
        try:
            return super().__enter__()
        except ParameterError:
            raise ParameterError("out", f"{self.path.parent} is being written by another running "
                                        "cfgmft reproduce; wait for it or choose another folder") from None


def _json(obj):
    """``obj`` as the plain JSON values it reads back as."""
    return json.loads(canonical_json(to_jsonable(obj)))


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def snapshot(out: Path) -> dict:
    """``relative path -> (mtime_ns, size)`` of every file under ``out`` but the records."""
    files = {}
    for p in out.rglob("*"):
        rel = p.relative_to(out).as_posix()
        if p.is_file() and not rel.startswith(FOLDER + "/") and rel not in _OWN and not p.name.startswith("."):
            st = p.stat()
            files[rel] = (st.st_mtime_ns, st.st_size)
    return files


def written_since(out: Path, before: dict, figure: str) -> dict:
    """``relative path -> SHA-256`` of the files written under ``out`` since ``before`` (a
    :func:`snapshot`), the claim's figure always among them."""
    after = snapshot(out)
    changed = sorted(rel for rel, st in after.items() if before.get(rel) != st)
    if figure not in changed and figure in after:
        changed.insert(0, figure)
    return {rel: sha256(out / rel) for rel in changed}


def path_of(out: Path, name: str) -> Path:
    return out / FOLDER / f"{name}.json"


def check_writable(out: Path, names) -> None:
    """Before any claim is computed: the records' folder ``out/claims`` is a folder (created
    here), the record of every claim in ``names`` can be written (no folder or other non-file at
    its path) and so can the report and ``results.json``; anything else is a
    :class:`ParameterError` naming ``out``, so that no computed claim is lost at its saving."""
    folder = out / FOLDER
    if (folder.exists() or folder.is_symlink()) and not folder.is_dir():
        raise ParameterError("out", f"{os.fspath(folder)!r} is not a folder (the claims' records go there); "
                                    "move it away or choose another --out")
    try:
        folder.mkdir(exist_ok=True)
    except OSError as e:
        raise ParameterError("out", f"cannot create {os.fspath(folder)!r} ({e.strerror or e})") from None
    for p in [path_of(out, n) for n in names] + [out / "report.md", out / "results.json"]:
        if p.exists() and not p.is_file() and not p.is_symlink():  # a link is replaced by the atomic write
            raise ParameterError("out", f"{os.fspath(p)!r} is not a regular file (a record or the report is written "
                                        "there); move it away or choose another --out")


def save(out: Path, name: str, s: Settings, entry: dict, section: str, files: dict, seconds: float,
         started: str) -> dict:
    """Write the record of a finished claim (atomically); returns it."""
    folder = out / FOLDER
    folder.mkdir(exist_ok=True)
    rec = {"format": FORMAT, "claim": name, "settings": _json(settings_record(s)), "version": __version__,
           "code": code_fingerprint(), "convention": CONVENTION, "results": _json(entry), "section": section, "files": files,
           "timing": {"seconds": seconds, "started_utc": started}}
    rec["checksum"] = record_checksum(rec)
    atomic_write_json(path_of(out, name), rec)
    os.chmod(path_of(out, name), 0o644)
    return rec


def verify(out: Path, name: str, s: Settings):
    """``(record, None)`` if the saved record of ``name`` can be reused for settings ``s``,
    else ``(None, why)`` (``why`` is ``"absent"`` when there is no file)."""
    path = path_of(out, name)
    if not path.exists():
        return None, "absent"
    rec = read_json(path)
    if not isinstance(rec, dict) or rec.get("format") != FORMAT or rec.get("claim") != name:
        return None, "it is not a record of this claim"
    if rec.get("checksum") != record_checksum(rec):
        return None, "its checksum does not match its content (edited or damaged)"
    if rec.get("version") != __version__ or rec.get("convention") != CONVENTION:
        return None, f"it was computed by cfgmft {rec.get('version')}, this is {__version__}"
    if rec.get("code") != code_fingerprint():
        return None, "the source of cfgmft has changed since it was computed (code fingerprint)"
    want = _json(settings_record(s))
    if rec.get("settings") != want:
        have = rec.get("settings") if isinstance(rec.get("settings"), dict) else {}
        diff = [k for k in want if have.get(k) != want[k]] + [k for k in have if k not in want]
        return None, "it was computed with other settings (" + ", ".join(
            f"{k} {have.get(k)!r} -> {want.get(k)!r}" for k in diff[:4]) + (", ..." if len(diff) > 4 else "") + ")"
    if not isinstance(rec.get("results"), dict) or not isinstance(rec.get("section"), str) \
            or not isinstance(rec.get("files"), dict):
        return None, "it lacks its results, section or files"
    for rel, digest in rec["files"].items():
        p = out / rel
        if not p.is_file():
            return None, f"its file {rel} is missing"
        if sha256(p) != digest:
            return None, f"its file {rel} was changed since"
    return rec, None


def load_all(out: Path, s: Settings, names) -> tuple[dict, list]:
    """The reusable records of ``names`` in ``out`` and ``(name, why)`` for each record present
    that is not reused."""
    saved, notes = {}, []
    for name in names:
        rec, why = verify(out, name, s)
        if rec is not None:
            saved[name] = rec
        elif why != "absent":
            notes.append((name, f"the saved {name} ({os.fspath(path_of(out, name))}) is not reused: {why}; "
                                "it is recomputed when selected"))
    return saved, notes
