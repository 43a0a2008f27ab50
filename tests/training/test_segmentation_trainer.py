"""fit_segmentation: held-out Dice on the phantom (acceptance 2), fine-tuning from pre-trained weights
(acceptance 3), the Segmenter training step, resume and bad input."""

import importlib.util
import io
from pathlib import Path

import keras
import numpy as np
import pytest

from specklegan_tf.data import load_dataset, write_challenge_layout
from specklegan_tf.models.segmenter import Segmenter
from specklegan_tf.models.unet import build_unet
from specklegan_tf.training.segmentation_trainer import (
    PRETRAINED_WEIGHTS,
    ReusableSegmenter,
    SegmentationConfig,
    fit_segmentation,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_phantom_64_reaches_held_out_dice_exports_and_a_rerun_changes_nothing(tmp_path):
    config = SegmentationConfig(image_size=64, base_filters=8, n_train=80, val_images=40, epochs=5, lr=3e-3,
                                val_every=5, seed=0, deterministic=True, out=str(tmp_path / "run"),
                                export_dir=str(tmp_path / "savedmodels"), name="seg64")
    summary = fit_segmentation(config, stream=io.StringIO())
    # What this asserts is quality, export and rerun; the wall time is only printed (timings belong to benchmarks/,
    # and this machine's load would make a time limit flaky).
    print(f"\nheld-out Dice after {summary.seconds:.0f} s (whole fit incl. export): {summary.validation}")
    assert summary.validation["dice_lumen"] > 0.85
    assert summary.validation["dice_intima_media"] > 0.6
    assert summary.export_path == tmp_path / "savedmodels" / "seg64" / "1"
    assert (tmp_path / "savedmodels" / "seg64.keras").exists()
    # Rerunning the finished run does nothing harmful and says so.
    again = io.StringIO()
    rerun = fit_segmentation(config, stream=again)
    assert rerun.already_finished and "already finished" in again.getvalue()
    assert rerun.validation == summary.validation
    assert sorted(p.name for p in (tmp_path / "savedmodels" / "seg64").iterdir()) == ["1"]


def _trainable_weights(model: keras.Model) -> list[np.ndarray]:
    return [np.asarray(v) for v in model.trainable_weights]


@pytest.mark.slow
def test_fine_tuning_starts_from_the_pretrained_weights(tmp_path):
    generated = load_dataset("phantom", image_size=32, n=10, seed=7)
    write_challenge_layout(tmp_path / "generated", generated.images, generated.masks)
    lr = 1e-4
    config = SegmentationConfig(image_size=32, base_filters=4, batch_size=5, n_train=10, val_images=5, epochs=1,
                                lr=lr, pretrain=str(tmp_path / "generated"), pretrain_epochs=5, pretrain_lr=1e-2,
                                seed=3,
                                out=str(tmp_path / "run"), export_dir=str(tmp_path / "savedmodels"), name="seg32")
    summary = fit_segmentation(config, stream=io.StringIO())
    assert summary.pretrained_weights == tmp_path / "run" / "pretrain" / PRETRAINED_WEIGHTS

    pretrained = build_unet(32, base_filters=4)
    pretrained.load_weights(summary.pretrained_weights)
    finetuned = keras.saving.load_model(summary.keras_path)
    scratch = build_unet(32, base_filters=4)
    scratch.set_weights(ReusableSegmenter(config).initial_weights(config.seed))

    p, f, s = _trainable_weights(pretrained), _trainable_weights(finetuned), _trainable_weights(scratch)
    # Fine-tuning made 2 Adam steps (10 images, batch 5, 1 epoch): each weight moved by about lr per step; the
    # 10 pre-training steps at 100 x that rate moved the weights far from the seed's initial (scratch) ones.
    moved = max(np.max(np.abs(a - b)) for a, b in zip(f, p))
    from_scratch = max(np.max(np.abs(a - b)) for a, b in zip(f, s))
    assert 0 < moved < 3 * 2 * lr
    assert from_scratch > 20 * moved


def test_segmenter_train_step_reduces_loss():
    keras.utils.set_random_seed(0)
    data = load_dataset("phantom", image_size=32, n=4)
    images = (data.images[..., None].astype("float32") / 127.5 - 1.0)
    masks = np.eye(3, dtype="float32")[data.masks]
    segmenter = Segmenter(build_unet(32, base_filters=4))
    segmenter.compile(keras.optimizers.Adam(1e-2))
    first = {k: float(v) for k, v in segmenter.train_step((images, masks)).items()}  # eager: no tracing cost
    for _ in range(3):
        last = {k: float(v) for k, v in segmenter.train_step((images, masks)).items()}
    assert last["loss"] < first["loss"]
    assert first["loss"] == pytest.approx(first["cross_entropy"] + first["dice_loss"], rel=1e-5)
    assert 0 <= first["accuracy"] <= 1
    assert set(segmenter.checkpoint_items()) == {"network", "optimizer"}
    with pytest.raises(ValueError, match="optimizer"):
        Segmenter(build_unet(32, base_filters=4)).compile("adam")


def test_bad_input_is_refused_with_clear_messages(tmp_path):
    with pytest.raises(ValueError, match="--image-size"):
        SegmentationConfig(image_size=48)
    with pytest.raises(FileNotFoundError, match="--pretrain"):
        SegmentationConfig(pretrain=str(tmp_path / "missing")).check_paths()  # the file-system step
    config = SegmentationConfig(image_size=32, base_filters=4, n_train=3, batch_size=5, out=str(tmp_path / "run"),
                                export_dir=str(tmp_path / "savedmodels"))
    with pytest.raises(ValueError, match="fewer than one batch"):
        fit_segmentation(config, stream=io.StringIO())
    # the command line turns errors into a message and exit status 2
    spec = importlib.util.spec_from_file_location("fit_segmentation_cli", ROOT / "train" / "fit_segmentation.py")
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    assert cli.main(["--image-size", "48"]) == 2
