"""The command line shared by the per-generator tables (``grid_spectrum``, ``display_saturation``): generators, their
names, the data set whose first ``--images`` masks they draw from, a seed, and a Markdown file to write."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def generator_table_parser(prog: str, description: str, models_help: str) -> argparse.ArgumentParser:
    """The parser of ``python -m specklegan_tf.experiments.<prog> MODEL [MODEL ...] [--names ...] [--data ...]
    [--image-size 128] [--images 96] [--seed 0] [--out FILE]``."""
    parser = argparse.ArgumentParser(prog=f"python -m specklegan_tf.experiments.{prog}", description=description)
    parser.add_argument("models", nargs="+", help=models_help)
    parser.add_argument("--names", nargs="+", help="one name per model (default: the file or folder names)")
    parser.add_argument("--data", default="phantom", help="data set of the masks and real images (default phantom)")
    parser.add_argument("--image-size", type=int, default=128, help="image side in px (default 128)")
    parser.add_argument("--images", type=int, default=96, help="masks generated from (default 96)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the z vectors and speckle phases (default 0)")
    parser.add_argument("--out", help="also write the table to this Markdown file")
    return parser


def parse_generator_table_args(parser: argparse.ArgumentParser, argv, files_only: bool = False,
                               missing_word: str = "model") -> tuple[argparse.Namespace, list[str]]:
    """``(args, names)``; a wrong option count, a missing model (``files_only``: anything but a file) or fewer than
    one image is a usage error naming it, before any work."""
    args = parser.parse_args(argv)
    names = args.names or [Path(model).stem if Path(model).suffix else Path(model).name for model in args.models]
    if len(names) != len(args.models):
        parser.error(f"--names gives {len(names)} names for {len(args.models)} models")
    exists = Path.is_file if files_only else Path.exists
    missing = [model for model in args.models if not exists(Path(model))]
    if missing:
        parser.error(f"no such {missing_word}: {', '.join(missing)}")
    if args.images < 1:
        parser.error(f"--images must be at least 1, got {args.images}")
    return args, names


def write_table(lines: list[str], out: str | None) -> None:
    """Prints the Markdown table ``lines`` and, with ``out``, writes them to that file."""
    table = "\n".join(lines) + "\n"
    sys.stdout.write(table)
    if out:
        Path(out).write_text(table)
