"""Benchmark of the speckle layer against the alternatives (issue 2, "Performance").

Measures forward + backward (gradients to the input and, where there is one, to the window sizes) of:

- ``SpeckleLayer`` (Eq. 2 with FFTs; with and without channel attention), with its XLA-compiled kernels (the
  default) and with plain TensorFlow ops (``compiled=False``), in Cartesian and in polar mode (the generator's),
- the bare FFT round trip on the same tensor (phase field, forward FFT, fixed windows, inverse FFTs, magnitude):
  the floor any FFT implementation pays,
- the same with real-input FFTs (``rfft2d``/``irfft2d`` on the real and imaginary parts, possible because the
  window is real and even), checked to give the same numbers,
- Eq. 4 as a spatial convolution with a truncated 33 x 33 sinc kernel (the method the paper rejects), and its
  separable form (33 x 1 then 1 x 33), with kernels built from trainable window sizes,

in plain graph mode (``tf.function``) and, for the FFT variants, with ``jit_compile=True``. Variants are timed in
interleaved rounds so that they share the machine's load; the script prints medians and side-by-side ratios.

Usage::

    python benchmarks/speckle_layer.py    # batch 8, 256 x 256, 8 maps, 4 sizes; 5 rounds (2 for the sinc convs)
    python benchmarks/speckle_layer.py --size 64 --rounds 2 --skip-convolutions   # quick smoke run
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

tf.get_logger().setLevel("ERROR")  # every variant is its own tf.function: retracing warnings are expected

from specklegan_tf.layers import SpeckleLayer  # noqa: E402

TAPS = 33


def _field(x, phases):
    """(N, H, W, C) amplitude and phases -> complex64 field (N, C, H, W)."""
    x = tf.transpose(x, (0, 3, 1, 2))
    phases = tf.transpose(phases, (0, 3, 1, 2))
    return tf.complex(x * tf.cos(phases), x * tf.sin(phases))


def fft_round_trip(x, phases, windows):
    """The floor: FFT, K fixed windows, K inverse FFTs, magnitude. windows: (K, H, W) float32."""
    spectrum = tf.signal.fft2d(_field(x, phases))[:, :, None]
    out = tf.signal.ifft2d(spectrum * tf.complex(windows, 0.0)[None, None])
    return tf.abs(out)


def rfft_round_trip(x, phases, windows):
    """The same with real FFTs of the real and imaginary parts (the window is real and even)."""
    x = tf.transpose(x, (0, 3, 1, 2))
    phases = tf.transpose(phases, (0, 3, 1, 2))
    half = tf.complex(windows[:, :, : windows.shape[-1] // 2 + 1], 0.0)[None, None]
    size = windows.shape[1:]
    parts = [tf.signal.irfft2d(tf.signal.rfft2d(p)[:, :, None] * half, fft_length=size)
             for p in (x * tf.cos(phases), x * tf.sin(phases))]
    return tf.sqrt(parts[0] ** 2 + parts[1] ** 2 + 1e-12)


def sinc_taps(d, size: int):
    """(K, TAPS) truncated 1-D sinc kernels, the spatial form of a rect of d bins out of ``size``."""
    t = tf.range(-(TAPS // 2), TAPS // 2 + 1, dtype=tf.float32)[None, :]
    arg = math.pi * (d[:, None] / size) * t
    safe = tf.where(tf.abs(arg) < 1e-6, tf.ones_like(arg), arg)
    return (d[:, None] / size) * tf.where(tf.abs(arg) < 1e-6, tf.ones_like(arg), tf.sin(safe) / safe)


def _phase_channels(x, phases):
    """Real and imaginary parts of the phase field as channels: (N, H, W, 2C), real parts first."""
    return tf.concat([x * tf.cos(phases), x * tf.sin(phases)], axis=-1)


def _magnitude(out, channels: int, sizes: int):
    """Depthwise output (N, H, W, 2C * K), channel m * K + k = input channel m with kernel k -> (N, H, W, C * K)."""
    re, im = out[..., : channels * sizes], out[..., channels * sizes:]
    return tf.sqrt(re**2 + im**2 + 1e-12)


# Depthwise convolutions with a channel multiplier of K were the fastest formulation tried here: the same
# convolutions as conv2d on (N * 2C, H, W, 1) images took about 3x (2-D) and 4x (separable) longer at 64 x 64
# (two separate runs under a load average of 8-9 on 2 cores).
def conv2d_sinc(x, phases, d, size: int):
    """Eq. 4: depthwise 33 x 33 convolution of the phase field with the K 2-D sinc kernels."""
    channels, sizes = x.shape[-1], d.shape[0]
    taps = sinc_taps(d, size)  # (K, T)
    kernel2d = tf.transpose(taps[:, :, None] * taps[:, None, :], (1, 2, 0))  # (T, T, K)
    kernel = tf.tile(kernel2d[:, :, None, :], (1, 1, 2 * channels, 1))  # (T, T, 2C, K)
    out = tf.nn.depthwise_conv2d(_phase_channels(x, phases), kernel, (1, 1, 1, 1), "SAME")
    return _magnitude(out, channels, sizes)


def separable_sinc(x, phases, d, size: int):
    """Eq. 4 separably: depthwise 33 x 1 (K kernels per map), then 1 x 33 on each of the 2C * K maps."""
    channels, sizes = x.shape[-1], d.shape[0]
    taps = tf.transpose(sinc_taps(d, size))  # (T, K)
    vertical = tf.tile(taps[:, None, None, :], (1, 1, 2 * channels, 1))  # (T, 1, 2C, K)
    h = tf.nn.depthwise_conv2d(_phase_channels(x, phases), vertical, (1, 1, 1, 1), "SAME")  # (N, H, W, 2C * K)
    horizontal = tf.reshape(tf.tile(taps[:, None, :], (1, 2 * channels, 1)), (1, TAPS, 2 * channels * sizes, 1))
    out = tf.nn.depthwise_conv2d(h, horizontal, (1, 1, 1, 1), "SAME")
    return _magnitude(out, channels, sizes)


def _timed(fn, *args) -> float:
    start = time.perf_counter()
    result = fn(*args)
    for value in tf.nest.flatten(result):
        value.numpy()
    return (time.perf_counter() - start) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--maps", type=int, default=8)
    parser.add_argument("--sizes", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds after one warm-up call")
    parser.add_argument("--conv-rounds", type=int, default=2,
                        help="timed rounds for the sinc convolutions (the 2-D one takes minutes per call)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-convolutions", action="store_true", help="time only the FFT variants (quick)")
    args = parser.parse_args()

    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    shape = (args.batch, args.size, args.size, args.maps)
    x = tf.Variable(rng.uniform(0.0, 1.0, shape).astype("float32"))
    phases = tf.constant(rng.uniform(0.0, 2 * np.pi, shape).astype("float32"))

    layers = {attention: SpeckleLayer(num_sizes=args.sizes, attention=attention, seed=args.seed)
              for attention in (True, False)}
    # The generator's configuration (polar, attention) with the compiled kernels and with plain TensorFlow ops, and
    # the Cartesian layer with plain ops.
    kernels = {(polar, compiled): SpeckleLayer(num_sizes=args.sizes, polar=polar, compiled=compiled, seed=args.seed)
               for polar, compiled in ((True, True), (True, False), (False, False))}
    for layer in [*layers.values(), *kernels.values()]:
        layer.build(shape)
    d = tf.Variable(layers[False].window_sizes)
    windows = tf.constant(layers[False].windows())

    def loss_and_grads(forward, variables):
        def step():
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(forward())
            return loss, tape.gradient(loss, variables)
        return step

    plain = {
        "SpeckleLayer (attention)": loss_and_grads(lambda: layers[True](x), [x, layers[True].log_window]),
        "SpeckleLayer (no attention)": loss_and_grads(lambda: layers[False](x), [x, layers[False].log_window]),
        "SpeckleLayer (attention, plain ops)": loss_and_grads(lambda: kernels[False, False](x),
                                                              [x, kernels[False, False].log_window]),
        "SpeckleLayer polar (attention)": loss_and_grads(lambda: kernels[True, True](x), [x, kernels[True, True].log_window]),
        "SpeckleLayer polar (attention, plain ops)": loss_and_grads(lambda: kernels[True, False](x),
                                                                    [x, kernels[True, False].log_window]),
        "bare FFT round trip (fft2d)": loss_and_grads(lambda: fft_round_trip(x, phases, windows), [x]),
        "bare FFT round trip (rfft2d)": loss_and_grads(lambda: rfft_round_trip(x, phases, windows), [x]),
        "2-D sinc conv 33x33": loss_and_grads(lambda: conv2d_sinc(x, phases, d, args.size), [x, d]),
        "separable sinc 33x1+1x33": loss_and_grads(lambda: separable_sinc(x, phases, d, args.size), [x, d]),
    }
    if args.skip_convolutions:
        plain = {name: fn for name, fn in plain.items() if "sinc" not in name}
    variants = {f"{name} [graph]": tf.function(fn) for name, fn in plain.items()}
    for name in ("SpeckleLayer (attention)", "SpeckleLayer (no attention)", "bare FFT round trip (fft2d)",
                 "bare FFT round trip (rfft2d)"):  # XLA only for the FFT variants: see the note printed at the end
        variants[f"{name} [jit]"] = tf.function(plain[name], jit_compile=True)

    # The rfft route must compute the same magnitudes as the complex one.
    difference = tf.reduce_max(tf.abs(fft_round_trip(x, phases, windows) - rfft_round_trip(x, phases, windows)))
    load_before = os.getloadavg()
    compile_ms = {name: _timed(fn) for name, fn in variants.items()}  # first call traces / compiles: the warm-up
    times = {name: [] for name in variants}
    for round_index in range(args.rounds):
        for name, fn in variants.items():
            if "sinc" not in name or round_index < args.conv_rounds:
                times[name].append(_timed(fn))
    load_after = os.getloadavg()

    medians = {name: float(np.median(t)) for name, t in times.items()}
    minima = {name: float(np.min(t)) for name, t in times.items()}
    if args.skip_convolutions:
        for stats in (medians, minima):
            stats["2-D sinc conv 33x33 [graph]"] = stats["separable sinc 33x1+1x33 [graph]"] = float("nan")
    reference = medians["SpeckleLayer (no attention) [graph]"]
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs; load average (1/5/15 min) before {load_before}, after {load_after}")
    print(f"batch {args.batch}, {args.size}x{args.size}, {args.maps} maps, {args.sizes} sizes, forward+backward; "
          f"{args.rounds} interleaved rounds ({args.conv_rounds} for the sinc convolutions) after a warm-up call")
    print(f"max |fft2d - rfft2d route| = {float(difference):.2e}")
    print(f"{'variant':44s} {'median ms':>10s} {'min ms':>9s} {'first call ms':>14s} {'median / SpeckleLayer':>22s}")
    for name in variants:
        if name in times and times[name]:
            print(f"{name:44s} {medians[name]:10.1f} {minima[name]:9.1f} {compile_ms[name]:14.0f} "
                  f"{medians[name] / reference:22.2f}")

    def ratio(numerator: str, denominator: str) -> str:
        return (f"{medians[numerator] / medians[denominator]:6.2f} (medians)  "
                f"{minima[numerator] / minima[denominator]:6.2f} (minima)")

    layer, fft = "SpeckleLayer (no attention) [graph]", "bare FFT round trip (fft2d) [graph]"
    print("\nratios, graph mode unless stated; minima are the runs least disturbed by other processes:")
    print(f"  2-D 33x33 sinc conv / SpeckleLayer       {ratio('2-D sinc conv 33x33 [graph]', layer)}  target >= 5")
    print(f"  separable sinc conv / SpeckleLayer       {ratio('separable sinc 33x1+1x33 [graph]', layer)}  target >= 2")
    print(f"  SpeckleLayer / bare FFT round trip       {ratio(layer, fft)}  target <= 1.5")
    print(f"  SpeckleLayer with / without attention    {ratio('SpeckleLayer (attention) [graph]', layer)}")
    print(f"  plain ops / compiled kernels, Cartesian  "
          f"{ratio('SpeckleLayer (attention, plain ops) [graph]', 'SpeckleLayer (attention) [graph]')}")
    print(f"  plain ops / compiled kernels, polar      "
          f"{ratio('SpeckleLayer polar (attention, plain ops) [graph]', 'SpeckleLayer polar (attention) [graph]')}")
    print(f"  polar / Cartesian, compiled kernels      "
          f"{ratio('SpeckleLayer polar (attention) [graph]', 'SpeckleLayer (attention) [graph]')}")
    print(f"  rfft2d route / fft2d route               {ratio('bare FFT round trip (rfft2d) [graph]', fft)}")
    print(f"  SpeckleLayer jit / graph                 {ratio('SpeckleLayer (no attention) [jit]', layer)}")
    print(f"  bare FFT jit / graph                     {ratio('bare FFT round trip (fft2d) [jit]', fft)}")
    print("  (the convolutions are not run under XLA: their kernel gradients compile for minutes on this CPU)")


if __name__ == "__main__":
    main()
