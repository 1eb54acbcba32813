"""The sweep executor: one way to run a parameter sweep (grid x dimensions x seeds).

A sweep is a list of *units*. A unit is a small JSON object of parameters, e.g.
``{"prior": "sphere", "alpha": 0.2, "d": 40, "omega": 2.0, "steps": 800, "samples": 4096,
"seed": 3}``; its id is the first 16 hex digits of the SHA-256 of its canonical JSON (sorted
keys, no spaces), so the same parameters give the same id in every run and on every machine.
Every random number of a unit comes from the unit's own ``seed``: no global random state is
used, so a result does not depend on where, when or in which order the unit runs.

:func:`run_sweep` evaluates ``fn(unit) -> dict`` for every unit

* in this process (``scheduler=None``, the default);
* on a dask.distributed cluster: ``scheduler="tcp://host:8786"`` (any address a
  ``distributed.Client`` accepts: ``tcp``, ``tls``, ``ws``, ``wss``, ``ucx``, ``inproc``), or
  ``scheduler="local:N"`` for a ``LocalCluster`` of ``N`` worker processes with one thread
  each, closed when the sweep ends.

The results are the same either way, apart from wall-clock fields (keys starting with
``seconds``; :func:`without_timing` drops them).

Files (``out_dir``)::

    manifest.json        the sweep: the function's name and every unit with its id, in order
    units/<id>.json      one finished unit: id, function, unit, result, version, timing, and
                         a SHA-256 checksum of all of them

A unit file is written as soon as its unit finishes, atomically (a temporary file in the
same folder, flushed and fsync'ed, then ``os.replace``, then the folder fsync'ed), so a file
is either complete or absent, whatever happens to the process (``kill -9`` included).
``resume=True`` reuses every unit file that verifies: it parses, holds the same unit and
function, its checksum matches its content and its result passes the caller's schema check
(``check_result``); any other file (corrupt, partial, edited by hand, of an older format) is
recomputed, and a line on standard error says so. Without ``resume`` every unit is computed again and its
file replaced. Without ``resume``, a folder whose manifest lists a
different sweep is refused (:class:`~cfgmft.errors.ParameterError` naming ``out_dir``); with it,
the manifest is replaced by the new sweep and matching unit files are reused (unit files are
addressed by content, so a grown or shrunk sweep reuses what it can). A folder holding a sweep
of another function (by its qualified name) is refused with or without ``resume``. One sweep at a time
writes to a folder (a lock file, released by the system when the process ends).

The sweep of simulations (the unit holds the arguments of ``cfgmft simulate``, the result is
its JSON object) is :func:`cfgmft.api.run_simulations`, which passes ``fn =``
:func:`cfgmft.api.simulate_unit` and normalises its units with
:func:`cfgmft.api.simulation_unit` (defaults filled in, numbers in one canonical type, so
``d=40`` and ``d=40.0`` are the same unit). This module knows nothing of what a unit means.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import re
import socket
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .conventions import CONVENTION
from .errors import ParameterError
from .io import output_folder, read_record_text, to_jsonable

__all__ = [
    "UnitFailed", "canonical_unit", "dask_client", "unit_id", "grid", "parse_scheduler", "run_sweep", "load_sweep", "without_timing",
    "atomic_write_text", "check_worker_versions", "atomic_write_json", "read_json", "canonical_json", "record_checksum", "FolderLock",
]

MANIFEST_FORMAT = "cfgmft-sweep/1"
UNIT_FORMAT = "cfgmft-sweep-unit/1"

_URL_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
_TMP_PREFIX = ".partial-"


class UnitFailed(RuntimeError):
    """``fn`` raised on one unit; the message names the unit, ``__cause__`` is the error."""

    def __init__(self, uid: str, unit: dict, error: BaseException):
        self.uid, self.unit, self.error = uid, unit, error
        super().__init__(f"sweep unit {uid} {json.dumps(unit, sort_keys=True)} failed: "
                         f"{type(error).__name__}: {error}")


# -- units ----------------------------------------------------------------------------------

def canonical_unit(unit) -> dict:
    """``unit`` as plain JSON values (``inf`` as ``"inf"``, tuples as lists); a NaN or a
    value JSON cannot hold is an error. Raises ParameterError('units', ...) if not a dict."""
    if not isinstance(unit, dict):
        raise ParameterError("units", f"each unit must be a dict of parameters, got {type(unit).__name__}")
    try:
        return json.loads(canonical_json(to_jsonable(unit, "unit")))
    except (TypeError, ArithmeticError) as e:
        raise ParameterError("units", f"a unit must be JSON-able: {e}") from None


def canonical_json(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def unit_id(unit: dict) -> str:
    """Stable id of a unit: 16 hex digits of the SHA-256 of its canonical JSON."""
    return hashlib.sha256(canonical_json(canonical_unit(unit)).encode()).hexdigest()[:16]


def grid(base: dict | None = None, **axes) -> list[dict]:
    """The Cartesian product of ``axes`` over ``base``, the last axis varying fastest.

    >>> [u["d"] for u in grid({"omega": 2.0}, d=[20, 40], seed=range(2))]
    [20, 20, 40, 40]
    """
    base = dict(base or {})
    names = list(axes)
    values = []
    for name in names:
        v = axes[name]
        v = [v] if isinstance(v, (str, bytes, dict)) or not hasattr(v, "__iter__") else list(v)
        if not v:
            raise ParameterError(name, "a sweep axis needs at least one value")
        values.append(v)
    return [{**base, **dict(zip(names, combo))} for combo in itertools.product(*values)]


def _reraise(e: ParameterError, where: str):
    msg = str(e)
    prefix = f"{e.argument}: "
    raise ParameterError(e.argument, f"{msg[len(prefix):] if msg.startswith(prefix) else msg} ({where})") from None


def _normalised(normalise, u, i):
    if not isinstance(u, dict):
        raise ParameterError("units", f"each unit must be a dict of parameters, got {type(u).__name__} (unit {i})")
    try:
        return normalise(u)
    except ParameterError as e:
        _reraise(e, f"in sweep unit {i}")


def without_timing(result):
    """``result`` without its wall-clock fields (keys starting with ``seconds``, at any
    depth): what must be identical between two runs of the same unit."""
    if isinstance(result, dict):
        return {k: without_timing(v) for k, v in result.items() if not str(k).startswith("seconds")}
    if isinstance(result, list):
        return [without_timing(v) for v in result]
    return result


# -- where to run ---------------------------------------------------------------------------

def parse_scheduler(scheduler) -> tuple[str, object]:
    """``("inprocess", None)``, ``("local", N)`` or ``("address", url)``; a bad value raises
    ParameterError('--scheduler', ...)."""
    if scheduler is None or (isinstance(scheduler, str) and scheduler.strip().lower() in ("", "none", "inprocess")):
        return "inprocess", None
    if not isinstance(scheduler, str):
        raise ParameterError("scheduler", f"must be an address like tcp://host:8786 or local:N, got {scheduler!r}")
    text = scheduler.strip()
    if text.lower().startswith("local:"):
        n = text.split(":", 1)[1]
        if not re.fullmatch(r"[0-9]+", n) or int(n) < 1:
            raise ParameterError("scheduler", f"local:N needs a number of workers N >= 1, got {scheduler!r}")
        return "local", int(n)
    m = re.fullmatch(r"([A-Za-z][A-Za-z0-9+.-]*)://(.*)", text)
    if m is None:
        raise ParameterError("scheduler", f"must be an address like tcp://host:8786 or local:N (N >= 1 workers), got {scheduler!r}")
    scheme, rest = m.group(1).lower(), m.group(2)
    if scheme not in _URL_SCHEMES:
        raise ParameterError("scheduler", f"unknown protocol {scheme!r} in {scheduler!r}; use one of "
                                            + ", ".join(s + "://" for s in _URL_SCHEMES) + " or local:N")
    if not rest or rest.startswith(":") or rest.startswith("/"):
        raise ParameterError("scheduler", f"needs a host after {scheme}://, got {scheduler!r}")
    port = re.search(r":([^:\]]*)$", rest)
    if port and scheme != "inproc" and not re.fullmatch(r"[0-9]{1,5}", port.group(1)):
        raise ParameterError("scheduler", f"bad port in {scheduler!r}")
    return "address", f"{scheme}://{rest}"


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise ParameterError("scheduler", "running on a cluster needs dask.distributed: "
                                            "pip install 'cfgmft[cluster]' (or 'dask[distributed]')") from None
    return distributed


# -- files ----------------------------------------------------------------------------------

def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all: a temporary file beside it (readable by
    all, ``0o644``), flushed to disk, then ``os.replace``; the folder is synced after."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TMP_PREFIX + path.stem + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)


def atomic_write_json(path: Path, data) -> None:
    atomic_write_text(path, json.dumps(data, indent=1, allow_nan=False) + "\n")


def read_json(path: Path):
    """The JSON value of the record file ``path``, or ``None`` when it is absent, not a regular
    file (a folder, a device), larger than :data:`cfgmft.io.RECORD_BYTES_MAX`, unreadable or not
    JSON (:func:`cfgmft.io.read_record_text`: never read without a size limit)."""
    try:
        return json.loads(read_record_text(path))
    except (OSError, ValueError, RecursionError):  # RecordReadError and JSONDecodeError are ValueErrors
        return None


def record_checksum(rec: dict) -> str:
    """SHA-256 of the record's canonical JSON without its ``checksum`` field."""
    return hashlib.sha256(canonical_json({k: v for k, v in rec.items() if k != "checksum"}).encode()).hexdigest()


def _verify_unit_file(path: Path, uid: str, unit: dict, fn_name: str, check_result=None):
    """``(record, None)`` if ``path`` is a complete, verified file of this unit and function,
    else ``(None, why)``: absent, unreadable, another unit or function, no or a wrong checksum
    (edited or damaged), or a result that ``check_result`` refuses."""
    if not path.exists():
        return None, "absent"
    rec = read_json(path)
    if not isinstance(rec, dict) or rec.get("format") != UNIT_FORMAT:
        return None, "not a unit record"
    if rec.get("id") != uid or rec.get("unit") != unit or rec.get("fn") != fn_name:
        return None, "holds another unit or function"
    if rec.get("checksum") != record_checksum(rec):
        return None, "its checksum does not match its content (edited or damaged)"
    if not isinstance(rec.get("result"), dict):
        return None, "its result is not an object"
    if check_result is not None:
        why = check_result(rec["result"])
        if why:
            return None, f"its result is malformed ({why})"
    return rec, None


def _read_unit_file(path: Path, uid: str, unit: dict, fn_name: str, check_result=None):
    """The stored record if ``path`` is a complete, verified file of this unit, else None."""
    return _verify_unit_file(path, uid, unit, fn_name, check_result)[0]


class FolderLock:
    """An exclusive ``flock`` on ``out_dir/.lock`` (released by the system if the process dies)."""

    def __init__(self, folder: Path):
        self.path = folder / ".lock"
        self.fd = None

    def __enter__(self):
        try:
            import fcntl
        except ImportError:  # pragma: no cover - no flock on Windows: no lock
            return self
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self.fd)
            self.fd = None
            raise ParameterError("out_dir", f"{self.path.parent} is being written by another running sweep") from None
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)  # closing releases the flock
            self.fd = None


def _fn_name(fn) -> str:
    return f"{getattr(fn, '__module__', None) or '?'}.{getattr(fn, '__qualname__', None) or type(fn).__name__}"


def _prepare_folder(out_dir) -> Path:
    out = output_folder(out_dir, "out_dir")
    units = out / "units"
    if units.exists() and not units.is_dir():
        raise ParameterError("out_dir", f"{units} exists and is not a folder; remove it or choose another folder")
    units.mkdir(exist_ok=True)
    return out


def _check_manifest(out: Path, ids, units, fn_name, resume) -> None:
    path = out / "manifest.json"
    new = {"format": MANIFEST_FORMAT, "version": __version__, "convention": CONVENTION, "fn": fn_name,
           "n_units": len(ids), "units": [{"id": i, "unit": u} for i, u in zip(ids, units)]}
    if path.exists():
        old = read_json(path)
        same = (isinstance(old, dict) and old.get("fn") == fn_name
                and [x.get("id") for x in old.get("units", []) if isinstance(x, dict)] == ids)
        if same:
            return
        if isinstance(old, dict) and old.get("format") == MANIFEST_FORMAT and old.get("fn") != fn_name:
            raise ParameterError("out_dir", f"{out} holds a sweep of {old.get('fn')}, not of {fn_name}; "
                                          "choose another folder or delete it")
        if not resume:
            if not isinstance(old, dict) or old.get("format") != MANIFEST_FORMAT:
                why = "its manifest.json is unreadable"
            else:
                why = f"its manifest.json lists a different sweep ({len(old.get('units', []))} units, not these {len(ids)})"
            raise ParameterError("out_dir", f"{out} already holds another sweep: {why}; choose another folder, "
                                          "delete it, or pass --resume to replace its manifest and reuse matching units")
    atomic_write_json(path, new)


def _clean_partial_files(units_dir: Path) -> None:
    for p in units_dir.glob(_TMP_PREFIX + "*.tmp"):
        try:
            p.unlink()
        except OSError:
            pass


# -- running --------------------------------------------------------------------------------

def _timed_call(fn, unit: dict) -> dict:
    """Run ``fn(unit)`` where it is scheduled; the result as plain JSON values with timing."""
    import cfgmft

    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    result = fn(unit)
    seconds = time.perf_counter() - t0
    if not isinstance(result, dict):
        raise TypeError(f"a sweep function must return a dict, got {type(result).__name__}")
    return {"result": to_jsonable(result), "version": cfgmft.__version__,
            "timing": {"seconds": seconds, "started_utc": started, "worker": f"{socket.gethostname()}:{os.getpid()}"}}


def _record(uid, unit, fn_name, out) -> dict:
    rec = {"format": UNIT_FORMAT, "id": uid, "fn": fn_name, "unit": unit,
           "result": json.loads(canonical_json(out["result"])), "version": out["version"],
           "convention": CONVENTION, "timing": out["timing"]}
    rec["checksum"] = record_checksum(rec)
    return rec


def run_sweep(units, fn, out_dir=None, scheduler=None, resume: bool = False, progress: bool = True, *,
              normalise=None, check_result=None) -> list[dict]:
    """Evaluate ``fn(unit)`` for every unit; return the results in the order of ``units``.

    Parameters
    ----------
    units : list of dict
        The sweep (e.g. from :func:`grid`). Every unit is used in its canonical JSON form
        (``normalise(unit)``, default :func:`canonical_unit`), which is what ``fn`` receives.
        Two equal units are an error (a seed axis was probably forgotten).
    fn : callable ``dict -> dict``
        On a cluster it must be importable or picklable by cloudpickle on the workers; its
        result must be JSON-able (no NaN).
    out_dir : path, optional
        Folder of ``manifest.json`` and ``units/<id>.json`` (see the module docstring).
        ``None``: nothing is written (and ``resume`` is not possible).
    scheduler : None | 'local:N' | address
        Where to run: this process, a local cluster of ``N`` single-threaded worker processes,
        or the dask.distributed scheduler at that address.
    resume : bool
        Reuse the finished unit files of ``out_dir`` instead of recomputing them.
    progress : bool
        The units done, their total and an ETA on standard error (:func:`cfgmft.progress.progress`:
        a bar on a terminal, one line per unit otherwise).
    normalise : callable ``dict -> dict``, optional
        Validates a unit and returns its canonical form (default :func:`canonical_unit`); a
        :class:`ParameterError` it raises is reported with the unit's index.
    check_result : callable ``dict -> str | None``, optional
        With ``resume``: the schema of a stored result; it returns why a result is malformed
        (or ``None``). A unit file that does not verify (its checksum, its unit, its function,
        this check) is recomputed, and a line on standard error says which and why.

    Raises
    ------
    ParameterError
        a bad unit, ``--scheduler`` or ``--out`` (the argument is named).
    UnitFailed
        ``fn`` raised on a unit; the units finished before it are on disk, the others cancelled.
    """
    from .progress import progress as progress_bar

    kind, target = parse_scheduler(scheduler)
    if not callable(fn):
        raise ParameterError("fn", f"must be a callable unit -> dict, got {fn!r}")
    if normalise is None:
        units = [canonical_unit(u) for u in units]
    else:
        units = [_normalised(normalise, u, i) for i, u in enumerate(units)]
    fn_name = _fn_name(fn)
    ids = [unit_id(u) for u in units]
    seen = {}
    for i, uid in enumerate(ids):
        if uid in seen:
            raise ParameterError("units", f"unit {i} repeats unit {seen[uid]} (same parameters and seed): "
                                          f"{json.dumps(units[i], sort_keys=True)}")
        seen[uid] = i
    if resume and out_dir is None:
        raise ParameterError("resume", "needs an output folder (out_dir) to resume from")
    if kind != "inprocess":
        _import_distributed()

    results: list = [None] * len(units)
    if out_dir is None:
        bar = progress_bar(total=len(units), desc="cfgmft sweep", unit="unit", enabled=progress)
        with bar:
            _execute(kind, target, fn, units, ids, list(range(len(units))), results, None, fn_name, bar)
        return results

    out = _prepare_folder(out_dir)
    units_dir = out / "units"
    with FolderLock(out):
        _check_manifest(out, ids, units, fn_name, resume)
        _clean_partial_files(units_dir)
        todo, recomputed = [], []
        for i, (uid, u) in enumerate(zip(ids, units)):
            rec, why = (_verify_unit_file(units_dir / f"{uid}.json", uid, u, fn_name, check_result) if resume
                        else (None, "absent"))
            if rec is None:
                todo.append(i)
                if why != "absent":
                    recomputed.append(f"cfgmft sweep: unit {uid} in {units_dir}: {why}; recomputing it")
            else:
                results[i] = rec["result"]
        for line in recomputed:
            sys.stderr.write(line + "\n")
        bar = progress_bar(total=len(units), initial=len(units) - len(todo), desc="cfgmft sweep", unit="unit",
                           enabled=progress)
        with bar:
            _execute(kind, target, fn, units, ids, todo, results, units_dir, fn_name, bar)
    return results


def _finish(i, out, units, ids, results, units_dir, fn_name, bar):
    rec = _record(ids[i], units[i], fn_name, out)
    if units_dir is not None:
        atomic_write_json(units_dir / f"{ids[i]}.json", rec)
    results[i] = rec["result"]
    bar.update(1)


def _execute(kind, target, fn, units, ids, todo, results, units_dir, fn_name, bar):
    if not todo:
        return
    if kind == "inprocess":
        for i in todo:
            try:
                out = _timed_call(fn, units[i])
            except Exception as e:
                raise UnitFailed(ids[i], units[i], e) from e
            _finish(i, out, units, ids, results, units_dir, fn_name, bar)
        return
    distributed = _import_distributed()
    with dask_client(f"local:{target}" if kind == "local" else target) as client:
        _run_on_client(client, distributed, fn, units, ids, todo, results, units_dir, fn_name, bar)


@contextlib.contextmanager
def dask_client(scheduler):
    """A ``distributed.Client`` for ``scheduler`` (``local:N`` or an address, see
    :func:`parse_scheduler`), closed (with its local cluster) on exit. A ``local:N`` cluster has
    ``N`` single-threaded worker processes, each with ``cpu_count // N`` BLAS and numba threads;
    an address that does not answer within 20 s raises ParameterError naming ``scheduler``."""
    kind, target = parse_scheduler(scheduler)
    if kind == "inprocess":
        raise ParameterError("scheduler", "a dask client needs local:N or a scheduler address, got none")
    distributed = _import_distributed()
    if kind == "local":
        import logging

        threads = str(max(1, (os.cpu_count() or 1) // target))
        env = {"NUMBA_NUM_THREADS": threads, "OMP_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads,
               "MKL_NUM_THREADS": threads}
        cluster = distributed.LocalCluster(n_workers=target, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.ERROR, env=env)
        try:
            with distributed.Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = distributed.Client(target, timeout="20s")
    except (OSError, TimeoutError) as e:
        raise ParameterError("scheduler", f"cannot connect to {target}: {e}") from None
    with client:
        yield client


def _worker_version():
    import cfgmft

    return cfgmft.__version__


def check_worker_versions(client) -> None:
    """ParameterError naming ``scheduler`` unless every worker imports this cfgmft version."""
    try:
        versions = client.run(_worker_version)
    except Exception as e:
        raise ParameterError("scheduler", f"the workers cannot import cfgmft ({type(e).__name__}: {e}); "
                                            f"install cfgmft {__version__} on every worker") from None
    other = sorted({v for v in versions.values() if v != __version__})
    if other:
        raise ParameterError("scheduler", f"the workers run cfgmft {', '.join(other)}, this is {__version__}; "
                                            "install the same version everywhere")


def _run_on_client(client, distributed, fn, units, ids, todo, results, units_dir, fn_name, bar):
    check_worker_versions(client)
    token = os.urandom(4).hex()
    futures = {}
    for i in todo:
        f = client.submit(_timed_call, fn, units[i], key=f"cfgmft-unit-{ids[i]}-{token}", pure=False)
        futures[f] = i
    pending = set(futures)
    try:
        for f in distributed.as_completed(list(futures)):
            pending.discard(f)
            i = futures[f]
            try:
                out = f.result()
            except Exception as e:
                raise UnitFailed(ids[i], units[i], e) from e
            _finish(i, out, units, ids, results, units_dir, fn_name, bar)
    finally:
        if pending:
            client.cancel(list(pending))


def load_sweep(out_dir, check_result=None) -> tuple[list[dict], list]:
    """``(units, results)`` of the sweep in ``out_dir``, in manifest order; the result of a
    unit whose file is missing, corrupt or does not verify (see :func:`run_sweep`) is ``None``."""
    out = Path(out_dir)
    man = read_json(out / "manifest.json")
    if not isinstance(man, dict) or man.get("format") != MANIFEST_FORMAT:
        raise ParameterError("out_dir", f"{out} holds no readable sweep manifest (manifest.json)")
    units, results = [], []
    for entry in man["units"]:
        rec = _read_unit_file(out / "units" / f"{entry['id']}.json", entry["id"], entry["unit"], man["fn"],
                              check_result)
        units.append(entry["unit"])
        results.append(None if rec is None else rec["result"])
    return units, results
