"""``specklegan COMMAND [options]``: the one installed command, and ``python -m specklegan_tf COMMAND``.

Why one command with subcommands rather than six ``specklegan-*`` scripts: one name on the PATH (no clash with
other tools' commands), ``specklegan --help`` lists every command with an example, and ``--verbose`` and
``--version`` mean the same everywhere. ``python -m specklegan_tf`` is the same dispatcher, for environments
whose ``bin/`` is not on the PATH. The ``train/*.py`` files of the repository call the same ``main`` functions.
"""
from __future__ import annotations

import importlib
import sys

from specklegan_tf import __version__
from specklegan_tf.commands.startup import VERBOSE_ENV, split_verbose

# command -> (module in specklegan_tf.commands, one-line description, example)
COMMANDS = {
    "fit-gan": ("fit_gan", "train SpeckleGAN or the baseline GAN, then export it",
                "specklegan fit-gan --preset demo"),
    "generate": ("generate", "write a synthetic training set with an exported generator",
                 "specklegan generate --model savedmodels/specklegan-demo --n 100 --out synthetic_data"),
    "evaluate": ("evaluate", "compare exported generators with real images (report, grid)",
                 "specklegan evaluate --model savedmodels/specklegan-demo --data phantom --out evaluation"),
    "fit-segmentation": ("fit_segmentation", "train the U-Net segmenter, optionally pre-trained on generated images",
                         "specklegan fit-segmentation --preset demo --pretrain synthetic_data"),
    "study": ("study", "the paper's segmentation study (Table 2)",
              "specklegan study --gan speckle=savedmodels/specklegan-demo --image-size 64"),
    "reproduce": ("reproduce", "the paper's experiments (Fig. 5, Fig. 6, Tables 1 and 2) in one command",
                  "specklegan reproduce --budget small"),
}


def usage(prog: str = "specklegan") -> str:
    lines = [f"usage: {prog} [--verbose] COMMAND [options]   ({prog} COMMAND --help for its options)", "",
             "SpeckleGAN for TensorFlow/Keras: train, export, generate, evaluate.", "", "commands:"]
    width = max(map(len, COMMANDS))
    for name, (_, description, _) in COMMANDS.items():
        lines.append(f"  {name:<{width}}  {description}")
    lines += ["", "examples:"] + [f"  {example}" for _, _, example in COMMANDS.values()]
    lines += ["", "options:", "  --verbose   show TensorFlow's start-up log (hidden by default)",
              "  --version   print the version", "  -h, --help  show this message"]
    return "\n".join(lines)


def main(argv: list[str] | None = None, prog: str = "specklegan") -> int:
    argv, verbose = split_verbose(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage(prog))
        return 0 if argv else 2
    if argv[0] == "--version":
        print(f"specklegan_tf {__version__}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"{usage(prog)}\n\n{prog}: error: unknown command {name!r}; choose from {', '.join(COMMANDS)}",
              file=sys.stderr)
        return 2
    if verbose:  # the subcommand reads it from the environment (it may appear before the command name)
        import os

        os.environ[VERBOSE_ENV] = "1"
    module = importlib.import_module(f"specklegan_tf.commands.{COMMANDS[name][0]}")
    return module.main(rest, prog=f"{prog} {name}")


if __name__ == "__main__":
    sys.exit(main())
