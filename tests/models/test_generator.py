"""Generator: builds and runs 32..256 px, baseline = SpeckleGAN minus the speckle layer, determinism in (mask, z)."""
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from specklegan_tf.layers import SpeckleLayer
from specklegan_tf.models import LatentPhaseSeeds, build_generator
from model_inputs import random_onehot


@pytest.mark.parametrize("size, batch", [(32, 2), (64, 2), (128, 1), (256, 1)])
def test_builds_and_runs(size, batch):
    generator = build_generator(image_size=size, width=0.125)
    assert [t.name for t in generator.inputs] == ["mask", "z"]
    out = generator([random_onehot(batch, size), tf.random.stateless_normal((batch, 128), [1, 2])])
    assert out.shape == (batch, size, size, 1)
    values = out.numpy()
    assert np.isfinite(values).all() and values.min() >= -1 and values.max() <= 1
    speckle = generator.get_layer("speckle")
    assert isinstance(speckle, SpeckleLayer)
    # The penultimate block gives 8 maps at full size; the speckle layer makes 4 sizes of each.
    assert generator.get_layer("penultimate_block").output.shape == (None, size, size, 8)
    assert speckle.output.shape == (None, size, size, 32)


def test_baseline_differs_only_by_the_speckle_layer():
    speckle = build_generator(image_size=32, width=0.25, speckle=True)
    baseline = build_generator(image_size=32, width=0.25, speckle=False)
    speckle_layers = {layer.name: layer for layer in speckle.layers}
    baseline_layers = {layer.name: layer for layer in baseline.layers}
    # Only the speckle layer and the weightless seed hash that feeds it are missing or replaced.
    assert set(speckle_layers) - set(baseline_layers) == {"phase_seeds"}
    assert set(baseline_layers) <= set(speckle_layers)
    assert isinstance(speckle_layers["speckle"], SpeckleLayer)
    assert type(baseline_layers["speckle"]) is keras.layers.Identity
    assert speckle_layers["phase_seeds"].weights == []
    for name, layer in baseline_layers.items():
        if name == "speckle":
            continue
        assert type(layer) is type(speckle_layers[name]), name
        assert layer.get_config() == speckle_layers[name].get_config(), name
    # The order of the remaining layers is the same, too.
    assert [n for n in (l.name for l in speckle.layers) if n != "phase_seeds"] == [l.name for l in baseline.layers]
    assert baseline.get_layer("speckle").output.shape[-1] == 8  # a true identity keeps the 8 maps


def test_deterministic_in_mask_and_z():
    generator = build_generator(image_size=32, width=0.25, seed=3)
    mask = random_onehot(3, 32)
    z = tf.random.stateless_normal((3, 128), [4, 5])
    first, again = generator([mask, z]).numpy(), generator([mask, z]).numpy()
    np.testing.assert_array_equal(first, again)
    # A sample's image does not depend on the rest of the batch.
    np.testing.assert_allclose(generator([mask[1:2], z[1:2]]).numpy()[0], first[1], atol=1e-5)
    other = generator([mask, tf.random.stateless_normal((3, 128), [6, 7])]).numpy()
    assert np.abs(other - first).mean() > 1e-3


def test_width_scales_channels_but_keeps_speckle_maps():
    narrow = build_generator(image_size=32, width=0.25)
    wide = build_generator(image_size=32, width=0.5)
    assert narrow.get_layer("to_grid").output.shape[-1] * 2 == wide.get_layer("to_grid").output.shape[-1]
    assert narrow.get_layer("last_block").output.shape[-1] * 2 == wide.get_layer("last_block").output.shape[-1]
    assert narrow.get_layer("speckle").output.shape[-1] == wide.get_layer("speckle").output.shape[-1] == 32
    assert narrow.count_params() < wide.count_params()


def test_speckle_skip_passes_the_penultimate_maps_beside_the_speckled_ones():
    generator = build_generator(image_size=32, width=0.25, speckle_skip=True, seed=1)
    skip = generator.get_layer("speckle_skip")
    assert skip.output.shape == (None, 32, 32, 8 + 32)
    taps = keras.Model(generator.inputs, [generator.get_layer("penultimate_block").output,
                                          generator.get_layer("speckle").output, skip.output])
    inputs = [random_onehot(2, 32), tf.random.stateless_normal((2, 128), [1, 2])]
    penultimate, speckled, joined = (t.numpy() for t in taps(inputs))
    np.testing.assert_array_equal(joined[..., :8], penultimate)  # the maps themselves, before any speckle
    np.testing.assert_array_equal(joined[..., 8:], speckled)
    # The baseline already passes the penultimate maps on (identity): the option leaves it unchanged.
    plain = build_generator(image_size=32, width=0.25, speckle=False)
    with_skip = build_generator(image_size=32, width=0.25, speckle=False, speckle_skip=True)
    assert [l.name for l in plain.layers] == [l.name for l in with_skip.layers]
    assert plain.count_params() == with_skip.count_params()


@pytest.mark.parametrize("speckle", [True, False])
def test_last_channels_sets_the_last_block_for_both_models(speckle):
    default = build_generator(image_size=32, width=0.25, speckle=speckle)
    assert default.get_layer("last_block").output.shape[-1] == 4  # 16 x width
    wide = build_generator(image_size=32, width=0.25, speckle=speckle, last_channels=16)
    assert wide.get_layer("last_block").output.shape[-1] == 16
    assert wide.get_layer("penultimate_block").output.shape == default.get_layer("penultimate_block").output.shape
    with pytest.raises(ValueError, match="last_channels"):
        build_generator(image_size=32, speckle=speckle, last_channels=0)


@pytest.mark.parametrize("size", [16, 48, 1024, 64.0, "64", True])
def test_bad_image_size_is_refused(size):
    message = f"`image_size` must be a power of two from 32 to 512, got {size!r}"
    with pytest.raises(ValueError, match=re.escape(message)):
        build_generator(image_size=size)


@pytest.mark.parametrize("argument", ["num_classes", "latent_dim", "width", "speckle_maps", "speckle_sizes"])
def test_bad_arguments_are_refused(argument):
    with pytest.raises(ValueError, match=argument):
        build_generator(image_size=32, **{argument: 0})


def test_latent_phase_seeds():
    layer = LatentPhaseSeeds()
    z = tf.random.stateless_normal((64, 128), [0, 1])
    seeds = layer(z).numpy()
    assert seeds.shape == (64, 2) and seeds.dtype == np.int32
    assert (seeds >= 0).all()
    assert len({tuple(s) for s in seeds}) == 64  # distinct latent vectors, distinct seeds
    np.testing.assert_array_equal(layer(z[10:12]).numpy(), seeds[10:12])  # per sample, batch-independent
    # The smallest change of one float flips the seed: the hash reads the bit pattern.
    nudged = z.numpy().copy()
    nudged[0, 5] = np.nextafter(nudged[0, 5], np.float32(np.inf))
    assert tuple(layer(tf.constant(nudged[:1])).numpy()[0]) != tuple(seeds[0])
    # An independent reference: the same polynomial hash in Python integers.
    p = 2**31 - 1
    bits = z.numpy()[3].view(np.int32).astype(np.int64) % p
    for j, base in enumerate((48271, 69621)):
        expected = sum(int(b) * pow(base, i + 1, p) for i, b in enumerate(bits)) % p
        assert seeds[3, j] == expected
