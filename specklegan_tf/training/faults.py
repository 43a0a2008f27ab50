"""Fault points: named places where a test can make this process kill itself with SIGKILL.

Why: "kill -9 during a checkpoint write" or "during the export" cannot be hit reliably from outside (those moments
last milliseconds), yet they are exactly the moments that damage run folders. A fault point does nothing unless the
environment variable ``SPECKLEGAN_TF_KILL_AT`` names it: ``SPECKLEGAN_TF_KILL_AT=checkpoint_write:3`` sends
SIGKILL to this process the third time the point ``checkpoint_write`` is reached. SIGKILL, not an exception, so
that no ``finally`` clause or atexit handler runs: the process dies as under ``kill -9``.

Points: ``step`` (after a training step, before its counters are saved), ``checkpoint_write`` (after a
checkpoint's files are written, before the ``checkpoint`` state file names it), ``validation`` (after a validation
and the best-model file it may write, before the epoch's checkpoint), ``export`` (after the SavedModel is written, before the ``.keras`` copy and
the finished record).
"""
from __future__ import annotations

import os
import signal

ENVIRONMENT_VARIABLE = "SPECKLEGAN_TF_KILL_AT"
_counts: dict[str, int] = {}


def fault_point(name: str) -> None:
    """Kill this process with SIGKILL if ``SPECKLEGAN_TF_KILL_AT`` is ``name:N`` and this is the N-th visit."""
    wanted = os.environ.get(ENVIRONMENT_VARIABLE)
    if not wanted:
        return
    point, _, count = wanted.partition(":")
    if point != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] >= int(count or 1):
        os.kill(os.getpid(), signal.SIGKILL)
