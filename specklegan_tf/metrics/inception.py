"""InceptionFeatures: Keras InceptionV3 pool features, the feature space of FID (paper, Eq. 5)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from specklegan_tf.metrics.features import FeatureExtractor

WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/" + WEIGHTS_FILE
INPUT_SIZE = 299
"""Input size of Inception-v3 used by FID."""
MIN_INPUT_SIZE = 75  # the smallest input Keras' InceptionV3 accepts


class InceptionWeightsNotFoundError(FileNotFoundError):
    """The ImageNet weights of InceptionV3 are neither cached nor downloadable."""


def keras_cache_dir() -> Path:
    """The folder where Keras looks for downloaded application weights (``$KERAS_HOME/models``)."""
    from keras.src.backend.config import keras_home  # what keras.utils.get_file uses; read at keras import

    return Path(os.path.expanduser(keras_home())) / "models"


def _missing_weights_message(reason: str) -> str:
    return (
        f"InceptionV3 ImageNet weights are not available ({reason}).\n"
        f"Get the file {WEIGHTS_FILE} on a machine with internet access:\n"
        f"    {WEIGHTS_URL}\n"
        f"and either put it into {keras_cache_dir()} (Keras' cache: $KERAS_HOME/models, default "
        "~/.keras/models), or pass its path: InceptionFeatures(weights='/path/to/" + WEIGHTS_FILE + "') "
        "or the scripts' option --inception-weights /path/to/" + WEIGHTS_FILE + ".\n"
        "Without these weights use the texture Fréchet distance (TextureFeatures, the default), which needs none."
    )


class InceptionFeatures(FeatureExtractor):
    """2048-d pool features of Keras' InceptionV3, the network behind FID.

    Gray-value images are resized to 299 x 299 (bilinear) batch by batch, repeated to three channels
    and scaled with ``keras.applications.inception_v3.preprocess_input`` (to [-1, 1]). Only one batch is
    resized at a time: resizing 1000 images at once would take 1.07 GB.

    Note: Keras' ImageNet weights are not the 2015 TensorFlow graph (``pool_3`` of
    ``classify_image_graph_def.pb``) used by the original FID code (TTUR) and by ``pytorch-fid``; absolute
    values therefore differ from published FIDs, including the paper's. Compare models only with values
    computed by this class.

    Args:
        weights: ``"imagenet"`` (Keras' cache, downloading if possible), a path to an ``.h5``/``.weights.h5``
            file of InceptionV3 without top, or ``None`` for random weights (tests and timing only: the
            resulting distances mean nothing).
        batch_size: images resized and passed through the network at once; memory does not grow with the
            number of images.
        input_size: side of the resized input, 299 for FID. Smaller values (>= 75) run up to 16 times
            faster and are meant for tests and quick checks only: their distances are not FIDs.

    Call arguments:
        images: uint8 (N, H, W) or float gray values in [0, 255], any H, W.

    Returns:
        float64 array (N, 2048).

    Raises:
        InceptionWeightsNotFoundError (a FileNotFoundError): ``"imagenet"`` offline without a cached file,
            with instructions for getting it; or a weights path that does not exist.

    Example:
        >>> fid(real_images, generated_images, features=InceptionFeatures())
    """

    name = "inception_v3"
    dim = 2048

    def __init__(self, weights: str | os.PathLike | None = "imagenet", batch_size: int = 32,
                 input_size: int = INPUT_SIZE) -> None:
        super().__init__(batch_size=batch_size)
        if isinstance(input_size, bool) or not isinstance(input_size, int) or input_size < MIN_INPUT_SIZE:
            raise ValueError(f"`input_size` must be an integer >= {MIN_INPUT_SIZE}; received {input_size!r}.")
        import keras  # deferred: importing the metrics must not start TensorFlow

        self.weights = weights
        self.input_size = input_size
        self._model = keras.applications.InceptionV3(
            include_top=False, weights=self._resolve_weights(weights), pooling="avg",
            input_shape=(input_size, input_size, 3),
        )
        self._forward = self._make_forward()

    @staticmethod
    def _resolve_weights(weights) -> str | None:
        if weights is None:
            return None
        if isinstance(weights, str) and weights == "imagenet":
            cached = keras_cache_dir() / WEIGHTS_FILE
            if cached.is_file():
                return str(cached)
            try:  # Keras' own download (with its hash check) when the machine is online
                from keras.utils import get_file

                return get_file(WEIGHTS_FILE, WEIGHTS_URL, cache_subdir="models",
                                file_hash="bcbd6486424b2319ff4ef7d526e38f63")
            except Exception as error:  # noqa: BLE001 - any fetch failure gets the same instructions
                raise InceptionWeightsNotFoundError(_missing_weights_message(
                    f"not cached in {keras_cache_dir()} and the download failed: {type(error).__name__}"
                )) from error
        path = Path(os.fspath(weights)).expanduser()
        if not path.is_file():
            raise InceptionWeightsNotFoundError(_missing_weights_message(f"`weights` file {path} does not exist"))
        return str(path)

    def _make_forward(self):
        import tensorflow as tf
        from keras.applications.inception_v3 import preprocess_input

        model, size = self._model, self.input_size

        @tf.function(reduce_retracing=True)
        def forward(batch):
            resized = tf.image.resize(batch[..., None], (size, size), method="bilinear")
            rgb = tf.repeat(resized, 3, axis=-1)
            return model(preprocess_input(rgb), training=False)

        return forward

    def extract_batch(self, images: np.ndarray) -> np.ndarray:
        """Features of one batch (B, H, W) -> (B, 2048)."""
        return self._forward(images.astype(np.float32)).numpy().astype(np.float64)
