"""Residual blocks: shapes, shortcuts checked numerically, spectral norm, serialisation, errors."""

import numpy as np
import pytest
import keras
import tensorflow as tf

from specklegan_tf.layers import SPADE, DownsamplingResidualBlock, ResidualBlock, SPADEResidualBlock
from specklegan_tf.layers.blocks import blur_subsample, subsample


def _np(x):
    return keras.ops.convert_to_numpy(x).astype(np.float64)


def _zero_last_conv(conv):
    """Zeroes the kernel and bias of a (possibly spectral-normalised) conv so the residual branch outputs 0."""
    inner = conv.layer if isinstance(conv, keras.layers.SpectralNormalization) else conv
    inner.kernel.assign(np.zeros(inner.kernel.shape, "float32"))
    if inner.use_bias:
        inner.bias.assign(np.zeros(inner.bias.shape, "float32"))


rng = np.random.default_rng(0)
X = rng.normal(size=(2, 16, 16, 8)).astype("float32")
MASK = np.eye(3, dtype="float32")[rng.integers(0, 3, size=(2, 32, 32))]


@pytest.mark.parametrize("filters, learned", [(8, False), (4, True), (16, True)])
def test_spade_block_shapes_and_shortcut(filters, learned):
    block = SPADEResidualBlock(filters, hidden_channels=8)
    out = block([X, MASK], training=True)
    assert out.shape == (2, 16, 16, filters) == block.compute_output_shape([X.shape, MASK.shape])
    assert block.learned_shortcut == learned
    assert isinstance(block.conv_0, keras.layers.SpectralNormalization)
    assert isinstance(block.spade_0, SPADE) and block.spade_0.spectral_norm
    assert block.conv_0.layer.filters == min(8, filters)  # Park et al.: min(C_in, C_out) in the middle


def test_spade_block_momentum_reaches_every_spade_and_its_config():
    block = SPADEResidualBlock(4, hidden_channels=8, momentum=0.9)
    block([X, MASK])
    assert [s.norm.momentum for s in (block.spade_0, block.spade_1, block.spade_s)] == [0.9, 0.9, 0.9]
    assert SPADEResidualBlock.from_config(block.get_config()).momentum == 0.9
    assert SPADEResidualBlock(4).momentum == 0.99
    with pytest.raises(ValueError, match="momentum"):
        SPADEResidualBlock(4, momentum=1.0)


def test_spade_block_identity_shortcut_when_residual_branch_is_zero():
    block = SPADEResidualBlock(8, hidden_channels=8, spectral_norm=False)
    block([X, MASK])
    _zero_last_conv(block.conv_1)
    np.testing.assert_allclose(_np(block([X, MASK], training=True)), X, atol=1e-6)


def test_spade_block_learned_shortcut_has_no_bias_and_is_spade_then_1x1():
    block = SPADEResidualBlock(4, hidden_channels=8, spectral_norm=False)
    block([X, MASK])
    assert not block.conv_s.use_bias
    _zero_last_conv(block.conv_1)
    kernel = _np(block.conv_s.kernel)[0, 0]
    normalised = _np(block.spade_s([X, MASK], training=True))
    np.testing.assert_allclose(_np(block([X, MASK], training=True)), normalised @ kernel, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("downsample, filters", [(True, 16), (False, 16), (False, 8)])
def test_downsampling_block_shapes(downsample, filters):
    block = DownsamplingResidualBlock(filters, downsample=downsample)
    out = block(X, training=True)
    size = 8 if downsample else 16
    assert out.shape == (2, size, size, filters) == block.compute_output_shape(X.shape)
    assert block.learned_shortcut == (downsample or filters != 8)


def test_downsampling_block_shortcut_is_strided_1x1_conv():
    block = DownsamplingResidualBlock(6, spectral_norm=False, normalization=False)
    block(X)
    assert block.norm is None
    _zero_last_conv(block.conv_1)
    kernel, bias = (np.asarray(w, np.float64) for w in block.conv_s.get_weights())
    np.testing.assert_allclose(_np(block(X)), X[:, ::2, ::2].astype(np.float64) @ kernel[0, 0] + bias, atol=1e-5)


def _binomial_reference(x):
    """blur_subsample written out independently: mirror-extend by one pixel before and two after, weight the four
    pixels 2i-1 .. 2i+2 by [1, 3, 3, 1] / 8 along each axis (loops over taps, float64)."""
    taps = np.array([1, 3, 3, 1]) / 8
    padded = np.pad(x.astype(np.float64), [(0, 0), (1, 2), (1, 2), (0, 0)], mode="symmetric")
    h, w = x.shape[1], x.shape[2]
    out = np.zeros((x.shape[0], (h + 1) // 2, (w + 1) // 2, x.shape[3]))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            for a in range(4):
                for b in range(4):
                    out[:, i, j] += taps[a] * taps[b] * padded[:, 2 * i + a, 2 * j + b]
    return out


@pytest.mark.parametrize("shape", [(2, 16, 16, 8), (1, 5, 7, 3)])
def test_blur_subsample_is_the_binomial_filter_then_every_second_pixel(shape):
    x = rng.normal(size=shape).astype("float32")
    out = _np(blur_subsample(x))
    assert out.shape == (shape[0], (shape[1] + 1) // 2, (shape[2] + 1) // 2, shape[3])
    np.testing.assert_allclose(out, _binomial_reference(x), atol=1e-5)
    np.testing.assert_allclose(_np(blur_subsample(np.full(shape, 0.7, "float32"))), 0.7, atol=1e-6)


def test_blur_gradient_reaches_every_pixel_alike_where_decimation_reaches_one_in_four():
    """The reason for the blur: a uniform gradient at the output comes back uniform (1/4 per pixel away from the
    border), while decimation's comes back as a 2-periodic pattern, 1 at one pixel in four and 0 elsewhere."""
    x = tf.Variable(X)
    gradients = {}
    for name, downsample in (("blur", blur_subsample), ("decimation", lambda v: subsample(v, 2))):
        with tf.GradientTape() as tape:
            total = tf.reduce_sum(downsample(x))
        gradients[name] = _np(tape.gradient(total, x))[:, 2:-2, 2:-2]
    np.testing.assert_allclose(gradients["blur"], 0.25, atol=1e-6)
    assert set(np.unique(gradients["decimation"])) == {0.0, 1.0}
    assert gradients["decimation"].mean() == pytest.approx(0.25)


def test_blur_downsampling_block_filters_both_paths():
    block = DownsamplingResidualBlock(6, spectral_norm=False, normalization=False, downsampling="blur")
    out = block(X)
    assert out.shape == (2, 8, 8, 6) == block.compute_output_shape(X.shape)
    assert block.conv_1.strides == (1, 1)  # the blur halves the resolution, not the convolution
    _zero_last_conv(block.conv_1)
    kernel, bias = (np.asarray(w, np.float64) for w in block.conv_s.get_weights())
    np.testing.assert_allclose(_np(block(X)), _binomial_reference(X) @ kernel[0, 0] + bias, atol=1e-5)
    with pytest.raises(ValueError, match="downsampling"):
        DownsamplingResidualBlock(6, downsampling="average")


@pytest.mark.parametrize("strides, filters, projection", [(1, 8, False), (2, 8, True), (1, 12, True)])
def test_residual_block_shapes_and_projection(strides, filters, projection):
    block = ResidualBlock(filters, strides=strides)
    out = block(X, training=True)
    size = 16 // strides
    assert out.shape == (2, size, size, filters) == block.compute_output_shape(X.shape)
    assert block.projection == projection


def test_residual_block_identity_and_gradients():
    block = ResidualBlock(8)
    block(X)
    _zero_last_conv(block.conv_1)
    np.testing.assert_allclose(_np(block(X, training=True)), X, atol=1e-6)
    x = tf.Variable(X)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(ResidualBlock(4, strides=2)(x, training=True) ** 2)
    grad = _np(tape.gradient(loss, x))
    assert np.all(np.isfinite(grad)) and np.abs(grad).max() > 0


def test_blocks_keras_round_trip(tmp_path):
    x_in, m_in = keras.Input((16, 16, 8)), keras.Input((32, 32, 3))
    h = SPADEResidualBlock(4, hidden_channels=8)([x_in, m_in])
    h = DownsamplingResidualBlock(8)(h)
    h = DownsamplingResidualBlock(8, downsampling="blur")(h)
    h = ResidualBlock(4, strides=2)(h)
    model = keras.Model([x_in, m_in], h)
    model([X, MASK], training=True)  # one training call: moving statistics and spectral norms move
    model.save(tmp_path / "blocks.keras")
    loaded = keras.models.load_model(tmp_path / "blocks.keras")
    np.testing.assert_allclose(_np(loaded([X, MASK])), _np(model([X, MASK])), rtol=1e-5, atol=1e-6)
    for layer in model.layers[2:]:
        assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="filters"):
        ResidualBlock(0)
    with pytest.raises(ValueError, match="strides"):
        ResidualBlock(4, strides=0)
    with pytest.raises(ValueError, match=r"\[x, mask\]"):
        SPADEResidualBlock(4)(X)
    with pytest.raises(ValueError, match="rank 4"):
        DownsamplingResidualBlock(4)(X[0])


def test_spectral_norm_power_iteration_runs_only_in_training():
    block = SPADEResidualBlock(4, hidden_channels=8)
    block([X, MASK])

    def vectors():
        return [_np(v) for v in block.weights if "vector_u" in v.path]

    before = vectors()
    assert len(before) == 12  # conv_0, conv_1, conv_shortcut + 3 convolutions in each of the 3 SPADEs
    block([X, MASK], training=False)
    assert all(np.array_equal(a, b) for a, b in zip(before, vectors()))
    block([X, MASK], training=True)  # training reaches the nested SPADE wrappers through the call context
    assert all(np.abs(a - b).max() > 0 for a, b in zip(before, vectors()))
