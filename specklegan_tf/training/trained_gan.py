"""A GAN run's generator and discriminator read back from its run folder, for probes of a trained pair.

The exported ``.keras`` file holds only the generator (and, with validation, possibly an earlier epoch's); a probe
of how the discriminator judges the generator's images needs the pair of one training step. :func:`load_trained_gan`
rebuilds the run's :class:`~specklegan_tf.models.SpeckleGAN` from ``config.yaml`` (and ``speckle_init.json``) and
reads the newest intact checkpoint into it (or one chosen by number), without writing anything into the folder.
:func:`kept_checkpoints` lists the checkpoints a folder keeps with the epoch and step each was written at, for
probes of how the pair changed over training (``fit_gan.py --keep-checkpoints N`` keeps the last N).

Example:
    >>> gan, checkpoint = load_trained_gan("runs/speckle")
    >>> gan.discriminator([images, masks], training=False)
    >>> [(c.number, c.epoch) for c in kept_checkpoints("runs/speckle")]   # oldest first
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from specklegan_tf.core.config import read_saved_config
from specklegan_tf.training.config import GANConfig
from specklegan_tf.training.gan_models import gan_factory
from specklegan_tf.training.recovery import CHECKPOINT_NAME, checkpoint_numbers, checkpoint_problem, scan_checkpoints
from specklegan_tf.training.run_lifecycle import CONFIG_FILE

SPECKLE_INIT_FILE = "speckle_init.json"


@dataclass(frozen=True)
class KeptCheckpoint:
    """One checkpoint of a run folder: its number (``ckpt-<number>``), path prefix and the loop's counters
    (completed epochs, global step, steps into the next epoch: 0 for a checkpoint written at an epoch's end)."""

    number: int
    prefix: Path
    epoch: int
    step: int
    step_in_epoch: int


def kept_checkpoints(run_dir: str | os.PathLike) -> list[KeptCheckpoint]:
    """The intact checkpoints of a run folder, oldest first, with the completed epochs and the global step of each.

    Damaged checkpoints are left out (``fit_gan.py`` says which file is damaged when it resumes).
    """
    import tensorflow as tf

    directory = Path(run_dir) / "checkpoints"
    kept = []
    for number in sorted(checkpoint_numbers(directory)):
        prefix = directory / f"{CHECKPOINT_NAME}-{number}"
        if checkpoint_problem(prefix) is not None:
            continue
        reader = tf.train.load_checkpoint(os.fspath(prefix))
        counter = lambda name: int(reader.get_tensor(f"counters/{name}/.ATTRIBUTES/VARIABLE_VALUE"))  # noqa: E731
        kept.append(KeptCheckpoint(number, prefix, counter("epoch"), counter("step"), counter("step_in_epoch")))
    return kept


def load_trained_gan(run_dir: str | os.PathLike, checkpoint: int | None = None):
    """The run's GAN (generator, discriminator, optimizers) at its newest intact checkpoint, or at ``checkpoint``.

    Args:
        run_dir: A run folder written by ``train/fit_gan.py`` (``config.yaml``, ``checkpoints/``).
        checkpoint: The number of the checkpoint to read (``ckpt-<number>``, see :func:`kept_checkpoints`);
            None: the newest intact one.

    Returns:
        ``(gan, checkpoint_prefix)``: the compiled :class:`~specklegan_tf.models.SpeckleGAN` and the path prefix of
        the checkpoint it holds.

    Raises:
        FileNotFoundError: ``run_dir`` has no ``config.yaml``, no intact checkpoint, or ``checkpoint`` is missing
            or damaged (the message names which file).
    """
    import tensorflow as tf

    run_dir = Path(run_dir)
    config_path = run_dir / CONFIG_FILE
    if not config_path.is_file():
        raise FileNotFoundError(f"{config_path} does not exist: {run_dir} is not a fit_gan.py run folder")
    config = read_saved_config(GANConfig, config_path)
    if checkpoint is None:
        scan = scan_checkpoints(run_dir / "checkpoints")
        if scan.chosen is None:
            damaged = "; ".join(scan.damaged.values())
            raise FileNotFoundError(f"{run_dir / 'checkpoints'} holds no intact checkpoint"
                                    + (f" ({damaged})" if damaged else ""))
        chosen = scan.chosen
    else:
        chosen = run_dir / "checkpoints" / f"{CHECKPOINT_NAME}-{int(checkpoint)}"
        problem = checkpoint_problem(chosen)
        if problem is not None:
            raise FileNotFoundError(f"checkpoint {checkpoint} of {run_dir} cannot be read: {problem}")
    initial_windows = None
    init_path = run_dir / SPECKLE_INIT_FILE
    if config.model == "speckle" and init_path.is_file():
        # Only the windows' shape matters here (the checkpoint holds their trained values).
        # (--speckle-contrast data alone writes the file without windows: the default windows then.)
        initial_windows = json.loads(init_path.read_text()).get("initial_window_sizes")
    # The learning-rate schedule's steps per epoch do not change any restored value; 1 is as good as any.
    gan = gan_factory(config, "float32", steps_per_epoch=1, initial_windows=initial_windows)()
    status = tf.train.Checkpoint(**gan.checkpoint_items()).restore(os.fspath(chosen))
    # Every variable of the rebuilt GAN must come from the checkpoint (the loop's counters are not read).
    status.expect_partial().assert_existing_objects_matched()
    return gan, chosen
