"""Evaluate exported generators against real images: a metrics report (Markdown, CSV) and a comparison grid.

Examples:
    specklegan evaluate --model savedmodels/specklegan --data phantom --out evaluation
    specklegan evaluate --model savedmodels/specklegan --name SpeckleGAN \\
        --model savedmodels/baseline --name Baseline --data /data/ivus --out evaluation \\
        --features inception --inception-weights inception_v3_notop.weights.h5

Writes report.md, report.csv and grid.png (masks, real images, one row per model) into --out.
--verbose shows TensorFlow's start-up log.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field

from specklegan_tf.commands.checks import check_exists, check_not_a_file
from specklegan_tf.commands.options import command_parser, run_command
from specklegan_tf.core.config import option_help
from specklegan_tf.core.validators import at_least, one_of

FEATURES = ("texture", "inception")


@dataclass
class EvaluateOptions:
    """The options of ``specklegan evaluate`` (``train/evaluate_gan.py``)."""

    model: tuple[str, ...] = field(metadata=option_help(
        "SavedModel folder or .keras file of a generator (repeat for several models)", repeat=True))
    out: str = field(metadata=option_help("output folder"))
    name: tuple[str, ...] | None = field(default=None, metadata=option_help(
        "display name, one per --model", repeat=True))
    data: str = field(default="phantom", metadata=option_help("'phantom' or a data folder"))
    n: int | None = field(default=None, metadata=option_help("use the first N samples of the data set",
                                                              metavar="N"))
    features: str = field(default="texture", metadata=option_help(
        "features of FID/KID (texture needs no download)", choices=FEATURES))
    inception_weights: str | None = field(default=None, metadata=option_help("local Inception-v3 weights file"))
    grid_columns: int = field(default=6, metadata=option_help("masks shown in grid.png"))
    seed: int = field(default=0, metadata=option_help("seed of the generator inputs and KID subsets"))

    def __post_init__(self) -> None:
        self.model = tuple(self.model)
        self.name = None if self.name is None else tuple(self.name)
        if self.n is not None:
            at_least(self.n, "n", 1)
        one_of(self.features, "features", FEATURES)
        at_least(self.grid_columns, "grid_columns", 1)
        at_least(self.seed, "seed", 0)
        if self.name is not None and len(self.name) != len(self.model):
            raise ValueError(f"got {len(self.name)} --name for {len(self.model)} --model: give one --name per "
                             f"--model")

    def check_paths(self) -> None:
        """Everything that can be checked without TensorFlow, before it starts."""
        for model in self.model:
            check_exists("--model", model)
        if self.data != "phantom":
            check_exists("--data", self.data)
        if self.inception_weights is not None:
            check_exists("--inception-weights", self.inception_weights)
        check_not_a_file("--out", self.out)


def build_parser(prog: str):
    return command_parser(EvaluateOptions, __doc__, prog)


def main(argv: list[str] | None = None, prog: str = "specklegan evaluate") -> int:
    return run_command(EvaluateOptions, argv, __doc__, prog, work=_evaluate,
                       announce=lambda args: f"{len(args.model)} model(s) against {args.data}, report into {args.out}")


def _evaluate(args: EvaluateOptions) -> None:
    from specklegan_tf.evaluation import evaluate_generators

    names = None if args.name is None else list(args.name)
    comparison = evaluate_generators(list(args.model), args.out, names=names, data=args.data, n=args.n,
                                     features=args.features, inception_weights=args.inception_weights,
                                     grid_columns=args.grid_columns, seed=args.seed)
    print(comparison.to_markdown())
    print(f"wrote report.md, report.csv and grid.png to {args.out}")


if __name__ == "__main__":
    sys.exit(main())
