"""Export of a trained generator: a SavedModel for TF Serving and a ``.keras`` file."""
from __future__ import annotations

import os
from pathlib import Path

import keras
import tensorflow as tf

from specklegan_tf.export.layout import export_serving_archive, save_keras_file

METADATA_FILE = "generator.json"  # in the SavedModel's assets.extra/ folder, which TF Serving ignores
_LATENT_SALT = 0x5EC1  # second seed component of the latent draw, so z does not share a stream with other uses


def generator_spec(generator: keras.Model) -> dict:
    """Image size, number of classes and latent size read from a generator's ``mask`` and ``z`` inputs."""
    if len(generator.inputs) != 2:
        raise ValueError(f"`generator` must have the inputs [mask, z], got {len(generator.inputs)} inputs")
    mask_shape, z_shape = generator.inputs[0].shape, generator.inputs[1].shape
    if len(mask_shape) != 4 or mask_shape[1] is None or mask_shape[2] is None or len(z_shape) != 2:
        raise ValueError(f"`generator` inputs must be mask (N, H, W, C) and z (N, D), got {mask_shape}, {z_shape}")
    return {"height": int(mask_shape[1]), "width": int(mask_shape[2]), "num_classes": int(mask_shape[3]),
            "latent_dim": int(z_shape[1])}


def latent_from_seeds(seeds, latent_dim: int):
    """One standard-normal ``z`` per int64 seed: ``(N,) -> (N, latent_dim)``, independent of the batch."""
    seeds = tf.cast(seeds, tf.int64)
    salt = tf.constant(_LATENT_SALT, tf.int64)
    return tf.map_fn(
        lambda s: tf.random.stateless_normal([latent_dim], seed=tf.stack([s, salt]), dtype=tf.float32),
        seeds,
        fn_output_signature=tf.TensorSpec([latent_dim], tf.float32),
    )


def make_serving_function(generator: keras.Model) -> tf.types.experimental.GenericFunction:
    """The ``serving_default`` computation: integer masks and seeds in, uint8 and float images out.

    Inputs: ``mask`` int32 labels ``(N, H, W)`` in ``{0, ..., num_classes - 1}``, ``seed`` int64 ``(N,)``.
    Outputs: ``image`` uint8 ``(N, H, W)`` and ``image_float`` float32 ``(N, H, W)`` in ``[0, 1]``.
    Bad input (another rank, image size or label range) fails with an ``InvalidArgumentError`` whose message says
    what is expected, e.g. "mask must be int32 labels of shape (N, 256, 256)".
    """
    spec = generator_spec(generator)
    height, width, num_classes, latent_dim = spec["height"], spec["width"], spec["num_classes"], spec["latent_dim"]

    # The signature leaves the ranks open and checks them itself: a SavedModel signature called with another rank
    # (TF Serving, saved_model_cli) does not check the declared shape, so a rank-2 mask or a scalar seed would
    # otherwise fail deep inside the graph ("Invalid reduction dimension", "slice index 0 ... out of bounds").
    # The checks gate the data through tf.cond: control dependencies alone did not order them before the ops that
    # fail (measured: EnsureShape ran first). The dtypes are fixed by the signature, which refuses other ones.
    rank_message = f"mask must be int32 labels of shape (N, {height}, {width}) (the size this generator was trained for)"
    size_message = f"mask must have shape (N, {height}, {width}) (the size this generator was trained for)"

    def refuse(message: str, like: tf.Tensor, shape: list[int]):
        def branch():
            with tf.control_dependencies([tf.debugging.Assert(False, [message])]):
                return tf.zeros(shape, like.dtype)
        return branch

    @tf.function(input_signature=[tf.TensorSpec(None, tf.int32, name="mask"),
                                  tf.TensorSpec(None, tf.int64, name="seed")])
    def serve(mask, seed):
        dims = tf.concat([tf.shape(mask), [-1, -1, -1]], 0)[:3]  # length 3 whatever the rank
        rank_ok = tf.equal(tf.rank(mask), 3)
        size_ok = tf.logical_and(tf.equal(dims[1], height), tf.equal(dims[2], width))
        mask = tf.cond(rank_ok, lambda: tf.cond(size_ok, lambda: tf.reshape(mask, [-1, height, width]),
                                                refuse(size_message, mask, [0, height, width])),
                       refuse(rank_message, mask, [0, height, width]))
        seed = tf.cond(tf.equal(tf.rank(seed), 1), lambda: tf.reshape(seed, [-1]),
                       refuse("seed must be int64 of shape (N,): one seed per mask", seed, [0]))
        shape = tf.shape(mask)
        checks = [
            tf.debugging.assert_equal(
                tf.shape(seed)[0], shape[0], message="seed must have one entry per mask: shape (N,)"),
            tf.debugging.assert_non_negative(
                mask, message=f"mask labels must be in {{0, ..., {num_classes - 1}}}; found a negative label"),
            tf.debugging.assert_less(
                mask, num_classes,
                message=f"mask labels must be in {{0, ..., {num_classes - 1}}}; found a label >= {num_classes}"),
        ]
        with tf.control_dependencies(checks):
            onehot = tf.one_hot(mask, num_classes, dtype=tf.float32)
            z = latent_from_seeds(seed, latent_dim)
        image = tf.cast(generator([onehot, z], training=False), tf.float32)[..., 0]
        image_float = tf.clip_by_value((image + 1.0) / 2.0, 0.0, 1.0)
        return {"image": tf.cast(tf.round(image_float * 255.0), tf.uint8), "image_float": image_float}

    return serve


def export_generator(
    generator: keras.Model,
    export_dir: str | os.PathLike = "savedmodels",
    name: str = "specklegan",
    version: int | None = None,
    metadata: dict | None = None,
) -> Path:
    """Writes the generator as a SavedModel in TF Serving's layout, ``export_dir/name/<version>/``, atomically.

    The ``serving_default`` signature takes ``mask`` (int32 labels ``(N, H, W)``) and ``seed`` (int64 ``(N,)``)
    and returns ``image`` (uint8 ``(N, H, W)``) and ``image_float`` (float32 in ``[0, 1]``). Each sample's ``z``
    is a stateless normal draw keyed by its seed, and the generator derives its speckle phases from ``z``, so the
    same (mask, seed) gives the same image whatever else is in the batch. Labels outside the classes or a wrong
    image size are refused with an error message. Loading needs only TensorFlow (no ``specklegan_tf``).

    The version folder is written under a temporary name and renamed when complete, so TF Serving never sees a
    half-written version. A small ``assets.extra/generator.json`` records the image size, classes and latent size.

    Args:
        generator: a generator from ``build_generator`` (inputs ``[mask, z]``).
        export_dir: folder of all exports (TF Serving's model root).
        name: model name; the model's base path is ``export_dir/name``.
        version: positive integer version; ``None`` takes the next free number.
        metadata: extra JSON-serialisable facts to store in ``generator.json`` (e.g. the training configuration).

    Returns:
        The version folder written.

    Example:
        >>> path = export_generator(generator, "savedmodels", "specklegan")   # savedmodels/specklegan/1
        >>> serve = tf.saved_model.load(str(path)).signatures["serving_default"]
        >>> out = serve(mask=tf.zeros((1, 256, 256), tf.int32), seed=tf.constant([7], tf.int64))
        >>> out["image"].dtype
        tf.uint8
    """
    info = {**generator_spec(generator), "generator": generator.name, "latent_salt": _LATENT_SALT,
            "inputs": {"mask": "int32 (N, H, W)", "seed": "int64 (N,)"},
            "outputs": {"image": "uint8 (N, H, W)", "image_float": "float32 (N, H, W) in [0, 1]"},
            **(metadata or {})}
    return export_serving_archive(generator, export_dir, name, version,
                                  {"serving_default": make_serving_function(generator)}, METADATA_FILE, info)


def save_generator_keras(generator: keras.Model, path: str | os.PathLike) -> Path:
    """Saves the generator as a ``.keras`` file atomically (the old file stays until the new one is complete).

    The file loads with ``keras.saving.load_model(path, safe_mode=True)`` once ``specklegan_tf.models`` is imported
    (its layers are registered serialisable classes; no lambdas).

    Args:
        generator: the generator model.
        path: destination, ending in ``.keras``.

    Returns:
        The path written.
    """
    return save_keras_file(generator, path)
