"""An exponential moving average of the generator's weights, for sampling, validation and export.

A GAN's generator oscillates around a good solution rather than converging to it, so the weights of any one step
are a noisy draw; their exponential moving average is a better and much steadier generator (Yazici et al., "The
unusual effectiveness of averaging in GAN training", ICLR 2019; used by progressive GANs, StyleGAN and BigGAN).
At this package's small budgets the spread between training seeds dwarfs the differences between models
(docs/results.md), which averaging is meant to reduce; at 64 px it smoothed each run but not the spread between
seeds (docs/results/ablation64-round9/README.md), and at 128 px it exported worse generators than the last weights
(docs/results/ablation128-round10/README.md).

Why not a library class: Keras' optimizer EMA (``use_ema``) keeps the averages as private optimizer state with no
public way to read or swap them for a model trained by two optimizers (``keras.callbacks.SwapEMAWeights`` needs
``model.optimizer``), and ``tf.train.ExponentialMovingAverage`` creates its shadow variables lazily inside the
traced training step, outside Keras' variable tracking. The averages here are Keras variables created up front,
checkpointed with the run and swapped in by a context manager.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import keras
import numpy as np
import tensorflow as tf
from keras import ops


class GeneratorAverage(tf.Module):
    """Exponential moving average of a Keras model's trainable weights.

    After the ``t``-th call of :meth:`update` (``t`` = 1, 2, ...) every average is
    ``a <- m_t * a + (1 - m_t) * w`` with ``m_t = min(momentum, t / (t + 9))``: the warm-up of
    ``tf.train.ExponentialMovingAverage``'s ``num_updates``, so that a short run is not dominated by the initial
    weights (``m_1 = 0.1``). Non-trainable weights (batch-norm statistics, spectral-norm vectors) are the model's own.

    The averages are mirrored like the model's variables when created in a ``tf.distribute`` strategy's scope and
    are updated from replica context with the first replica's value (all replicas hold the same weights after the
    summed-gradient update).

    Args:
        model: the model whose ``trainable_variables`` are averaged (the generator); its weights at construction
            are the averages' initial values.
        momentum: the decay ``m`` in (0, 1), e.g. 0.99 (a half-life of about 69 updates) or 0.999.

    Example:
        >>> average = GeneratorAverage(generator, momentum=0.99)
        >>> average.update()                 # after every generator step
        >>> with average.swapped_in():       # the generator now holds the averaged weights
        ...     images = generator([masks, z], training=False)
    """

    def __init__(self, model: keras.Model, momentum: float, name: str = "generator_average") -> None:
        super().__init__(name=name)
        momentum = float(momentum)
        if not 0.0 < momentum < 1.0:
            raise ValueError(f"`momentum` of the generator average must be in (0, 1), got {momentum}")
        self.model = model
        self.momentum = momentum
        # Initial values from host copies, for the reason given in swapped_in.
        self.averages = [
            keras.Variable(np.array(ops.convert_to_numpy(variable), copy=True), dtype=variable.dtype, trainable=False,
                           aggregation="only_first_replica", name=f"average_{i}")
            for i, variable in enumerate(model.trainable_variables)
        ]
        self.updates = keras.Variable(0, dtype="int64", trainable=False, aggregation="only_first_replica",
                                      name="average_updates")

    def update(self) -> None:
        """Moves every average towards the model's current weights (one update, see the class docstring)."""
        t = ops.cast(self.updates + 1, "float32")
        momentum = ops.minimum(self.momentum, t / (t + 9.0))
        for average, variable in zip(self.averages, self.model.trainable_variables):
            m = ops.cast(momentum, average.dtype)
            average.assign(m * average + (1.0 - m) * ops.cast(variable, average.dtype))
        self.updates.assign_add(1)

    @contextlib.contextmanager
    def swapped_in(self) -> Iterator[keras.Model]:
        """The model with the averaged weights inside the block, its training weights restored afterwards (also
        on an exception). Call outside a replica context (e.g. between training steps)."""
        variables = self.model.trainable_variables
        # Host copies: an eager read of a variable may share its buffer with it, and the assignments below (or the
        # caller's) write into that buffer.
        saved = [np.array(ops.convert_to_numpy(variable), copy=True) for variable in variables]
        for variable, average in zip(variables, self.averages):
            variable.assign(ops.cast(average, variable.dtype))
        try:
            yield self.model
        finally:
            for variable, value in zip(variables, saved):
                variable.assign(value)
