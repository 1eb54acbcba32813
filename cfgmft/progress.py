"""Progress of the long commands, on standard error, with the total and an ETA.

:func:`progress` returns a counter with tqdm's small interface (``update``, ``n``, ``total``,
``set_postfix_str``, a context manager):

* on a terminal, a tqdm bar (``tqdm.std``: the plain text bar, never the notebook widget);
* elsewhere (a pipe, a log file, a CI job, a notebook kernel), one line per stage finished, at
  most one every :data:`LINE_INTERVAL` seconds plus the last one, and at least one every
  :data:`HEARTBEAT` seconds while a long stage runs:
  ``cfgmft simulate: 3/10 mixture (30%), 12 s elapsed, ETA 28 s``;
* nothing when ``enabled`` is false (the commands' ``--quiet``).
"""

from __future__ import annotations

import math
import sys
import threading
import time

__all__ = ["progress", "LINE_INTERVAL", "format_seconds"]

#: the shortest interval between two progress lines without a terminal (the last is always written)
LINE_INTERVAL = 2.0
#: without a terminal, a line at least this often (seconds) while a stage reports its own progress
HEARTBEAT = 30.0


def format_seconds(s: float) -> str:
    """``s`` seconds as ``42 s``, ``3 min 5 s`` or ``1 h 12 min``."""
    if not math.isfinite(s):
        return "?"
    s = max(0.0, s)
    if s < 60:
        return f"{s:.0f} s" if s >= 10 else f"{s:.1f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60)} s"
    return f"{int(s // 3600)} h {int((s % 3600) // 60)} min"


class _Off:
    """The disabled counter."""

    def __init__(self, total=None):
        self.n = 0
        self.total = total

    def update(self, k: int = 1) -> None:
        self.n += k

    def set_postfix_str(self, text: str = "", refresh: bool = True) -> None:
        pass

    def set_total(self, total) -> None:
        """The total, once it is known (or when it changes)."""
        self.total = total

    def stage(self, text: str) -> None:
        """A new stage of the current item (shown at once)."""

    def write(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class _Lines(_Off):
    """One line per stage (throttled) on a stream that is not a terminal."""

    def __init__(self, total, desc: str, unit: str, stream, initial: int = 0, interval: float = LINE_INTERVAL):
        super().__init__(total)
        self.n = initial
        self.desc, self.unit, self.stream, self.interval = desc, unit, stream, interval
        self.t0 = time.perf_counter()
        self.start_n = initial
        self.last = -math.inf
        self.written_n = None
        self.stage_text = ""
        self._lock = threading.Lock()
        self._closed = threading.Event()
        # a line at least every HEARTBEAT seconds, also while one long stage runs
        threading.Thread(target=self._heartbeat, name="cfgmft-progress", daemon=True).start()

    def _heartbeat(self) -> None:
        while not self._closed.wait(1.0):
            if time.perf_counter() - self.last >= HEARTBEAT:
                self._emit()

    def _line(self) -> str:
        elapsed = time.perf_counter() - self.t0
        done = self.n - self.start_n
        if self.total:
            pct = f" ({100.0 * self.n / self.total:.0f}%)"
            left = self.total - self.n
            eta = elapsed / done * left if done > 0 else math.nan
            head = f"{self.n}/{self.total} {self.unit}{pct}, {format_seconds(elapsed)} elapsed, " + (
                "done" if left <= 0 else f"ETA {format_seconds(eta)}")
        else:
            head = f"{self.n} {self.unit}, {format_seconds(elapsed)} elapsed"
        return f"{self.desc}: {head}" + (f" [{self.stage_text}]" if self.stage_text else "")

    def _emit(self) -> None:
        with self._lock:
            try:
                self.stream.write(self._line() + "\n")
                self.stream.flush()
            except (OSError, ValueError):  # a closed or broken stream: progress is never an error
                pass
            self.last = time.perf_counter()
            self.written_n = self.n

    def update(self, k: int = 1) -> None:
        self.n += k
        if k and ((self.total and self.n >= self.total) or time.perf_counter() - self.last >= self.interval):
            self._emit()

    def set_postfix_str(self, text: str = "", refresh: bool = True) -> None:
        self.stage_text = text  # shown with the next line, or after HEARTBEAT seconds of silence

    def stage(self, text: str) -> None:
        self.stage_text = text
        self._emit()

    def write(self, text: str) -> None:
        try:
            self.stream.write(text + "\n")
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        if self.written_n != self.n and self.n > self.start_n:
            self._emit()


class _Bar(_Off):
    """tqdm's text bar on a terminal."""

    def __init__(self, total, desc: str, unit: str, stream, initial: int = 0):
        from tqdm.std import tqdm

        self._bar = tqdm(total=total, desc=desc, unit=unit, file=stream, initial=initial, leave=True,
                         dynamic_ncols=True)
        super().__init__(total)
        self.n = initial

    def update(self, k: int = 1) -> None:
        self.n += k
        self._bar.update(k)

    def set_total(self, total) -> None:
        self.total = total
        self._bar.total = total
        self._bar.refresh()

    def set_postfix_str(self, text: str = "", refresh: bool = True) -> None:
        self._bar.set_postfix_str(text, refresh=refresh)

    def stage(self, text: str) -> None:
        self._bar.set_postfix_str(text)

    def write(self, text: str) -> None:
        self._bar.write(text, file=self._bar.fp)

    def close(self) -> None:
        self._bar.close()


def progress(total=None, desc: str = "cfgmft", unit: str = "it", *, enabled: bool = True, initial: int = 0,
             stream=None):
    """A progress counter for ``total`` stages of ``unit`` (see the module docstring):
    a tqdm bar when ``stream`` (default: standard error) is a terminal, one line per stage
    otherwise, nothing when ``enabled`` is false."""
    if not enabled:
        return _Off(total)
    stream = sys.stderr if stream is None else stream
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if tty:
        return _Bar(total, desc, unit, stream, initial)
    return _Lines(total, desc, unit, stream, initial)
