"""The paper's segmentation experiment (Table 2): U-Nets with and without pre-training on generated images.

Examples:
    specklegan study --gan speckle=savedmodels/specklegan --gan baseline=savedmodels/baseline
    specklegan study --image-size 64 --pretrain generated/ --out runs/study64
    specklegan study --n-train 50 --folds 2 --epochs 5 --image-size 32   # a quick look

For each --n-train scenario (default 50 and 100) and each condition (no pre-training; pre-training on images of
each --gan generator or --pretrain folder), a k-fold cross-validation over the scenario's training images,
tested on the remaining images. Writes table2.md, table2.csv, table2_pvalues.csv, boxplot.png and study.json
into --out. Rerunning the same command resumes; the same seed gives the same table.
See the README's Segmentation section. --verbose shows TensorFlow's start-up log.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys

from specklegan_tf.commands.startup import split_verbose, start_tensorflow

HELP = {
    "data": "'phantom', an IVUS challenge folder or image/mask folders",
    "data_seed": "seed of the phantom data set (ignored for folders)",
    "n_data": "use only the first N images of the data set",
    "n_train": "scenarios: numbers of real training images",
    "gan": "exported generator [NAME=]PATH (repeat the option for several)",
    "pretrain": "folder of generated images [NAME=]DIR in the challenge layout (repeatable)",
    "n_generated": "images generated per --gan",
    "folds": "k of the k-fold cross-validation",
    "image_size": "image side, a power of two from 32",
    "base_filters": "U-Net filters at full resolution",
    "batch_size": "batch size",
    "epochs": "fine-tuning epochs per fold",
    "pretrain_epochs": "pre-training epochs",
    "lr": "fine-tuning learning rate (Adam)",
    "pretrain_lr": "pre-training learning rate (Adam)",
    "dice_weight": "weight of the soft Dice term of the loss",
    "augment": "random rotations and flips",
    "seed": "seed every random choice is derived from",
    "deterministic": "TensorFlow op determinism (identical reruns)",
    "out": "output folder",
}


def build_parser(prog: str = "specklegan study") -> argparse.ArgumentParser:
    from specklegan_tf.training.segmentation_study import StudyConfig  # imports TensorFlow

    description, epilog = __doc__.split("\n\n", 1)
    parser = argparse.ArgumentParser(prog=prog, description=description, epilog=epilog,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    for f in dataclasses.fields(StudyConfig):
        option = "--" + f.name.replace("_", "-")
        default = f.default
        text = f"{HELP[f.name]} (default: {list(default) if isinstance(default, tuple) else default})"
        if f.name == "n_train":
            parser.add_argument(option, type=int, nargs="+", default=list(default), help=text)
        elif f.name in ("gan", "pretrain"):
            parser.add_argument(option, action="append", default=[], metavar="[NAME=]PATH", help=text)
        elif isinstance(default, bool):
            parser.add_argument(option, action=argparse.BooleanOptionalAction, default=default, help=text)
        else:
            kind = float if isinstance(default, float) else int if isinstance(default, int) else str
            if f.name == "n_data":
                kind = int
            parser.add_argument(option, type=kind, default=default, help=text)
    return parser


def main(argv: list[str] | None = None, prog: str = "specklegan study") -> int:
    argv, verbose = split_verbose(sys.argv[1:] if argv is None else argv)
    # The study's configuration lives beside its code, which imports TensorFlow: say so before it starts.
    print(f"{prog}: starting TensorFlow", flush=True)
    start_tensorflow(verbose)
    from specklegan_tf.training.segmentation_study import StudyConfig

    args = vars(build_parser(prog).parse_args(argv))
    try:
        config = StudyConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in args.items()})
        from specklegan_tf.training.segmentation_study import run_study

        run_study(config)
    except (ValueError, FileNotFoundError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
