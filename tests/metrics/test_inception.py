"""Acceptance 6: InceptionFeatures keeps memory flat over 1000 images; offline "imagenet" fails helpfully.

Everything runs in one fresh Python process (TensorFlow imported once): peak RSS must not be raised by
earlier tests, and Keras reads KERAS_HOME only at import. KERAS_HOME points at an empty folder and an
unreachable proxy makes any download fail fast, also on machines with internet access.
"""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from specklegan_tf.metrics.inception import WEIGHTS_FILE, WEIGHTS_URL

SCRIPT = """
    import json, resource, sys
    import numpy as np
    import keras
    from specklegan_tf.metrics import InceptionFeatures

    result = {}
    try:
        InceptionFeatures(weights="imagenet")
    except FileNotFoundError as error:
        result["offline_error"], result["offline_type"] = str(error), type(error).__name__
    try:
        InceptionFeatures(weights=sys.argv[1] + "/nowhere.h5")
    except FileNotFoundError as error:
        result["missing_path_error"] = str(error)

    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # The memory test runs the network at its smallest input (75 px instead of 299, 16x fewer operations)
    # to fit the test budget on a shared machine; the batching under test is the same code.
    images = np.random.default_rng(0).integers(0, 256, (1000, 64, 64), dtype=np.uint8)
    small = InceptionFeatures(weights=None, batch_size=8, input_size=75)
    warm = small(images[:100])
    result["peak_after_100"] = peak_mb()
    features = small(images)
    result["peak_after_1000"] = peak_mb()
    result["shape"] = list(features.shape)
    result["finite"] = bool(np.isfinite(features).all())
    result["batch_consistency"] = float(np.abs(features[:100] - warm).max())

    # Weights from a file, at the default 299 px input, against a hand-written pipeline.
    path = sys.argv[1] + "/random.weights.h5"
    small._model.save_weights(path)
    loaded = InceptionFeatures(weights=path, batch_size=2)
    result["weights_equal"] = all(np.array_equal(a, b) for a, b in
                                  zip(small._model.get_weights(), loaded._model.get_weights()))
    few = images[:3]
    rgb = keras.ops.repeat(keras.ops.image.resize(few[..., None].astype("float32"), (299, 299)), 3, axis=-1)
    expected = keras.ops.convert_to_numpy(
        loaded._model(keras.applications.inception_v3.preprocess_input(rgb), training=False))
    result["pipeline_error"] = float(np.abs(loaded(few) - expected).max())
    result["feature_scale"] = float(np.abs(expected).max())
    result["name_dim"] = [loaded.name, loaded.dim]
    print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    home = tmp_path_factory.mktemp("empty_keras_home")
    unreachable = "http://127.0.0.1:9"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_HOME": str(home), "HTTPS_PROXY": unreachable,
           "HTTP_PROXY": unreachable, "https_proxy": unreachable, "http_proxy": unreachable}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(SCRIPT), str(home)], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return home, json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_memory_does_not_grow_with_the_number_of_images(run):
    _, result = run
    assert result["shape"] == [1000, 2048] and result["finite"]
    assert result["batch_consistency"] < 1e-4  # an image's features do not depend on its batch
    # Ten times more images may raise the peak only by about the output (1000 x 2048 float64 = 16 MB, held
    # twice while concatenating); resizing all images at once raises it by hundreds of MB, so the bound separates
    # the two (numbers in docs/measurements/floors.md).
    assert result["peak_after_1000"] - result["peak_after_100"] < 100.0, result


@pytest.mark.slow  # several seconds (a child process, a trained or exported model): full suite only
def test_imagenet_offline_without_cache_explains_how_to_get_the_weights(run):
    home, result = run
    assert result["offline_type"] == "InceptionWeightsNotFoundError"
    for needed in (WEIGHTS_FILE, WEIGHTS_URL, str(home / "models"), "~/.keras/models", "--inception-weights",
                   "weights="):
        assert needed in result["offline_error"], needed
    assert "nowhere.h5" in result["missing_path_error"]


@pytest.mark.slow  # several seconds (a child process, a trained or exported model): full suite only
def test_weights_file_is_loaded_and_the_pipeline_is_resize_repeat_preprocess(run):
    _, result = run
    assert result["weights_equal"]
    assert result["name_dim"] == ["inception_v3", 2048]
    assert result["pipeline_error"] <= 1e-4 * max(result["feature_scale"], 1.0)


def test_bad_input_size_is_named():
    from specklegan_tf.metrics import InceptionFeatures

    with pytest.raises(ValueError, match="input_size"):
        InceptionFeatures(weights=None, input_size=32)
