"""A SpeckleGAN run folder of version 0.1 (windows stored in bins) is refused, not misread, on resume."""
import pytest
import tensorflow as tf

from specklegan_tf.training.checkpoints import COUNTERS
from specklegan_tf.training.config import GANConfig, save_config
from specklegan_tf.training.gan_trainer import check_resumable


def _run_folder(tmp_path, drop_key: bool, model: str = "speckle"):
    config = GANConfig(out=str(tmp_path), model=model, image_size=32)
    save_config(config, tmp_path / "config.yaml")
    if drop_key:  # what 0.1 wrote: no window_shape (nor the other 0.2 options)
        lines = (tmp_path / "config.yaml").read_text().splitlines()
        (tmp_path / "config.yaml").write_text("\n".join(l for l in lines if not l.startswith("window_shape")) + "\n")
    counters = tf.Module()
    for name in (*COUNTERS, "best_metric"):
        setattr(counters, name, tf.Variable(1.0 if name == "best_metric" else 1, dtype=tf.float32 if
                                            name == "best_metric" else tf.int64))
    tf.train.Checkpoint(counters=counters).save(str(tmp_path / "checkpoints" / "ckpt"))
    return config


def test_a_version_0_1_speckle_run_is_refused_with_the_reason(tmp_path):
    config = _run_folder(tmp_path, drop_key=True)
    with pytest.raises(ValueError, match="written by specklegan_tf 0.1.*cannot resume"):
        check_resumable(config, tmp_path)


def test_a_current_run_and_an_old_baseline_run_resume(tmp_path):
    check_resumable(_run_folder(tmp_path / "new", drop_key=False), tmp_path / "new")
    check_resumable(_run_folder(tmp_path / "old", drop_key=True, model="baseline"), tmp_path / "old")


def test_generator_options_are_resume_keys_and_default_for_older_folders(tmp_path):
    config = _run_folder(tmp_path, drop_key=False)
    lines = (tmp_path / "config.yaml").read_text().splitlines()
    # A 0.2.0 folder written before speckle_skip and last_channels existed resumes with their defaults ...
    (tmp_path / "config.yaml").write_text(
        "\n".join(l for l in lines if not l.startswith(("speckle_skip", "last_channels", "speckle_route", "echo_gain"))) + "\n")
    check_resumable(config, tmp_path)
    # ... and another value of either is refused, naming the option.
    for changed, option in ((dict(speckle_skip=True), "--speckle-skip"), (dict(last_channels=16), "--last-channels"),
                            (dict(speckle_route="direct"), "--speckle-route"), (dict(echo_gain=0.3), "--echo-gain")):
        other = GANConfig(out=str(tmp_path), model="speckle", image_size=32, **changed)
        with pytest.raises(ValueError, match=option):
            check_resumable(other, tmp_path)
