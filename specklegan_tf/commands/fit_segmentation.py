"""Train the residual U-Net segmenter, optionally pre-trained on generated images, and export it.

Examples:
    specklegan fit-segmentation --preset demo      # 64x64, 16 base filters, 100 training images
    specklegan fit-segmentation                    # the paper's setting (256x256, batch 10), phantom
    specklegan fit-segmentation --data DIR --n-train 50 --pretrain generated/ --pretrain-epochs 5
    specklegan fit-segmentation --config my.yaml --epochs 50   # a YAML/JSON file; flags override it

--pretrain DIR is a folder of generated images and masks in the IVUS challenge layout, as
`specklegan generate --model PATH --masks synthetic --n 1000 --out DIR` writes it. Rerunning the same command
resumes from the run folder's last checkpoint. See the README's Segmentation section.
"""
from __future__ import annotations

import sys

from specklegan_tf.commands.startup import split_verbose, start_tensorflow
from specklegan_tf.commands.trainer import run_trainer_cli


def main(argv: list[str] | None = None, prog: str = "specklegan fit-segmentation") -> int:
    argv, verbose = split_verbose(sys.argv[1:] if argv is None else argv)
    # The segmentation configuration lives beside its trainer, which imports TensorFlow: say so before it starts.
    print(f"{prog}: starting TensorFlow", flush=True)
    start_tensorflow(verbose)
    from specklegan_tf.training.segmentation_trainer import (
        SEGMENTATION_PRESETS,
        SegmentationConfig,
        fit_segmentation,
    )

    return run_trainer_cli(prog, SegmentationConfig, SEGMENTATION_PRESETS, __doc__, lambda: fit_segmentation,
                           argv + (["--verbose"] if verbose else []))


if __name__ == "__main__":
    sys.exit(main())
