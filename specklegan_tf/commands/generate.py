"""Generate a synthetic training set with an exported generator, in the IVUS challenge layout (DCM/, LABELS/).

Examples:
    specklegan generate --model savedmodels/specklegan --masks synthetic --n 1000 --out synthetic_data
    specklegan generate --model savedmodels/specklegan.keras --masks /data/ivus --n 435 --out augment
    specklegan generate --model savedmodels/specklegan --n 500 --out synthetic_data --replace

--model is a SavedModel version folder, a model folder (newest version) or a .keras file. --masks is
'synthetic' (random IVUS-like masks), 'phantom', or a data folder whose masks are reused in order. --out must be a
new or empty folder (or --replace): the set is written into a temporary folder renamed into place when complete,
so the folder never mixes the pairs of two runs. --verbose shows TensorFlow's start-up log.
"""
from __future__ import annotations

import argparse
import sys

from specklegan_tf.commands.checks import HelpFormatter, at_least, check_exists, check_output_folder
from specklegan_tf.commands.startup import split_verbose, start_tensorflow


def build_parser(prog: str) -> argparse.ArgumentParser:
    description, epilog = __doc__.split("\n\n", 1)
    parser = argparse.ArgumentParser(prog=prog, description=description, epilog=epilog,
                                     formatter_class=HelpFormatter)
    parser.add_argument("--model", required=True, help="SavedModel folder or .keras file of a generator")
    parser.add_argument("--masks", default="synthetic", help="'synthetic', 'phantom' or a data folder")
    parser.add_argument("--n", type=at_least(1), default=1000, help="number of image/mask pairs")
    parser.add_argument("--out", required=True, help="output folder, new or empty (challenge layout: DCM/, LABELS/)")
    parser.add_argument("--replace", action="store_true", help="replace the contents of a non-empty --out")
    parser.add_argument("--seed", type=at_least(0), default=0, help="seed of the masks and the generator inputs")
    parser.add_argument("--batch-size", type=at_least(1), default=16, help="images per generator call")
    parser.add_argument("--image-size", type=at_least(1), default=None,
                        help="expected image size; an error if the model generates another size")
    return parser


def main(argv: list[str] | None = None, prog: str = "specklegan generate") -> int:
    argv, verbose = split_verbose(sys.argv[1:] if argv is None else argv)
    args = build_parser(prog).parse_args([str(a) for a in argv])
    try:  # everything that can be checked without TensorFlow, before it starts
        check_exists("--model", args.model)
        if args.masks not in ("synthetic", "phantom"):
            check_exists("--masks", args.masks)
        check_output_folder("--out", args.out, replace=args.replace)
    except (FileNotFoundError, ValueError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    print(f"{prog}: {args.n} images from {args.model} with {args.masks} masks into {args.out}", flush=True)
    start_tensorflow(verbose)

    from specklegan_tf.export import load_generator
    from specklegan_tf.export.synthesis import synthesize_dataset

    try:
        generator = load_generator(args.model)
        if args.image_size is not None and generator.image_size != (args.image_size, args.image_size):
            raise ValueError(f"--image-size {args.image_size} but the model {args.model!r} generates "
                             f"{generator.image_size[0]}x{generator.image_size[1]} images")
        out = synthesize_dataset(generator, args.masks, n=args.n, out=args.out, seed=args.seed,
                                 batch_size=args.batch_size, replace=args.replace)
    except (FileNotFoundError, ValueError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {args.n} images and masks to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
