"""load_trained_gan: a run folder's generator and discriminator come back with the checkpoint's weights."""
import json

import numpy as np
import pytest

from specklegan_tf.core.config import save_config
from specklegan_tf.training.checkpoints import TrainingCheckpoint
from specklegan_tf.training.config import GANConfig
from specklegan_tf.training.gan_models import gan_factory
from specklegan_tf.training.trained_gan import kept_checkpoints, load_trained_gan

WINDOWS = [[5.0, 4.0], [6.0, 5.0], [7.0, 6.0], [8.0, 7.0]]


def _config(run_dir):
    return GANConfig(out=str(run_dir), name="probe", image_size=32, width=0.125, latent_dim=8, model="speckle",
                     window_shape="rectangular", speckle_route="direct", speckle_compression="log",
                     shared_phases=True, seed=5)


def test_restores_every_weight_of_the_newest_checkpoint(tmp_path):
    run_dir = tmp_path / "run"
    config = _config(run_dir)
    gan = gan_factory(config, "float32", steps_per_epoch=3, initial_windows=WINDOWS)()
    rng = np.random.default_rng(0)
    for variable in gan.generator.weights + gan.discriminator.weights:  # weights no fresh build would have
        if variable.dtype == "float32" or str(variable.dtype).endswith("float32"):
            variable.assign(variable.numpy() + rng.normal(scale=0.01, size=variable.shape).astype("float32"))
    save_config(config, run_dir / "config.yaml")
    (run_dir / "speckle_init.json").write_text(json.dumps({"initial_window_sizes": WINDOWS}))
    keeper = TrainingCheckpoint(run_dir / "checkpoints", gan.checkpoint_items())
    keeper.step.assign(7)
    keeper.save()

    loaded, prefix = load_trained_gan(run_dir)
    assert prefix.name == "ckpt-7"
    for model, original in ((loaded.generator, gan.generator), (loaded.discriminator, gan.discriminator)):
        assert len(model.weights) == len(original.weights)
        for mine, theirs in zip(model.weights, original.weights):
            np.testing.assert_array_equal(np.asarray(mine), np.asarray(theirs), err_msg=mine.path)
    np.testing.assert_allclose(loaded.window_sizes(), gan.window_sizes())


def test_names_the_missing_config_or_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="config.yaml does not exist"):
        load_trained_gan(tmp_path)
    save_config(_config(tmp_path), tmp_path / "config.yaml")
    with pytest.raises(FileNotFoundError, match="holds no intact checkpoint"):
        load_trained_gan(tmp_path)


def test_lists_the_kept_checkpoints_and_reads_an_older_one(tmp_path):
    run_dir = tmp_path / "run"
    config = _config(run_dir)
    gan = gan_factory(config, "float32", steps_per_epoch=3, initial_windows=WINDOWS)()
    save_config(config, run_dir / "config.yaml")
    (run_dir / "speckle_init.json").write_text(json.dumps({"initial_window_sizes": WINDOWS}))
    keeper = TrainingCheckpoint(run_dir / "checkpoints", gan.checkpoint_items())
    kernel = gan.generator.get_layer("speckle_to_image").kernel
    kernels = {}
    for epoch, step in ((1, 3), (2, 6), (3, 9)):
        kernel.assign(np.full(kernel.shape, 0.1 * epoch, "float32"))  # a value that tells the checkpoints apart
        kernels[step] = kernel.numpy()
        keeper.epoch.assign(epoch)
        keeper.step.assign(step)
        keeper.save()
    # The newest checkpoint is damaged: it is left out of the listing and cannot be read by number.
    (run_dir / "checkpoints" / "ckpt-9.index").write_bytes(b"")

    kept = kept_checkpoints(run_dir)
    assert [(c.number, c.epoch, c.step, c.step_in_epoch) for c in kept] == [(3, 1, 3, 0), (6, 2, 6, 0)]
    older, prefix = load_trained_gan(run_dir, checkpoint=3)
    assert prefix.name == "ckpt-3"
    np.testing.assert_array_equal(older.generator.get_layer("speckle_to_image").kernel.numpy(), kernels[3])
    newest, prefix = load_trained_gan(run_dir)
    assert prefix.name == "ckpt-6"
    np.testing.assert_array_equal(newest.generator.get_layer("speckle_to_image").kernel.numpy(), kernels[6])
    with pytest.raises(FileNotFoundError, match=r"checkpoint 9 of .* cannot be read: .*ckpt-9.index is empty"):
        load_trained_gan(run_dir, checkpoint=9)
    with pytest.raises(FileNotFoundError, match=r"checkpoint 4 of .*ckpt-4.index is missing"):
        load_trained_gan(run_dir, checkpoint=4)
