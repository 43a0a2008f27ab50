"""Loading an exported generator (SavedModel folder or ``.keras`` file) behind one calling convention."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from specklegan_tf.export.generator import METADATA_FILE, generator_spec, make_serving_function
from specklegan_tf.export.layout import existing_versions, latest_version_dir


class ExportedGenerator:
    """A generator loaded from disk, called like the ``serving_default`` signature.

    Accepts a SavedModel version folder (``savedmodels/specklegan/3``), a model base folder (the newest numeric
    version is taken) or a ``.keras`` file. Both kinds map (mask, seed) to the same image, because a ``.keras``
    generator is wrapped in the very function that the export writes as its signature.

    Args:
        path: the SavedModel folder, model base folder or ``.keras`` file.

    Attributes:
        path: the folder or file actually loaded.
        image_size: ``(height, width)``.
        num_classes: number of mask classes.

    Example:
        >>> g = ExportedGenerator("savedmodels/specklegan")
        >>> images = g(labels, seeds)  # uint8 (N, H, W)
    """

    def __init__(self, path: str | os.PathLike):
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"--model/`path` {os.fspath(path)!r} does not exist")
        if path.is_file():
            if path.suffix != ".keras":
                raise ValueError(f"model file {os.fspath(path)!r} is not a .keras file")
            self._load_keras(path)
        else:
            if not (path / "saved_model.pb").exists():
                if not existing_versions(path):
                    raise FileNotFoundError(
                        f"{os.fspath(path)!r} holds neither a SavedModel (saved_model.pb) nor numeric version folders")
                path = latest_version_dir(path)
            self._load_saved_model(path)
        self.path = path

    def _load_keras(self, path: Path) -> None:
        import keras

        import specklegan_tf.layers  # noqa: F401  (registers the custom layers for deserialisation)
        import specklegan_tf.models  # noqa: F401

        try:
            generator = keras.saving.load_model(os.fspath(path), safe_mode=True)
        except Exception as error:  # a broken or foreign file: say which one
            raise ValueError(f"could not load the generator from {os.fspath(path)!r}: {error}") from error
        spec = generator_spec(generator)
        self.image_size = (spec["height"], spec["width"])
        self.num_classes = spec["num_classes"]
        self._serve = make_serving_function(generator)

    def _load_saved_model(self, path: Path) -> None:
        try:
            loaded = tf.saved_model.load(os.fspath(path))
        except Exception as error:
            raise ValueError(f"could not load the SavedModel in {os.fspath(path)!r}: {error}") from error
        if "serving_default" not in loaded.signatures:
            raise ValueError(f"the SavedModel in {os.fspath(path)!r} has no serving_default signature")
        self._loaded = loaded  # keep the variables alive
        self._serve = loaded.signatures["serving_default"]
        meta_file = path / "assets.extra" / METADATA_FILE
        if not meta_file.exists():
            raise FileNotFoundError(f"{os.fspath(meta_file)!r} is missing: not a generator export of specklegan_tf")
        meta = json.loads(meta_file.read_text())
        self.image_size = (int(meta["height"]), int(meta["width"]))
        self.num_classes = int(meta["num_classes"])

    def __call__(self, labels, seeds, batch_size: int = 16, as_float: bool = False) -> np.ndarray:
        """Generates images: labels ``(N, H, W)`` ints and seeds ``(N,)`` -> uint8 ``(N, H, W)``.

        With ``as_float=True`` returns float32 images in ``[0, 1]`` instead.
        """
        labels = np.asarray(labels)
        seeds = np.asarray(seeds, dtype=np.int64).reshape(-1)
        if labels.ndim != 3 or labels.shape[1:] != self.image_size:
            raise ValueError(f"`labels` must have shape (N, {self.image_size[0]}, {self.image_size[1]}), "
                             f"got {labels.shape}")
        if seeds.shape[0] != labels.shape[0]:
            raise ValueError(f"`seeds` needs one entry per mask ({labels.shape[0]}), got {seeds.shape[0]}")
        key = "image_float" if as_float else "image"
        out = [self._serve(mask=tf.constant(labels[i:i + batch_size], tf.int32),
                           seed=tf.constant(seeds[i:i + batch_size], tf.int64))[key].numpy()
               for i in range(0, labels.shape[0], batch_size)]
        if not out:
            return np.zeros((0,) + self.image_size, np.float32 if as_float else np.uint8)
        return np.concatenate(out, axis=0)


def load_generator(path: str | os.PathLike) -> ExportedGenerator:
    """Loads an exported generator; see ``ExportedGenerator``."""
    return ExportedGenerator(path)
