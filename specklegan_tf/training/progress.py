"""A console progress bar for epochs of training steps, with the time left in the epoch and in the run.

On a terminal the bar is redrawn in place; in a log file (not a TTY) a line is written every ``log_fraction`` of
the epoch, so logs stay short.

Example:
    >>> bar = ProgressBar(total_steps=40, epoch=1, epochs=10, steps_before=0, run_steps=400)
    >>> bar.update(1, {"d_loss": 1.38, "g_loss": 0.69})
    >>> bar.close()
"""

from __future__ import annotations

import sys
import time
from typing import IO, Mapping


def format_duration(seconds: float) -> str:
    """``3725`` -> ``1:02:05``; ``65`` -> ``1:05``; unknown (NaN/inf) -> ``?``."""
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return "?"
    seconds = int(round(max(seconds, 0.0)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressBar:
    """Progress of one epoch with an estimate of the time left.

    The step time is averaged over the steps after the first of this bar (the first one includes tracing).

    Args:
        total_steps: Steps in the epoch.
        epoch: The epoch number shown (1-based).
        epochs: Total epochs of the run.
        steps_before: Steps of this epoch already done before (a resumed epoch starts there).
        run_steps: Steps left in the whole run from the start of this bar, for the run ETA (0: epoch ETA only).
        stream: Where to write (default ``sys.stderr``).
        width: Characters of the bar.
        log_fraction: Without a TTY, write a line every this fraction of the epoch.
        enabled: False writes nothing (non-chief workers).
    """

    def __init__(self, total_steps: int, epoch: int, epochs: int, *, steps_before: int = 0, run_steps: int = 0,
                 stream: IO[str] | None = None, width: int = 24, log_fraction: float = 0.25,
                 enabled: bool = True) -> None:
        if total_steps < 1:
            raise ValueError(f"total_steps must be at least 1, got {total_steps}")
        self.total_steps = total_steps
        self.epoch, self.epochs = epoch, epochs
        self.steps_before = steps_before
        self.run_steps = run_steps
        self.stream = stream or sys.stderr
        self.width = width
        self.enabled = enabled
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self._log_every = max(1, int(total_steps * log_fraction))
        self._start = time.perf_counter()
        self._first_done: float | None = None
        self._done_here = 0
        self.line = ""

    def seconds_per_step(self) -> float:
        """Mean seconds per step, excluding the first step (tracing); NaN before two steps."""
        if self._first_done is None or self._done_here < 2:
            return float("nan")
        return (time.perf_counter() - self._first_done) / (self._done_here - 1)

    def update(self, step: int, metrics: Mapping[str, float] | None = None) -> str:
        """Report that ``step`` (1-based, within the epoch) is done; returns the text shown."""
        self._done_here += 1
        if self._first_done is None:
            self._first_done = time.perf_counter()
        per_step = self.seconds_per_step()
        left_epoch = (self.total_steps - step) * per_step
        filled = int(self.width * step / self.total_steps)
        bar = "#" * filled + "." * (self.width - filled)
        text = (f"epoch {self.epoch}/{self.epochs} [{bar}] {step}/{self.total_steps} "
                f"ETA {format_duration(left_epoch)}")
        if self.run_steps:
            text += f" (run {format_duration((self.run_steps - self._done_here) * per_step)})"
        if per_step == per_step:
            text += f" {per_step:.2f} s/step"
        for key, value in (metrics or {}).items():
            text += f" {key} {value:.4g}"
        self.line = text
        if self.enabled:
            if self.interactive:
                self.stream.write("\r" + text + "\x1b[K")
                self.stream.flush()
            elif step == self.total_steps or (step - self.steps_before) % self._log_every == 0:
                self.stream.write(text + "\n")
                self.stream.flush()
        return text

    def close(self, summary: str = "") -> None:
        """End the bar's line, adding a summary (e.g. epoch time and validation result)."""
        if not self.enabled:
            return
        elapsed = format_duration(time.perf_counter() - self._start)
        text = f"epoch {self.epoch}/{self.epochs} done in {elapsed}" + (f"; {summary}" if summary else "")
        self.stream.write(("\r\x1b[K" if self.interactive else "") + text + "\n")
        self.stream.flush()
