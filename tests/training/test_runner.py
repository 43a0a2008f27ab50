"""The generic training loop with a small real Keras model that follows the trainable protocol.

The model (``LinearRegressor``) is a genuine keras.Model: a dense layer trained by Adam on a linear regression, with
input noise from its own SeedGenerator, so its checkpoint holds weights, optimizer slots and an RNG state.
"""

import json
import math
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from specklegan_tf.training.checkpoints import CheckpointMismatchError, TrainingCheckpoint, read_counters
from specklegan_tf.training.runner import NonFiniteLossError, run_training

FEATURES = 4
X = np.random.default_rng(0).normal(size=(64, FEATURES)).astype("float32")
Y = (X @ np.array([1.0, -2.0, 0.5, 3.0], "float32"))[:, None]
GLOBAL_BATCH = 8
STEPS = len(X) // GLOBAL_BATCH


class LinearRegressor(keras.Model):
    """y = Wx + b trained on noisy inputs; the trainable protocol: train_step -> dict, checkpoint_items()."""

    def __init__(self, units_in: int = FEATURES, seed: int = 0):
        super().__init__()
        self.units_in = units_in
        self.dense = keras.layers.Dense(1, kernel_initializer=keras.initializers.GlorotUniform(seed=seed))
        self.noise = keras.random.SeedGenerator(seed)

    def call(self, x):
        return self.dense(x)

    def compile(self, optimizer):
        super().compile(optimizer=None)
        self.opt = optimizer
        self.dense.build((None, self.units_in))
        self.opt.build(self.dense.trainable_variables)

    def checkpoint_items(self):
        return {"model": self, "optimizer": self.opt, "noise_state": self.noise.state}

    def train_step(self, batch):
        x, y = batch
        x = x + 0.05 * keras.random.normal(tf.shape(x), seed=self.noise)
        with tf.GradientTape() as tape:
            per_example = tf.reduce_mean(tf.square(self.dense(x) - y), axis=-1)
            loss = tf.nn.compute_average_loss(per_example)
        grads = tape.gradient(loss, self.dense.trainable_variables)
        self.opt.apply(grads, self.dense.trainable_variables)
        return {"loss": tf.reduce_mean(per_example)}


def make_regressor(units_in=FEATURES, lr=0.05):
    def make():
        model = LinearRegressor(units_in)
        model.compile(keras.optimizers.Adam(lr))
        return model

    return make


def make_dataset(epoch, context, poison_epoch=None, crash_at=None):
    """Shuffled by (seed, epoch); optional NaN inputs in one epoch, or an error at one element (a crash)."""
    x = X.copy()
    if poison_epoch is not None and epoch == poison_epoch:
        x[:] = np.nan
    data = tf.data.Dataset.from_tensor_slices((x, Y)).shard(context.num_input_pipelines, context.input_pipeline_id)
    data = data.shuffle(len(X), seed=1000 + epoch).repeat()
    data = data.batch(context.get_per_replica_batch_size(GLOBAL_BATCH), drop_remainder=True)
    if crash_at is not None and epoch == crash_at[0]:
        def check(index, batch):
            tf.debugging.assert_less(index, tf.constant(crash_at[1], tf.int64), message="simulated crash")
            return batch

        data = data.enumerate().map(check)
    return data


def mse(context):
    prediction = context.trainable(X).numpy()
    return {"mse": float(np.mean((prediction - Y) ** 2))}


QUIET = open(os.devnull, "w")


def mirrored():
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])


def test_resume_after_crash_mid_epoch_matches_uninterrupted_run(tmp_path):
    strategy = mirrored()
    full = run_training(make_regressor(), make_dataset, epochs=3, steps_per_epoch=STEPS, run_dir=tmp_path / "full",
                        strategy=strategy, stream=QUIET)
    # The process "dies" in epoch 2 (index 1): the element with index 11 raises; checkpoints every 3 steps.
    crash = lambda epoch, context: make_dataset(epoch, context, crash_at=(1, 11))  # noqa: E731
    with pytest.raises(tf.errors.InvalidArgumentError, match="simulated crash"):
        run_training(make_regressor(), crash, epochs=3, steps_per_epoch=STEPS, run_dir=tmp_path / "cut",
                     strategy=strategy, checkpoint_every_steps=3, stream=QUIET)
    counters = read_counters(tmp_path / "cut" / "checkpoints")
    assert counters["epoch"] == 1 and 0 < counters["step_in_epoch"] < STEPS
    assert counters["step"] == STEPS + counters["step_in_epoch"]

    resumed = run_training(make_regressor(), make_dataset, epochs=3, steps_per_epoch=STEPS,
                           run_dir=tmp_path / "cut", strategy=strategy, checkpoint_every_steps=3, stream=QUIET)
    assert resumed.resumed_from.endswith(f"ckpt-{counters['step']}")
    assert resumed.steps_this_call == 3 * STEPS - counters["step"]
    assert int(resumed.trainable.opt.iterations.numpy()) == 3 * STEPS
    np.testing.assert_array_equal(resumed.trainable.dense.kernel.numpy(), full.trainable.dense.kernel.numpy())
    np.testing.assert_array_equal(resumed.trainable.noise.state.numpy(), full.trainable.noise.state.numpy())
    # The model did learn: the loss fell.
    assert full.history[-1]["train"]["loss"] < 0.5 * full.history[0]["train"]["loss"]


def test_finished_run_rerun_does_nothing_and_says_so(tmp_path, capsys):
    first = run_training(make_regressor(), make_dataset, epochs=1, steps_per_epoch=STEPS, run_dir=tmp_path,
                         stream=QUIET)
    files = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    again = run_training(make_regressor(), make_dataset, epochs=1, steps_per_epoch=STEPS, run_dir=tmp_path)
    assert again.already_finished and again.steps_this_call == 0 and again.epochs_done == 1
    assert "already finished" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == files
    np.testing.assert_array_equal(again.trainable.dense.kernel.numpy(), first.trainable.dense.kernel.numpy())


def test_nan_loss_stops_with_message_and_keeps_last_good_checkpoint(tmp_path):
    poisoned = lambda epoch, context: make_dataset(epoch, context, poison_epoch=1)  # noqa: E731
    with pytest.raises(NonFiniteLossError, match=r"non-finite loss = nan at epoch 2, step 1") as caught:
        run_training(make_regressor(), poisoned, epochs=3, steps_per_epoch=STEPS, run_dir=tmp_path, stream=QUIET)
    good = f"ckpt-{STEPS}"
    assert good in str(caught.value)
    assert tf.train.latest_checkpoint(str(tmp_path / "checkpoints")).endswith(good)
    counters = read_counters(tmp_path / "checkpoints")
    assert (counters["epoch"], counters["step"]) == (1, STEPS)
    reader = tf.train.load_checkpoint(str(tmp_path / "checkpoints" / good))
    assert all(np.all(np.isfinite(reader.get_tensor(k))) for k, dtype in reader.get_variable_to_dtype_map().items()
               if dtype.is_floating and not k.startswith("counters/"))  # best_metric is NaN: none yet


def test_validation_tracks_best_and_calls_on_improvement(tmp_path):
    values = iter([3.0, 1.0, 2.0, 0.5])
    improvements = []
    result = run_training(make_regressor(), make_dataset, epochs=4, steps_per_epoch=STEPS, run_dir=tmp_path,
                          validate=lambda context: {"score": next(values), "other": 1.0}, monitor="score",
                          on_improvement=lambda context, metrics: improvements.append(context.epoch),
                          stream=QUIET)
    assert improvements == [1, 2, 4]
    assert (result.best_metric, result.best_epoch) == (0.5, 4)
    history = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert [h["epoch"] for h in history] == [1, 2, 3, 4]
    assert [h["validation"]["score"] for h in history] == [3.0, 1.0, 2.0, 0.5]
    counters = read_counters(tmp_path / "checkpoints")
    assert (counters["best_metric"], counters["best_epoch"]) == (0.5, 4)


def test_validation_every_n_epochs_and_after_the_last(tmp_path):
    seen = []
    run_training(make_regressor(), make_dataset, epochs=5, steps_per_epoch=2, run_dir=tmp_path, val_every=2,
                 validate=lambda context: seen.append(context.epoch) or mse(context), stream=QUIET)
    assert seen == [2, 4, 5]


def test_checkpoint_of_other_architecture_is_refused_clearly(tmp_path):
    run_training(make_regressor(), make_dataset, epochs=1, steps_per_epoch=2, run_dir=tmp_path, stream=QUIET)

    def wider_dataset(epoch, context):
        return make_dataset(epoch, context).map(lambda x, y: (tf.concat([x, x], axis=-1), y))

    with pytest.raises(CheckpointMismatchError, match="does not match this configuration"):
        run_training(make_regressor(units_in=2 * FEATURES), wider_dataset, epochs=2, steps_per_epoch=2,
                     run_dir=tmp_path, stream=QUIET)


def test_interrupted_checkpoint_write_leaves_previous_checkpoint_usable(tmp_path):
    model = make_regressor()()
    keeper = TrainingCheckpoint(tmp_path, model.checkpoint_items())
    keeper.step.assign(5)
    keeper.epoch.assign(1)
    saved_kernel = model.dense.kernel.numpy().copy()
    keeper.save()
    # A kill in the middle of the next save: data written, index cut short, state file not yet rewritten.
    (tmp_path / "ckpt-9.data-00000-of-00001").write_bytes(b"\0" * 100)
    (tmp_path / "ckpt-9.index").write_bytes(b"partial")
    (tmp_path / "ckpt-9_temp").mkdir()
    model.dense.kernel.assign(np.zeros_like(saved_kernel))

    fresh = make_regressor()()
    fresh_keeper = TrainingCheckpoint(tmp_path, fresh.checkpoint_items())
    assert fresh_keeper.restore().endswith("ckpt-5")
    assert fresh_keeper.counters()["epoch"] == 1
    np.testing.assert_array_equal(fresh.dense.kernel.numpy(), saved_kernel)
    # The next save of that number replaces the debris and becomes the newest checkpoint.
    fresh_keeper.step.assign(9)
    fresh_keeper.save()
    assert read_counters(tmp_path)["step"] == 9


def test_tensorboard_events_hold_scalars_learning_rates_and_plugin_metadata(tmp_path):
    from tensorflow.core.util import event_pb2

    run_training(make_regressor(lr=0.01), make_dataset, epochs=1, steps_per_epoch=4, run_dir=tmp_path,
                 validate=mse, stream=QUIET)
    tags, plugins, rates = set(), {}, []
    for path in (tmp_path / "logs").iterdir():
        for record in tf.data.TFRecordDataset(str(path)):
            event = event_pb2.Event.FromString(record.numpy())
            for value in event.summary.value:
                tags.add(value.tag)
                plugins[value.tag] = value.metadata.plugin_data.plugin_name or plugins.get(value.tag)
                if value.tag == "learning_rate/optimizer":
                    rates.append(tf.make_ndarray(value.tensor))
    assert {"train/loss", "epoch/loss", "learning_rate/optimizer", "validation/mse"} <= tags
    assert plugins["train/loss"] == "scalars"
    assert len(rates) == 4 and np.allclose(rates, 0.01)


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(ValueError, match="steps_per_epoch"):
        run_training(make_regressor(), make_dataset, epochs=1, steps_per_epoch=0, run_dir=tmp_path)
    with pytest.raises(ValueError, match="mode"):
        run_training(make_regressor(), make_dataset, epochs=1, steps_per_epoch=1, run_dir=tmp_path, mode="best")
    with pytest.raises(ValueError, match="counters"):
        TrainingCheckpoint(tmp_path, {"counters": tf.Variable(1)})
    assert math.isnan(TrainingCheckpoint(tmp_path / "x", {}).counters()["best_metric"])
