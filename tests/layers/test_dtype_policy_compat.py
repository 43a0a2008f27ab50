"""Files written before the sub-layers of SPADE and the residual blocks followed the layer's dtype policy still load.

``fixtures/make_spade_blocks_v0.py`` wrote them with the old layers: a ``.keras`` file, a TensorFlow checkpoint (the
object graph of training checkpoints) and the inference outputs. The float32 layers give the same numbers; the
block built with ``dtype="mixed_float16"`` now computes in float16, close to what the old one computed in float32.
"""
import os

import keras
import numpy as np
import tensorflow as tf

from specklegan_tf.layers import SPADE, ChannelAttention, DownsamplingResidualBlock, ResidualBlock, SPADEResidualBlock

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
FLOAT32_OUTPUTS = ["spade", "spade_block", "down_block", "unet_block", "attention"]


def _expected():
    return np.load(os.path.join(FIXTURES, "spade_blocks_v0.npz"))


def _check_outputs(outputs, expected):
    outputs = dict(zip(FLOAT32_OUTPUTS + ["mixed_block"], outputs))
    for name in FLOAT32_OUTPUTS:
        assert outputs[name].dtype == "float32", name
        np.testing.assert_allclose(outputs[name].numpy(), expected[name], rtol=1e-5, atol=1e-5, err_msg=name)
    mixed = outputs["mixed_block"]
    assert mixed.dtype == "float16"
    want = expected["mixed_block"]
    np.testing.assert_allclose(mixed.numpy().astype(np.float64), want, rtol=2e-2, atol=2e-2 * np.abs(want).max())


def test_keras_file_of_the_old_layers_loads_with_the_same_outputs():
    expected = _expected()
    model = keras.saving.load_model(os.path.join(FIXTURES, "spade_blocks_v0.keras"))
    assert isinstance(model.get_layer("spade"), SPADE)
    assert isinstance(model.get_layer("mixed_block"), SPADEResidualBlock)
    assert model.get_layer("mixed_block").spade_0.shared.compute_dtype == "float16"
    _check_outputs(model([expected["x"], expected["mask"]], training=False), expected)


def test_checkpoint_of_the_old_layers_restores_every_variable():
    expected = _expected()
    features, mask = keras.Input((8, 8, 4), name="features"), keras.Input((16, 16, 3), name="mask")
    spade = SPADE(hidden_channels=4, spectral_norm=True, name="spade")([features, mask])
    block = SPADEResidualBlock(6, hidden_channels=4, name="spade_block")([spade, mask])
    outputs = [spade, block, DownsamplingResidualBlock(8, name="down_block")(block),
               ResidualBlock(8, strides=2, name="unet_block")(block),
               ChannelAttention(6, name="attention")([features, block]),
               SPADEResidualBlock(6, hidden_channels=4, dtype="mixed_float16", name="mixed_block")([features, mask])]
    model = keras.Model([features, mask], outputs)
    status = tf.train.Checkpoint(model=model).read(os.path.join(FIXTURES, "spade_blocks_v0_ckpt"))
    status.assert_existing_objects_matched()
    _check_outputs(model([expected["x"], expected["mask"]], training=False), expected)
