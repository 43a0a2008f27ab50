"""build_unet: shapes for 32..256 (acceptance 1), the paper's filter progression, bad arguments."""

import re

import numpy as np
import pytest

from specklegan_tf.models.unet import build_unet


@pytest.mark.parametrize("size", [32, 64, 128, 256])
def test_shapes_and_softmax(size):
    unet = build_unet(image_size=size)
    x = np.random.default_rng(0).uniform(-1, 1, size=(1, size, size, 1)).astype("float32")
    y = np.asarray(unet(x, training=False))
    assert y.shape == (1, size, size, 3)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.sum(-1), 1.0, atol=1e-5)
    assert np.all(y >= 0)


def test_paper_architecture_three_halvings_filters_up_to_256_and_parameter_count():
    unet = build_unet()  # the paper's 256x256
    assert unet.input_shape == (None, 256, 256, 1)
    # three downsampling blocks: 256 -> 128 -> 64 -> 32 with 64, 128, 256 filters
    shapes = [unet.get_layer(f"down_{level}").output.shape[1:] for level in range(4)]
    assert shapes == [(256, 256, 32), (128, 128, 64), (64, 64, 128), (32, 32, 256)]
    assert unet.get_layer("bridge").output.shape[1:] == (32, 32, 256)
    assert unet.get_layer("up_0").output.shape[1:] == (256, 256, 32)
    # fully convolutional: the parameter count is the same at every size (printed for the README)
    count = unet.count_params()
    print(f"\nbuild_unet() parameters at 256x256: {count:,}")
    assert count == build_unet(image_size=32).count_params()
    assert 1_000_000 < count < 20_000_000


@pytest.mark.parametrize("size", [16, 48, 100, 0, 64.0, "64", True])
def test_bad_image_size_is_a_clear_value_error(size):
    with pytest.raises(ValueError, match=re.escape(f"`image_size` must be a power of two from 32, got {size!r}")):
        build_unet(image_size=size)


def test_image_size_must_be_divisible_by_the_depths_downsampling():
    assert build_unet(image_size=32, depth=5).output_shape == (None, 32, 32, 3)
    with pytest.raises(ValueError, match=re.escape("`image_size` must be divisible by 2**depth=64, got 32")):
        build_unet(image_size=32, depth=6)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="num_classes"):
        build_unet(image_size=32, num_classes=1)
    with pytest.raises(ValueError, match="base_filters"):
        build_unet(image_size=32, base_filters=0)
    with pytest.raises(ValueError, match="depth"):
        build_unet(image_size=32, depth=0)


def test_norm_momentum_survives_a_keras_file(tmp_path):
    import keras

    unet = build_unet(image_size=32, base_filters=8, norm_momentum=0.9)
    path = tmp_path / "unet.keras"
    unet.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    momenta = [layer.momentum for layer in reloaded._flatten_layers(include_self=False, recursive=True)
               if isinstance(layer, keras.layers.BatchNormalization)]
    # 4 blocks down, a bridge and 3 up with two norms each, plus the head's.
    assert len(momenta) == 2 * 8 + 1
    assert set(momenta) == {0.9}
