"""Training throughput of SpeckleGAN and the baseline: graph vs XLA, float32 vs mixed precision, side by side.

Every configuration is built, traced and warmed up, then timed over ``--steps`` training steps (one D and one
G update each) in the same process, so the ratios compare like with like even on a loaded machine. The speckle
layer's share of a step is ``1 - t_baseline / t_speckle`` (the baseline is the same network with the speckle
layer replaced by an identity).

Usage:
    python benchmarks/train_step.py                       # 128 and 256 px, width 0.25, batch 4
    python benchmarks/train_step.py --sizes 256 --width 1 --batch 8 --steps 10   # the paper's network
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def time_config(size: int, speckle: bool, jit: bool, mixed: bool, args) -> tuple[float, float]:
    """(seconds per step, seconds of build + trace + warm-up) for one configuration."""
    import keras
    import numpy as np
    import tensorflow as tf

    from specklegan_tf.models import SpeckleGAN, build_discriminator, build_generator, make_gan_optimizers

    keras.mixed_precision.set_dtype_policy("mixed_float16" if mixed else "float32")
    try:
        start = time.perf_counter()
        gan = SpeckleGAN(build_generator(size, width=args.width, speckle=speckle, seed=0),
                         build_discriminator(size, width=args.width), seed=0)
        gan.compile(*make_gan_optimizers(mixed_precision=mixed))
        step = tf.function(gan.train_step, jit_compile=jit)
        rng = np.random.default_rng(0)
        masks = tf.one_hot(rng.integers(0, 3, (args.batch, size, size)), 3)
        images = tf.random.stateless_uniform((args.batch, size, size, 1), [0, 1], -1, 1)
        for _ in range(args.warmup):
            float(step((images, masks))["g_loss"])
        setup = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(args.steps):
            logs = step((images, masks))
        float(logs["g_loss"])  # wait for the last step
        return (time.perf_counter() - start) / args.steps, setup
    finally:
        keras.mixed_precision.set_dtype_policy("float32")


def time_speckle_layer(size: int, jit: bool, mixed: bool, args) -> float:
    """Seconds the speckle layer alone takes per training step: two forward passes (D and G updates) and one
    backward pass, on the input it gets in the generator (batch, size, size, 8)."""
    import keras
    import tensorflow as tf

    from specklegan_tf.layers import SpeckleLayer
    from specklegan_tf.models import LatentPhaseSeeds

    keras.mixed_precision.set_dtype_policy("mixed_float16" if mixed else "float32")
    try:
        layer, seeds = SpeckleLayer(num_sizes=4, polar=True, attention=True, seed=0), LatentPhaseSeeds()
        x = tf.random.stateless_normal((args.batch, size, size, 8), [0, 1])
        z = tf.random.stateless_normal((args.batch, 128), [0, 2])
        layer(x, phase_seeds=seeds(z))

        @tf.function(jit_compile=jit)
        def step(x, z):
            first = layer(x, training=True, phase_seeds=seeds(z))
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.reduce_sum(tf.cast(layer(x, training=True, phase_seeds=seeds(-z)), tf.float32))
            grads = tape.gradient(loss, [x, *layer.trainable_variables])
            return tf.reduce_sum(tf.cast(first, tf.float32)) + tf.add_n([tf.reduce_sum(g) for g in grads])

        for _ in range(args.warmup):
            float(step(x, z))
        start = time.perf_counter()
        for _ in range(args.steps):
            result = step(x, z)
        float(result)
        return (time.perf_counter() - start) / args.steps
    finally:
        keras.mixed_precision.set_dtype_policy("float32")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--width", type=float, default=0.25, help="channel multiplier (1.0 = paper)")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per configuration")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps after tracing")
    parser.add_argument("--modes", nargs="+", default=["graph", "xla"], choices=["graph", "xla"])
    parser.add_argument("--precisions", nargs="+", default=["float32", "mixed"], choices=["float32", "mixed"])
    parser.add_argument("--layer-only", action="store_true",
                        help="time only the speckle layer's share of a step (fast: no full networks)")
    args = parser.parse_args(argv)
    if args.layer_only:
        print(f"# speckle layer alone per training step (2 forward + 1 backward), batch {args.batch}, "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        for size in args.sizes:
            for mode in args.modes:
                for precision in args.precisions:
                    seconds = time_speckle_layer(size, mode == "xla", precision == "mixed", args)
                    print(f"  {size} px {mode} {precision}: {1000 * seconds:.0f} ms", flush=True)
        return

    print(f"# train_step benchmark: width {args.width}, batch {args.batch}, {args.steps} timed steps, "
          f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    header = "| size | mode | precision | SpeckleGAN img/s | baseline img/s | speckle share of a step | setup s |"
    print(header + "\n|---|---|---|---|---|---|---|", flush=True)
    results = {}
    for size in args.sizes:
        for mode in args.modes:
            for precision in args.precisions:
                row = {}
                for speckle in (True, False):
                    try:
                        row[speckle] = time_config(size, speckle, mode == "xla", precision == "mixed", args)
                    except Exception as error:  # report and go on: one failing configuration must not hide the rest
                        row[speckle] = error
                results[(size, mode, precision)] = row
                cells = []
                for speckle in (True, False):
                    value = row[speckle]
                    cells.append(f"failed: {type(value).__name__}: {str(value).splitlines()[0][:60]}"
                                 if isinstance(value, Exception) else f"{args.batch / value[0]:.2f}")
                ok = all(not isinstance(v, Exception) for v in row.values())
                share = f"{1 - row[False][0] / row[True][0]:.0%}" if ok else "n/a"
                setup = "/".join(f"{v[1]:.0f}" for v in row.values() if not isinstance(v, Exception))
                print(f"| {size} | {mode} | {precision} | {cells[0]} | {cells[1]} | {share} | {setup} |", flush=True)
    # Ratios against the graph/float32 SpeckleGAN of the same size.
    print("\nSpeckleGAN speed relative to graph mode, float32, same size:")
    for (size, mode, precision), row in results.items():
        ref = results.get((size, "graph", "float32"), {}).get(True)
        if isinstance(row[True], Exception) or ref is None or isinstance(ref, Exception):
            continue
        print(f"  {size} px {mode} {precision}: x{ref[0] / row[True][0]:.2f}")
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
