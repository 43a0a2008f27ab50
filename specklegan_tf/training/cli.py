"""The shared entry point of the training scripts (``train/fit_gan.py``, ``train/fit_segmentation.py``).

Both scripts parse their configuration before TensorFlow starts (so a bad option is reported at once), configure
logical CPU devices (which must happen before TensorFlow initialises), then train. Exit codes: 0 done, 2 a bad
option or input, 3 a NaN or infinite loss (the last good checkpoint is kept).
"""
from __future__ import annotations

import sys
from typing import Callable, Mapping

from specklegan_tf.training.config import load_config

EXIT_BAD_INPUT = 2
EXIT_NON_FINITE_LOSS = 3


def run_trainer_cli(prog: str, config_cls: type, presets: Mapping[str, Mapping], description: str,
                    load_trainer: Callable[[], Callable], argv: list[str] | None = None) -> int:
    """Parses the options of ``prog``, then trains with the function that ``load_trainer()`` returns.

    Args:
        prog: The script's name, used in messages (``fit_gan.py``).
        config_cls: The trainer's configuration dataclass.
        presets: Its named configurations (``--preset``).
        description: The one-line description shown by ``--help``.
        load_trainer: Returns the training function ``train(config)``; called only after the options are
            valid and the devices configured, so that importing TensorFlow happens after both.
        argv: The arguments (default ``sys.argv[1:]``).

    Returns:
        The process exit code.
    """
    try:
        config = load_config(config_cls, argv, presets=presets, prog=prog, description=description)
        from specklegan_tf.training.strategy import configure_logical_devices

        configure_logical_devices(config.devices)
        train = load_trainer()
        from specklegan_tf.training.runner import NonFiniteLossError

        try:
            train(config)
        except NonFiniteLossError as error:
            print(f"{prog}: {error}", file=sys.stderr)
            return EXIT_NON_FINITE_LOSS
    except (ValueError, FileNotFoundError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0
