"""Progress bar, strategy selection, TensorBoard image summaries and sample grids."""

import io
import json

import numpy as np
import pytest
import tensorflow as tf

from specklegan_tf.training.progress import ProgressBar, format_duration
from specklegan_tf.training.strategy import is_chief, make_strategy, tf_config
from specklegan_tf.training.summaries import SummaryWriter, image_grid, labels_to_gray, save_png


@pytest.mark.parametrize("seconds, text", [(0, "0:00"), (65, "1:05"), (3725, "1:02:05"), (float("nan"), "?")])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


class FakeClock:
    """time.perf_counter for the progress bar: the test moves it on (rich reads it several times per step)."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_bar_logs_lines_with_eta_when_not_a_terminal(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr("specklegan_tf.training.progress.time.perf_counter", clock)
    stream = io.StringIO()
    bar = ProgressBar(8, epoch=2, epochs=3, run_steps=16, stream=stream, log_fraction=0.5)
    clock.now = 30.0  # the first step traces the graph: left out of the rate
    bar.update(1, {"loss": 0.25})
    for step in range(2, 9):
        clock.now += 2.0  # then 2 s per step
        bar.update(step, {"loss": 0.25})
    bar.close("val 1.0")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3  # at 4/8, at 8/8, and the closing line
    assert lines[0].startswith("epoch 2/3 [############............] 4/8 ETA 0:08 (run 0:24) 2.00 s/step loss 0.25")
    assert "8/8 ETA 0:00" in lines[1] and lines[2] == "epoch 2/3 done in 0:44; val 1.0"
    silent = io.StringIO()
    ProgressBar(2, 1, 1, stream=silent, enabled=False).update(2)
    assert silent.getvalue() == ""
    with pytest.raises(ValueError, match="total_steps"):
        ProgressBar(0, 1, 1)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_draws_with_rich_on_a_terminal(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr("specklegan_tf.training.progress.time.perf_counter", clock)
    terminal = Terminal()
    bar = ProgressBar(4, epoch=1, epochs=2, run_steps=8, stream=terminal)
    for step in range(1, 5):
        clock.now += 3.0
        text = bar.update(step, {"g_loss": 0.5})
    bar.close("checkpoint ckpt-4")
    shown = terminal.getvalue()
    assert "\x1b[" in shown and "epoch 1/2" in shown and "3.00 s/step" in shown  # drawn in place by rich
    assert "(run 0:12)" in text and shown.rstrip().endswith("epoch 1/2 done in 0:12; checkpoint ckpt-4")


def test_strategies_and_chief(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    default = make_strategy("default")
    assert default.num_replicas_in_sync == 1 and is_chief(default)
    mirrored = make_strategy("mirrored")  # tests/conftest.py configured two logical CPUs
    assert mirrored.num_replicas_in_sync == 2 and is_chief(mirrored)
    assert make_strategy("auto").num_replicas_in_sync == 1
    with pytest.raises(ValueError, match="--strategy multiworker needs the TF_CONFIG"):
        make_strategy("multiworker")
    with pytest.raises(ValueError, match="--strategy must be one of"):
        make_strategy("tpu")
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="TF_CONFIG is not valid JSON"):
        tf_config()
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {}}))
    with pytest.raises(ValueError, match='"cluster" and "task"'):
        tf_config()


def test_image_grid_places_tiles_row_by_row():
    images = np.stack([np.full((3, 4), value, np.float32) for value in (0.1, 0.2, 0.3)])
    grid = image_grid(images, columns=2, padding=1, pad_value=1.0)
    assert grid.shape == (2 * 4 - 1, 2 * 5 - 1)
    assert np.all(grid[:3, :4] == 0.1) and np.all(grid[:3, 5:] == 0.2) and np.all(grid[4:, :4] == 0.3)
    assert np.all(grid[3, :] == 1.0) and np.all(grid[4:, 5:] == 1.0)  # gap row and the empty fourth tile
    with pytest.raises(ValueError, match="images must be"):
        image_grid(np.zeros((2, 3)), columns=1)
    one_hot = np.eye(3, dtype=np.float32)[np.array([[[0, 1], [2, 2]]])]
    np.testing.assert_allclose(labels_to_gray(one_hot), [[[0.0, 0.5], [1.0, 1.0]]])


def test_png_and_tensorboard_image_round_trip(tmp_path):
    grid = np.linspace(0, 1, 20 * 30, dtype=np.float32).reshape(20, 30)
    path = save_png(grid, tmp_path / "samples" / "epoch_0001.png")
    decoded = tf.io.decode_png(path.read_bytes()).numpy()
    assert decoded.shape[:2] == (20, 30)
    np.testing.assert_array_equal(decoded[..., 0], np.round(grid * 255).astype(np.uint8))

    from tensorflow.core.util import event_pb2

    writer = SummaryWriter(tmp_path / "logs")
    writer.image("samples", grid, step=3)
    writer.close()
    values = [value for file in (tmp_path / "logs").iterdir() for record in tf.data.TFRecordDataset(str(file))
              for value in event_pb2.Event.FromString(record.numpy()).summary.value]
    assert [v.tag for v in values] == ["samples"] and values[0].metadata.plugin_data.plugin_name == "images"
    width, height, png = tf.make_ndarray(values[0].tensor)
    assert (int(width), int(height)) == (30, 20)
    np.testing.assert_array_equal(tf.io.decode_png(png).numpy(), decoded[..., :1])
    assert not SummaryWriter(tmp_path / "none", enabled=False).enabled and not (tmp_path / "none").exists()
