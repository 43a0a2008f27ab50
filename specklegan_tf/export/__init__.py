"""specklegan_tf.export: SavedModels for TF Serving, ``.keras`` files, and loading them back.

- ``export_generator``: the generator as ``<export_dir>/<name>/<version>/`` with a ``serving_default`` signature
  (``mask`` int32 labels, ``seed`` int64 -> ``image`` uint8, ``image_float`` float32).
- ``save_generator_keras``: the generator as a ``.keras`` file (loads with ``safe_mode=True``).
- ``export_segmenter`` / ``save_segmenter_keras``: the U-Net segmenter, likewise (``labels``, ``probabilities``).
- ``load_generator``: a SavedModel or ``.keras`` generator behind the signature's calling convention.
- ``layout``: TF Serving's version folders and atomic writes, shared by every exporter.
"""
from specklegan_tf.export.generator import (
    export_generator,
    latent_from_seeds,
    make_serving_function,
    save_generator_keras,
)
from specklegan_tf.export.layout import (
    atomic_directory,
    atomic_file,
    existing_versions,
    latest_version_dir,
    next_version,
    write_versioned,
)
from specklegan_tf.export.loading import ExportedGenerator, load_generator
from specklegan_tf.export.segmenter import export_segmenter, save_segmenter_keras

__all__ = [
    "ExportedGenerator",
    "atomic_directory",
    "atomic_file",
    "existing_versions",
    "export_generator",
    "export_segmenter",
    "latent_from_seeds",
    "latest_version_dir",
    "load_generator",
    "make_serving_function",
    "next_version",
    "save_generator_keras",
    "save_segmenter_keras",
    "write_versioned",
]
