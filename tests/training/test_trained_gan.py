"""load_trained_gan: a run folder's generator and discriminator come back with the checkpoint's weights."""
import json

import numpy as np
import pytest

from specklegan_tf.core.config import save_config
from specklegan_tf.training.checkpoints import TrainingCheckpoint
from specklegan_tf.training.config import GANConfig
from specklegan_tf.training.gan_models import gan_factory
from specklegan_tf.training.trained_gan import load_trained_gan

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
