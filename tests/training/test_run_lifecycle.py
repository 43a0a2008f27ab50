"""The run-folder lifecycle both trainers share, and the split segmentation modules' contracts."""
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from specklegan_tf.models.unet import build_unet
from specklegan_tf.training.config import save_config
from specklegan_tf.training.run_lifecycle import (check_batches, chief_logger, has_checkpoints, read_finished_record,
                                                 refuse_other_options, write_finished_record)
from specklegan_tf.training.segmentation_config import RESUME_KEYS, SegmentationConfig
from specklegan_tf.training.segmentation_scoring import Predictor, predict_probabilities
from specklegan_tf.training.segmentation_trainer import ReusableSegmenter, check_resumable


def test_check_batches_counts_steps_and_names_the_problem():
    assert check_batches(4, 10, 2) == 2  # the remainder of 2 images is dropped
    with pytest.raises(ValueError, match=r"--batch-size 12 is larger than the data set \(10 images\)"):
        check_batches(12, 10, 1)
    with pytest.raises(ValueError, match="fewer than one batch"):
        check_batches(12, 10, 1, too_few="10 training images are fewer than one batch")
    with pytest.raises(ValueError, match="multiple of the 4 replicas"):
        check_batches(6, 10, 4)


def test_other_options_are_refused_only_with_a_checkpoint_naming_each_option(tmp_path):
    saved = SegmentationConfig(image_size=32, base_filters=4, out=str(tmp_path))
    save_config(saved, tmp_path / "config.yaml")
    other = SegmentationConfig(image_size=64, base_filters=8, out=str(tmp_path))
    assert not has_checkpoints(tmp_path, ("checkpoints", "pretrain/checkpoints"))
    check_resumable(other, tmp_path)  # nothing trained yet: any options may start here
    with pytest.raises(ValueError) as error:
        refuse_other_options(other, tmp_path, RESUME_KEYS, "checkpoints")
    message = str(error.value)
    assert "--image-size 64 (the run has 32)" in message and "--base-filters 8 (the run has 4)" in message
    assert "--batch-size" not in message  # equal options are not listed
    refuse_other_options(SegmentationConfig(image_size=32, base_filters=4, out=str(tmp_path)), tmp_path,
                         RESUME_KEYS)


def test_finished_record_round_trips_and_a_missing_one_reads_as_none(tmp_path):
    assert read_finished_record(tmp_path, "export.json") is None
    record = {"savedmodel": "models/seg/1", "validation": {"dice_lumen": 0.9}, "pretrained_weights": None}
    write_finished_record(tmp_path, "export.json", record)
    assert read_finished_record(tmp_path, "export.json") == record
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.json"]  # no temporary file left behind


def test_only_the_chief_logs(capsys):
    chief_logger(True)("chief speaks")
    chief_logger(False)("worker speaks")
    assert capsys.readouterr().out == "chief speaks\n"


def test_configuration_and_loop_types_import_without_tensorflow():
    code = ("import sys\nimport specklegan_tf.training.segmentation_config, specklegan_tf.training.run_types\n"
            "print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_predictor_matches_the_network_in_inference_mode():
    keras.utils.set_random_seed(0)
    network = build_unet(32, base_filters=4)
    images = np.random.default_rng(0).integers(0, 256, (5, 32, 32), dtype=np.uint8)
    expected = np.asarray(network(tf.constant(images[..., None] / 127.5 - 1.0, tf.float32), training=False))
    predictor = Predictor(network, batch_size=2)  # three batches, the last one short
    np.testing.assert_allclose(predictor.probabilities(images), expected, atol=1e-5)
    np.testing.assert_array_equal(predictor.labels(images), expected.argmax(-1))
    np.testing.assert_allclose(predict_probabilities(predictor, images), expected, atol=1e-5)


def test_reusable_segmenter_is_owned_by_its_caller():
    config = SegmentationConfig(image_size=32, base_filters=4)
    first, second = ReusableSegmenter.shared(config), ReusableSegmenter.shared(config)
    assert first is not second and first.network is not second.network  # no process-wide cache
    assert first.predictor is first.predictor and first.predictor.network is first.network
