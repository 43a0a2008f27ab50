"""Finding the checkpoint to resume from in a damaged checkpoints folder, and repairing the folder.

The recovery rules (the README's "Resume" section states them for users):

1. The candidates are every ``ckpt-<step>`` that has files in the folder, whatever the ``checkpoint`` state file
   says, plus what the state file names. So a missing or garbage state file loses nothing, and a checkpoint whose
   files were complete when a kill stopped the process before it recorded them is found too.
2. Candidates are checked newest first (the number is the global step): the ``.index`` must open and every tensor
   of the data file must read back (TensorFlow verifies each tensor's CRC32C as it reads it). The first one that
   passes is the one to resume from; damaged newer ones are reported by file and moved to ``checkpoints/damaged/``.
3. Checkpoint files that exist but none of them passes: the run is refused (it would otherwise start again from
   step 0 and overwrite the run's outputs); ``--restart`` starts it again explicitly.
4. After a recovery the state file is rewritten (atomically) to name the checkpoint chosen and the intact older
   ones, so TensorFlow's own tools and the next run agree with it.

Nothing here builds a model: the checks read the files only, so a damaged latest checkpoint never leaves a model
half-restored.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from specklegan_tf.core.atomic_files import write_text

CHECKPOINT_NAME = "ckpt"
STATE_FILE = "checkpoint"
DAMAGED_FOLDER = "damaged"
_STATE_LINE = re.compile(r'^(model_checkpoint_path|all_model_checkpoint_paths): "([^"]*)"$'
                         r'|^(all_model_checkpoint_timestamps|last_preserved_timestamp): [-+0-9.eE]+$')
_FILE = re.compile(rf"^{CHECKPOINT_NAME}-(\d+)\.(index|data-\d+-of-\d+)$")


class UnusableCheckpointsError(ValueError):
    """The folder holds checkpoint files but none of them can be read. (A ValueError: reported as a bad input.)"""


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:200]


def read_state_file(directory: Path) -> tuple[str | None, list[str], str | None]:
    """(latest name, listed names, problem) of the ``checkpoint`` state file; problem is None when it is fine.

    Parsed here rather than by TensorFlow, which logs "Checkpoint ignored" and carries on from nothing when the
    file is garbage; here a bad file is a reported problem.
    """
    path = directory / STATE_FILE
    if not path.exists():
        return None, [], f"the state file {path} is missing"
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        return None, [], f"the state file {path} cannot be read ({_first_line(error)})"
    latest, listed = None, []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _STATE_LINE.match(line.strip())
        if match is None:
            return None, [], f"the state file {path} is not a checkpoint state (line {number}: {line[:60]!r})"
        if match.group(1) == "model_checkpoint_path":
            latest = os.path.basename(match.group(2))
        elif match.group(1) == "all_model_checkpoint_paths":
            listed.append(os.path.basename(match.group(2)))
    if latest is None:
        return None, listed, f"the state file {path} names no checkpoint"
    return latest, listed, None


def checkpoint_numbers(directory: Path, names: list[str] = ()) -> list[int]:
    """Numbers of the checkpoints that have a file in ``directory`` or are among ``names``, newest first."""
    numbers = set()
    if directory.is_dir():
        for entry in os.listdir(directory):
            match = _FILE.match(entry)
            if match:
                numbers.add(int(match.group(1)))
    for name in names:
        match = re.fullmatch(rf"{CHECKPOINT_NAME}-(\d+)", name)
        if match and (directory / f"{name}.index").exists():
            numbers.add(int(match.group(1)))
    return sorted(numbers, reverse=True)


def checkpoint_problem(prefix: Path) -> str | None:
    """Why the checkpoint ``prefix`` cannot be resumed from, naming the file (None: it reads back completely)."""
    import tensorflow as tf

    index = prefix.with_name(prefix.name + ".index")
    data = sorted(prefix.parent.glob(prefix.name + ".data-*"))
    if not index.exists():
        return f"{index} is missing"
    if index.stat().st_size == 0:
        return f"{index} is empty"
    if not data:
        return f"{prefix}.data-00000-of-00001 is missing"
    try:
        reader = tf.train.load_checkpoint(os.fspath(prefix))
        keys = list(reader.get_variable_to_shape_map())
    except Exception as error:  # any failure to parse the index is damage, whatever TensorFlow calls it
        return f"{index} cannot be read ({_first_line(error)})"
    try:
        for key in keys:
            reader.get_tensor(key)
    except Exception as error:  # e.g. "Read less bytes than requested", a checksum mismatch
        return f"{data[0] if len(data) == 1 else data} is damaged ({_first_line(error)})"
    return None


@dataclass
class CheckpointScan:
    """What :func:`scan_checkpoints` found.

    Attributes:
        directory: The checkpoints folder.
        chosen: Path prefix of the newest intact checkpoint (None: none).
        older: Prefixes of the older checkpoints (not read; kept and listed in the state file).
        damaged: Damaged newer checkpoints: prefix -> reason naming the file.
        state_problem: What is wrong with the state file (None: it names the chosen checkpoint).
    """

    directory: Path
    chosen: Path | None = None
    older: list[Path] = field(default_factory=list)
    damaged: dict[Path, str] = field(default_factory=dict)
    state_problem: str | None = None

    @property
    def has_files(self) -> bool:
        return self.chosen is not None or bool(self.damaged)

    @property
    def needs_repair(self) -> bool:
        return bool(self.damaged) or (self.state_problem is not None and self.chosen is not None)

    def messages(self, repairing: bool = True) -> list[str]:
        """One line per problem found and what is done about it (``repairing``: the folder is being repaired;
        otherwise the files are left as they are)."""
        lines = []
        if self.state_problem and self.has_files:
            found = ", ".join(p.name for p in ([self.chosen] if self.chosen else []) + self.older)
            lines.append(f"Warning: {self.state_problem}; found the checkpoints by their files instead: "
                         f"{found or 'none intact'}.")
        for prefix, reason in self.damaged.items():
            action = (f"Its files are moved to {self.directory / DAMAGED_FOLDER}." if repairing
                      else "Its files are left as they are.")
            lines.append(f"Warning: checkpoint {prefix.name} is damaged: {reason}. {action}")
        if self.damaged and self.chosen is not None and repairing:
            lines.append(f"Resuming from the newest intact checkpoint {self.chosen} instead.")
        return lines

    def refusal(self) -> str:
        """The message when checkpoint files exist but none can be resumed from."""
        reasons = "; ".join(self.damaged.values())
        return (f"{self.directory} holds checkpoints but none of them can be read: {reasons}. Starting from step 0 "
                f"would overwrite this run's outputs, so nothing was changed. Restore the files from a backup, or "
                f"rerun with --restart to start the training again (the old files are moved aside).")


_SCANS: dict[tuple, CheckpointScan] = {}


def _folder_signature(directory: Path) -> tuple:
    """Name, size and modification time of every file: a scan is reused only while none of them changed."""
    if not directory.is_dir():
        return (os.fspath(directory),)
    entries = []
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        if entry.is_file():
            info = entry.stat()
            entries.append((entry.name, info.st_size, info.st_mtime_ns))
    return (os.path.realpath(directory), *entries)


def scan_checkpoints(directory: str | os.PathLike) -> CheckpointScan:
    """Find the newest intact checkpoint in ``directory`` (see the module docstring); reads files only.

    A trainer asks several times at start-up (resume check, finished check, restore); reading a paper-size
    checkpoint takes seconds, so the scan of an unchanged folder is reused.
    """
    directory = Path(directory)
    signature = _folder_signature(directory)
    if signature in _SCANS:
        cached = _SCANS[signature]
        return CheckpointScan(directory, cached.chosen, list(cached.older), dict(cached.damaged),
                              cached.state_problem)
    scan = _scan(directory)
    _SCANS.clear()  # one folder at a time is enough
    _SCANS[signature] = scan
    return CheckpointScan(directory, scan.chosen, list(scan.older), dict(scan.damaged), scan.state_problem)


def _scan(directory: Path) -> CheckpointScan:
    scan = CheckpointScan(directory)
    latest, listed, scan.state_problem = read_state_file(directory)
    numbers = checkpoint_numbers(directory, [*listed, *([latest] if latest else [])])
    for position, number in enumerate(numbers):
        prefix = directory / f"{CHECKPOINT_NAME}-{number}"
        problem = checkpoint_problem(prefix)
        if problem is None:
            scan.chosen = prefix
            scan.older = [directory / f"{CHECKPOINT_NAME}-{n}" for n in numbers[position + 1:]]
            break
        scan.damaged[prefix] = problem
    damaged_names = {prefix.name for prefix in scan.damaged}
    if (scan.state_problem is None and scan.chosen is not None and latest != scan.chosen.name
            and latest not in damaged_names):
        scan.state_problem = (f"the state file {directory / STATE_FILE} names {latest}, but the newest intact "
                              f"checkpoint is {scan.chosen.name}")
    if not scan.has_files:
        scan.state_problem = None  # a fresh folder: nothing to report
    return scan


def repair(scan: CheckpointScan) -> None:
    """Move the damaged checkpoints' files to ``damaged/`` and rewrite the state file to name the chosen one.

    Only the chief calls this. The state file is written atomically (``core.atomic_files``), with
    creation times from the files, so that ``tf.train.CheckpointManager`` keeps deleting the oldest ones as usual.
    """
    directory = scan.directory
    if scan.damaged:
        target = directory / DAMAGED_FOLDER
        target.mkdir(exist_ok=True)
        for prefix in scan.damaged:
            for path in prefix.parent.glob(prefix.name + ".*"):
                destination = target / path.name
                copy = 1
                while destination.exists():
                    destination = target / f"{path.name}.{copy}"
                    copy += 1
                os.replace(path, destination)
    if scan.chosen is None:
        return
    kept = [*reversed(scan.older), scan.chosen]
    times = [(p.with_name(p.name + ".index")).stat().st_mtime for p in kept]
    lines = [f'model_checkpoint_path: "{scan.chosen.name}"']
    lines += [f'all_model_checkpoint_paths: "{p.name}"' for p in kept]
    lines += [f"all_model_checkpoint_timestamps: {t!r}" for t in times]
    lines.append(f"last_preserved_timestamp: {math.floor(min(times)) - 1.0!r}")
    write_text(directory / STATE_FILE, "\n".join(lines) + "\n")
