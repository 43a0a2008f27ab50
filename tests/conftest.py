"""Test-session setup shared by every test module.

Two logical CPU devices are configured before TensorFlow initialises, so that MirroredStrategy tests can
run on a CPU-only machine; every other test simply uses the first device.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

_cpus = tf.config.list_physical_devices("CPU")
if _cpus:
    try:
        tf.config.set_logical_device_configuration(
            _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
        )
    except RuntimeError:  # TensorFlow was already initialised by an earlier import: keep what it has.
        pass
