"""Result I/O: JSON that always carries the package version and the convention.

``to_jsonable`` turns numpy scalars and arrays, dataclasses, schedules and infinities
(``inf`` is written as the string ``"inf"``, e.g. ``T -> infinity``) into JSON values; a NaN
is an error, never written silently.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from . import CONVENTION, __version__
from .errors import NumericalError, ParameterError


def to_jsonable(obj, _path="result"):
    """A JSON-serialisable copy of ``obj`` (see the module docstring)."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        if math.isnan(x):
            raise NumericalError(f"{_path} is NaN")
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return x
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v, f"{_path}[{i}]") for i, v in enumerate(obj.tolist())]
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v, f"{_path}.{k}") for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v, f"{_path}[{i}]") for i, v in enumerate(obj)]
    if hasattr(obj, "spec") and hasattr(obj, "to_json"):  # a schedule
        return obj.to_json()
    if dataclasses.is_dataclass(obj):
        return to_jsonable(dataclasses.asdict(obj), _path)
    if hasattr(obj, "to_dict"):
        return to_jsonable(obj.to_dict(), _path)
    raise TypeError(f"{_path}: cannot write {type(obj).__name__} as JSON")


def save_json(path, payload: dict) -> Path:
    """Write ``payload`` with ``version`` and ``convention`` keys added; returns the path."""
    path = Path(path)
    data = {"version": __version__, "convention": CONVENTION, **payload}
    path.write_text(json.dumps(to_jsonable(data), indent=2, allow_nan=False) + "\n")
    return path


#: Largest file that cfgmft reads as a record or a table (bytes): a claim record, a sweep's unit
#: record, a guidance table. A real one is a few hundred kilobytes at most.
RECORD_BYTES_MAX = 64 * 2**20


class RecordReadError(ValueError):
    """A record file that cannot be read as text: not a regular file, larger than
    :data:`RECORD_BYTES_MAX`, unreadable, or not UTF-8 text; the message says which."""


def read_record_text(path, *, limit: int = RECORD_BYTES_MAX) -> str:
    """The text of the record file ``path``, read only if it (after symbolic links) is a regular
    file of at most ``limit`` bytes, and never more than ``limit + 1`` bytes of it (a file that
    grows while it is read is refused too): a folder, a device, a pipe, an endless or huge file
    raises :class:`RecordReadError` (absent: ``FileNotFoundError``, a subclass of ``OSError``)."""
    import stat

    path = Path(path)
    st = os.stat(path)  # follows links; FileNotFoundError when absent
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise RecordReadError(f"{str(path)!r} is {kind}")
    if st.st_size > limit:
        raise RecordReadError(f"{str(path)!r} holds {st.st_size} bytes, more than a record's {limit}")
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise RecordReadError(f"cannot read {str(path)!r} ({e.strerror or e})") from None
    if len(data) > limit:
        raise RecordReadError(f"{str(path)!r} holds more than a record's {limit} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise RecordReadError(f"{str(path)!r} is not UTF-8 text") from None


def output_folder(path, argument: str = "out") -> Path:
    """The output folder ``path``, created with its parents and checked writable (a file is
    created there and removed) before anything is computed; anything unusable (an empty
    name, a parent that is a file, no permission, a name too long) is a
    :class:`ParameterError` naming ``argument``."""
    if path is None or not str(path).strip():
        raise ParameterError(argument, f"must be a folder path, got {path!r}")
    out = Path(path)
    try:
        if out.exists() and not out.is_dir():
            raise ParameterError(argument, f"{str(out)!r} exists and is not a folder")
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".cfgmft-probe-", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise ParameterError(argument, f"cannot write to folder {str(out)!r} ({e.strerror or e})") from None
    return out


def source_commit() -> str | None:
    """The short git commit of the checkout that holds this cfgmft (``git rev-parse --short HEAD``
    run beside the package), for a results file's provenance, with ``+dirty`` appended when tracked
    files of that checkout outside ``results/`` have uncommitted changes (a script being edited, say); ``None`` outside a
    git checkout or without git. (A non-editable install inside a checkout's folder reports that
    checkout.)"""
    import subprocess

    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=here,
                             timeout=10)
        if out.returncode != 0 or not out.stdout.strip():
            return None
        # results files (results/, committed with -f) being rewritten do not make the code dirty
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ":(top)",
                                ":(top,exclude)results"], capture_output=True, text=True, cwd=here, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() + ("+dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")
