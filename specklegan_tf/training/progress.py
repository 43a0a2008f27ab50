"""The progress of an epoch of training steps, with the time left in the epoch and in the whole run.

Built on ``rich.progress`` (installed with Keras): rich measures the step rate and, on a terminal, draws the bar
in place. Why rich and not ``keras.utils.Progbar``: Progbar writes only to ``sys.stdout`` (the bar belongs on
stderr, next to the messages on stdout), has no whole-run estimate, and without a terminal prints nothing until
the epoch ends. In a log file (not a TTY) this module writes a plain line every ``log_fraction`` of the epoch
instead of a bar, so logs stay short and greppable.

The rate is rich's estimate over the whole epoch; rich leaves the first sample out of it, which is the first step
of the bar, the one that includes tracing the training graph.

Example:
    >>> bar = ProgressBar(total_steps=40, epoch=1, epochs=10, steps_before=0, run_steps=400)
    >>> bar.update(1, {"d_loss": 1.38, "g_loss": 0.69})
    >>> bar.close()
"""

from __future__ import annotations

import sys
import time
from typing import IO, Mapping

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn


def format_duration(seconds: float | None) -> str:
    """``3725`` -> ``1:02:05``; ``65`` -> ``1:05``; unknown (None, NaN, inf) -> ``?``."""
    if seconds is None or seconds != seconds or seconds in (float("inf"), float("-inf")):
        return "?"
    seconds = int(round(max(seconds, 0.0)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _clock() -> float:
    return time.perf_counter()  # looked up at each call, so a test can replace time.perf_counter


class ProgressBar:
    """Progress of one epoch with an estimate of the time left.

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
        self.interactive = enabled and bool(getattr(self.stream, "isatty", lambda: False)())
        self._log_every = max(1, int(total_steps * log_fraction))
        self._start = _clock()
        self._done_here = 0
        self.line = ""
        # An infinite estimate period: the rate is the mean over the epoch (without the first, tracing step).
        # Without a terminal rich stays disabled: it still measures the rate, the lines are written here.
        self._progress = Progress(
            TextColumn("epoch {task.fields[epoch]}"), BarColumn(bar_width=width), MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            console=Console(file=self.stream, highlight=False), get_time=_clock, speed_estimate_period=float("inf"),
            transient=True, redirect_stdout=False, redirect_stderr=False, disable=not self.interactive)
        self._task = self._progress.add_task("", total=total_steps, completed=steps_before,
                                             epoch=f"{epoch}/{epochs}", info="")
        if self.interactive:
            self._progress.start()

    def seconds_per_step(self) -> float:
        """Mean seconds per step, excluding the first step (tracing); NaN before two steps."""
        speed = self._progress.tasks[0].speed
        return 1.0 / speed if speed else float("nan")

    def update(self, step: int, metrics: Mapping[str, float] | None = None) -> str:
        """Report that ``step`` (1-based, within the epoch) is done; returns the text shown."""
        self._done_here += 1
        self._progress.update(self._task, completed=step)
        per_step = self.seconds_per_step()
        info = f"ETA {format_duration((self.total_steps - step) * per_step)}"
        if self.run_steps:
            info += f" (run {format_duration((self.run_steps - self._done_here) * per_step)})"
        if per_step == per_step:
            info += f" {per_step:.2f} s/step"
        for key, value in (metrics or {}).items():
            info += f" {key} {value:.4g}"
        filled = int(self.width * step / self.total_steps)
        self.line = (f"epoch {self.epoch}/{self.epochs} [{'#' * filled + '.' * (self.width - filled)}] "
                     f"{step}/{self.total_steps} {info}")
        if self.interactive:
            self._progress.update(self._task, info=info, refresh=True)
        elif self.enabled and (step == self.total_steps or (step - self.steps_before) % self._log_every == 0):
            self.stream.write(self.line + "\n")
            self.stream.flush()
        return self.line

    def close(self, summary: str = "") -> None:
        """End the bar, writing a line with the epoch time and a summary (e.g. the validation result)."""
        if self.interactive:
            self._progress.stop()  # transient: the bar is removed, the summary line takes its place
        if not self.enabled:
            return
        elapsed = format_duration(_clock() - self._start)
        self.stream.write(f"epoch {self.epoch}/{self.epochs} done in {elapsed}" + (f"; {summary}" if summary else "")
                          + "\n")
        self.stream.flush()
