"""Data: the embedded IVUS phantom, the IVUS challenge and generic loaders, synthetic masks, the tf.data pipeline.

Everything in the data layer is NumPy: images uint8 (N, H, W), masks uint8 (N, H, W) with 0 lumen,
1 intima/media, 2 adventitia/background. ``make_dataset`` turns them into batches of float32 images in [-1, 1]
(B, H, W, 1) and one-hot masks (B, H, W, 3); ``to_model_inputs`` / ``to_uint8`` / ``to_one_hot`` /
``from_one_hot`` are the same mappings for code outside the pipeline. TensorFlow is imported only when
``make_dataset`` / ``augment_batch`` are first used, so the phantom and the loaders stay light.
"""
from .contours import read_contour, write_contour
from .conversions import from_one_hot, to_model_inputs, to_one_hot, to_uint8
from .folders import load_image_folders
from .ivus_challenge import load_ivus_challenge, write_challenge_layout
from .ivus_data import DataFormatError, IVUSData, SkippedSample
from .masks import MaskPrior, fit_mask_prior, random_ivus_masks
from .phantom_simulator import DEFAULT_PHANTOM_SIZE, simulate_ivus
from .phantom_params import PhantomParams
from .registry import default_cache_dir, load_dataset, load_phantom

__all__ = [
    "DEFAULT_PHANTOM_SIZE",
    "DataFormatError",
    "IVUSData",
    "MaskPrior",
    "PhantomParams",
    "SkippedSample",
    "augment_batch",
    "default_cache_dir",
    "fit_mask_prior",
    "from_one_hot",
    "load_dataset",
    "load_image_folders",
    "load_ivus_challenge",
    "load_phantom",
    "random_ivus_masks",
    "make_dataset",
    "read_contour",
    "rotation_flip_transforms",
    "simulate_ivus",
    "to_model_inputs",
    "to_one_hot",
    "to_uint8",
    "write_challenge_layout",
    "write_contour",
]


def __getattr__(name: str):
    # The tf.data pipeline is imported on first use (PEP 562) so that NumPy-only use does not import TensorFlow.
    if name in ("make_dataset", "augment_batch", "rotation_flip_transforms"):
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
