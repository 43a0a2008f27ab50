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

import sys
from dataclasses import dataclass, field

from specklegan_tf.commands.checks import check_exists, check_output_folder
from specklegan_tf.commands.options import command_parser, run_command
from specklegan_tf.core.config import option_help
from specklegan_tf.core.validators import at_least


@dataclass
class GenerateOptions:
    """The options of ``specklegan generate`` (``train/generate.py``)."""

    model: str = field(metadata=option_help("SavedModel folder or .keras file of a generator"))
    out: str = field(metadata=option_help("output folder, new or empty (challenge layout: DCM/, LABELS/)"))
    masks: str = field(default="synthetic", metadata=option_help("'synthetic', 'phantom' or a data folder"))
    n: int = field(default=1000, metadata=option_help("number of image/mask pairs"))
    replace: bool = field(default=False, metadata=option_help("replace the contents of a non-empty --out"))
    seed: int = field(default=0, metadata=option_help("seed of the masks and the generator inputs"))
    batch_size: int = field(default=16, metadata=option_help("images per generator call"))
    image_size: int | None = field(default=None, metadata=option_help(
        "expected image size; an error if the model generates another size", metavar="N"))

    def __post_init__(self) -> None:
        at_least(self.n, "n", 1)
        at_least(self.seed, "seed", 0)
        at_least(self.batch_size, "batch_size", 1)
        if self.image_size is not None:
            at_least(self.image_size, "image_size", 1)

    def check_paths(self) -> None:
        """Everything that can be checked without TensorFlow, before it starts."""
        check_exists("--model", self.model)
        if self.masks not in ("synthetic", "phantom"):
            check_exists("--masks", self.masks)
        check_output_folder("--out", self.out, replace=self.replace)


def build_parser(prog: str):
    return command_parser(GenerateOptions, __doc__, prog)


def main(argv: list[str] | None = None, prog: str = "specklegan generate") -> int:
    return run_command(GenerateOptions, argv, __doc__, prog, work=_generate,
                       announce=lambda args: f"{args.n} images from {args.model} with {args.masks} masks into "
                                             f"{args.out}")


def _generate(args: GenerateOptions) -> None:
    from specklegan_tf.export import load_generator
    from specklegan_tf.export.synthesis import synthesize_dataset

    generator = load_generator(args.model)
    if args.image_size is not None and generator.image_size != (args.image_size, args.image_size):
        raise ValueError(f"--image-size {args.image_size} but the model {args.model!r} generates "
                         f"{generator.image_size[0]}x{generator.image_size[1]} images")
    out = synthesize_dataset(generator, args.masks, n=args.n, out=args.out, seed=args.seed,
                             batch_size=args.batch_size, replace=args.replace)
    print(f"wrote {args.n} images and masks to {out}")


if __name__ == "__main__":
    sys.exit(main())
