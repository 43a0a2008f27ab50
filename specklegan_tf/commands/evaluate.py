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

import argparse
import sys

from specklegan_tf.commands.checks import HelpFormatter, at_least, check_exists, check_not_a_file
from specklegan_tf.commands.startup import split_verbose, start_tensorflow


def build_parser(prog: str) -> argparse.ArgumentParser:
    description, epilog = __doc__.split("\n\n", 1)
    parser = argparse.ArgumentParser(prog=prog, description=description, epilog=epilog,
                                     formatter_class=HelpFormatter)
    parser.add_argument("--model", action="append", required=True,
                        help="SavedModel folder or .keras file of a generator (repeat for several models)")
    parser.add_argument("--name", action="append", default=None, help="display name, one per --model")
    parser.add_argument("--data", default="phantom", help="'phantom' or a data folder")
    parser.add_argument("--n", type=at_least(1), default=None, help="use the first N samples of the data set")
    parser.add_argument("--features", choices=("texture", "inception"), default="texture",
                        help="features of FID/KID (texture needs no download)")
    parser.add_argument("--inception-weights", default=None, help="local Inception-v3 weights file")
    parser.add_argument("--grid-columns", type=at_least(1), default=6, help="masks shown in grid.png")
    parser.add_argument("--seed", type=at_least(0), default=0, help="seed of the generator inputs and KID subsets")
    parser.add_argument("--out", required=True, help="output folder")
    return parser


def main(argv: list[str] | None = None, prog: str = "specklegan evaluate") -> int:
    argv, verbose = split_verbose(sys.argv[1:] if argv is None else argv)
    args = build_parser(prog).parse_args([str(a) for a in argv])
    try:  # everything that can be checked without TensorFlow, before it starts
        for model in args.model:
            check_exists("--model", model)
        if args.name is not None and len(args.name) != len(args.model):
            raise ValueError(f"got {len(args.name)} --name for {len(args.model)} --model: give one --name per --model")
        if args.data != "phantom":
            check_exists("--data", args.data)
        if args.inception_weights is not None:
            check_exists("--inception-weights", args.inception_weights)
        check_not_a_file("--out", args.out)
    except (FileNotFoundError, ValueError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    print(f"{prog}: {len(args.model)} model(s) against {args.data}, report into {args.out}", flush=True)
    start_tensorflow(verbose)

    from specklegan_tf.evaluation import evaluate_generators

    try:
        comparison = evaluate_generators(args.model, args.out, names=args.name, data=args.data, n=args.n,
                                         features=args.features, inception_weights=args.inception_weights,
                                         grid_columns=args.grid_columns, seed=args.seed)
    except (FileNotFoundError, ValueError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    print(comparison.to_markdown())
    print(f"wrote report.md, report.csv and grid.png to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
