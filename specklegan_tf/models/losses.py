"""Non-saturating GAN losses of the paper (Eqs. 6 and 7), per example.

Both functions return one loss value per example, so that the caller decides how to average: under
``tf.distribute`` the per-example values go through ``tf.nn.compute_average_loss`` (division by the *global*
batch), because the replicas' gradients are summed.

Written with ``softplus`` on logits instead of ``log(sigmoid(.))`` because the latter underflows to ``-inf`` for
confident discriminators:

- ``-log(sigmoid(l)) = softplus(-l)``
- ``-log(1 - sigmoid(l)) = softplus(l)``
"""
from __future__ import annotations

from keras import ops


def _per_example_mean(values):
    """Mean over every axis but the batch axis, so patch discriminators work too."""
    values = ops.reshape(values, (ops.shape(values)[0], -1))
    return ops.mean(values, axis=1)


def discriminator_loss(real_logits, fake_logits):
    """Eq. 6: ``L_D = -E[log D(x, y)] - E[log(1 - D(G(z, y), y))]``, per example.

    Args:
        real_logits: discriminator logits on real (image, mask) pairs, shape ``(N, ...)``.
        fake_logits: discriminator logits on generated pairs, shape ``(N, ...)``.

    Returns:
        Float tensor of shape ``(N,)``, the loss of each example (in float32, also under mixed precision).

    Example:
        >>> import numpy as np
        >>> float(discriminator_loss(np.zeros((1, 1)), np.zeros((1, 1)))[0])  # 2 * log(2)
        1.386...
    """
    real_logits = ops.cast(real_logits, "float32")
    fake_logits = ops.cast(fake_logits, "float32")
    return _per_example_mean(ops.softplus(-real_logits)) + _per_example_mean(ops.softplus(fake_logits))


def generator_loss(fake_logits):
    """Eq. 7, the non-saturating generator loss ``L_G = -E[log D(G(z, y), y)]``, per example.

    Args:
        fake_logits: discriminator logits on generated pairs, shape ``(N, ...)``.

    Returns:
        Float32 tensor of shape ``(N,)``.

    Example:
        >>> import numpy as np
        >>> float(generator_loss(np.zeros((1, 1)))[0])  # log(2)
        0.693...
    """
    return _per_example_mean(ops.softplus(-ops.cast(fake_logits, "float32")))
