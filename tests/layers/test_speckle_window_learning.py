"""The speckle layer's windows learn at an ordinary learning rate (log-size parametrisation).

A loss that prefers coarser (or finer) grains, 200 Adam steps at lr 1e-3, on 32 px maps with fixed phases.
Change of the mean window measured with this file (``pytest -s`` prints it; deterministic: fixed phases, CPU):

| parametrisation | coarser, Cartesian | coarser, polar | finer, Cartesian | finer, polar |
|---|---|---|---|---|
| ``log_window`` (since 0.2) | -16.5 % | -17.2 % | +21.2 % | +21.3 % |
| ``d`` in bins (before 0.2) | -1.8 % | -1.8 % | +1.8 % | +1.8 % |

Adam moves a weight by at most about one learning rate per step, so 200 steps change ``log d`` by at most 0.2
(-18 % / +22 %) and a ``d`` of about 11 bins by at most 0.2 bins (1.8 %): the old weight could not follow any
gradient within a GAN training.
"""
import numpy as np
import pytest
import keras
import tensorflow as tf

from specklegan_tf.layers import SpeckleLayer
from specklegan_tf.layers.speckle import scaled_windows
from specklegan_tf.layers.speckle_kernel import speckle_magnitudes

STEPS, LEARNING_RATE, SIZE = 200, 1e-3, 32


def _roughness(out):
    """Mean squared difference of neighbours relative to the power: small for coarse grains, large for fine."""
    rough = tf.reduce_mean((out[:, 1:] - out[:, :-1]) ** 2) + tf.reduce_mean((out[:, :, 1:] - out[:, :, :-1]) ** 2)
    return rough / tf.reduce_mean(out**2)


def _train(polar: bool, direction: str, parametrization: str, window_shape: str = "square") -> float:
    """Relative change of the mean window edge length after the steps."""
    layer = SpeckleLayer(num_sizes=3, window_init=(8.0, 14.0), reference_size=SIZE, polar=polar, attention=False,
                         window_shape=window_shape, seed=0)
    x = np.ones((4, SIZE, SIZE, 1), "float32")
    layer.build(x.shape)
    phases = tf.constant(np.random.default_rng(5).uniform(0, 2 * np.pi, layer.phase_shape(x.shape)), tf.float32)
    sign = 1.0 if direction == "coarser" else -1.0
    before = float(np.mean(layer.window_sizes))
    if parametrization == "log":
        variable = layer.log_window

        def forward():
            return layer(x, phases=phases)
    else:  # the layer before 0.2: the weight is d itself, in bins, clipped to [1, S]
        variable = tf.Variable(layer.window_sizes.reshape(-1)[:3], dtype=tf.float32)

        def forward():
            d = tf.clip_by_value(variable, 1.0, float(SIZE))
            windows = scaled_windows(d, d, layer._grid)
            return speckle_magnitudes(tf.constant(x), phases, windows, layer._polar_tables if polar else None)

    optimizer = keras.optimizers.Adam(LEARNING_RATE)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = sign * _roughness(forward())
        optimizer.apply([tape.gradient(loss, variable)], [variable])

    for _ in range(STEPS):
        step()
    after = float(np.mean(layer.window_sizes)) if parametrization == "log" else float(np.mean(variable.numpy()))
    return after / before - 1.0


@pytest.mark.parametrize("polar", [False, True], ids=["cartesian", "polar"])
@pytest.mark.parametrize("direction", ["coarser", "finer"])
def test_200_adam_steps_move_the_mean_window_by_more_than_15_percent(polar, direction):
    change = _train(polar, direction, "log")
    print(f"log_window, {direction}, {'polar' if polar else 'cartesian'}: {change:+.1%}")
    if direction == "coarser":  # coarser grains = smaller windows
        assert change <= -0.15, change
    else:
        assert change >= 0.15, change


@pytest.mark.parametrize("polar", [False, True], ids=["cartesian", "polar"])
def test_the_old_linear_parametrisation_moves_less_than_3_percent(polar):
    """The reason for the change: with ``d`` in bins, Adam's step of ~lr per update moves 10-bin windows by
    about 0.2 bins in 200 steps, whatever the gradient says."""
    for direction in ("coarser", "finer"):
        change = _train(polar, direction, "linear")
        print(f"d in bins, {direction}, {'polar' if polar else 'cartesian'}: {change:+.1%}")
        assert abs(change) < 0.03, change


def test_rectangular_windows_learn_each_axis_on_its_own():
    """A loss on the roughness along the grid's columns pulls on the columns-axis edges (and they move by more than
    15 % in 200 Adam steps); its gradient with respect to the rows-axis edges is an order of magnitude smaller."""
    layer = SpeckleLayer(num_sizes=2, window_init=(8.0, 12.0), reference_size=SIZE, attention=False,
                         window_shape="rectangular", seed=0)
    x = np.ones((8, SIZE, SIZE, 1), "float32")
    layer.build(x.shape)
    phases = tf.constant(np.random.default_rng(6).uniform(0, 2 * np.pi, layer.phase_shape(x.shape)), tf.float32)
    before = layer.window_sizes.copy()
    assert before.shape == (2, 2)
    optimizer = keras.optimizers.Adam(LEARNING_RATE)

    @tf.function
    def gradient():
        with tf.GradientTape() as tape:
            out = layer(x, phases=phases)
            loss = -tf.reduce_mean((out[:, :, 1:] - out[:, :, :-1]) ** 2) / tf.reduce_mean(out**2)
        return tape.gradient(loss, layer.log_window)

    first = gradient().numpy()
    assert np.all(np.abs(first[:, 0]) < 0.1 * np.abs(first[:, 1])), first
    for _ in range(STEPS):
        optimizer.apply([gradient()], [layer.log_window])
    change = layer.window_sizes / before - 1.0
    assert np.all(change[:, 1] >= 0.15), change  # finer along the columns axis


def test_fixed_windows_stay_where_they_start_while_the_rest_of_the_layer_trains(tmp_path):
    """``learn_windows=False``: the window sizes are a non-trainable weight, so a loss that pulls on them (finer
    grains) leaves them at their start while the channel attention still learns; the choice survives get_config and
    a ``.keras`` round trip."""
    layer = SpeckleLayer(num_sizes=2, window_init=(8.0, 12.0), reference_size=SIZE, polar=True,
                         window_shape="rectangular", learn_windows=False, seed=0)
    x = np.random.default_rng(7).uniform(0.2, 1.0, (4, SIZE, SIZE, 2)).astype("float32")
    layer.build(x.shape)
    assert any(w is layer.log_window for w in layer.non_trainable_weights)
    assert not any(w is layer.log_window for w in layer.trainable_weights)
    phases = tf.constant(np.random.default_rng(8).uniform(0, 2 * np.pi, layer.phase_shape(x.shape)), tf.float32)
    windows_before = layer.window_sizes.copy()
    attention_before = [w.numpy().copy() for w in layer.trainable_weights]
    assert attention_before, "the channel attention's weights should still be trainable"
    optimizer = keras.optimizers.Adam(1e-2)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = -_roughness(layer(x, phases=phases))
        optimizer.apply(tape.gradient(loss, layer.trainable_weights), layer.trainable_weights)

    for _ in range(20):
        step()
    np.testing.assert_array_equal(layer.window_sizes, windows_before)
    assert any(not np.allclose(w.numpy(), before) for w, before in zip(layer.trainable_weights, attention_before))

    assert layer.get_config()["learn_windows"] is False
    assert SpeckleLayer.from_config(layer.get_config()).learn_windows is False
    model = keras.Sequential([keras.Input((SIZE, SIZE, 2)), layer])
    path = tmp_path / "fixed.keras"
    model.save(path)
    loaded = keras.models.load_model(path).layers[0]
    assert loaded.learn_windows is False and not any(w is loaded.log_window for w in loaded.trainable_weights)
    np.testing.assert_allclose(loaded.window_sizes, windows_before, rtol=1e-6)
    assert SpeckleLayer().learn_windows is True  # the paper's learned sizes stay the default
