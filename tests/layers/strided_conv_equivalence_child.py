"""Child process of test_strided_shortcut.py: the old strided 1x1 convolution against the package's shortcut.

Run with ``TF_ENABLE_ONEDNN_OPTS=0`` so that the old form runs on every CPU (its oneDNN backward kernel crashes on
AVX-512 ones). Prints one JSON line: for each shape, the largest absolute differences of the outputs and of the
gradients with respect to the input and the kernel, and the largest magnitudes for scale.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from specklegan_tf.layers.blocks import subsample  # noqa: E402

SHAPES = [((8, 64, 64, 4), 8), ((8, 256, 256, 4), 32), ((3, 33, 17, 5), 7), ((2, 1, 1, 3), 4)]


def gradients(forward, x, kernel):
    with tf.GradientTape() as tape:
        tape.watch([x, kernel])
        y = forward(x, kernel)
        # a loss that weights every output differently, so that mixed-up positions cannot cancel
        loss = tf.reduce_sum(y * tf.reshape(tf.sin(tf.range(tf.size(y), dtype=tf.float32) * 0.37), tf.shape(y)))
    dx, dk = tape.gradient(loss, [x, kernel])
    return y, dx, dk


def old(x, kernel):
    return tf.nn.conv2d(x, kernel, strides=2, padding="SAME")


def new(x, kernel):
    return tf.nn.conv2d(subsample(x, 2), kernel, strides=1, padding="SAME")


def main() -> None:
    rng = np.random.default_rng(0)
    report = []
    for shape, filters in SHAPES:
        x = tf.constant(rng.normal(size=shape).astype("float32"))
        kernel = tf.constant(rng.normal(size=(1, 1, shape[-1], filters)).astype("float32"))
        results = [tf.function(lambda a, b, f=f: gradients(f, a, b))(x, kernel) for f in (old, new)]
        report.append({
            "shape": list(shape), "filters": filters,
            "out_shapes": [list(r[0].shape) for r in results],
            "max_diff": [float(tf.reduce_max(tf.abs(a - b))) for a, b in zip(*results)],
            "max_abs": [float(tf.reduce_max(tf.abs(a))) for a in results[0]],
        })
    print(json.dumps(report))


if __name__ == "__main__":
    sys.exit(main())
