"""The shared body of the training commands (``specklegan fit-gan``, ``specklegan fit-segmentation``).

Both parse their configuration before TensorFlow starts (so a bad option is reported at once), print their first
line, start TensorFlow quietly (``startup``), configure logical CPU devices (which must happen before TensorFlow
initialises its runtime), then train. Exit codes: 0 done, 2 a bad option or input, 3 a NaN or infinite loss (the
last good checkpoint is kept).
"""
from __future__ import annotations

import json
import os
import sys
from typing import Callable, Mapping

from specklegan_tf.commands.startup import split_verbose, start_tensorflow

EXIT_BAD_INPUT = 2
EXIT_NON_FINITE_LOSS = 3

VERBOSE_HELP = "\n--verbose shows TensorFlow's start-up log (hidden by default)."


def prints_messages() -> bool:
    """Whether this process will be the chief (the one that prints), read from ``TF_CONFIG`` alone because
    TensorFlow has not started yet: the other workers of a multi-worker run print only their weights digest."""
    try:
        spec = json.loads(os.environ.get("TF_CONFIG") or "{}")
    except json.JSONDecodeError:
        return True  # make_strategy reports the bad TF_CONFIG
    if not isinstance(spec, dict) or not isinstance(spec.get("task"), dict):
        return True
    task = spec["task"]
    kind = task.get("type")
    if kind is None:
        return True
    has_chief = "chief" in (spec.get("cluster") or {})
    return kind == "chief" or (kind == "worker" and int(task.get("index", 0)) == 0 and not has_chief)


def run_trainer_cli(prog: str, config_cls: type, presets: Mapping[str, Mapping], doc: str,
                    load_trainer: Callable[[], Callable], argv: list[str] | None = None) -> int:
    """Parses the options of ``prog``, then trains with the function that ``load_trainer()`` returns.

    Args:
        prog: The command's name, used in messages (``specklegan fit-gan``).
        config_cls: The trainer's configuration dataclass.
        presets: Its named configurations (``--preset``).
        doc: The command's docstring: its first paragraph is the description, the rest (examples) the epilog.
        load_trainer: Returns the training function ``train(config)``; called only after the options are
            valid and the devices configured, so that importing TensorFlow happens after both.
        argv: The arguments (default ``sys.argv[1:]``).

    Returns:
        The process exit code.
    """
    from specklegan_tf.training.config import load_config

    argv, verbose = split_verbose(sys.argv[1:] if argv is None else argv)
    description, _, epilog = doc.partition("\n\n")
    try:
        config = load_config(config_cls, argv, presets=presets, prog=prog, description=description,
                             epilog=epilog + VERBOSE_HELP)
        starting = "" if "tensorflow" in sys.modules else "; starting TensorFlow"
        epochs = f"{config.epochs} epoch{'' if config.epochs == 1 else 's'}"
        if prints_messages():
            print(f"{prog}: {epochs}, run folder {config.run_dir}{starting}", flush=True)
        start_tensorflow(verbose)
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
