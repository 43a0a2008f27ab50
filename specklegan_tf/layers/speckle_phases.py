"""The random phases of the speckle layer: the rough object ``exp(j phi)`` of Eq. 2, ``phi`` uniform in [0, 2 pi).

Three sources, one per use:

- explicit ``phases`` (tests, and anyone who wants to hold the speckle fixed);
- per-sample stateless ``phase_seeds``: a sample's speckle then depends only on its seed, not on the rest of the
  batch, so the generator is a deterministic function of its inputs (exports, reproducible synthesis);
- the layer's ``keras.random.SeedGenerator`` otherwise (training), with the replica id folded in under
  ``tf.distribute`` so that the replicas of a global batch draw different phases.

The phases are drawn outside the speckle kernels, so the compiled and the reference kernel see the same numbers.
"""
from __future__ import annotations

import math

import keras
import tensorflow as tf
from keras import ops

__all__ = ["draw_phases"]

_TWO_PI = 2.0 * math.pi


def _checked_phases(phases, grid: tuple[int, int], channels: int):
    rows, cols = grid
    if len(phases.shape) != 4 or tuple(phases.shape[1:]) != (rows, cols, channels):
        raise ValueError(
            f"`phases` must have shape (N, {rows}, {cols}, {channels}) (see SpeckleLayer.phase_shape); "
            f"received {tuple(phases.shape)}."
        )
    return ops.cast(phases, "float32")


def _phases_from_seeds(phase_seeds, grid: tuple[int, int], channels: int):
    if len(phase_seeds.shape) != 2 or phase_seeds.shape[-1] != 2:
        raise ValueError(f"`phase_seeds` must have shape (N, 2); received {tuple(phase_seeds.shape)}.")
    shape = (*grid, channels)

    def draw(seed):
        # Philox named explicitly: the default algorithm depends on the device.
        return tf.random.stateless_uniform(shape, seed=seed, minval=0.0, maxval=_TWO_PI, dtype=tf.float32,
                                           alg=tf.random.Algorithm.PHILOX)

    return tf.map_fn(draw, tf.cast(phase_seeds, tf.int32), fn_output_signature=tf.TensorSpec(shape, tf.float32))


def _phases_from_generator(seed_generator: keras.random.SeedGenerator, shape: tuple):
    replica = tf.distribute.get_replica_context()
    if replica is not None and replica.num_replicas_in_sync > 1:
        # Every replica holds a copy of the seed state: without folding in the replica id, all replicas would
        # draw the same phases and the halves of a global batch would share their speckle.
        seed = tf.cast(tf.math.floormod(seed_generator.next(), tf.int32.max - 1), tf.int32)
        seed = tf.random.experimental.stateless_fold_in(seed, replica.replica_id_in_sync_group)
        return tf.random.stateless_uniform(shape, seed=seed, minval=0.0, maxval=_TWO_PI, dtype=tf.float32)
    return keras.random.uniform(shape, minval=0.0, maxval=_TWO_PI, dtype="float32", seed=seed_generator)


def draw_phases(seed_generator: keras.random.SeedGenerator, grid: tuple[int, int], batch, channels: int,
                phases=None, phase_seeds=None):
    """Phases ``(N, rows, cols, channels)`` in radians, float32, on the speckle ``grid``.

    Args:
        seed_generator: the layer's generator, used when neither ``phases`` nor ``phase_seeds`` is given.
        grid: ``(rows, cols)`` of the speckle grid (the polar grid in polar mode).
        batch: ``N`` (a tensor is fine).
        channels: phase maps per sample.
        phases: explicit phases, returned as float32 after a shape check.
        phase_seeds: int ``(N, 2)`` stateless seeds, one per sample.
    """
    if phases is not None and phase_seeds is not None:
        raise ValueError("Pass at most one of `phases` and `phase_seeds` to SpeckleLayer.")
    if phases is not None:
        return _checked_phases(phases, grid, channels)
    if phase_seeds is not None:
        return _phases_from_seeds(phase_seeds, grid, channels)
    return _phases_from_generator(seed_generator, (batch, *grid, channels))
