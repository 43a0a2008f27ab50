"""Process-wide settings a trainer makes before building anything: seeds, op determinism, precision policy.

Example:
    >>> policy = set_up_runtime(seed=0, deterministic=True, mixed_precision=False)
    >>> policy
    'float32'
"""

from __future__ import annotations

import keras
import tensorflow as tf


def precision_policy(mixed_precision: bool) -> str:
    """The Keras dtype policy for the ``--mixed-precision`` option.

    ``mixed_float16`` on a GPU (the optimizers then need loss scaling), ``mixed_bfloat16`` on a CPU, where float16
    arithmetic is emulated and slow while bfloat16 needs no loss scaling; ``float32`` without the option.
    """
    if not mixed_precision:
        return "float32"
    return "mixed_float16" if tf.config.list_physical_devices("GPU") else "mixed_bfloat16"


def set_up_runtime(seed: int, deterministic: bool = False, mixed_precision: bool = False) -> str:
    """Seed Python, NumPy, TensorFlow and Keras, optionally enable op determinism, set the dtype policy.

    Args:
        seed: The run's seed.
        deterministic: ``tf.config.experimental.enable_op_determinism()``: identical results for identical
            inputs (some ops get slower; ops without a deterministic kernel raise an error).
        mixed_precision: Use :func:`precision_policy`'s mixed policy.

    Returns:
        The name of the global dtype policy now in force.
    """
    if seed < 0:
        raise ValueError(f"--seed must not be negative, got {seed}")
    keras.utils.set_random_seed(int(seed))
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    policy = precision_policy(mixed_precision)
    keras.mixed_precision.set_global_policy(policy)
    return policy
