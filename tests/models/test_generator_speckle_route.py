"""``speckle_route="direct"``: the baseline's path plus speckle added before the output tanh (``"display"``: after
it, clipped); ``"echo"``: speckle on
the output convolution's log-echogenicity map."""
import numpy as np
import pytest
import keras
import tensorflow as tf

from specklegan_tf.models import build_generator

SIZE, LATENT = 32, 8


def _inputs(n=3, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, size=(n, SIZE, SIZE))
    return [np.eye(3, dtype="float32")[labels], rng.normal(size=(n, LATENT)).astype("float32")]


def _build(seed, **options):
    keras.utils.set_random_seed(seed)
    return build_generator(SIZE, latent_dim=LATENT, width=0.125, **options)


def test_direct_route_starts_as_the_baseline_function():
    baseline = _build(3, speckle=False)
    direct = _build(3, speckle=True, speckle_route="direct", speckle_compression="log")
    inputs = _inputs()
    expected = keras.ops.convert_to_numpy(baseline(inputs, training=False))
    got = keras.ops.convert_to_numpy(direct(inputs, training=False))
    # Same global seed, same layer order: every shared weight is the baseline's, and the 1x1 kernel is zero.
    np.testing.assert_array_equal(got, expected)
    # The paper's route with the same seed is a different function (the last block reads speckled maps).
    paper = _build(3, speckle=True, speckle_compression="log")
    assert np.abs(keras.ops.convert_to_numpy(paper(inputs, training=False)) - expected).max() > 1e-3


def test_direct_gain_adds_the_mean_speckled_map_times_the_gain_before_the_tanh():
    """With ``direct_gain`` g the image before the tanh is the baseline path plus g times the mean of the speckled
    maps (kernel g / maps), computed here from the model's own intermediate outputs."""
    generator = _build(3, speckle=True, speckle_route="direct", speckle_compression="log", direct_gain=0.3)
    kernel = keras.ops.convert_to_numpy(generator.get_layer("speckle_to_image").kernel)
    np.testing.assert_allclose(kernel, 0.3 / kernel.shape[2])
    probe = keras.Model(generator.inputs, [generator.get_layer("speckle").output,
                                           generator.get_layer("to_image").output, generator.output])
    seeds_inputs = _inputs()
    speckled, path, image = (keras.ops.convert_to_numpy(t) for t in probe(seeds_inputs, training=False))
    expected = np.tanh(path + 0.3 * speckled.mean(axis=-1, keepdims=True))
    np.testing.assert_allclose(image, expected, atol=2e-5)
    assert np.std(0.3 * speckled.mean(axis=-1)) > 0.01  # the speckle is in the image from the first step


def test_direct_route_learns_to_add_speckle_and_reaches_the_windows():
    generator = _build(0, speckle=True, speckle_route="direct", speckle_compression="log",
                       window_shape="rectangular")
    kernel = generator.get_layer("speckle_to_image").kernel
    windows = [w for w in generator.get_layer("speckle").trainable_weights if "window" in w.path]
    assert windows, "the speckle layer has trainable window weights"
    mask, z = _inputs(n=4)
    target = tf.random.stateless_normal((4, SIZE, SIZE, 1), seed=(1, 2))  # any loss that needs texture
    optimizer = keras.optimizers.Adam(1e-2)

    def loss_and_grads():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((generator([mask, z], training=True) - target) ** 2)
        return tape.gradient(loss, [kernel] + windows)

    grads = loss_and_grads()
    assert float(tf.reduce_max(tf.abs(grads[0]))) > 0  # the zero kernel still receives a gradient
    assert all(float(tf.reduce_max(tf.abs(g))) == 0 for g in grads[1:])  # nothing reaches d through a zero kernel
    for _ in range(3):
        optimizer.apply_gradients(zip(loss_and_grads()[:1], [kernel]))
    assert float(tf.reduce_max(tf.abs(kernel))) > 0
    assert all(float(tf.reduce_max(tf.abs(g))) > 0 for g in loss_and_grads()[1:])


def test_direct_route_round_trips_through_a_keras_file(tmp_path):
    generator = _build(1, speckle=True, speckle_route="direct", speckle_compression="log")
    generator.get_layer("speckle_to_image").kernel.assign(
        np.full(generator.get_layer("speckle_to_image").kernel.shape, 0.05, "float32"))
    _assert_keras_file_round_trip(generator, tmp_path / "g.keras", atol=1e-6)


def test_display_route_starts_as_the_baseline_and_adds_the_speckle_after_the_tanh_with_a_clip():
    """``"display"``: image = clip(tanh(baseline path) + g * mean speckled map, -1, 1), recomputed here from the
    model's own intermediate outputs; at gain 0 it is the baseline's function."""
    inputs = _inputs()
    baseline = keras.ops.convert_to_numpy(_build(3, speckle=False)(inputs, training=False))
    at_zero = _build(3, speckle=True, speckle_route="display", speckle_compression="log")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(at_zero(inputs, training=False)), baseline)
    generator = _build(3, speckle=True, speckle_route="display", speckle_compression="log", direct_gain=1.0)
    probe = keras.Model(generator.inputs, [generator.get_layer("speckle").output,
                                           generator.get_layer("to_image").output, generator.output])
    speckled, path, image = (keras.ops.convert_to_numpy(t) for t in probe(inputs, training=False))
    speckle_term = speckled.mean(axis=-1, keepdims=True)
    np.testing.assert_allclose(image, np.clip(np.tanh(path) + speckle_term, -1.0, 1.0), atol=2e-5)
    assert image.min() >= -1.0 and image.max() <= 1.0
    # Unlike the direct route, where the tanh's slope scales the speckle, the speckle's change of the image is the
    # speckle term itself wherever the sum stays inside [-1, 1].
    inside = np.abs(np.tanh(path) + speckle_term) < 1.0
    assert inside.mean() > 0.5
    np.testing.assert_allclose((image - np.tanh(path))[inside], speckle_term[inside], atol=2e-5)


def test_display_route_round_trips_through_a_keras_file_and_trains_the_windows(tmp_path):
    generator = _build(2, speckle=True, speckle_route="display", speckle_compression="log", direct_gain=0.5)
    _assert_keras_file_round_trip(generator, tmp_path / "g.keras", atol=1e-6)
    windows = [w for w in generator.get_layer("speckle").trainable_weights if "window" in w.path]
    mask, z = _inputs(n=4)
    target = tf.random.stateless_normal((4, SIZE, SIZE, 1), seed=(3, 4))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((generator([mask, z], training=True) - target) ** 2)
    grads = tape.gradient(loss, windows)
    assert windows and all(float(tf.reduce_max(tf.abs(g))) > 0 for g in grads)


def _assert_keras_file_round_trip(generator, path, atol):
    """Saved and reloaded, the generator gives the same images (same phases: they are seeded from z)."""
    generator.save(path)
    loaded = keras.saving.load_model(path)
    inputs = _inputs()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(inputs, training=False)),
                               keras.ops.convert_to_numpy(generator(inputs, training=False)), atol=atol)


@pytest.mark.parametrize("options, message", [
    (dict(speckle_route="output"), "`speckle_route` must be one of"),
    (dict(speckle_route="echo", speckle_skip=True), "`speckle_skip` has no meaning"),
    (dict(speckle_route="direct", speckle_skip=True), "`speckle_skip` has no meaning"),
])
def test_bad_routes_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        build_generator(SIZE, latent_dim=LATENT, width=0.125, **options)


def test_fit_gan_option_is_checked_before_training():
    from specklegan_tf.training.config import GANConfig, load_config

    assert load_config(GANConfig, ["--model", "speckle", "--speckle-route", "direct"]).speckle_route == "direct"
    assert load_config(GANConfig, ["--model", "speckle", "--speckle-route", "display",
                                   "--direct-gain", "1"]).direct_gain == 1.0
    with pytest.raises(ValueError, match="--direct-gain acts on the 'direct' or 'display' route"):
        load_config(GANConfig, ["--model", "speckle", "--direct-gain", "1"])
    with pytest.raises(ValueError, match="--speckle-skip has no meaning with --speckle-route direct"):
        load_config(GANConfig, ["--speckle-route", "direct", "--speckle-skip"])


def test_echo_baseline_starts_as_the_paper_baseline_function():
    """The echo route's baseline has the identity in the speckle layer's place and a 1x1 convolution on one map
    that starts as the identity: with the same seed it is the paper's baseline function."""
    paper = _build(4, speckle=False)
    echo = _build(4, speckle=False, speckle_route="echo")
    inputs = _inputs()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(echo(inputs, training=False)),
                               keras.ops.convert_to_numpy(paper(inputs, training=False)), atol=1e-6)
    assert [w.shape for w in echo.get_layer("speckled_to_image").weights] == [(1, 1, 1, 1), (1,)]


def test_echo_route_speckles_the_log_echogenicity_and_trains_the_windows_from_the_first_step():
    generator = _build(0, speckle=True, speckle_route="echo", speckle_compression="log")
    layer = generator.get_layer("speckle")
    assert layer.input_domain == "log" and layer.compression == "log"
    assert generator.get_layer("to_image").output.shape[-1] == 1  # the speckle layer reads the one-channel map
    kernel = generator.get_layer("speckled_to_image").kernel.numpy()
    np.testing.assert_allclose(kernel, np.full(kernel.shape, 1 / layer.num_sizes))  # the mean of the windows' maps
    mask, z = _inputs(n=4)
    log_echo = keras.Model(generator.inputs, generator.get_layer("to_image").output)([mask, z], training=False)
    # Wiring: image = tanh(mean over the windows of the speckle layer on the log echogenicity, phases from z).
    speckled = layer(log_echo, phase_seeds=generator.get_layer("phase_seeds")(z))
    expected = np.tanh(keras.ops.convert_to_numpy(speckled).mean(axis=-1, keepdims=True))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(generator([mask, z], training=False)), expected,
                               atol=1e-5)
    target = tf.random.stateless_normal((4, SIZE, SIZE, 1), seed=(1, 2))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((generator([mask, z], training=True) - target) ** 2)
    windows = [w for w in layer.trainable_weights if "window" in w.path]
    assert all(float(tf.reduce_max(tf.abs(g))) > 0 for g in tape.gradient(loss, windows))


def test_echo_route_round_trips_and_needs_log_compression(tmp_path):
    from specklegan_tf.training.config import GANConfig, load_config

    generator = _build(2, speckle=True, speckle_route="echo", speckle_compression="log")
    _assert_keras_file_round_trip(generator, tmp_path / "echo.keras", atol=1e-5)
    with pytest.raises(ValueError, match="needs speckle_compression='log'"):
        build_generator(SIZE, latent_dim=LATENT, width=0.125, speckle_route="echo")
    with pytest.raises(ValueError, match="--speckle-compression must be .log. with --speckle-route echo"):
        load_config(GANConfig, ["--model", "speckle", "--speckle-route", "echo"])
    assert load_config(GANConfig, ["--model", "baseline", "--speckle-route", "echo"]).speckle_route == "echo"


@pytest.mark.parametrize("weights", ["signed", "nonnegative", "fixed_gain"])
def test_nonnegative_speckle_weights_stay_at_or_above_zero_after_steps_that_push_them_down(weights, tmp_path):
    """A loss that rewards negative 1x1 weights (the image's speckle term as negative as possible): Adam steps as
    SpeckleGAN's train_step takes them (``optimizer.apply``) drive signed weights below zero and leave the
    nonnegative ones at zero or above, and the fixed-gain ones non-negative with their sum at ``direct_gain``
    (the loss cannot turn the speckle down); the constraints survive a ``.keras`` round trip."""
    from specklegan_tf.models import FixedGain

    generator = _build(5, speckle=True, speckle_route="display", speckle_compression="log", direct_gain=0.3,
                       speckle_weights=weights)
    inputs = _inputs()
    kernel = generator.get_layer("speckle_to_image").kernel
    optimizer = keras.optimizers.Adam(0.05)
    speckled = keras.Model(generator.inputs, generator.get_layer("speckle_to_image").input)
    # Make the speckled maps positive where the loss looks, so that d(loss)/d(kernel) > 0 for every weight.
    maps = keras.ops.convert_to_numpy(speckled(inputs, training=False))
    shift = float(-maps.min()) + 1.0
    for _ in range(5):
        with tf.GradientTape() as tape:
            term = generator.get_layer("speckle_to_image")(speckled(inputs, training=False) + shift)
            loss = keras.ops.mean(term)
        optimizer.apply(tape.gradient(loss, [kernel]), [kernel])
    values = keras.ops.convert_to_numpy(kernel)
    if weights == "signed":
        assert values.max() < 0
        return
    if weights == "nonnegative":
        assert values.min() >= 0 and values.max() == 0
    else:
        assert values.min() >= 0 and values.sum() == pytest.approx(0.3, rel=1e-5)
    path = tmp_path / f"{weights}.keras"
    generator.save(path)
    loaded = keras.saving.load_model(path, compile=False)
    constraint = loaded.get_layer("speckle_to_image").kernel.constraint
    expected = {"nonnegative": keras.constraints.NonNeg, "fixed_gain": FixedGain}[weights]
    assert isinstance(constraint, expected)
    if weights == "fixed_gain":
        assert constraint.gain == pytest.approx(0.3)


def test_nonnegative_speckle_weights_need_a_direct_or_display_route():
    with pytest.raises(ValueError, match="speckle_weights"):
        _build(0, speckle=True, speckle_route="last_block", speckle_weights="nonnegative")
    with pytest.raises(ValueError, match="needs direct_gain > 0"):
        _build(0, speckle=True, speckle_route="display", speckle_compression="log", speckle_weights="fixed_gain")
    with pytest.raises(ValueError, match="speckle_weights"):
        _build(0, speckle=True, speckle_route="display", speckle_weights="positive")


def test_straight_through_display_clip_draws_the_same_image_and_brings_clipped_regions_back(tmp_path):
    """``display_clip="straight_through"``: the same weights give the same clipped image as ``"hard"``; where the
    sum is past white or black, a loss asking for gray levels back inside the range reaches the speckle weights
    only through the straight-through clip (hard_tanh passes nothing back from there). It round trips through a
    ``.keras`` file."""
    options = dict(speckle=True, speckle_route="display", speckle_compression="log", direct_gain=8.0)
    hard = _build(4, **options)
    straight = _build(4, display_clip="straight_through", **options)
    inputs = _inputs()
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(straight(inputs, training=False)),
                                  keras.ops.convert_to_numpy(hard(inputs, training=False)))
    pre_clip = keras.Model(hard.inputs, hard.get_layer("add_speckle_after_tanh").output)
    pre = keras.ops.convert_to_numpy(pre_clip(inputs, training=False))
    clipped = np.abs(pre) > 1.0
    assert clipped.mean() > 0.05

    def kernel_gradient(generator):
        kernel = generator.get_layer("speckle_to_image").kernel
        with tf.GradientTape() as tape:
            image = generator(inputs, training=False)
            # Lower where past white, higher where past black: back towards the range.
            loss = tf.reduce_sum(tf.boolean_mask(image * np.sign(pre), clipped))
        return keras.ops.convert_to_numpy(tape.gradient(loss, kernel))

    np.testing.assert_array_equal(kernel_gradient(hard), 0.0)
    assert np.abs(kernel_gradient(straight)).max() > 0
    _assert_keras_file_round_trip(straight, tmp_path / "straight.keras", atol=1e-6)
    assert type(keras.saving.load_model(tmp_path / "straight.keras").get_layer("image")).__name__ == \
        "StraightThroughClip"


def test_display_clip_needs_the_display_route():
    with pytest.raises(ValueError, match="acts on the 'display' route's clip"):
        _build(0, speckle=True, speckle_route="direct", display_clip="straight_through")
    with pytest.raises(ValueError, match="`display_clip` must be one of"):
        _build(0, speckle=True, speckle_route="display", speckle_compression="log", display_clip="soft")
