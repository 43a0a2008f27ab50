"""Segmenter export (acceptance 5): a fresh process without specklegan_tf loads it and gets labels in {0, 1, 2}."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from specklegan_tf.export.segmenter import export_segmenter, save_segmenter_keras
from specklegan_tf.models.unet import build_unet

SIZE = 32


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    keras.utils.set_random_seed(3)
    network = build_unet(SIZE, base_filters=8)
    root = tmp_path_factory.mktemp("export")
    path = export_segmenter(network, root / "savedmodels", "seg", metadata={"note": "test"})
    images = np.random.default_rng(0).integers(0, 256, size=(3, SIZE, SIZE), dtype=np.uint8)
    expected = np.asarray(network(images[..., None].astype("float32") / 127.5 - 1.0, training=False))
    return network, path, images, expected, root


def test_layout_and_metadata(exported):
    _, path, _, _, root = exported
    assert path == root / "savedmodels" / "seg" / "1"
    info = json.loads((path / "assets.extra" / "segmenter.json").read_text())
    assert (info["height"], info["width"], info["num_classes"], info["note"]) == (SIZE, SIZE, 3, "test")
    assert [p.name for p in (root / "savedmodels" / "seg").iterdir()] == ["1"]  # no temporary leftovers


@pytest.mark.slow  # several seconds (a child process, a trained or exported model): full suite only
def test_fresh_process_without_specklegan_tf(exported, tmp_path):
    _, path, images, expected, _ = exported
    np.save(tmp_path / "images.npy", images)
    script = textwrap.dedent(f"""
        import sys, numpy as np, tensorflow as tf
        model = tf.saved_model.load({str(path)!r})
        images = np.load({str(tmp_path / "images.npy")!r})
        out = model.signatures["serving_default"](image=tf.constant(images))
        out_f = model.signatures["serve_float"](image=tf.constant(images.astype("float32") / 255.0))
        np.savez({str(tmp_path / "out.npz")!r}, labels=out["labels"].numpy(), probs=out["probabilities"].numpy(),
                 labels_f=out_f["labels"].numpy(), probs_f=out_f["probabilities"].numpy())
        try:
            model.signatures["serving_default"](image=tf.zeros((1, {SIZE * 2}, {SIZE * 2}), tf.uint8))
            print("WRONG SIZE ACCEPTED")
        except Exception as error:
            print("size refused:", "image must have shape" in str(error))
        try:
            model.signatures["serve_float"](image=tf.fill((1, {SIZE}, {SIZE}), 2.0))
            print("RANGE ACCEPTED")
        except Exception as error:
            print("range refused:", "[0, 1]" in str(error))
        print("specklegan_tf imported:", any(m.startswith("specklegan_tf") for m in sys.modules))
    """)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "size refused: True" in run.stdout
    assert "range refused: True" in run.stdout
    assert "specklegan_tf imported: False" in run.stdout
    out = np.load(tmp_path / "out.npz")
    assert out["labels"].shape == (3, SIZE, SIZE) and out["labels"].dtype == np.int32
    assert set(np.unique(out["labels"])) <= {0, 1, 2}
    assert out["probs"].shape == (3, SIZE, SIZE, 3)
    np.testing.assert_allclose(out["probs"], expected, atol=1e-5)  # same network as in this process
    np.testing.assert_array_equal(out["labels"], expected.argmax(-1))
    np.testing.assert_allclose(out["probs_f"], out["probs"], atol=1e-5)  # both signatures agree


def test_keras_file_round_trip(exported, tmp_path):
    network, _, images, expected, _ = exported
    path = save_segmenter_keras(network, tmp_path / "seg.keras")
    loaded = keras.saving.load_model(path, safe_mode=True)
    got = np.asarray(loaded(images[..., None].astype("float32") / 127.5 - 1.0, training=False))
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_bad_arguments(exported, tmp_path):
    network = exported[0]
    with pytest.raises(ValueError, match="name"):
        export_segmenter(network, tmp_path, name="")
    with pytest.raises(ValueError, match=".keras"):
        save_segmenter_keras(network, tmp_path / "seg.h5")
    with pytest.raises(ValueError, match="network"):
        export_segmenter(keras.Sequential([keras.Input((SIZE, SIZE, 2)), keras.layers.Conv2D(3, 1)]), tmp_path)
    with pytest.raises(FileExistsError):
        export_segmenter(network, exported[4] / "savedmodels", "seg", version=1)
    assert tf.io.gfile.exists(str(exported[1]))
