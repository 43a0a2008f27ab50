"""The end of a GAN run: export the best generator, write the final grid and the record that marks it finished.

A run killed during its export finishes on the next call without a second copy: an export version whose metadata
names this run's identity and state is recognised as complete (:func:`earlier_export`). A best generator file that
went missing is written again from memory or from its epoch's checkpoint when possible (:func:`recover_best`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from specklegan_tf.core.atomic_files import write_text
from specklegan_tf.training.config import GANConfig
from specklegan_tf.training.faults import fault_point
from specklegan_tf.training.gan_validation import GANValidation
from specklegan_tf.training.progress import format_duration
from specklegan_tf.training.run_lifecycle import write_finished_record

FINISHED_RECORD = "finished.json"
BEST_GENERATOR = "generator_best.keras"


def finish_gan_run(gan, config: GANConfig, run_dir: Path, validation: GANValidation, result, log
                   ) -> tuple[Path | None, Path | None]:
    """Export the best generator (the final one if never validated), write the final grid and the record.

    With ``--generator-ema`` every generator written here holds the moving average of the weights."""
    with gan.averaged_generator():
        return _finish(gan, config, run_dir, validation, result, log)


def _finish(gan, config: GANConfig, run_dir: Path, validation: GANValidation, result, log
            ) -> tuple[Path | None, Path | None]:
    import keras

    from specklegan_tf.export import export_generator, save_generator_keras

    save_generator_keras(gan.generator, run_dir / "generator_final.keras")
    best_path = run_dir / BEST_GENERATOR
    use_best = result.best_metric is not None and (best_path.exists() or recover_best(gan, run_dir, result, log))
    # The best generator is reloaded only when it is not the one in memory (best epoch before the last).
    reload = use_best and result.best_epoch != result.epochs_done
    generator = keras.saving.load_model(best_path, safe_mode=True) if reload else gan.generator
    which = (f"best ({validation.metric_name} {result.best_metric:.4g} at epoch {result.best_epoch})"
             if use_best else "final")
    export_path = keras_path = None
    if config.export:
        metadata = {"training": {**config.to_dict(), "epochs_done": result.epochs_done,
                                 "steps_done": result.steps_done, "exported_generator": which,
                                 "run_dir": os.path.realpath(run_dir), "run_id": run_identity(run_dir)}}
        export_path = earlier_export(config, run_dir, result, which)
        if export_path is not None:
            log(f"The export {export_path} of this run (written before the previous process was stopped) is "
                f"complete; it is kept, not written again.")
        else:
            export_path = Path(export_generator(generator, config.export_dir, config.name, metadata=metadata))
        fault_point("export")
        keras_path = save_generator_keras(generator, Path(config.export_dir) / f"{config.name}.keras")
    grid_path = validation.write_grid(generator, "final")
    record = {"savedmodel": export_path and os.fspath(export_path), "keras": keras_path and os.fspath(keras_path),
              "generator": which, "metric_name": validation.metric_name, "best_metric": result.best_metric,
              "best_epoch": result.best_epoch, "epochs_done": result.epochs_done, "final_grid": os.fspath(grid_path)}
    write_finished_record(run_dir, FINISHED_RECORD, record)
    if export_path:
        log(f"Exported the {which} generator: SavedModel {export_path}, Keras file {keras_path}.")
    log(f"Final samples: {grid_path}. Training time in this call: {format_duration(result.seconds)}.")
    return export_path, keras_path


def recover_best(gan, run_dir: Path, result, log) -> bool:
    """``generator_best.keras`` is missing although the run validated: write it again if possible.

    The best generator is the one in memory when the best epoch is the last (called inside
    ``gan.averaged_generator()``, so it holds the average with ``--generator-ema``); otherwise it is read from that
    epoch's end-of-epoch checkpoint if it is still kept. Returns whether the file exists again; says what it did.
    """
    from specklegan_tf.export import save_generator_keras
    from specklegan_tf.training.recovery import checkpoint_problem

    best_path = run_dir / BEST_GENERATOR
    if result.best_epoch == result.epochs_done:
        save_generator_keras(gan.generator, best_path)
        log(f"Warning: {best_path} was missing; the best generator (epoch {result.best_epoch}) is the current one "
            f"and was written again.")
        return True
    import tensorflow as tf

    steps_per_epoch = result.steps_done // max(result.epochs_done, 1)
    prefix = run_dir / "checkpoints" / f"ckpt-{result.best_epoch * steps_per_epoch}"
    problem = checkpoint_problem(prefix)
    if problem is None:
        # Only the generator's variables (and their moving average) are read, a partial restore by name; the final
        # generator is already saved and nothing is checkpointed after this.
        items = {"generator": gan.generator}
        if gan.generator_average is not None:
            items["generator_average"] = gan.generator_average
        tf.train.Checkpoint(**items).restore(os.fspath(prefix)).expect_partial()
        with gan.averaged_generator() as generator:
            save_generator_keras(generator, best_path)
        log(f"Warning: {best_path} was missing; the best generator (epoch {result.best_epoch}) was read back from "
            f"{prefix} and written again.")
        return True
    log(f"Warning: {best_path} (the best generator, epoch {result.best_epoch}) is missing and its epoch's checkpoint "
        f"cannot be used ({problem}); the final generator is exported instead.")
    return False


def earlier_export(config: GANConfig, run_dir: Path, result, which: str) -> Path | None:
    """The newest export version of exactly this run state, if a killed earlier attempt completed it.

    Version folders appear atomically (``export.layout``), so one that exists is complete; it belongs to this run
    when its metadata has this run's identity (``run_id``, new for every run started from step 0, so a restarted
    run never takes the previous run's export for its own), the same step count and the same generator choice.
    """
    model_dir = Path(config.export_dir) / config.name
    if not model_dir.is_dir():
        return None
    from specklegan_tf.export.generator import METADATA_FILE
    from specklegan_tf.export.layout import existing_versions

    for version in reversed(existing_versions(model_dir)):
        try:
            training = json.loads((model_dir / str(version) / "assets.extra" / METADATA_FILE).read_text())["training"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if (training.get("run_id") == run_identity(run_dir) and training.get("steps_done") == result.steps_done
                and training.get("exported_generator") == which):
            return model_dir / str(version)
    return None


def run_identity(run_dir: Path) -> str:
    """The run's identity (``run_id`` in the run folder), created when the run starts from step 0."""
    import uuid

    path = run_dir / "run_id"
    if path.exists():
        return path.read_text().strip()
    identity = uuid.uuid4().hex
    write_text(path, identity + "\n")
    return identity
