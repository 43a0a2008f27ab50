"""Every public layer of specklegan_tf.layers against Keras' own layer test, a ``.keras`` round trip and XLA.

One table row per layer: its arguments and small inputs. ``test_every_public_layer_has_a_row`` keeps the table
complete when a layer is added to the package.
"""
from dataclasses import dataclass, field

import keras
import numpy as np
import pytest

import specklegan_tf.layers as layers
from keras_contract import assert_jit_compile_matches_eager, assert_keras_file_round_trip, run_keras_layer_test

rng = np.random.default_rng(0)
FEATURES = rng.normal(size=(2, 8, 8, 4)).astype("float32")
MASK = np.eye(3, dtype="float32")[rng.integers(0, 3, (2, 16, 16))]
IMAGE = rng.uniform(-0.9, 0.9, (2, 16, 16, 1)).astype("float32")
MAPS = rng.uniform(0.2, 1.0, (2, 16, 16, 2)).astype("float32")
PHASES = rng.uniform(0.0, 2.0 * np.pi, (2, 16, 16, 2)).astype("float32")


@dataclass
class Row:
    cls: type
    kwargs: dict
    inputs: object  # an array, or a list of arrays for [x, mask]-style layers
    output_shape: object
    call_inputs: dict = field(default_factory=dict)  # keyword inputs that make a random layer deterministic
    jit_training: bool = True
    differentiate: tuple | None = None  # inputs the XLA check differentiates (default: all): not the masks
    run_training_check: bool = True
    label: str = ""  # the test id, where a layer has more than one row


ROWS = [
    Row(layers.SpeckleLayer, {"num_sizes": 2, "polar": True, "seed": 0}, MAPS, (2, 16, 16, 4),
        call_inputs={"phases": PHASES}),
    Row(layers.SpeckleLayer, {"num_sizes": 2, "polar": True, "seed": 0, "window_shape": "rectangular",
                              "lateral_aperture": "depth_scaled"}, MAPS, (2, 16, 16, 4),
        call_inputs={"phases": PHASES}, label="SpeckleLayer-depth_scaled"),
    Row(layers.SpeckleLayer, {"num_sizes": 2, "polar": False, "seed": 0, "learn_windows": False}, MAPS,
        (2, 16, 16, 4), call_inputs={"phases": PHASES}, label="SpeckleLayer-fixed_windows"),
    Row(layers.SPADE, {"hidden_channels": 4, "spectral_norm": True}, [FEATURES, MASK], (2, 8, 8, 4),
        differentiate=(0,)),
    Row(layers.SPADE, {"hidden_channels": 4, "normalization": "instance"}, [FEATURES, MASK], (2, 8, 8, 4),
        differentiate=(0,), label="SPADE-instance"),
    Row(layers.SPADEResidualBlock, {"filters": 6, "hidden_channels": 4}, [FEATURES, MASK], (2, 8, 8, 6),
        differentiate=(0,)),
    Row(layers.SPADEResidualBlock, {"filters": 6, "hidden_channels": 4, "normalization": "instance"},
        [FEATURES, MASK], (2, 8, 8, 6), differentiate=(0,), label="SPADEResidualBlock-instance"),
    Row(layers.DownsamplingResidualBlock, {"filters": 6}, FEATURES, (2, 4, 4, 6)),
    Row(layers.DownsamplingResidualBlock, {"filters": 6, "downsampling": "blur"}, FEATURES, (2, 4, 4, 6),
        label="DownsamplingResidualBlock-blur"),
    Row(layers.ResidualBlock, {"filters": 6, "strides": 2}, FEATURES, (2, 4, 4, 6)),
    Row(layers.ChannelAttention, {"units": 6}, [FEATURES, rng.normal(size=(2, 8, 8, 6)).astype("float32")],
        (2, 8, 8, 6)),
    Row(layers.CartesianToPolar, {"num_radii": 6, "num_angles": 12}, FEATURES, (2, 6, 12, 4)),
    Row(layers.PolarToCartesian, {"height": 10, "width": 12}, FEATURES, (2, 10, 12, 4)),
    Row(layers.StraightThroughClip, {"low": -0.5, "high": 0.5}, FEATURES, (2, 8, 8, 4)),
    # DiffAugment draws its augmentations from stateless Philox seeds, whose stream XLA computes differently: the
    # XLA comparison is made in inference (the identity); test_diff_augment.py checks the augmentations under XLA.
    # run_layer_test's training step feeds the outputs back as targets through Dataset.from_generator, which
    # cannot carry the layer's list output; test_diff_augment.py trains the GAN through the layer instead.
    Row(layers.DiffAugment, {"seed": 0}, [IMAGE, MASK], [(2, 16, 16, 1), (2, 16, 16, 3)],
        jit_training=False, differentiate=(0,), run_training_check=False),
]


def _id(row):
    return row.label or row.cls.__name__


def _shape(inputs):
    return tuple(np.shape(a) for a in inputs) if isinstance(inputs, list) else np.shape(inputs)


def _fresh(row, name):
    return row.cls(**row.kwargs, name=name)


def test_every_public_layer_has_a_row():
    public = {name for name in layers.__all__
              if isinstance(getattr(layers, name), type) and issubclass(getattr(layers, name), keras.layers.Layer)}
    assert public == {row.cls.__name__ for row in ROWS}


@pytest.mark.parametrize("row", ROWS, ids=_id)
def test_keras_layer_test_with_mixed_precision(row):
    # A tuple of shapes: run_layer_test then calls the layer on a tuple of tensors, which tf.data can carry.
    shape = _shape(row.inputs)
    run_keras_layer_test(row.cls, row.kwargs, input_shape=shape, expected_output_shape=row.output_shape,
                         run_training_check=row.run_training_check, run_mixed_precision_check=True)


@pytest.mark.parametrize("row", ROWS, ids=_id)
def test_keras_file_round_trip(row, tmp_path):
    assert_keras_file_round_trip(_fresh(row, "layer_under_test"), row.inputs, tmp_path / "layer.keras",
                                 call_inputs=row.call_inputs)


@pytest.mark.parametrize("row", ROWS, ids=_id)
def test_jit_compile_matches_eager(row):
    assert_jit_compile_matches_eager(_fresh(row, "layer_under_test"), row.inputs, call_kwargs=row.call_inputs,
                                     training=row.jit_training, differentiate=row.differentiate)


@pytest.mark.parametrize("row", [r for r in ROWS if r.cls is not layers.DiffAugment], ids=_id)
def test_mixed_float16_layer_computes_in_float16_with_float32_weights(row):
    """What the mixed-precision check stands for, on real inputs: float16 outputs, close to the float32 ones."""
    reference = _fresh(row, "float32_layer")
    mixed = row.cls(**row.kwargs, dtype="mixed_float16", name="mixed_layer")
    reference(row.inputs, **row.call_inputs)
    mixed(row.inputs, **row.call_inputs)
    mixed.set_weights(reference.get_weights())
    got = keras.ops.convert_to_numpy(mixed(row.inputs, training=False, **row.call_inputs))
    want = keras.ops.convert_to_numpy(reference(row.inputs, training=False, **row.call_inputs))
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=2e-2, atol=2e-2 * np.abs(want).max())
