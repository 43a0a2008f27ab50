"""Training the residual U-Net: optional pre-training on generated images, fine-tuning on real ones, export.

:func:`fit_segmentation` is what ``python train/fit_segmentation.py`` runs: the run-folder lifecycle
(``run_lifecycle``, shared with the GAN trainer) around :func:`train_phase` (one training run in one run folder,
``segmenter_training``, shared with the segmentation study). The configuration, the data checks and the scoring
are in ``segmentation_config``, ``segmentation_data`` and ``segmentation_scoring``; their names import from here
as before. Training goes through the loop the GAN trainer uses, :func:`~specklegan_tf.training.runner.run_training`:
the same strategies, atomic checkpoints with resume, NaN stop, progress bar with ETA and TensorBoard logs.

Pre-training then fine-tuning (the paper's "Segmentation evaluation" section): the network is trained on the
generated images of ``--pretrain DIR`` for ``--pretrain-epochs``, its weights are saved as
``pretrain/pretrained.weights.h5``, and the fine-tuning run starts from exactly these weights (the optimizer is
new). A resumed fine-tuning run continues from its own checkpoint instead.

Run folder layout (``runs/<name>/`` or ``--out``)::

    config.yaml                     effective configuration
    pretrain/                       the pre-training run (checkpoints/, logs/, history.jsonl) and
    pretrain/pretrained.weights.h5  the weights fine-tuning starts from
    checkpoints/, logs/, history.jsonl   the fine-tuning run
    segmenter_final.keras           the network after the last epoch
    export.json                     where the SavedModel went; written last, marks the run as finished

Example:
    >>> from specklegan_tf.training.segmentation_trainer import SegmentationConfig, fit_segmentation
    >>> summary = fit_segmentation(SegmentationConfig(image_size=64, n_train=100, epochs=20, out="runs/seg64"))
    >>> summary.validation["dice_lumen"], summary.export_path
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable

from specklegan_tf.training.checkpoints import read_counters
from specklegan_tf.training.progress import format_duration
from specklegan_tf.training.run_folder import refuse_fresh_start_over_outputs
from specklegan_tf.training.run_lifecycle import (RunSession, fspath_or_none, has_checkpoints, open_run,
                                                 read_finished_record, refuse_other_options, start_runtime,
                                                 write_finished_record)
from specklegan_tf.training.runner import RunResult
# The configuration, data checks, scoring and the reusable trainer live in their own modules; their names are
# importable from here as before.
from specklegan_tf.training.segmentation_config import (EXPORT_RECORD, PRETRAINED_WEIGHTS, RESUME_KEYS, RUN_OUTPUTS,
                                                        SEGMENTATION_PRESETS, SegmentationConfig)
from specklegan_tf.training.segmentation_data import (check_masks, check_same_size, load_pretraining_data,
                                                      load_training_data, split_train_validation,
                                                      stored_image_size)
from specklegan_tf.training.segmentation_scoring import (EVALUATED_CLASSES, Predictor, SegmentationValidation,
                                                         predict_labels, predict_probabilities, segmentation_scores)
from specklegan_tf.training.segmenter_training import PROGRESS_KEYS, ReusableSegmenter, pretrain, train_phase

__all__ = ["EVALUATED_CLASSES", "EXPORT_RECORD", "PRETRAINED_WEIGHTS", "PROGRESS_KEYS", "Predictor", "RESUME_KEYS",
           "RUN_OUTPUTS", "ReusableSegmenter", "SEGMENTATION_PRESETS", "SegmentationConfig", "SegmentationRunSummary",
           "SegmentationValidation", "check_masks", "check_resumable", "check_same_size", "fit_segmentation",
           "load_pretraining_data", "predict_labels", "predict_probabilities", "pretrain", "segmentation_scores",
           "split_train_validation", "stored_image_size", "train_phase"]


@dataclass
class SegmentationRunSummary:
    """What :func:`fit_segmentation` produced.

    Attributes:
        run_dir: The run folder.
        already_finished: The run had finished before this call; nothing was trained or exported again.
        epochs_done: Completed fine-tuning epochs.
        pretrained_weights: The pre-trained weights fine-tuning started from (None: from scratch).
        validation: Held-out Dice per class after the last epoch (empty without held-out images).
        export_path: The SavedModel version folder (None on non-chief workers).
        keras_path: The exported ``.keras`` network.
        seconds: Wall time of this call.
    """

    run_dir: Path
    already_finished: bool
    epochs_done: int
    pretrained_weights: Path | None
    validation: dict[str, float]
    export_path: Path | None
    keras_path: Path | None
    seconds: float


def check_resumable(config: SegmentationConfig, run_dir: Path) -> None:
    """Refuse to resume a run folder whose checkpoints were trained with other network or data options.

    Raises:
        ValueError: naming each option whose value differs from the run folder's ``config.yaml``.
    """
    if has_checkpoints(run_dir, ("checkpoints", "pretrain/checkpoints")):
        refuse_other_options(config, run_dir, RESUME_KEYS, "checkpoints")


def fit_segmentation(config: SegmentationConfig, stream: IO[str] | None = None) -> SegmentationRunSummary:
    """Train (or resume, or finish) the segmentation run described by ``config``; see the module docstring.

    Args:
        config: A validated :class:`SegmentationConfig`.
        stream: Where messages go (default stdout; the progress bar uses stderr unless given).

    Returns:
        A :class:`SegmentationRunSummary`.

    Raises:
        ValueError: too few images for a batch, masks without some class, pre-training images of another size,
            or a run folder with other options.
        NonFiniteLossError: a loss became NaN or infinite (the last good checkpoint is kept).
    """
    started = time.perf_counter()
    with open_run(config, stream) as session:
        return _fit_locked(config, session, stream, started)


def _finished_summary(config: SegmentationConfig, run_dir: Path, log) -> SegmentationRunSummary | None:
    """Report and return a summary if the run folder holds a finished run (checked without building anything)."""
    if not (run_dir / EXPORT_RECORD).exists():
        return None
    problems: list[str] = []
    counters = read_counters(run_dir / "checkpoints", problems)
    for line in problems:
        log(line)
    if counters is None or counters["epoch"] < config.epochs:
        return None
    record = read_finished_record(run_dir, EXPORT_RECORD)
    log(f"This run has already finished: {counters['epoch']} of {config.epochs} epochs are done and the "
        f"segmenter was exported to {record['savedmodel']}. Nothing to do (raise --epochs to train "
        f"further, or choose another --out for a new run).")
    return SegmentationRunSummary(
        run_dir=run_dir, already_finished=True, epochs_done=int(counters["epoch"]),
        pretrained_weights=Path(record["pretrained_weights"]) if record.get("pretrained_weights") else None,
        validation=record.get("validation", {}), export_path=Path(record["savedmodel"]),
        keras_path=Path(record["keras"]), seconds=0.0)


def _fit_locked(config: SegmentationConfig, session: RunSession, stream, started: float) -> SegmentationRunSummary:
    """:func:`fit_segmentation` once the run folder is locked."""
    run_dir, strategy, log = session.run_dir, session.strategy, session.log
    finished = _finished_summary(config, run_dir, log)
    if finished is not None:
        return finished
    check_resumable(config, run_dir)
    refuse_fresh_start_over_outputs(run_dir, RUN_OUTPUTS)
    policy = start_runtime(config, session)
    images, masks, n_train, n_val = load_training_data(config)
    validation = SegmentationValidation(images[n_train:n_train + n_val], masks[n_train:n_train + n_val]) \
        if n_val else None
    log(f"Data: {config.data}, {n_train} training and {n_val} held-out images {config.image_size}x"
        f"{config.image_size}; U-Net base filters {config.base_filters}; batch {config.batch_size}; "
        f"precision {policy}")

    weights = None
    trainable = ReusableSegmenter(config, strategy)  # one network and traced step for both phases
    if config.pretrain is not None:
        generated = load_pretraining_data(config.pretrain, config.image_size, seed=config.seed)
        log(f"Pre-training on {len(generated)} generated images from {config.pretrain} for "
            f"{config.pretrain_epochs} epochs")
        weights = pretrain(config, generated.images, generated.masks, run_dir / "pretrain", strategy, trainable,
                           stream)
        log(f"Pre-trained weights: {weights}; fine-tuning starts from them")

    result = train_phase(config, images[:n_train], masks[:n_train], run_dir, epochs=config.epochs,
                         learning_rate=config.lr, init_weights=weights, validation=validation, strategy=strategy,
                         trainable=trainable, stream=stream)
    scores = validation.evaluate(trainable.predictor) if validation is not None else {}
    export_path = keras_path = None
    if session.chief:
        export_path, keras_path = _finish(trainable.network, config, run_dir, weights, scores, result, log)
    return SegmentationRunSummary(run_dir=run_dir, already_finished=False, epochs_done=result.epochs_done,
                                  pretrained_weights=weights, validation=scores, export_path=export_path,
                                  keras_path=keras_path, seconds=time.perf_counter() - started)


def _finish(network, config: SegmentationConfig, run_dir: Path, weights: Path | None, scores: dict[str, float],
            result: RunResult, log: Callable[[str], None]) -> tuple[Path, Path]:
    """Export the final network (SavedModel and ``.keras``) and write the record that marks the run finished."""
    from specklegan_tf.export.segmenter import export_segmenter, save_segmenter_keras

    save_segmenter_keras(network, run_dir / "segmenter_final.keras")
    metadata = {"training": {**config.to_dict(), "epochs_done": result.epochs_done, "steps_done": result.steps_done,
                             "pretrained_weights": fspath_or_none(weights)},
                "validation": scores}
    export_path = export_segmenter(network, config.export_dir, config.name, metadata=metadata)
    keras_path = save_segmenter_keras(network, Path(config.export_dir) / f"{config.name}.keras")
    record = {"savedmodel": os.fspath(export_path), "keras": os.fspath(keras_path),
              "pretrained_weights": fspath_or_none(weights), "validation": scores}
    write_finished_record(run_dir, EXPORT_RECORD, record)
    shown = ", ".join(f"{k} {v:.3f}" for k, v in scores.items())
    log(f"Held-out Dice: {shown or 'no held-out images'}. Exported the segmenter: SavedModel {export_path}, Keras "
        f"file {keras_path}. Training time in this call {format_duration(result.seconds)}.")
    return Path(export_path), Path(keras_path)
