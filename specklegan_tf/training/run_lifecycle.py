"""The run-folder lifecycle shared by the GAN and the U-Net trainers.

Both trainers go through the same steps around their training: check the paths, create the strategy, lock the run
folder (``--restart`` moves a previous run aside), refuse to resume checkpoints trained with other options, write
the effective configuration, check the batch against the data, train, and finally write the record that marks the
run as finished. The steps that are the same for both live here; what differs (data, models, export) stays in
``gan_trainer`` and ``segmentation_trainer``.

The strategy and the runtime are imported when a run is opened: TensorFlow's devices can still be configured
after this module is imported.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Sequence

from specklegan_tf.core.atomic_files import write_json
from specklegan_tf.training.checkpoints import read_counters
from specklegan_tf.training.config import TrainerConfig, read_saved_config, save_config
from specklegan_tf.training.run_folder import open_run_folder, restart_export_note, same_setting

CONFIG_FILE = "config.yaml"


def chief_logger(chief: bool, stream: IO[str] | None = None) -> Callable[[str], None]:
    """A ``log(message)`` that prints (flushed) on the chief only: one worker speaks for a multi-worker run."""

    def log(message: str) -> None:
        if chief:
            print(message, file=stream or sys.stdout, flush=True)

    return log


@dataclass
class RunSession:
    """An opened run: its folder (locked by the chief), strategy, whether this process is the chief, its log."""

    run_dir: Path
    strategy: Any
    chief: bool
    log: Callable[[str], None]


@contextlib.contextmanager
def open_run(config: TrainerConfig, stream: IO[str] | None = None, *, export: bool = True) -> Iterator[RunSession]:
    """Check the paths, create the strategy and hold the run folder's lock for the ``with`` block.

    Args:
        config: A validated trainer configuration (``run_dir``, ``strategy``, ``devices``, ``restart``,
            ``export_dir``, ``name``).
        stream: Where the chief's messages go (default stdout).
        export: Whether the run exports (``--restart`` then names the export that a restarted run does not remove).
    """
    from specklegan_tf.training.strategy import is_chief, make_strategy

    config.check_paths()  # before the strategy, the data and the models: a missing file is named at once
    run_dir = config.run_dir
    # The strategy first: MultiWorkerMirroredStrategy must exist before TensorFlow runs any op.
    strategy = make_strategy(config.strategy, config.devices)
    chief = is_chief(strategy)
    log = chief_logger(chief, stream)
    export_note = restart_export_note(config.export_dir, config.name) if export else ""
    lock = open_run_folder(run_dir, chief=chief, restart=config.restart, log=log, export_note=export_note)
    try:
        yield RunSession(run_dir=run_dir, strategy=strategy, chief=chief, log=log)
    finally:
        if lock is not None:
            lock.release()


def start_runtime(config: TrainerConfig, session: RunSession) -> str:
    """Seeds, op determinism and precision; the chief writes the effective ``config.yaml``. Returns the policy."""
    from specklegan_tf.training.runtime import set_up_runtime

    policy = set_up_runtime(config.seed, config.deterministic, config.mixed_precision)
    if session.chief:
        save_config(config, session.run_dir / CONFIG_FILE)
    return policy


def has_checkpoints(run_dir: Path, checkpoint_dirs: Sequence[str] = ("checkpoints",)) -> bool:
    """Whether the run folder holds a saved configuration and a readable checkpoint in one of ``checkpoint_dirs``."""
    if not (run_dir / CONFIG_FILE).exists():
        return False
    return any(read_counters(run_dir / folder) is not None for folder in checkpoint_dirs)


def refuse_other_options(config: TrainerConfig, run_dir: Path, resume_keys: Sequence[str],
                         checkpoints_word: str = "checkpoint") -> None:
    """Refuse to resume when an option of ``resume_keys`` differs from the run folder's ``config.yaml``.

    Raises:
        ValueError: naming each option whose value differs (``--option value (the run has saved)``).
    """
    saved = read_saved_config(type(config), run_dir / CONFIG_FILE)
    differences = [f"--{key.replace('_', '-')} {getattr(config, key)!r} (the run has {getattr(saved, key)!r})"
                   for key in resume_keys if not same_setting(key, getattr(config, key), getattr(saved, key))]
    if differences:
        raise ValueError(f"{run_dir} holds a run with other options; resuming would not fit its {checkpoints_word}: "
                         f"{'; '.join(differences)}. Use the run's options or another --out.")


def check_batches(batch_size: int, n_images: int, replicas: int, too_few: str | None = None) -> int:
    """Steps per epoch of ``n_images`` in batches of ``batch_size`` split over ``replicas``.

    Raises:
        ValueError: fewer images than one batch (``too_few``, or a message naming the data set), or a batch
            that does not split over the replicas.
    """
    if batch_size > n_images:
        raise ValueError(too_few or f"--batch-size {batch_size} is larger than the data set ({n_images} images)")
    if batch_size % replicas:
        raise ValueError(f"--batch-size {batch_size} must be a multiple of the {replicas} replicas")
    return n_images // batch_size


def read_finished_record(run_dir: Path, name: str) -> dict[str, Any] | None:
    """The finished record ``run_dir/name`` (JSON), or None when it is missing.

    Raises:
        OSError, ValueError: the record exists but cannot be read or parsed.
    """
    path = run_dir / name
    if not path.exists():
        return None
    return json.loads(path.read_text())


def write_finished_record(run_dir: Path, name: str, record: dict[str, Any]) -> Path:
    """Write the record that marks the run as finished; written last and atomically, so it exists only complete."""
    return write_json(run_dir / name, record)


def fspath_or_none(path: str | os.PathLike | None) -> str | None:
    """``os.fspath(path)``, or None for a missing path (how the records store optional files)."""
    return os.fspath(path) if path else None
