"""Runs training-step forward and backward passes of one network, to find native crashes of TensorFlow kernels.

TensorFlow 2.21's oneDNN kernels have crashed natively (segmentation fault, abort, malloc assertion) on AVX-512
CPUs for some convolution shapes; such a crash kills the whole Python process, so run this module in a child
process and read its return code (0: every step ran; negative on POSIX: killed by that signal).

Usage (one configuration per process)::

    python -m specklegan_tf.diagnostics.native_crash_probe gan --size 256 --width 1 --batch 8
    python -m specklegan_tf.diagnostics.native_crash_probe unet --size 128 --batch 4
    python -m specklegan_tf.diagnostics.native_crash_probe conv --shape 8 64 64 4 --filters 8 --kernel 1 --stride 2
    python -m specklegan_tf.diagnostics.native_crash_probe shortcut --shape 8 64 64 4 --filters 8

``gan`` runs ``SpeckleGAN.train_step`` (one discriminator and one generator update: every convolution, SPADE block
and speckle kernel of both networks, forward and backward); ``--model baseline`` uses the baseline generator.
``unet`` runs a gradient step of the residual U-Net. ``conv`` is the upstream reproducer (a bare ``Conv2D``, its
backward pass in a ``tf.function``); ``shortcut`` is the package's replacement for a strided 1x1 convolution
(:func:`specklegan_tf.layers.blocks.subsample`, then a stride-1 ``Conv2D``).
"""
from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m specklegan_tf.diagnostics.native_crash_probe",
        description="Forward and backward passes of one network, to detect native crashes (run in a child process).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("target", choices=("gan", "unet", "conv", "shortcut"), help="what to run")
    parser.add_argument("--size", type=int, default=64, help="image size (gan, unet)")
    parser.add_argument("--width", type=float, default=0.25, help="channel multiplier of the GAN")
    parser.add_argument("--batch", type=int, default=4, help="batch size (gan, unet)")
    parser.add_argument("--model", choices=("speckle", "baseline"), default="speckle", help="generator (gan)")
    parser.add_argument("--shape", type=int, nargs=4, metavar=("N", "H", "W", "C"), default=(8, 64, 64, 4),
                        help="input shape (conv, shortcut)")
    parser.add_argument("--filters", type=int, default=8, help="output channels (conv, shortcut)")
    parser.add_argument("--kernel", type=int, default=1, help="kernel size (conv)")
    parser.add_argument("--stride", type=int, default=2, help="stride (conv, shortcut)")
    parser.add_argument("--steps", type=int, default=0,
                        help="backward passes (0: 30 for conv and shortcut, as in the upstream reproducer; 3 else)")
    args = parser.parse_args(argv)
    for name in ("size", "batch", "filters", "kernel", "stride"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1; received {getattr(args, name)}")
    if args.steps < 0:
        parser.error(f"--steps must be >= 0; received {args.steps}")
    if min(args.shape) < 1:
        parser.error(f"--shape must be positive; received {args.shape}")
    if not args.steps:
        args.steps = 30 if args.target in ("conv", "shortcut") else 3
    return args


def _gan_steps(args) -> float:
    import numpy as np
    import tensorflow as tf

    from specklegan_tf.models import SpeckleGAN, build_discriminator, build_generator, make_gan_optimizers

    gan = SpeckleGAN(
        build_generator(args.size, width=args.width, speckle=args.model == "speckle", seed=0),
        build_discriminator(args.size, width=args.width),
        seed=0,
    )
    gan.compile(*make_gan_optimizers())
    step = tf.function(gan.train_step)
    rng = np.random.default_rng(0)
    masks = tf.one_hot(rng.integers(0, 3, (args.batch, args.size, args.size)), 3)
    images = tf.random.stateless_uniform((args.batch, args.size, args.size, 1), [0, 1], -1.0, 1.0)
    loss = 0.0
    for _ in range(args.steps):
        loss = float(step((images, masks))["g_loss"])
    return loss


def unet_training_step(model, size: int, batch: int):
    """A ``tf.function`` running one Adam step of ``model`` (a U-Net) on a fixed random batch; returns the loss.

    Shared with ``benchmarks/strided_shortcut.py``, which times it.
    """
    import keras
    import numpy as np
    import tensorflow as tf

    optimizer = keras.optimizers.Adam(1e-3)
    images = tf.random.stateless_uniform((batch, size, size, 1), [0, 2], -1.0, 1.0)
    labels = tf.one_hot(np.random.default_rng(0).integers(0, 3, (batch, size, size)), 3)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = keras.ops.mean(keras.losses.categorical_crossentropy(labels, model(images, training=True)))
        optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
        return loss

    return step


def _unet_steps(args) -> float:
    from specklegan_tf.models import build_unet

    step = unet_training_step(build_unet(args.size), args.size, args.batch)
    loss = 0.0
    for _ in range(args.steps):
        loss = float(step())
    return loss


def _convolution_steps(args) -> float:
    import keras
    import tensorflow as tf

    from specklegan_tf.layers.blocks import subsample

    if args.target == "conv":
        conv = keras.layers.Conv2D(args.filters, args.kernel, strides=args.stride, padding="same")
        forward = conv
    else:
        conv = keras.layers.Conv2D(args.filters, 1)

        def forward(x):
            return conv(subsample(x, args.stride))

    x = tf.random.stateless_normal(tuple(args.shape), [0, 3])
    forward(x)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(forward(x) ** 2)
        return tape.gradient(loss, conv.trainable_variables)

    total = 0.0
    for _ in range(args.steps):
        total = float(tf.reduce_sum(step()[0]))
    return total


def main(argv=None) -> int:
    args = _parse(argv)
    run = {"gan": _gan_steps, "unet": _unet_steps}.get(args.target, _convolution_steps)
    value = run(args)
    print(f"ok: {args.target} ran {args.steps} forward and backward passes (last value {value:.6g})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
