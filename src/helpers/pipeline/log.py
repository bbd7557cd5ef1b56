"""A log file per run: everything the run printed, DVC's and each stage's output included.

``logs/<UTC time>-run.log`` receives what the run writes to the console (``print``, logging) and
the output of the commands it starts, copied line by line as it arrives, so the console still
shows progress while the file keeps it for whoever was not watching (a scheduled run's log is
all there is). The run's summary is written beside it (``-summary.json``, ``-summary.txt``), and
only the newest ``keep`` runs' files are kept.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

LOG_DIR = "logs"
_STAMPED = re.compile(r"^(\d{8}T\d{6}\.\d{3}Z)-")

LineHandler = Callable[[str, float], None]  # (line without its newline, time.monotonic() it arrived)


def stamp(now: dt.datetime | None = None) -> str:
    """A UTC time to the millisecond that sorts as text, e.g. ``20260301T060000.123Z``."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%S.") + f"{now.microsecond // 1000:03d}Z"


def prune(folder: Path, keep: int) -> list[str]:
    """Delete the files of all but the newest ``keep`` runs; returns the run stamps removed."""
    runs = sorted({m[1] for p in folder.glob("*") if (m := _STAMPED.match(p.name))})
    old = runs[:-keep] if keep > 0 else runs
    for path in folder.glob("*"):
        if (m := _STAMPED.match(path.name)) and m[1] in old:
            path.unlink(missing_ok=True)
    return old


class _Tee:
    """A text stream writing to the console stream and the run's log file."""

    def __init__(self, console: TextIO, log: RunLog):
        self.console, self.log = console, log

    def write(self, text: str) -> int:
        self.console.write(text)
        self.log.write(text)
        return len(text)

    def flush(self) -> None:
        self.console.flush()
        self.log.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name):  # encoding, fileno, ... as the console has them
        return getattr(self.console, name)


class _FileHandler(logging.Handler):
    """Logging records into the run's file (the console already gets them from basicConfig's handler)."""

    def __init__(self, log: RunLog):
        super().__init__()
        self.log = log
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.log.write(self.format(record) + "\n")


class RunLog:
    """Used as a context manager around a run: console output is copied into ``path`` meanwhile."""

    def __init__(self, root: Path, keep: int = 24, now: dt.datetime | None = None):
        self.folder = root / LOG_DIR
        self.keep = keep
        self.stamp = stamp(now)
        self.path = self.folder / f"{self.stamp}-run.log"
        self._lock = threading.Lock()
        self._file: TextIO | None = None

    def sibling(self, suffix: str) -> Path:
        """Another file of this run in the log folder, e.g. ``sibling('summary.json')``."""
        return self.folder / f"{self.stamp}-{suffix}"

    def write(self, text: str) -> None:
        with self._lock:
            if self._file is not None:
                self._file.write(text)

    def flush(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.flush()

    def __enter__(self) -> RunLog:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "x", encoding="utf-8", buffering=1)
        prune(self.folder, self.keep)
        self._saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Tee(sys.stdout, self), _Tee(sys.stderr, self)
        self._handler = _FileHandler(self)
        logging.getLogger().addHandler(self._handler)
        return self

    def __exit__(self, *exc) -> None:
        logging.getLogger().removeHandler(self._handler)
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = self._saved
        with self._lock:
            self._file.close()
            self._file = None

    def run(self, command: list[str], *, on_line: LineHandler | None = None, **popen) -> int:
        """Run ``command``, copying its stdout and stderr line by line to the console and the log.

        Each stream keeps its own console stream (errors stay on stderr); ``on_line`` sees every
        line with the moment it arrived, which is how stage timings are taken.
        """
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)
        threads = [threading.Thread(target=copy_lines, args=(process.stdout, "stdout", on_line), daemon=True),
                   threading.Thread(target=copy_lines, args=(process.stderr, "stderr", on_line), daemon=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return process.wait()


def copy_lines(pipe, stream_name: str, on_line: LineHandler | None = None) -> None:
    """A child process's output, line by line, onto this process's ``sys.<stream_name>`` (and so into
    the run's log while one is open); ``on_line`` sees each line with the moment it arrived."""
    for raw in iter(pipe.readline, b""):
        line = raw.decode("utf-8", errors="replace")
        stream = getattr(sys, stream_name)
        stream.write(line if line.endswith("\n") else line + "\n")
        stream.flush()
        if on_line is not None:
            on_line(line.rstrip("\r\n"), time.monotonic())
    pipe.close()
