"""The paper's experiments as one resumable run: GAN training, evaluation, the segmentation study, report.

Stages (each writes an atomic record under the experiment folder and is skipped when that record exists):

1. ``gan/<model>_n<N>_s<seed>``: for every number of training images ``N`` (capped by the data set), seed and
   model (SpeckleGAN and the baseline), :func:`~specklegan_tf.training.train_gan` with identical settings and the
   same number of generator updates; it validates during training, keeps the best generator by the validation
   metric and exports it. An interrupted run resumes from its last checkpoint (the trainer's own resume).
2. ``eval/<run>``: the exported best generator makes ``n_generated`` images from synthetic masks
   (``random_ivus_masks`` with a prior fitted by ``fit_mask_prior`` on the run's training masks; the same masks and
   generator seeds for both models) and is compared with *all* real images: texture Fréchet distance, KID, FID
   (with Inception weights), per-class JSD and speckle statistics; for the paired SSIM it also generates one
   image from each real mask.
3. ``segmentation``: the segmentation study (Table 2) with the GANs of step 1 trained on each scenario's
   training images.
4. figures (Fig. 5, Fig. 6), tables (main, Table 1, Table 2) and ``report.md``: rewritten on every call.

Every random choice is seeded; the seeds are in ``manifest.json`` and in the report.

Example:
    >>> from specklegan_tf.experiments import get_budget, run_paper_experiment
    >>> result = run_paper_experiment(get_budget("toy"), out="runs/reproduce_toy")
    >>> result.report_path
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from specklegan_tf.experiments.artefacts import StageLog, read_json, write_json
from specklegan_tf.experiments.budgets import Budget
# Re-exported: older callers import these from here.
from specklegan_tf.experiments.gan_runs import MODEL_LABELS, MODELS, run_name, synthetic_masks  # noqa: F401

SEEDS = {
    # Fixed seeds of the evaluation, the same for every model so that the comparison is paired.
    "synthetic_masks": 2020,  # random_ivus_masks of the evaluation set
    "generator_inputs": 1427,  # draw_seeds for the images generated from synthetic masks
    "paired_inputs": 1436,  # draw_seeds for the images generated from the real masks (SSIM)
    "kid_subsets": 15,  # subsets of the KID estimate
    "figure_mask": 6,  # the one synthetic mask of Fig. 6
    "segmentation": 0,  # folds, pre-training masks and U-Net initialisation of the segmentation study
}
MANIFEST_KEYS = ("budget", "data", "data_seed", "inception_weights", "seeds")


@dataclass
class ExperimentResult:
    """What :func:`run_paper_experiment` produced.

    Attributes:
        out: The experiment folder.
        report_path: ``report.md``.
        artefacts: Name -> path of every figure and table.
        seconds: Wall time of this call.
    """

    out: Path
    report_path: Path
    artefacts: dict[str, Path]
    seconds: float


def _check_manifest(out: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest, or refuse to continue an experiment folder made with other options."""
    path = out / "manifest.json"
    if path.exists():
        previous = read_json(path)
        differences = [key for key in MANIFEST_KEYS if previous.get(key) != read_json_roundtrip(manifest[key])]
        if differences:
            raise ValueError(f"--out {out} holds an experiment with other options ({', '.join(differences)} "
                             f"differ); rerun with the same options to resume, or choose another --out.")
        return
    write_json(path, manifest)


def read_json_roundtrip(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists), for comparisons with stored records."""
    import json

    from specklegan_tf.experiments.artefacts import _plain

    return json.loads(json.dumps(_plain(value)))


def load_real_data(data: str, budget: Budget, data_seed: int):
    """All real images of the experiment: the phantom's ``budget.data_images`` frames, or a whole data folder."""
    from specklegan_tf.data import load_dataset

    n = budget.data_images if str(data).strip().lower() == "phantom" else None
    return load_dataset(data, image_size=budget.image_size, n=n, seed=data_seed)


def gan_config(budget: Budget, model: str, n_train: int, seed: int, data: str, data_seed: int, run_dir: Path,
               inception_weights: str | None):
    """The :class:`~specklegan_tf.training.GANConfig` of one run; identical for both models but ``model``."""
    from specklegan_tf.training.config import GANConfig

    import dataclasses

    schedule = budget.gan_schedule(n_train)
    # Trainers without a separate phantom seed simulate the phantom with the training seed: only usable when
    # both agree, else the models of different seeds would see different data.
    extra = {"data_seed": data_seed} if "data_seed" in {f.name for f in dataclasses.fields(GANConfig)} else {}
    if not extra and str(data).strip().lower() == "phantom" and data_seed != seed:
        raise ValueError(f"this version of the GAN trainer has no data_seed option; the phantom seed {data_seed} "
                         f"must equal the training seed {seed}")
    return GANConfig(
        name=run_dir.name, out=os.fspath(run_dir), export_dir=os.fspath(run_dir / "export"),
        epochs=schedule["epochs"], batch_size=budget.batch_size, seed=seed, val_every=schedule["val_every"],
        data=data, n_train=n_train, model=model, image_size=budget.image_size, **extra,
        width=budget.width, latent_dim=budget.latent_dim, lr=budget.lr, decay_epochs=schedule["decay_epochs"],
        decay_factors=budget.decay_factors, features="inception" if inception_weights else "texture",
        inception_weights=inception_weights, val_images=min(budget.val_images, n_train),
        grid_size=min(8, n_train), diff_augment=budget.diff_augment, generator_ema=budget.generator_ema,
        diversity_weight=budget.diversity_weight, spade_normalization=budget.spade_normalization,
        **(dict(budget.speckle_options) if model == "speckle" else {}),
    )


def train_gan_stage(config, stream: IO[str] | None) -> dict[str, Any]:
    """Train (or resume) one GAN run and return its record."""
    from specklegan_tf.training.gan_trainer import train_gan

    summary = train_gan(config, stream=stream)
    if summary.keras_path is None:
        raise RuntimeError(f"the GAN run in {summary.run_dir} did not export a generator")
    return {"config": config.to_dict(), "epochs_done": summary.epochs_done, "generator_updates": summary.steps_done,
            "metric_name": summary.metric_name, "best_metric": summary.best_metric, "best_epoch": summary.best_epoch,
            "savedmodel": summary.export_path, "keras": summary.keras_path,
            "train_seconds_this_call": summary.seconds}


class Evaluator:
    """Evaluates exported generators against all real images, with the real features computed once."""

    def __init__(self, real, budget: Budget, inception_weights: str | None) -> None:
        self.real = real
        self.budget = budget
        self.inception_weights = inception_weights
        self._features = None
        self._masks: dict[int, np.ndarray] = {}

    def features(self):
        if self._features is None and self.inception_weights:
            from specklegan_tf.metrics import InceptionFeatures

            self._features = InceptionFeatures(weights=self.inception_weights)
        return self._features

    def masks_for(self, n_train: int) -> np.ndarray:
        if n_train not in self._masks:
            self._masks[n_train] = synthetic_masks(self.real.masks[:n_train], self.budget.n_generated,
                                                   self.budget.image_size, SEEDS["synthetic_masks"])
        return self._masks[n_train]

    def __call__(self, keras_path: str, n_train: int) -> dict[str, Any]:
        from specklegan_tf.export import load_generator
        from specklegan_tf.export.synthesis import draw_seeds
        from specklegan_tf.metrics import evaluation_report, paired_ssim

        generator = load_generator(keras_path)
        masks = self.masks_for(n_train)
        fake = generator(masks, draw_seeds(len(masks), SEEDS["generator_inputs"]))
        real_images, real_masks = np.asarray(self.real.images), np.asarray(self.real.masks)
        paired = generator(real_masks, draw_seeds(len(real_masks), SEEDS["paired_inputs"]))
        subset = min(self.budget.kid_subset_size, len(fake), len(real_images))
        report = evaluation_report(real_images, real_masks, fake, masks, features=self.features(),
                                   kid_subsets=self.budget.kid_subsets, kid_subset_size=subset,
                                   seed=SEEDS["kid_subsets"])
        ssim_mean, ssim_std = paired_ssim(real_images, paired)
        return {"n_real": report.n_real, "n_generated": report.n_fake, "texture_fd": report.texture_fd,
                "fid": report.fid, "fid_features": report.fid_features, "kid_mean": report.kid_mean,
                "kid_std": report.kid_std, "kid_features": report.kid_features, "jsd": report.jsd,
                "ssim_mean": ssim_mean, "ssim_std": ssim_std, "speckle_real": report.speckle_real,
                "speckle_fake": report.speckle_fake, "notes": report.notes}


def run_paper_experiment(budget: Budget, data: str = "phantom", out: str | os.PathLike | None = None,
                         inception_weights: str | None = None, data_seed: int = 0,
                         stream: IO[str] | None = None) -> ExperimentResult:
    """Run (or resume, or finish) the paper reproduction at ``budget``; see the module docstring.

    Args:
        budget: The compute budget (:func:`~specklegan_tf.experiments.get_budget`).
        data: ``phantom`` or a data folder (IVUS challenge layout or image/label folders).
        out: Experiment folder (default ``runs/reproduce_<budget>``).
        inception_weights: InceptionV3 weights file; adds FID (and uses Inception features for validation and KID).
        data_seed: Seed of the phantom data set.
        stream: Where progress messages go (default stdout).

    Returns:
        An :class:`ExperimentResult`.

    Raises:
        ValueError / FileNotFoundError: bad options, a data set too small, or an experiment folder made with
            other options.
    """
    started = time.perf_counter()
    out = Path(out) if out is not None else Path("runs") / f"reproduce_{budget.name}"
    if inception_weights and not Path(inception_weights).is_file():
        raise FileNotFoundError(f"--inception-weights: no such file: {inception_weights}")
    if str(data).strip().lower() != "phantom" and not Path(data).is_dir():
        raise FileNotFoundError(f"--data: no such folder: {data} (give a data folder or 'phantom')")

    def log(message: str) -> None:
        print(message, file=stream or sys.stdout, flush=True)

    from specklegan_tf.training.folder_lock import FolderLock

    # One process per experiment folder: two would train the same runs and overwrite each other's stages.
    with FolderLock(out, "reproduction folder") as lock:
        if lock.stale_message():
            log(lock.stale_message())
        return _run_locked(budget, data, out, inception_weights, data_seed, log, started, stream)


def _run_locked(budget: Budget, data: str, out: Path, inception_weights: str | None, data_seed: int, log,
                started: float, stream: IO[str] | None) -> ExperimentResult:
    """:func:`run_paper_experiment` while the experiment folder is locked."""
    stages = StageLog(out, log)
    manifest = {"budget": budget.to_dict(), "data": os.fspath(data), "data_seed": data_seed,
                "inception_weights": inception_weights, "seeds": SEEDS}
    out.mkdir(parents=True, exist_ok=True)
    _check_manifest(out, manifest)

    with stages.timed("data"):
        real = load_real_data(data, budget, data_seed)
    n_list = budget.capped_n_train(len(real))
    log(f"[reproduce] budget {budget.name}: {len(real)} real images {budget.image_size}x{budget.image_size}, "
        f"n-train {list(n_list)}, seeds {list(budget.seeds)}, models {list(MODELS)}; folder {out}")

    runs: dict[str, dict[str, Any]] = {}
    for n_train in n_list:
        for seed in budget.seeds:
            for model in MODELS:
                name = run_name(model, n_train, seed)
                run_dir = out / "gan" / name
                config = gan_config(budget, model, n_train, seed, data, data_seed, run_dir, inception_weights)
                record = stages.run(f"gan/{name}", run_dir / "stage.json",
                                    lambda config=config: train_gan_stage(config, stream))
                runs[name] = {"model": model, "n_train": n_train, "seed": seed, "gan": record}

    evaluator = Evaluator(real, budget, inception_weights)
    for name, run in runs.items():
        run["eval"] = stages.run(f"eval/{name}", out / "eval" / f"{name}.json",
                                 lambda run=run: evaluator(run["gan"]["keras"], run["n_train"]))

    from specklegan_tf.experiments.segmentation import run_segmentation_stage

    segmentation = stages.run("segmentation", out / "segmentation" / "stage.json",
                              lambda: run_segmentation_stage(budget, real, runs, out / "segmentation",
                                                             SEEDS["segmentation"], stream))

    from specklegan_tf.experiments.figures import fig5_metrics, fig6_grid
    from specklegan_tf.experiments.report import write_report

    with stages.timed("figures"):
        artefacts = {"fig5": fig5_metrics(runs, out / "figures" / "fig5_metrics.png"),
                     "fig6": fig6_grid(runs, budget, real.masks, out / "figures" / "fig6_grid.png",
                                       SEEDS["figure_mask"])}
    report_path, tables = write_report(out, budget, manifest, real, runs, segmentation, artefacts,
                                       stages.seconds_by_stage(), time.perf_counter() - started)
    artefacts.update(tables)
    log(f"[reproduce] report: {report_path}")
    return ExperimentResult(out=out, report_path=report_path, artefacts=artefacts,
                            seconds=time.perf_counter() - started)
