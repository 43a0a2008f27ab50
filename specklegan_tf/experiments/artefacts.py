"""Completed-stage records of a long experiment: atomic JSON files, so that a rerun skips what is done.

A stage is finished exactly when its record file exists. Records are written to a temporary file and renamed
into place, so a kill at any moment leaves either the complete record or none (then the stage is redone, or
resumed by the trainer it calls). Each call's wall time per stage is appended to ``timings.jsonl``.
"""
from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np


def _plain(value: Any) -> Any:
    """JSON-safe copy: numpy scalars/arrays to Python, tuples to lists, NaN/inf to None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return os.fspath(value)
    return value


def write_json(path: str | os.PathLike, content: Any) -> Path:
    """Write ``content`` as JSON atomically (temporary file renamed into place); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(_plain(content), indent=2, sort_keys=False) + "\n")
    os.replace(temporary, path)
    return path


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON record; FileNotFoundError naming the file if it is missing."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"missing experiment record: {path}")
    return json.loads(path.read_text())


def save_npz(path: str | os.PathLike, **arrays: np.ndarray) -> Path:
    """Write arrays as ``.npz`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
    np.savez_compressed(temporary, **arrays)
    os.replace(temporary, path)
    return path


def _load_average() -> float | None:
    """The 1-minute load average (None where the platform has none): the machine is shared, so say how busy."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


class StageLog:
    """Runs stages once: a stage whose record exists is skipped; wall times go to ``timings.jsonl``.

    Args:
        root: The experiment folder.
        log: Where progress messages go.

    Example:
        >>> stages = StageLog(Path("runs/paper"))
        >>> record = stages.run("gan/speckle_n50_s0", Path("runs/paper/gan/speckle_n50_s0/stage.json"), train)
    """

    def __init__(self, root: Path, log: Callable[[str], None] = print) -> None:
        self.root = root
        self.log = log
        self.timings_path = root / "timings.jsonl"

    def _append_timing(self, entry: dict[str, Any]) -> None:
        lines = self.timings_path.read_text().splitlines() if self.timings_path.exists() else []
        lines = [line for line in lines if line.strip()]
        lines.append(json.dumps(_plain(entry)))
        temporary = self.timings_path.with_name(f".{self.timings_path.name}.{os.getpid()}.tmp")
        self.root.mkdir(parents=True, exist_ok=True)
        temporary.write_text("\n".join(lines) + "\n")
        os.replace(temporary, self.timings_path)

    @contextmanager
    def timed(self, stage: str) -> Iterator[dict[str, Any]]:
        """Time a block; its wall time is appended to ``timings.jsonl`` when it completes."""
        entry: dict[str, Any] = {"stage": stage, "started_unix": time.time()}
        start = time.perf_counter()
        yield entry
        entry["seconds"] = time.perf_counter() - start
        self._append_timing(entry)

    def run(self, stage: str, record_path: Path, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Return the stage's record, running ``work`` (which returns the record content) if it is missing."""
        if record_path.exists():
            self.log(f"[reproduce] {stage}: done before, skipped ({record_path})")
            return read_json(record_path)
        self.log(f"[reproduce] {stage}: running")
        with self.timed(stage) as entry:
            record = work()
        from specklegan_tf.experiments.provenance import git_state

        git = git_state()  # a resumed experiment may finish its stages with other code: record it per stage
        record = {**record, "stage": stage, "seconds_this_call": entry["seconds"],
                  "git_commit": git["commit"], "git_dirty_files": git["dirty_files"],
                  "load_average_1min_at_end": _load_average()}
        write_json(record_path, record)
        self.log(f"[reproduce] {stage}: finished in {entry['seconds']:.0f} s")
        return record

    def seconds_by_stage(self) -> dict[str, float]:
        """Total wall time per stage over every completed call (interrupted calls are not counted)."""
        totals: dict[str, float] = {}
        if self.timings_path.exists():
            for line in self.timings_path.read_text().splitlines():
                if line.strip():
                    entry = json.loads(line)
                    totals[entry["stage"]] = totals.get(entry["stage"], 0.0) + float(entry["seconds"])
        return totals
