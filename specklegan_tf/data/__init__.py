"""Data: the embedded IVUS phantom, the IVUS challenge and generic loaders, synthetic masks, the tf.data pipeline.

Everything in the data layer is NumPy: images uint8 (N, H, W), masks uint8 (N, H, W) with 0 lumen,
1 intima/media, 2 adventitia/background. ``make_dataset`` turns them into batches of float32 images in [-1, 1]
(B, H, W, 1) and one-hot masks (B, H, W, 3); ``to_model_inputs`` / ``to_uint8`` / ``to_one_hot`` /
``from_one_hot`` are the same mappings for code outside the pipeline.
"""
from .conversions import from_one_hot, to_model_inputs, to_one_hot, to_uint8
from .ivus_data import DataFormatError, IVUSData, SkippedSample
from .phantom import DEFAULT_PHANTOM_SIZE, simulate_ivus
from .phantom_params import PhantomParams
from .pipeline import augment_batch, make_dataset
from .registry import default_cache_dir, load_dataset, load_phantom

__all__ = [
    "DEFAULT_PHANTOM_SIZE",
    "DataFormatError",
    "IVUSData",
    "PhantomParams",
    "SkippedSample",
    "augment_batch",
    "default_cache_dir",
    "from_one_hot",
    "load_dataset",
    "load_phantom",
    "make_dataset",
    "simulate_ivus",
    "to_model_inputs",
    "to_one_hot",
    "to_uint8",
]
