"""Training throughput of SpeckleGAN and the baseline: graph vs XLA, float32 vs mixed precision, side by side.

Every configuration is built, traced and warmed up, then timed over ``--steps`` training steps (one D and one
G update each) in the same process, so the ratios compare like with like even on a loaded machine. Two measures
of what the speckle layer costs: the layer alone (two forward passes and one backward pass, as in one training
step, on its real input shape) as a share of the SpeckleGAN step, and ``1 - t_baseline / t_speckle`` (the
baseline is the same network with the speckle layer replaced by an identity, so this also counts the last block's
32 instead of 8 input maps). ``--with-plain`` adds SpeckleGAN with the speckle layer's plain TensorFlow ops
instead of its XLA-compiled kernels.

Usage:
    python benchmarks/train_step.py                       # 128 and 256 px, width 0.25, batch 4
    python benchmarks/train_step.py --sizes 256 --width 1 --batch 8 --steps 10   # the paper's network
    python benchmarks/train_step.py --modes graph --precisions float32 --with-plain   # compiled vs plain kernels
"""
from __future__ import annotations

import argparse
import contextlib
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def kernel_context(plain: bool):
    """The speckle layer's plain TensorFlow ops while tracing (``plain``), else its compiled kernels."""
    from specklegan_tf.layers.speckle_kernel import plain_tensorflow_kernel

    return plain_tensorflow_kernel() if plain else contextlib.nullcontext()


def time_config(size: int, speckle: bool, jit: bool, mixed: bool, args, plain: bool = False) -> tuple[float, float]:
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
        with kernel_context(plain):  # the step is traced by its first call
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


def time_fft_floor(size: int, jit: bool, args) -> float:
    """Seconds per training step of the FFTs alone that Eq. 2 needs, in the speckle layer's call pattern (two
    forward passes, one backward pass; 8 maps, 4 windows, complex64): no phases drawn, no polar resampling, no
    attention. No implementation of the layer with FFTs can take less, so this is the floor of its share."""
    import numpy as np
    import tensorflow as tf

    x = tf.random.stateless_normal((args.batch, 8, size, size), [0, 3])
    windows = tf.complex(tf.constant(np.random.default_rng(0).uniform(0, 1, (4, size, size)), tf.float32), 0.0)

    def magnitudes(x):
        spectrum = tf.signal.fft2d(tf.complex(x, x))
        return tf.abs(tf.signal.ifft2d(spectrum[:, :, None] * windows[None, None]))

    @tf.function(jit_compile=jit)
    def step(x):
        first = magnitudes(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(magnitudes(x))
        return tf.reduce_sum(first) + tf.reduce_sum(tape.gradient(loss, x))

    for _ in range(args.warmup):
        float(step(x))
    start = time.perf_counter()
    for _ in range(args.steps):
        result = step(x)
    float(result)
    return (time.perf_counter() - start) / args.steps


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--width", type=float, default=0.25, help="channel multiplier (1.0 = paper)")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per configuration")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps after tracing")
    parser.add_argument("--modes", nargs="+", default=["graph", "xla"], choices=["graph", "xla"])
    parser.add_argument("--precisions", nargs="+", default=["float32", "mixed"], choices=["float32", "mixed"])
    parser.add_argument("--with-plain", action="store_true",
                        help="also time SpeckleGAN with the speckle layer's plain TensorFlow ops")
    parser.add_argument("--layer-only", action="store_true",
                        help="time only the speckle layer's share of a step (fast: no full networks)")
    args = parser.parse_args(argv)
    if args.warmup < 1 or args.steps < 1:
        parser.error("--warmup and --steps must be at least 1 (the first call traces the step)")
    if args.layer_only:
        print(f"# speckle layer alone per training step (2 forward + 1 backward), batch {args.batch}, "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        for size in args.sizes:
            for mode in args.modes:
                for precision in args.precisions:
                    seconds = time_speckle_layer(size, mode == "xla", precision == "mixed", args)
                    floor = time_fft_floor(size, mode == "xla", args)
                    print(f"  {size} px {mode} {precision}: {1000 * seconds:.0f} ms (its FFTs alone: "
                          f"{1000 * floor:.0f} ms)", flush=True)
        return

    print(f"# train_step benchmark: width {args.width}, batch {args.batch}, {args.steps} timed steps, "
          f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    columns = ["size", "mode", "precision", "SpeckleGAN img/s"]
    columns += ["SpeckleGAN, plain-ops speckle layer, img/s"] if args.with_plain else []
    columns += ["baseline img/s", "speckle layer alone, share of the SpeckleGAN step",
                "its FFTs alone (the floor), share",
                "1 - t(baseline)/t(SpeckleGAN)", "setup s"]
    print("| " + " | ".join(columns) + " |\n|" + "---|" * len(columns), flush=True)
    results = {}
    variants = [("speckle", True, False)] + ([("plain", True, True)] if args.with_plain else [])
    variants += [("baseline", False, False)]
    for size in args.sizes:
        for mode in args.modes:
            for precision in args.precisions:
                jit, mixed = mode == "xla", precision == "mixed"
                row = {}
                for name, speckle, plain in variants:
                    try:
                        row[name] = time_config(size, speckle, jit, mixed, args, plain=plain)
                    except Exception as error:  # report and go on: one failing configuration must not hide the rest
                        row[name] = error
                try:
                    layer_seconds = time_speckle_layer(size, jit, mixed, args)
                    floor_seconds = time_fft_floor(size, jit, args)
                except Exception as error:
                    layer_seconds = floor_seconds = error
                results[(size, mode, precision)] = row

                def speed(value):
                    if isinstance(value, Exception):
                        return f"failed: {type(value).__name__}: {str(value).splitlines()[0][:60]}"
                    return f"{args.batch / value[0]:.2f}"

                cells = [str(size), mode, precision] + [speed(row[name]) for name, _, _ in variants]
                speckle_step = row["speckle"]
                if isinstance(speckle_step, Exception) or isinstance(layer_seconds, Exception):
                    cells += ["n/a", "n/a"]
                else:
                    cells.append(f"{1000 * layer_seconds:.0f} ms = {layer_seconds / speckle_step[0]:.0%} "
                                 f"of {speckle_step[0]:.2f} s")
                    cells.append(f"{1000 * floor_seconds:.0f} ms = {floor_seconds / speckle_step[0]:.0%}")
                ok = not isinstance(speckle_step, Exception) and not isinstance(row["baseline"], Exception)
                cells.append(f"{1 - row['baseline'][0] / speckle_step[0]:.0%}" if ok else "n/a")
                cells.append("/".join(f"{v[1]:.0f}" for v in row.values() if not isinstance(v, Exception)))
                print("| " + " | ".join(cells) + " |", flush=True)
    # Ratios against the graph/float32 SpeckleGAN of the same size.
    print("\nSpeckleGAN speed relative to graph mode, float32, same size:")
    for (size, mode, precision), row in results.items():
        ref = results.get((size, "graph", "float32"), {}).get("speckle")
        if isinstance(row["speckle"], Exception) or ref is None or isinstance(ref, Exception):
            continue
        print(f"  {size} px {mode} {precision}: x{ref[0] / row['speckle'][0]:.2f}")
        if "plain" in row and not isinstance(row["plain"], Exception):
            print(f"  {size} px {mode} {precision}: plain-ops speckle layer / compiled kernels, step time "
                  f"x{row['plain'][0] / row['speckle'][0]:.2f}")
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
