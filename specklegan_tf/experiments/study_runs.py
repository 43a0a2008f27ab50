"""Running the segmentation study on arrays: pre-training per condition, k-fold fine-tuning per scenario, tables.

The core entry, :func:`run_study_on_arrays`, takes the images, masks and each scenario's train/test indices, so
a caller that already holds its data (the paper reproduction) chooses the split itself; the folder-based
:func:`specklegan_tf.experiments.study.run_study` loads a data set and draws the split from the seed.

Every random choice is derived from ``config.seed`` (:func:`~specklegan_tf.experiments.study_splits.derive_seed`)
and recorded in ``study.json``; a fine-tuning run with ``scores.json`` is skipped on a rerun (the study resumes).
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Sequence

import numpy as np

from specklegan_tf.core.atomic_files import write_csv, write_json, write_text
from specklegan_tf.experiments.study_config import Condition, StudyConfig, parse_conditions, slug
from specklegan_tf.experiments.study_plot import box_plot
from specklegan_tf.experiments.study_splits import derive_seed, kfold_splits
from specklegan_tf.experiments.study_tables import summarize, table2_markdown

SCORES_FILE = "scores.json"


@dataclass
class StudyResult:
    """What the study produced: the output folder, the tables and the records behind them."""

    out: Path
    markdown: str
    summary_rows: list[dict[str, Any]]
    pvalue_rows: list[dict[str, Any]]
    record: dict[str, Any] = field(repr=False)
    seconds: float = 0.0


def _check_config_folder(config: StudyConfig, out: Path) -> None:
    """A study folder resumes only with the configuration it was started with."""
    path = out / "study_config.json"
    current = config.to_dict()
    if path.exists():
        saved = json.loads(path.read_text())
        differences = [f"--{k.replace('_', '-')} {current.get(k)!r} (the folder has {saved.get(k)!r})"
                       for k in sorted(set(saved) | set(current)) if saved.get(k) != current.get(k)]
        if differences:
            raise ValueError(f"{out} holds a study with another configuration: {'; '.join(differences)}. "
                             f"Use the same options to resume it, or another --out.")
    else:
        write_json(path, current)


def _pretraining_data(condition: Condition, config: StudyConfig, out: Path, log) -> tuple[Any, int | None]:
    """The condition's generated images (generating them first for a ``gan``) and the generation seed."""
    from specklegan_tf.export.synthesis import synthesize_dataset
    from specklegan_tf.training.segmentation_trainer import load_pretraining_data

    if condition.kind == "folder":
        return load_pretraining_data(condition.path, config.image_size, seed=config.seed), None
    seed = derive_seed(config.seed, "generate", condition.name)
    folder = out / "generated" / slug(condition.name)
    done = folder / "complete.json"
    if not done.exists():
        log(f"Generating {config.n_generated} images with {condition.path} into {folder} (seed {seed})")
        # replace=True: a folder without complete.json is an unfinished earlier attempt, generated again.
        synthesize_dataset(condition.path, masks="synthetic", n=config.n_generated, out=folder, seed=seed,
                           replace=True)
        write_json(done, {"model": condition.path, "n": config.n_generated, "seed": seed}, indent=None)
    return load_pretraining_data(folder, config.image_size, seed=config.seed), seed


def _pretrain_all(config, conditions, out, trainable, record, log, stream) -> dict[str, Path | None]:
    """Pre-trained weights of every condition (None for no pre-training); records seeds and timings."""
    from specklegan_tf.training.segmentation_trainer import pretrain

    weights: dict[str, Path | None] = {}
    for c in conditions:
        if c.kind == "none":
            weights[c.name] = None
            continue
        generated, generation_seed = _pretraining_data(c, config, out, log)
        seed = derive_seed(config.seed, "pretrain", c.name)
        log(f"Pre-training '{c.name}' on {len(generated)} images for {config.pretrain_epochs} epochs (seed {seed})")
        tick = time.perf_counter()
        weights[c.name] = pretrain(config.training_config(seed), generated.images, generated.masks,
                                   out / "pretrain" / slug(c.name), trainable=trainable, stream=stream)
        record["pretraining"][c.name] = {"seed": seed, "generation_seed": generation_seed,
                                         "images": len(generated), "weights": os.fspath(weights[c.name]),
                                         "seconds": round(time.perf_counter() - tick, 3)}
    return weights


def _fine_tune(config, images, masks, fit_idx, held_idx, test_idx, run_dir, init_weights, trainable, stream,
               key: dict[str, Any]) -> dict[str, Any]:
    """One fold's fine-tuning run and its scores on the held-out fold and the test images."""
    from specklegan_tf.training.segmentation_trainer import (
        SegmentationValidation,
        segmentation_scores,
        train_phase,
    )

    tick = time.perf_counter()
    held_out = SegmentationValidation(images[held_idx], masks[held_idx])
    result = train_phase(config.training_config(key["seed"]), images[fit_idx], masks[fit_idx], run_dir,
                         epochs=config.epochs, learning_rate=config.lr, init_weights=init_weights,
                         validation=held_out, trainable=trainable, stream=stream)
    network = result.trainable.network
    test_scores = segmentation_scores(result.trainable.predictor.labels(images[test_idx]), masks[test_idx])
    return {**key, "validation": (result.history[-1].get("validation") if result.history else None)
            or held_out.evaluate(network),
            "test": {k: v.tolist() for k, v in test_scores.items()},
            "seconds": round(time.perf_counter() - tick, 3)}


def _run_scenario(config, images, masks, names, train_idx, test_idx, conditions, weights, trainable, out,
                  record, results, log, stream) -> None:
    """The k folds of one scenario for every condition; fills ``results`` and ``record``."""
    n = len(train_idx)
    fold_seed = derive_seed(config.seed, "folds", n)
    splits = kfold_splits(n, config.folds, fold_seed)
    record["scenarios"][str(n)] = {
        "train": [names[i] for i in train_idx], "test": [names[i] for i in test_idx], "fold_seed": fold_seed,
        "folds": [[names[train_idx[j]] for j in held] for _, held in splits]}
    for f, (fit, held) in enumerate(splits):
        run_seed = derive_seed(config.seed, "train", n, f)
        for c in conditions:
            run_dir = out / f"n{n}" / f"fold{f}" / slug(c.name)
            scores_path = run_dir / SCORES_FILE
            if scores_path.exists():
                saved = json.loads(scores_path.read_text())
            else:
                log(f"Scenario {n}, fold {f + 1}/{config.folds}, {c.name}: fine-tuning on {len(fit)} images "
                    f"(seed {run_seed})")
                key = {"n_train": n, "fold": f, "condition": c.name, "seed": run_seed}
                saved = _fine_tune(config, images, masks, train_idx[fit], train_idx[held], test_idx, run_dir,
                                   weights[c.name], trainable, stream, key)
                write_json(scores_path, saved, indent=None)
            results[(n, f, c.name)] = {k: np.asarray(v) for k, v in saved["test"].items()}
            record["runs"].append(saved)
            means = ", ".join(f"{k} {np.mean(v):.3f}" for k, v in saved["test"].items())
            log(f"Scenario {n}, fold {f + 1}, {c.name}: test {means}")


def _as_scenarios(indices, n_scenarios: int, what: str) -> list[np.ndarray]:
    """One index array per scenario: a single 1-D array is accepted for a one-scenario study."""
    if isinstance(indices, np.ndarray) and indices.ndim == 1 and n_scenarios == 1:
        indices = [indices]
    indices = [np.asarray(i, dtype=np.int64) for i in indices]
    if len(indices) != n_scenarios:
        raise ValueError(f"{what}: one index array per --n-train scenario ({n_scenarios}), got {len(indices)}")
    return indices


def _check_splits(config: StudyConfig, n_images: int, train: list[np.ndarray], test: list[np.ndarray]) -> None:
    for n, tr, te in zip(config.n_train, train, test):
        if len(tr) != n:
            raise ValueError(f"--n-train {n}: the scenario's train_indices hold {len(tr)} images")
        if len(te) == 0:
            raise ValueError(f"--n-train {[n]}: the data set has {n_images} images; each scenario needs "
                             f"images left over for testing.")
        every = np.concatenate([tr, te])
        if every.min() < 0 or every.max() >= n_images or len(np.unique(every)) != len(every):
            raise ValueError(f"--n-train {n}: train and test indices must be distinct indices into the "
                             f"{n_images} images")


def _write_outputs(config, out, results, conditions, n_images, record, started, log) -> StudyResult:
    summary_rows, pvalue_rows, per_image = summarize(results, config.n_train, conditions, config.folds)
    header = (f"## Table 2: segmentation with and without pre-training on generated images\n\n"
              f"Data: {config.data} ({n_images} images, {config.image_size}x{config.image_size}); "
              f"{config.folds}-fold cross-validation over each scenario's training images, tested on the remaining "
              f"images; mean ± std over folds; paired t-tests over the test images (fold-averaged scores). "
              f"Seed {config.seed}; all derived seeds are in study.json.\n")
    markdown = table2_markdown(summary_rows, pvalue_rows, header)
    record["seconds"] = round(time.perf_counter() - started, 3)
    write_text(out / "table2.md", markdown)
    write_csv(out / "table2.csv", summary_rows)
    write_csv(out / "table2_pvalues.csv", pvalue_rows)
    box_plot(per_image, out / "boxplot.png")
    write_json(out / "study.json", record, indent=1)
    log(f"Study finished in {record['seconds']:.0f} s: {out / 'table2.md'}, table2.csv, table2_pvalues.csv, "
        f"boxplot.png, study.json")
    return StudyResult(out=out, markdown=markdown, summary_rows=summary_rows, pvalue_rows=pvalue_rows,
                       record=record, seconds=record["seconds"])


def run_study_on_arrays(images: np.ndarray, masks: np.ndarray, train_indices: Sequence[np.ndarray] | np.ndarray,
                        test_indices: Sequence[np.ndarray] | np.ndarray, config: StudyConfig,
                        names: Sequence[str] | None = None, stream: IO[str] | None = None) -> StudyResult:
    """Run (or resume) the study on ``images``/``masks`` and write its tables into ``config.out``.

    Args:
        images, masks: The real data set, ``(N, H, W)`` uint8 images and label maps at ``config.image_size``.
        train_indices, test_indices: One index array per scenario of ``config.n_train`` (in that order; a
            single array for a one-scenario study): the scenario's real training images (cross-validated) and
            its test images. ``config.data`` only labels the data in the table header.
        config: A validated :class:`StudyConfig` (``check_paths()`` is run here).
        names: Image names recorded in ``study.json`` (default ``image_<index>``).
        stream: Where progress and messages go (default stdout).

    Raises:
        ValueError: indices that do not fit the scenarios, masks without some class, pre-training images of
            another size, or an output folder holding another study.
        FileNotFoundError: a missing generator or pre-training folder.
    """
    from specklegan_tf.training.folder_lock import FolderLock

    config.check_paths()
    log = _logger(stream)
    with FolderLock(Path(config.out), "study folder") as lock:
        if lock.stale_message():
            log(lock.stale_message())
        return _run_locked(np.asarray(images), np.asarray(masks), train_indices, test_indices, config, names,
                           stream, log)


def _logger(stream):
    def log(message: str) -> None:
        print(message, file=stream or sys.stdout, flush=True)
    return log


def _run_locked(images, masks, train_indices, test_indices, config, names, stream, log) -> StudyResult:
    from specklegan_tf.training.runtime import set_up_runtime
    from specklegan_tf.training.segmentation_trainer import ReusableSegmenter, check_masks

    started, out = time.perf_counter(), Path(config.out)
    names = list(names) if names is not None else [f"image_{i}" for i in range(len(images))]
    train = _as_scenarios(train_indices, len(config.n_train), "train_indices")
    test = _as_scenarios(test_indices, len(config.n_train), "test_indices")
    _check_splits(config, len(images), train, test)
    conditions = parse_conditions(config.gan, config.pretrain)
    check_masks(masks, names, f"--data {config.data}")
    _check_config_folder(config, out)
    set_up_runtime(config.seed, deterministic=config.deterministic)
    trainable = ReusableSegmenter(config.training_config())  # one trainer, traced once, for every run
    record: dict[str, Any] = {"config": config.to_dict(), "seed": config.seed, "data_images": len(images),
                              "conditions": [dataclasses.asdict(c) for c in conditions], "pretraining": {},
                              "scenarios": {}, "runs": []}
    weights = _pretrain_all(config, conditions, out, trainable, record, log, stream)
    results: dict[tuple[int, int, str], dict[str, np.ndarray]] = {}
    for train_idx, test_idx in zip(train, test):
        _run_scenario(config, images, masks, names, train_idx, test_idx, conditions, weights, trainable, out,
                      record, results, log, stream)
    return _write_outputs(config, out, results, conditions, len(images), record, started, log)
