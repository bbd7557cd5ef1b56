"""One run at a time: an operating-system lock on ``build/run.lock``.

The lock is ``flock`` (``msvcrt.locking`` on Windows), which the kernel releases when the last
process holding the file closes it, so it cannot go stale: a run killed with ``kill -9`` or a
machine that restarts leaves nothing to clean up. The file's *contents* only say who holds it
(PID, host, start time, command) so that a second run can name the holder; a leftover file
with no lock on it means nothing.

The lock's descriptor is handed to ``dvc repro`` (``pass_fds``), so if the run's own process
is killed while DVC is still finishing a stage, the lock is held until DVC ends too: two
``dvc repro`` can never overlap in one project.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

LOCK_FILE = "build/run.lock"

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    _FAR = 1 << 30  # lock a byte far past the holder's details, which other runs must still read

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _FAR, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _FAR, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class Locked(Exception):
    """Another run holds the lock; ``holder`` is what it recorded (empty if it had not yet)."""

    def __init__(self, path: Path, holder: dict):
        self.path, self.holder = path, holder
        super().__init__(describe(path, holder))

    def held_for(self, now: dt.datetime | None = None) -> dt.timedelta | None:
        started = _parse_time(self.holder.get("started"))
        return (now or dt.datetime.now(dt.UTC)) - started if started else None


def describe(path: Path, holder: dict) -> str:
    if not holder.get("pid"):
        return f"another run holds the lock {path} (it has only just started)"
    text = (f"another run holds the lock {path}: PID {holder['pid']} on {holder.get('host', '?')}, "
            f"started {holder.get('started', '?')}, command: {holder.get('command', '?')}")
    if holder.get("host") == socket.gethostname() and not _alive(int(holder["pid"])):
        text += " (that process has ended; the DVC run it started is still finishing)"
    return text


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but is not ours (PermissionError), or a platform without signal 0
        return True
    return True


def _parse_time(text) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def _read_holder(fd: int) -> dict:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = b""
    while chunk := os.read(fd, 4096):
        raw += chunk
    try:
        holder = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):  # being written at this instant, or empty
        return {}
    return holder if isinstance(holder, dict) else {}


@dataclass
class RunLock:
    """A held lock; ``fd`` is passed to child processes that must keep holding it."""

    path: Path
    fd: int
    holder: dict

    def release(self) -> None:
        if self.fd < 0:
            return
        os.ftruncate(self.fd, 0)  # so the file never names a run that has finished
        _unlock(self.fd)
        os.close(self.fd)
        self.fd = -1

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def acquire(path: Path, command: str) -> RunLock:
    """Take the lock or raise :class:`Locked` (never queues for it): a scheduled run that finds
    another still going should say so and stop, not wait behind it. It waits at most a second,
    and only for the holder's details if the holder has locked but not yet written them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    if not _try_lock(fd):
        holder = _read_holder(fd)
        for _ in range(20):  # the holder writes its details just after locking: give it a moment
            if holder:
                break
            time.sleep(0.05)
            holder = _read_holder(fd)
        os.close(fd)
        raise Locked(path, holder)
    holder = {"pid": os.getpid(), "host": socket.gethostname(),
              "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "command": command}
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, json.dumps(holder).encode("utf-8"))
    os.fsync(fd)
    return RunLock(path, fd, holder)
