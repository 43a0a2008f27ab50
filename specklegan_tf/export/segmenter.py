"""Export of a trained segmentation network: a SavedModel for TF Serving and a ``.keras`` file.

Two signatures, because serving clients hold images either as stored bytes or as floats:

- ``serving_default``: ``image`` uint8 ``(N, H, W)``, gray values 0..255 as stored on disk;
- ``serve_float``: ``image`` float32 ``(N, H, W)`` in ``[0, 1]``, e.g. the ``image_float`` output of an exported
  generator (``x / 255`` of the stored bytes).

Both return ``labels`` int32 ``(N, H, W)`` (0 lumen, 1 intima/media, 2 adventitia/background) and
``probabilities`` float32 ``(N, H, W, C)``. A wrong image size or floats outside ``[0, 1]`` are refused with an
error that says so. Loading needs only TensorFlow (no ``specklegan_tf``).
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import tensorflow as tf

from specklegan_tf.export.layout import export_serving_archive, save_keras_file

METADATA_FILE = "segmenter.json"  # in the SavedModel's assets.extra/ folder, which TF Serving ignores


def segmenter_spec(network: keras.Model) -> dict:
    """Image size and number of classes of a segmentation network with input ``(N, H, W, 1)``."""
    in_shape, out_shape = tuple(network.inputs[0].shape), tuple(network.outputs[0].shape)
    if len(network.inputs) != 1 or len(in_shape) != 4 or in_shape[-1] != 1 or None in in_shape[1:]:
        raise ValueError(f"`network` must take one image input (N, H, W, 1) of fixed size, got {in_shape}")
    if len(out_shape) != 4 or out_shape[-1] is None:
        raise ValueError(f"`network` must output class probabilities (N, H, W, C), got {out_shape}")
    return {"height": int(in_shape[1]), "width": int(in_shape[2]), "num_classes": int(out_shape[-1])}


def make_serving_functions(network: keras.Model) -> dict[str, tf.types.experimental.GenericFunction]:
    """The ``serving_default`` (uint8) and ``serve_float`` (float32 in [0, 1]) computations, see the module doc."""
    spec = segmenter_spec(network)
    height, width = spec["height"], spec["width"]

    def segment(unit_images):  # float32 (N, H, W) in [0, 1]
        check = tf.debugging.assert_equal(
            tf.shape(unit_images)[1:], tf.constant([height, width]),
            message=f"image must have shape (N, {height}, {width}) (the size this segmenter was trained for)")
        with tf.control_dependencies([check]):
            inputs = unit_images[..., None] * 2.0 - 1.0  # the training pipeline's [-1, 1]
        probabilities = tf.cast(network(inputs, training=False), tf.float32)
        return {"labels": tf.argmax(probabilities, axis=-1, output_type=tf.int32), "probabilities": probabilities}

    @tf.function(input_signature=[tf.TensorSpec([None, None, None], tf.uint8, name="image")])
    def serve_uint8(image):
        return segment(tf.cast(image, tf.float32) / 255.0)

    @tf.function(input_signature=[tf.TensorSpec([None, None, None], tf.float32, name="image")])
    def serve_float(image):
        checks = [
            tf.debugging.assert_greater_equal(image, 0.0, message="float image values must be in [0, 1]"),
            tf.debugging.assert_less_equal(image, 1.0, message="float image values must be in [0, 1]"),
        ]
        with tf.control_dependencies(checks):
            return segment(tf.identity(image))

    return {"serving_default": serve_uint8, "serve_float": serve_float}


def export_segmenter(
    network: keras.Model,
    export_dir: str | os.PathLike = "savedmodels",
    name: str = "segmenter",
    version: int | None = None,
    metadata: dict | None = None,
) -> Path:
    """Writes the segmentation network as a SavedModel in TF Serving's layout, ``export_dir/name/<version>/``.

    Signatures ``serving_default`` (``image`` uint8 ``(N, H, W)``) and ``serve_float`` (``image`` float32 in
    ``[0, 1]``), both returning ``labels`` int32 ``(N, H, W)`` and ``probabilities`` float32 ``(N, H, W, C)``. The
    version folder is written under a temporary name and renamed when complete (``export.layout``). A small
    ``assets.extra/segmenter.json`` records the image size, the classes and ``metadata``.

    Args:
        network: A model from ``build_unet`` (input ``(N, H, W, 1)`` in [-1, 1], softmax output).
        export_dir: Folder of all exports (TF Serving's model root).
        name: Model name; the model's base path is ``export_dir/name``.
        version: Positive integer version; ``None`` takes the next free number.
        metadata: Extra JSON-serialisable facts for ``segmenter.json`` (e.g. the training configuration).

    Returns:
        The version folder written.

    Example:
        >>> path = export_segmenter(unet, "savedmodels", "segmenter")        # savedmodels/segmenter/1
        >>> serve = tf.saved_model.load(str(path)).signatures["serving_default"]
        >>> serve(image=tf.zeros((1, 256, 256), tf.uint8))["labels"].shape
        TensorShape([1, 256, 256])
    """
    from specklegan_tf import CLASS_NAMES

    info = {**segmenter_spec(network), "network": network.name, "class_names": list(CLASS_NAMES),
            "signatures": {"serving_default": "image uint8 (N, H, W)",
                           "serve_float": "image float32 (N, H, W) in [0, 1]"},
            "outputs": {"labels": "int32 (N, H, W)", "probabilities": "float32 (N, H, W, C)"},
            **(metadata or {})}
    return export_serving_archive(network, export_dir, name, version, make_serving_functions(network),
                                  METADATA_FILE, info)


def save_segmenter_keras(network: keras.Model, path: str | os.PathLike) -> Path:
    """Saves the segmentation network as a ``.keras`` file atomically (loads with ``safe_mode=True`` once
    ``specklegan_tf`` is imported).

    Args:
        network: The segmentation network.
        path: Destination ending in ``.keras``.

    Returns:
        The path written.
    """
    return save_keras_file(network, path)
