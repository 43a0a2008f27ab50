"""An exclusive lock on a run, study or reproduction folder, so that two processes never write into one folder.

Why ``flock`` and not a PID file alone: the kernel releases an ``flock`` when its process ends, also after
``kill -9``, so a lock left behind by a killed process is recognised as stale with certainty and taken over, while
a live holder on another machine sharing the folder (NFS forwards ``flock`` as a POSIX lock) still blocks. The
holder's PID, host, start time and command are written into the lock file only so that a refused process can say
who holds the folder.

The lock file (``<folder>/.lock``) is never deleted: deleting it would let a process that opened the old file lock
a different inode than a newcomer, and both would believe they hold the folder. Releasing empties it instead.

A process may lock the same folder again while it holds it (nested trainers, e.g. the segmentation trainer's
pre-training inside its run folder); the lock is released when the outermost holder releases it.

Example:
    >>> with FolderLock("runs/demo", "run folder") as lock:
    ...     lock.took_over      # the record of a killed holder whose lock was taken over, or None
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from pathlib import Path

LOCK_FILE = ".lock"

# Folders this process holds: canonical path -> [file descriptor, nesting depth].
_HELD: dict[str, list[int]] = {}


class FolderLockedError(ValueError):
    """Another live process holds the folder. (A ValueError: the command-line tools report it as a bad input.)"""


def _describe(record: dict) -> str:
    started = record.get("started")
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)) if isinstance(started, (int, float)) else "?"
    return (f"process {record.get('pid', '?')} on host {record.get('host', '?')} (started {when}: "
            f"{record.get('command', '?')})")


def _read_record(fd: int) -> dict | None:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 65536).decode("utf-8", errors="replace").strip()
    if not text:
        return None
    try:
        record = json.loads(text)
    except json.JSONDecodeError:
        return {"pid": "?", "host": "?", "command": f"unreadable lock record {text[:80]!r}"}
    return record if isinstance(record, dict) else None


class FolderLock:
    """Exclusive lock on ``folder`` (created if needed).

    Args:
        folder: The folder to lock.
        what: What the folder is, for messages (``run folder``, ``study folder``, ...).

    Attributes:
        took_over: The holder record of a stale lock this process took over (None if there was none).
    """

    def __init__(self, folder: str | os.PathLike, what: str = "run folder") -> None:
        self.folder = Path(folder)
        self.what = what
        self.path = self.folder / LOCK_FILE
        self.took_over: dict | None = None
        self._key: str | None = None

    def acquire(self) -> "FolderLock":
        """Take the lock, or raise :class:`FolderLockedError` naming the holder."""
        if self.folder.exists() and not self.folder.is_dir():
            raise FolderLockedError(f"The {self.what} {self.folder} is a file, not a folder; choose another path.")
        self.folder.mkdir(parents=True, exist_ok=True)
        key = os.path.realpath(self.folder)
        if key in _HELD:
            _HELD[key][1] += 1
            self._key = key
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_record(fd)
            os.close(fd)
            who = _describe(holder) if holder else "another process (it has not written its record yet)"
            raise FolderLockedError(
                f"The {self.what} {self.folder} is in use by {who}; lock file {self.path}. Two processes writing "
                f"into one folder would overwrite each other's checkpoints and exports: wait for it to finish, "
                f"stop it, or choose another folder.") from None
        except OSError:
            os.close(fd)
            raise
        # We hold the lock: a record left in the file belongs to a holder that ended without releasing (killed).
        self.took_over = _read_record(fd)
        record = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time(),
                  "command": " ".join(sys.argv)[:300] or "python"}
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(record).encode())
        os.fsync(fd)
        _HELD[key] = [fd, 1]
        self._key = key
        return self

    def stale_message(self) -> str | None:
        """What to tell the user about a taken-over stale lock (None if there was none)."""
        if self.took_over is None:
            return None
        return (f"Took over the stale lock {self.path} of {_describe(self.took_over)}, which is no longer running "
                f"(killed or crashed); its files are checked below.")

    def release(self) -> None:
        """Release the lock (the outermost holder in this process empties the lock file and unlocks it)."""
        if self._key is None or self._key not in _HELD:
            return
        entry = _HELD[self._key]
        entry[1] -= 1
        if entry[1] == 0:
            fd = entry[0]
            del _HELD[self._key]
            try:
                os.ftruncate(fd, 0)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
        self._key = None

    def __enter__(self) -> "FolderLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
