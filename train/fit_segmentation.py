"""Train the residual U-Net segmenter, optionally pre-trained on generated images, and export it.

    python train/fit_segmentation.py                          # the paper's setting (256x256, batch 10), phantom
    python train/fit_segmentation.py --preset demo            # 64x64, 16 base filters, 100 training images
    python train/fit_segmentation.py --data DIR --n-train 50 --pretrain generated/ --pretrain-epochs 5
    python train/fit_segmentation.py --config my.yaml --epochs 50   # a YAML/JSON file; flags override it

``--pretrain DIR`` is a folder of generated images and masks in the IVUS challenge layout, as
``python train/generate.py --model PATH --masks synthetic --n 1000 --out DIR`` writes it. Rerunning the same
command resumes from the run folder's last checkpoint. See docs/sections/segmentation.md.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out of the log

from specklegan_tf.training.segmentation_trainer import (  # noqa: E402
    SEGMENTATION_PRESETS,
    SegmentationConfig,
    fit_segmentation,
)
from specklegan_tf.training.config import load_config  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    try:
        config = load_config(SegmentationConfig, argv, presets=SEGMENTATION_PRESETS, prog="fit_segmentation.py",
                             description=__doc__.split("\n\n")[0])
        from specklegan_tf.training.strategy import configure_logical_devices

        configure_logical_devices(config.devices)
        from specklegan_tf.training.runner import NonFiniteLossError

        try:
            fit_segmentation(config)
        except NonFiniteLossError as error:
            print(f"fit_segmentation.py: {error}", file=sys.stderr)
            return 3
    except (ValueError, FileNotFoundError) as error:
        print(f"fit_segmentation.py: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
