"""The strided 1x1 shortcut of the residual blocks, computed as subsample-then-1x1 (AVX-512 oneDNN crash fix).

Three references: NumPy (outputs and gradients, in process: the new form uses no strided 1x1 kernel), the old
``Conv2D(strides=2)`` form itself in a child process with oneDNN off (it crashes natively with oneDNN on an AVX-512
CPU), and ``.keras`` / checkpoint files written by the old layers (``fixtures/make_strided_blocks_v0.py``).
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import keras
import tensorflow as tf

from specklegan_tf.layers import DownsamplingResidualBlock, ResidualBlock
from specklegan_tf.layers.blocks import subsample

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")


@pytest.mark.parametrize("shape", [(2, 16, 16, 3), (3, 9, 14, 2), (1, 1, 1, 4), (2, 5, 5, 1)])
def test_subsample_then_1x1_matches_numpy_strided_1x1_with_gradients(shape):
    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(size=shape).astype("float32"))
    conv = keras.layers.Conv2D(6, 1)
    conv.build(shape)
    conv.bias.assign(rng.normal(size=6).astype("float32"))
    weight = rng.normal(size=tuple(conv.kernel.shape[:3]) + (6,)).astype("float32")
    conv.kernel.assign(weight)
    upstream = rng.normal(size=(shape[0], -(-shape[1] // 2), -(-shape[2] // 2), 6)).astype("float32")
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = conv(subsample(x, 2))
        loss = tf.reduce_sum(y * upstream)
    dx, dkernel = tape.gradient(loss, [x, conv.kernel])

    # NumPy: "same" padding adds nothing for a 1x1 kernel; output pixel (i, j) reads input pixel (2i, 2j).
    x_np = x.numpy().astype(np.float64)
    picked = x_np[:, ::2, ::2]
    np.testing.assert_allclose(y.numpy(), picked @ weight[0, 0] + conv.bias.numpy(), rtol=1e-5, atol=1e-5)
    dx_np = np.zeros_like(x_np)
    dx_np[:, ::2, ::2] = upstream @ weight[0, 0].T
    np.testing.assert_allclose(dx.numpy(), dx_np, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dkernel.numpy()[0, 0], np.einsum("nijc,nijf->cf", picked, upstream), rtol=1e-4,
                               atol=1e-4)


def test_new_form_equals_the_old_strided_conv_with_gradients_where_the_old_one_runs():
    """Old ``conv2d(strides=2)`` and new form, in a child process with oneDNN off (where the old form runs on any
    CPU), at shapes that crash with oneDNN on AVX-512 ((8, 64, 64, 4) -> 8, (8, 256, 256, 4) -> 32) and odd ones."""
    child = os.path.join(HERE, "strided_conv_equivalence_child.py")
    done = subprocess.run([sys.executable, child], env={**os.environ, "TF_ENABLE_ONEDNN_OPTS": "0"},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"TF_ENABLE_ONEDNN_OPTS=0 python {child} exited {done.returncode}:\n{done.stderr}"
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(report) == 4
    for row in report:
        assert row["out_shapes"][0] == row["out_shapes"][1], row
        for diff, scale in zip(row["max_diff"], row["max_abs"]):  # output, d/dx, d/dkernel
            assert scale > 0 and diff <= 1e-5 * max(1.0, scale), row


def _fixture_model():
    return keras.saving.load_model(os.path.join(FIXTURES, "strided_blocks_v0.keras"))


def test_keras_file_of_the_old_blocks_loads_and_gives_the_same_outputs():
    expected = np.load(os.path.join(FIXTURES, "strided_blocks_v0.npz"))
    model = _fixture_model()
    d_out, u_out = model(expected["x"], training=False)
    np.testing.assert_allclose(d_out.numpy(), expected["d_block"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(u_out.numpy(), expected["u_block"], rtol=1e-5, atol=1e-5)
    assert isinstance(model.get_layer("d_block"), DownsamplingResidualBlock)
    assert isinstance(model.get_layer("u_block"), ResidualBlock)


def test_checkpoint_of_the_old_blocks_restores_every_variable_into_the_new_ones():
    expected = np.load(os.path.join(FIXTURES, "strided_blocks_v0.npz"))
    inp = keras.Input((32, 32, 4))
    model = keras.Model(inp, [DownsamplingResidualBlock(8, name="d_block")(inp),
                              ResidualBlock(8, strides=2, name="u_block")(inp)])
    status = tf.train.Checkpoint(model=model).read(os.path.join(FIXTURES, "strided_blocks_v0_ckpt"))
    status.assert_existing_objects_matched()
    d_out, u_out = model(expected["x"], training=False)
    np.testing.assert_allclose(d_out.numpy(), expected["d_block"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(u_out.numpy(), expected["u_block"], rtol=1e-5, atol=1e-5)
    # same names: the old file's variables map one to one onto the new layers'
    assert sorted(v.path for v in model.weights) == sorted(v.path for v in _fixture_model().weights)
