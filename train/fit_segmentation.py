"""Train the residual U-Net segmenter, optionally pre-trained on generated images, and export it.

    python train/fit_segmentation.py                          # the paper's setting (256x256, batch 10), phantom
    python train/fit_segmentation.py --preset demo            # 64x64, 16 base filters, 100 training images
    python train/fit_segmentation.py --data DIR --n-train 50 --pretrain generated/ --pretrain-epochs 5
    python train/fit_segmentation.py --config my.yaml --epochs 50   # a YAML/JSON file; flags override it

``--pretrain DIR`` is a folder of generated images and masks in the IVUS challenge layout, as
``python train/generate.py --model PATH --masks synthetic --n 1000 --out DIR`` writes it. Rerunning the same
command resumes from the run folder's last checkpoint. See the README's Segmentation section.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out of the log

from specklegan_tf.training.cli import run_trainer_cli  # noqa: E402
from specklegan_tf.training.segmentation_trainer import (  # noqa: E402
    SEGMENTATION_PRESETS,
    SegmentationConfig,
    fit_segmentation,
)


def main(argv: list[str] | None = None) -> int:
    return run_trainer_cli("fit_segmentation.py", SegmentationConfig, SEGMENTATION_PRESETS,
                           __doc__.split("\n\n")[0], lambda: fit_segmentation, argv)


if __name__ == "__main__":
    sys.exit(main())
