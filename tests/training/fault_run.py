"""A tiny trainer for the run-folder fault matrix (tests/training/test_fault_matrix.py), run as a child process.

It goes through the same machinery as ``fit_gan.py`` and ``fit_segmentation.py`` (the configuration and exit
codes of ``commands.trainer``, the run-folder lock and ``--restart`` of ``training.run_folder``, the loop, checkpoints
and recovery of ``training.runner``, the fault points), with a network that traces in a second instead of a
minute: a 32 px convolution and a dense layer fitted to random targets. It keeps a ``generator_best.keras`` at
each improving validation and "exports" version 1 like the trainers' TF Serving layout, then writes
``finished.json`` last; it prints the final weights digest.

    python tests/training/fault_run.py --out DIR --export-dir DIR2 [--restart]
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from specklegan_tf.commands.trainer import run_trainer_cli  # noqa: E402
from specklegan_tf.training.config import TrainerConfig  # noqa: E402

OUTPUTS = ("generator_best.keras", "finished.json")
N, SIZE, BATCH = 16, 32, 4


@dataclass
class FaultRunConfig(TrainerConfig):
    name: str = field(default="faultrun", metadata={"help": "run name"})
    epochs: int = field(default=2, metadata={"help": "epochs"})
    batch_size: int = field(default=BATCH, metadata={"help": "batch"})
    checkpoint_every_steps: int = field(default=1, metadata={"help": "checkpoint every N steps"})


def train(config: FaultRunConfig) -> None:
    import numpy as np
    import tensorflow as tf

    from specklegan_tf.training.checkpoints import read_counters
    from specklegan_tf.training.faults import fault_point
    from specklegan_tf.training.run_folder import open_run_folder, refuse_fresh_start_over_outputs
    from specklegan_tf.training.runner import epoch_seed, run_training
    from specklegan_tf.training.runtime import set_up_runtime

    run_dir = config.run_dir
    lock = open_run_folder(run_dir, chief=True, restart=config.restart, log=print)
    try:
        refuse_fresh_start_over_outputs(run_dir, OUTPUTS)
        problems: list[str] = []
        counters = read_counters(run_dir / "checkpoints", problems)
        if counters and counters["epoch"] >= config.epochs and (run_dir / "finished.json").exists():
            for line in problems:  # otherwise the loop's checkpoint recovery reports (and repairs) them
                print(line)
            print("This run has already finished. Nothing to do.")
            return
        set_up_runtime(config.seed, True, False)
        import keras

        from specklegan_tf.export.layout import save_keras_file, write_versioned

        rng = np.random.default_rng(0)
        x = rng.normal(size=(N, SIZE, SIZE, 1)).astype(np.float32)
        y = rng.normal(size=(N, 1)).astype(np.float32)

        class Tiny:
            def __init__(self):
                self.model = keras.Sequential([keras.Input((SIZE, SIZE, 1)), keras.layers.Conv2D(4, 3, strides=2),
                                               keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1)])
                self.optimizer = keras.optimizers.Adam(1e-2)
                self.optimizer.build(self.model.trainable_variables)

            def train_step(self, batch):
                images, targets = batch
                with tf.GradientTape() as tape:
                    error = tf.reduce_mean(tf.square(self.model(images, training=True) - targets), axis=-1)
                    loss = tf.nn.compute_average_loss(error, global_batch_size=config.batch_size)
                grads = tape.gradient(loss, self.model.trainable_variables)
                self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
                return {"loss": loss}

            def checkpoint_items(self):
                return {"model": self.model, "optimizer": self.optimizer}

        def dataset(epoch, _context):
            return (tf.data.Dataset.from_tensor_slices((x, y)).shuffle(N, seed=epoch_seed(config.seed, epoch))
                    .batch(config.batch_size, drop_remainder=True).repeat())

        def validate(context):
            return {"mse": float(np.mean((context.trainable.model(x, training=False).numpy() - y) ** 2))}

        def keep_best(context, metrics):
            save_keras_file(context.trainable.model, run_dir / "generator_best.keras")

        result = run_training(Tiny, dataset, epochs=config.epochs, steps_per_epoch=N // config.batch_size,
                              run_dir=run_dir, checkpoint_every_steps=config.checkpoint_every_steps,
                              keep_checkpoints=config.keep_checkpoints, validate=validate, monitor="mse",
                              on_improvement=keep_best, run_outputs=OUTPUTS)
        model_dir = Path(config.export_dir) / config.name
        if not (model_dir / "1").exists():  # version folders appear atomically: one that exists is complete
            write_versioned(model_dir, 1, lambda folder: result.trainable.model.save_weights(
                os.fspath(folder / "model.weights.h5")))
        fault_point("export")
        temporary = run_dir / "finished.json.tmp"
        temporary.write_text(json.dumps({"export": os.fspath(model_dir / "1"), "steps": result.steps_done}))
        os.replace(temporary, run_dir / "finished.json")
        print(f"weights digest {result.weights_digest}")
    finally:
        if lock is not None:
            lock.release()


if __name__ == "__main__":
    sys.exit(run_trainer_cli("fault_run.py", FaultRunConfig, {}, "tiny trainer for the fault matrix",
                             lambda: train, sys.argv[1:]))
