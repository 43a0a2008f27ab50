"""Training throughput of the residual U-Net (images per second), float32 against mixed precision, side by side.

Every configuration is built, traced and warmed up, then timed over ``--steps`` training steps of
``Segmenter.train_step`` (forward, cross-entropy + soft Dice, backward, Adam) in the same process, so the ratios
compare like with like even on a loaded machine. The paper's configuration is 256x256, 32 base filters, batch 10.

Usage:
    python benchmarks/unet.py                              # 256 and 64 px, 32 base filters, batch 4
    python benchmarks/unet.py --sizes 256 --batch 10 --steps 5 --precisions float32   # the paper's batch
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def time_config(size: int, mixed: bool, args) -> tuple[float, float, int]:
    """(seconds per step, seconds of build + trace + warm-up, parameters) for one configuration."""
    import keras
    import numpy as np
    import tensorflow as tf

    from specklegan_tf.models.segmenter import Segmenter
    from specklegan_tf.models.unet import build_unet

    # bfloat16 on a CPU: float16 is emulated there, and bfloat16 needs no loss scaling.
    keras.mixed_precision.set_dtype_policy("mixed_bfloat16" if mixed else "float32")
    try:
        start = time.perf_counter()
        keras.utils.set_random_seed(0)
        segmenter = Segmenter(build_unet(size, base_filters=args.base_filters))
        segmenter.compile(keras.optimizers.Adam(1e-3))
        step = tf.function(segmenter.train_step)
        rng = np.random.default_rng(0)
        masks = tf.one_hot(rng.integers(0, 3, (args.batch, size, size)), 3)
        images = tf.random.stateless_uniform((args.batch, size, size, 1), [0, 1], -1, 1)
        for _ in range(args.warmup):
            float(step((images, masks))["loss"])
        setup = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(args.steps):
            logs = step((images, masks))
        float(logs["loss"])  # wait for the last step
        return (time.perf_counter() - start) / args.steps, setup, segmenter.network.count_params()
    finally:
        keras.mixed_precision.set_dtype_policy("float32")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 64])
    parser.add_argument("--base-filters", type=int, default=32, help="U-Net filters at full resolution (paper: 32)")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per configuration")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps after tracing")
    parser.add_argument("--precisions", nargs="+", default=["float32", "mixed"], choices=["float32", "mixed"])
    args = parser.parse_args(argv)

    print(f"# U-Net training benchmark: base filters {args.base_filters}, batch {args.batch}, {args.steps} timed "
          f"steps, load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print("| size | precision | images/s | s/step | x float32 | setup s | parameters |\n|---|---|---|---|---|---|---|",
          flush=True)
    for size in args.sizes:
        reference = None
        for precision in args.precisions:
            try:
                seconds, setup, params = time_config(size, precision == "mixed", args)
            except Exception as error:  # report and go on: one failing configuration must not hide the rest
                print(f"| {size} | {precision} | failed: {type(error).__name__}: {str(error).splitlines()[0][:60]} "
                      f"| | | | |", flush=True)
                continue
            if precision == "float32":
                reference = seconds
            ratio = f"x{reference / seconds:.2f}" if reference else "n/a"
            print(f"| {size} | {precision} | {args.batch / seconds:.2f} | {seconds:.2f} | {ratio} | {setup:.0f} | "
                  f"{params:,} |", flush=True)
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
