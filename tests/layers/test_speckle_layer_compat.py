"""``.keras`` files of the SpeckleLayer before 0.2 (weight ``d`` in bins) load into the log-size layer."""
import os

import numpy as np
import pytest
import keras

from specklegan_tf.layers import SpeckleLayer

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def test_a_version_0_1_keras_file_loads_with_the_same_windows_and_outputs():
    expected = np.load(os.path.join(FIXTURES, "speckle_layer_v0.npz"))
    model = keras.saving.load_model(os.path.join(FIXTURES, "speckle_layer_v0.keras"))
    layer = model.get_layer("speckle")
    np.testing.assert_allclose(layer.window_sizes, expected["d"], rtol=1e-6)
    np.testing.assert_allclose(model([expected["x"], expected["seeds"]]).numpy(), expected["y"], rtol=1e-4,
                               atol=1e-5)
    # saved again, the file is in the new format and round-trips without conversion
    assert layer.get_config()["window_parametrization"] == "log"


def test_a_resaved_file_is_in_the_new_format(tmp_path):
    model = keras.saving.load_model(os.path.join(FIXTURES, "speckle_layer_v0.keras"))
    path = tmp_path / "again.keras"
    model.save(path)
    again = keras.saving.load_model(path)
    np.testing.assert_allclose(again.get_layer("speckle").window_sizes, model.get_layer("speckle").window_sizes,
                               rtol=1e-6)


def test_an_old_file_with_an_unexpected_window_weight_is_refused_with_the_layer_name():
    layer = SpeckleLayer.from_config({**SpeckleLayer(num_sizes=3, name="old").get_config(),
                                      "window_parametrization": "linear"})
    layer.build((None, 32, 32, 1))
    with pytest.raises(ValueError, match="SpeckleLayer 'old'.*shape \\(2,\\), expected \\(3,\\)"):
        layer.load_own_variables({"0": np.ones(2, "float32")})
