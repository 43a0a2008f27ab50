"""specklegan_tf.training: how the models are trained.

- ``config``: one configuration dataclass per trainer (presets, YAML/JSON files, command-line flags).
- ``strategy``: default / ``MirroredStrategy`` / ``MultiWorkerMirroredStrategy`` (``TF_CONFIG``), ``is_chief``.
- ``runtime``: seeds, op determinism, mixed precision.
- ``runner``: the generic distributed training loop (resume, NaN stop, validation, progress, TensorBoard); its
  types are in ``run_types``, its epochs in ``training_loop``.
- ``run_lifecycle``: the run-folder lifecycle both trainers share (lock, resume check, finished record, chief-only
  logging, batch checks).
- ``checkpoints``: atomic checkpoints of models, optimizers, RNG states and loop counters.
- ``recovery``: the newest intact checkpoint of a damaged folder, and its repair (the resume rules).
- ``folder_lock``, ``run_folder``: one process per run/study/reproduction folder; ``--restart``.
- ``faults``: fault points where tests make the process kill itself (``SPECKLEGAN_TF_KILL_AT``).
- ``progress``, ``summaries``: progress bar with ETA; TensorBoard scalars/images and sample grids.
- ``gan_trainer``: ``train_gan(config)``, what ``python train/fit_gan.py`` runs; its models, validation and export
  are in ``gan_models``, ``gan_validation`` and ``gan_export``.
- ``segmentation_config``, ``segmentation_data``, ``segmentation_scoring``, ``segmenter_training``: the U-Net
  trainer's configuration, data checks, inference and scores, and the reusable trainer.
- ``segmentation_trainer``: the U-Net trainer (the paper's Table 2 study is ``specklegan_tf.experiments.study``).

The names below are imported on first use (PEP 562), so that reading a configuration or printing ``--help``
does not start TensorFlow, and logical devices can still be configured after ``import specklegan_tf.training``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "CheckpointMismatchError": "checkpoints",
    "TrainingCheckpoint": "checkpoints",
    "read_counters": "checkpoints",
    "FolderLock": "folder_lock",
    "FolderLockedError": "folder_lock",
    "UnusableCheckpointsError": "recovery",
    "scan_checkpoints": "recovery",
    "open_run_folder": "run_folder",
    "GAN_PRESETS": "config",
    "GANConfig": "config",
    "TrainerConfig": "config",
    "load_config": "config",
    "read_saved_config": "config",
    "save_config": "config",
    "GANRunSummary": "gan_trainer",
    "train_gan": "gan_trainer",
    "ProgressBar": "progress",
    "SegmentationConfig": "segmentation_trainer",
    "fit_segmentation": "segmentation_trainer",
    "NonFiniteLossError": "runner",
    "RunResult": "runner",
    "Trainable": "runner",
    "TrainingContext": "runner",
    "epoch_seed": "runner",
    "run_training": "runner",
    "set_up_runtime": "runtime",
    "configure_logical_devices": "strategy",
    "is_chief": "strategy",
    "make_strategy": "strategy",
    "SummaryWriter": "summaries",
    "image_grid": "summaries",
    "save_png": "summaries",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'specklegan_tf.training' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"specklegan_tf.training.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
