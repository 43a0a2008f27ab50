"""Evaluate exported generators against real images: metrics report (Markdown, CSV) and a comparison grid.

Usage:
    python train/evaluate_gan.py --model savedmodels/specklegan --data phantom --out evaluation
    python train/evaluate_gan.py --model savedmodels/specklegan --name SpeckleGAN \\
        --model savedmodels/baseline --name Baseline --data /data/ivus --out evaluation \\
        --features inception --inception-weights inception_v3_notop.weights.h5

Writes ``report.md``, ``report.csv`` and ``grid.png`` (masks, real images, one row per model) into ``--out``.
"""
from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", required=True,
                        help="SavedModel folder or .keras file of a generator (repeat for several models)")
    parser.add_argument("--name", action="append", default=None, help="display name, one per --model")
    parser.add_argument("--data", default="phantom", help="'phantom' or a data folder")
    parser.add_argument("--n", type=int, default=None, help="use the first N samples of the data set")
    parser.add_argument("--features", choices=("texture", "inception"), default="texture",
                        help="features of FID/KID (texture needs no download)")
    parser.add_argument("--inception-weights", default=None, help="local Inception-v3 weights file")
    parser.add_argument("--grid-columns", type=int, default=6, help="masks shown in grid.png")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generator inputs and KID subsets")
    parser.add_argument("--out", required=True, help="output folder")
    args = parser.parse_args(argv)
    models = args.model if isinstance(args.model, list) else [args.model]
    for model in models:  # fail fast, before TensorFlow is imported
        if not os.path.exists(model):
            print(f"evaluate_gan.py: error: --model {model!r} does not exist", file=sys.stderr)
            return 2

    from specklegan_tf.evaluation import evaluate_generators

    try:
        comparison = evaluate_generators(args.model, args.out, names=args.name, data=args.data, n=args.n,
                                         features=args.features, inception_weights=args.inception_weights,
                                         grid_columns=args.grid_columns, seed=args.seed)
    except (FileNotFoundError, ValueError) as error:
        print(f"evaluate_gan.py: error: {error}", file=sys.stderr)
        return 2
    print(comparison.to_markdown())
    print(f"wrote report.md, report.csv and grid.png to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
