"""Generate a synthetic training set with an exported generator, in the IVUS challenge layout.

Usage:
    python train/generate.py --model savedmodels/specklegan --masks synthetic --n 1000 --out synthetic_data
    python train/generate.py --model savedmodels/specklegan.keras --masks /data/ivus --n 435 --out augment

``--model`` is a SavedModel version folder, a model folder (newest version) or a ``.keras`` file. ``--masks`` is
``synthetic`` (random IVUS-like masks), ``phantom``, or a data folder whose masks are reused in order.
"""
from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="SavedModel folder or .keras file of a generator")
    parser.add_argument("--masks", default="synthetic", help="'synthetic', 'phantom' or a data folder")
    parser.add_argument("--n", type=int, default=1000, help="number of image/mask pairs")
    parser.add_argument("--out", required=True, help="output folder (challenge layout: DCM/, LABELS/)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the masks and the generator inputs")
    parser.add_argument("--batch-size", type=int, default=16, help="images per generator call")
    parser.add_argument("--image-size", type=int, default=None,
                        help="expected image size; an error if the model generates another size")
    args = parser.parse_args(argv)
    models = args.model if isinstance(args.model, list) else [args.model]
    for model in models:  # fail fast, before TensorFlow is imported
        if not os.path.exists(model):
            print(f"generate.py: error: --model {model!r} does not exist", file=sys.stderr)
            return 2

    from specklegan_tf.export import load_generator
    from specklegan_tf.export.synthesis import synthesize_dataset

    try:
        generator = load_generator(args.model)
        if args.image_size is not None and generator.image_size != (args.image_size, args.image_size):
            raise ValueError(f"--image-size {args.image_size} but the model {args.model!r} generates "
                             f"{generator.image_size[0]}x{generator.image_size[1]} images")
        out = synthesize_dataset(generator, args.masks, n=args.n, out=args.out, seed=args.seed,
                                 batch_size=args.batch_size)
    except (FileNotFoundError, ValueError) as error:
        print(f"generate.py: error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {args.n} images and masks to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
