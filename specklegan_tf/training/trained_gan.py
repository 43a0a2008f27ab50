"""A GAN run's generator and discriminator read back from its run folder, for probes of a trained pair.

The exported ``.keras`` file holds only the generator (and, with validation, possibly an earlier epoch's); a probe
of how the discriminator judges the generator's images needs the pair of one training step. :func:`load_trained_gan`
rebuilds the run's :class:`~specklegan_tf.models.SpeckleGAN` from ``config.yaml`` (and ``speckle_init.json``) and
reads the newest intact checkpoint into it, without writing anything into the folder.

Example:
    >>> gan, checkpoint = load_trained_gan("runs/speckle")
    >>> gan.discriminator([images, masks], training=False)
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from specklegan_tf.core.config import read_saved_config
from specklegan_tf.training.config import GANConfig
from specklegan_tf.training.gan_models import gan_factory
from specklegan_tf.training.recovery import scan_checkpoints
from specklegan_tf.training.run_lifecycle import CONFIG_FILE

SPECKLE_INIT_FILE = "speckle_init.json"


def load_trained_gan(run_dir: str | os.PathLike):
    """The run's GAN (generator, discriminator, optimizers) at its newest intact checkpoint.

    Args:
        run_dir: A run folder written by ``train/fit_gan.py`` (``config.yaml``, ``checkpoints/``).

    Returns:
        ``(gan, checkpoint_prefix)``: the compiled :class:`~specklegan_tf.models.SpeckleGAN` and the path prefix of
        the checkpoint it holds.

    Raises:
        FileNotFoundError: ``run_dir`` has no ``config.yaml`` or no intact checkpoint (the message names which).
    """
    import tensorflow as tf

    run_dir = Path(run_dir)
    config_path = run_dir / CONFIG_FILE
    if not config_path.is_file():
        raise FileNotFoundError(f"{config_path} does not exist: {run_dir} is not a fit_gan.py run folder")
    config = read_saved_config(GANConfig, config_path)
    scan = scan_checkpoints(run_dir / "checkpoints")
    if scan.chosen is None:
        damaged = "; ".join(scan.damaged.values())
        raise FileNotFoundError(f"{run_dir / 'checkpoints'} holds no intact checkpoint"
                                + (f" ({damaged})" if damaged else ""))
    initial_windows = None
    init_path = run_dir / SPECKLE_INIT_FILE
    if config.model == "speckle" and init_path.is_file():
        # Only the windows' shape matters here (the checkpoint holds their trained values).
        initial_windows = json.loads(init_path.read_text())["initial_window_sizes"]
    # The learning-rate schedule's steps per epoch do not change any restored value; 1 is as good as any.
    gan = gan_factory(config, "float32", steps_per_epoch=1, initial_windows=initial_windows)()
    status = tf.train.Checkpoint(**gan.checkpoint_items()).restore(os.fspath(scan.chosen))
    # Every variable of the rebuilt GAN must come from the checkpoint (the loop's counters are not read).
    status.expect_partial().assert_existing_objects_matched()
    return gan, scan.chosen
