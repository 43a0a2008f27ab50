"""Training-step time with the old strided 1x1 shortcut against the package's subsample-then-1x1 shortcut.

The residual blocks used to compute their downsampling shortcut with ``Conv2D(f, 1, strides=2)``; its oneDNN
backward kernel crashes on AVX-512 CPUs, so they now take every second pixel and apply a stride-1 ``Conv2D`` (the
same numbers, see ``tests/layers/test_strided_shortcut.py``). This script measures what the change costs.

Two comparisons, each printed as a ratio:

1. old against new shortcut, in one child process with ``TF_ENABLE_ONEDNN_OPTS=0`` (the old form crashes with
   oneDNN on such CPUs); the two are timed in alternating rounds so that load changes hit both alike;
2. the new shortcut with oneDNN on against off, in two child processes run one after the other.

The old form is rebuilt inside this script only, by setting the shortcut convolution's stride back to 2 and
skipping the subsampling: exactly the graph the blocks built before the change.

Usage:
    python benchmarks/strided_shortcut.py                       # SpeckleGAN 128 and 256 px, U-Net 256 px
    python benchmarks/strided_shortcut.py --sizes 256 --width 1 --batch 8   # the paper's network
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def use_old_strided_shortcut(model) -> int:
    """Turns every downsampling shortcut of ``model`` back into ``Conv2D(f, 1, strides=2, padding="same")``.

    Returns the number of shortcuts changed. Only for this comparison: the weights are untouched.
    """
    import keras

    from specklegan_tf.layers import DownsamplingResidualBlock, ResidualBlock

    changed = 0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, (DownsamplingResidualBlock, ResidualBlock)) and getattr(layer, "_shortcut_stride", 1) > 1:
            conv = layer.conv_s.layer if isinstance(layer.conv_s, keras.layers.SpectralNormalization) else layer.conv_s
            conv.strides, conv.padding = (layer._shortcut_stride,) * 2, "same"
            layer._shortcut_stride = 1
            changed += 1
    return changed


def _gan_step(size: int, width: float, batch: int, old: bool):
    import numpy as np
    import tensorflow as tf

    from specklegan_tf.models import SpeckleGAN, build_discriminator, build_generator, make_gan_optimizers

    gan = SpeckleGAN(build_generator(size, width=width, seed=0), build_discriminator(size, width=width), seed=0)
    if old:
        assert use_old_strided_shortcut(gan.discriminator) > 0
    gan.compile(*make_gan_optimizers())
    step = tf.function(gan.train_step)
    masks = tf.one_hot(np.random.default_rng(0).integers(0, 3, (batch, size, size)), 3)
    images = tf.random.stateless_uniform((batch, size, size, 1), [0, 1], -1.0, 1.0)
    return lambda: float(step((images, masks))["g_loss"])


def _unet_step(size: int, batch: int, old: bool):
    from specklegan_tf.diagnostics.native_crash_probe import unet_training_step
    from specklegan_tf.models import build_unet

    model = build_unet(size)
    if old:
        assert use_old_strided_shortcut(model) > 0
    step = unet_training_step(model, size, batch)
    return lambda: float(step())


def _configurations(args):
    for size in args.sizes:
        yield f"SpeckleGAN {size} px width {args.width:g} batch {args.batch}", ("gan", size)
    for size in args.unet_sizes:
        yield f"U-Net {size} px batch {args.batch}", ("unet", size)


def _make(kind, size, args, old):
    return _gan_step(size, args.width, args.batch, old) if kind == "gan" else _unet_step(size, args.batch, old)


def child(args) -> None:
    """Times the configurations in this process; prints one JSON line of seconds per step."""
    variants = ("old", "new") if args.child == "old-vs-new" else ("new",)
    results = {}
    for label, (kind, size) in _configurations(args):
        steps = {v: _make(kind, size, args, v == "old") for v in variants}
        for run in steps.values():
            for _ in range(args.warmup):
                run()
        totals = dict.fromkeys(variants, 0.0)
        for _ in range(args.rounds):  # alternate, so that a change of load hits both variants
            for variant, run in steps.items():
                start = time.perf_counter()
                for _ in range(args.steps):
                    run()
                totals[variant] += time.perf_counter() - start
        results[label] = {v: totals[v] / (args.rounds * args.steps) for v in variants}
    print(json.dumps(results), flush=True)


def _run_child(mode: str, onednn: bool, argv) -> dict:
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": "1" if onednn else "0"}
    done = subprocess.run([sys.executable, __file__, *argv, "--child", mode], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"child '{mode}' (oneDNN {'on' if onednn else 'off'}) exited {done.returncode}:\n"
                         f"{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[128, 256], help="SpeckleGAN image sizes")
    parser.add_argument("--unet-sizes", type=int, nargs="*", default=[256], help="U-Net image sizes")
    parser.add_argument("--width", type=float, default=0.25, help="GAN channel multiplier (1.0 = paper)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of old and new")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps after tracing")
    parser.add_argument("--child", choices=["old-vs-new", "new"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.steps, args.rounds, args.warmup, args.batch) < 1:
        parser.error("--steps, --rounds, --warmup and --batch must be at least 1")
    if args.child:
        child(args)
        return
    argv = sys.argv[1:] if argv is None else list(argv)
    print(f"# strided-shortcut benchmark: {args.rounds} rounds x {args.steps} timed steps, load average at start "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    off = _run_child("old-vs-new", False, argv)
    on = _run_child("new", True, argv)
    print("| configuration | old shortcut, oneDNN off | new shortcut, oneDNN off | new / old | "
          "new shortcut, oneDNN on | on / off |\n|---|---|---|---|---|---|")
    for label in off:
        old_s, new_s, on_s = off[label]["old"], off[label]["new"], on[label]["new"]
        print(f"| {label} | {old_s:.3f} s | {new_s:.3f} s | {new_s / old_s:.3f} | {on_s:.3f} s | "
              f"{on_s / new_s:.3f} |")
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
