"""``load_dataset``: the single entry point behind every script's ``--data`` option, with the phantom cache."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np

from specklegan_tf.core.atomic_files import atomic_file

from .ivus_data import IVUSData
from .phantom_simulator import DEFAULT_PHANTOM_SIZE, simulate_ivus
from .phantom_params import PHANTOM_VERSION, PhantomParams

ACCEPTED_FORMS = ('"phantom" (the embedded IVUS phantom), a folder with DCM/ and LABELS/ (the IVUS challenge layout '
                  'of Balocco et al. 2014), or a folder with images/ and labels/ (image files and PNG label maps '
                  'with matching names)')


def default_cache_dir() -> Path:
    """``$SPECKLEGAN_TF_CACHE`` if set, else ``~/.cache/specklegan_tf``."""
    return Path(os.environ.get("SPECKLEGAN_TF_CACHE") or Path.home() / ".cache" / "specklegan_tf")


def phantom_cache_path(cache_dir: str | os.PathLike, image_size: int, n: int, seed: int,
                       params: PhantomParams | None = None) -> Path:
    """Cache file of one phantom data set; the name changes with the simulator version and the parameters."""
    params = params or PhantomParams()
    digest = hashlib.sha1(json.dumps(dataclasses.asdict(params), sort_keys=True).encode()).hexdigest()[:10]
    return Path(cache_dir) / f"phantom_v{PHANTOM_VERSION}_{image_size}px_n{n}_seed{seed}_{digest}.npz"


def load_phantom(image_size: int = 256, n: int | None = None, seed: int = 0,
                 cache_dir: str | os.PathLike | None = None, **params) -> IVUSData:
    """The embedded phantom data set (435 frames by default), generated once and cached as .npz.

    Args:
        image_size: edge length in pixels.
        n: number of frames (default 435, the size of the real data set).
        seed: data set seed; frame i depends only on (seed, i).
        cache_dir: cache folder (default ``default_cache_dir()``).
        **params: ``PhantomParams`` fields.

    Returns:
        ``IVUSData`` with names ``phantom_00000``, ...
    """
    n = DEFAULT_PHANTOM_SIZE if n is None else n
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    p = PhantomParams.from_kwargs(**params)
    path = phantom_cache_path(cache_dir if cache_dir is not None else default_cache_dir(), image_size, int(n), seed, p)
    names = [f"phantom_{i:05d}" for i in range(int(n))]
    if path.exists():
        try:
            with np.load(path) as f:
                images, masks = f["images"], f["masks"]
            if images.shape == (n, image_size, image_size) and masks.shape == images.shape:
                return IVUSData(images, masks, names)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file is simply rebuilt
    images, masks = simulate_ivus(int(n), image_size=image_size, seed=seed, **params)
    with atomic_file(path) as temporary:  # a crash or a parallel run never leaves half a cache file
        np.savez_compressed(temporary, images=images, masks=masks)
    return IVUSData(images, masks, names)


def load_dataset(spec: str | os.PathLike = "phantom", image_size: int = 256, n: int | None = None, seed: int = 0,
                 cache_dir: str | os.PathLike | None = None) -> IVUSData:
    """Load a data set by name or folder: the entry point behind every script's ``--data`` option.

    Args:
        spec: ``"phantom"``: the embedded IVUS phantom (435 frames, or ``n``), generated once and cached;
            a folder containing ``DCM/`` (and ``LABELS/``): the IVUS challenge layout (``load_ivus_challenge``);
            a folder containing ``images/`` and ``labels/``: the generic loader (``load_image_folders``).
        image_size: edge length of the returned square images.
        n: keep only the first ``n`` samples (for the phantom: simulate only those).
        seed: phantom seed (ignored for folders).
        cache_dir: phantom cache folder (default ``$SPECKLEGAN_TF_CACHE`` or ``~/.cache/specklegan_tf``).

    Returns:
        ``IVUSData``.

    Example:
        >>> data = load_dataset("phantom", image_size=64, n=4)
        >>> data.images.shape
        (4, 64, 64)
    """
    if n is not None and (int(n) != n or n < 1):
        raise ValueError(f"n must be a positive integer or None, got {n!r}")
    if isinstance(spec, str) and spec.strip().lower() == "phantom":
        return load_phantom(image_size=image_size, n=n, seed=seed, cache_dir=cache_dir)
    root = Path(spec).expanduser()
    if not root.exists():
        raise FileNotFoundError(f"data set {str(spec)!r} not found; expected {ACCEPTED_FORMS}")
    if not root.is_dir():
        raise ValueError(f"data set {str(root)!r} is a file, not a folder; expected {ACCEPTED_FORMS}")
    if (root / "DCM").is_dir():
        from .ivus_challenge import load_ivus_challenge

        data = load_ivus_challenge(root, image_size=image_size)
    elif (root / "images").is_dir() and (root / "labels").is_dir():
        from .folders import load_image_folders

        data = load_image_folders(root / "images", root / "labels", image_size=image_size)
    else:
        raise ValueError(f"data set folder {str(root)!r} has neither DCM/ nor images/ + labels/; "
                         f"expected {ACCEPTED_FORMS}")
    if n is not None:
        if int(n) > len(data):  # said, not silent: the run trains on fewer images than asked for
            warnings.warn(f"--n-train {int(n)} is larger than the data set {spec} ({len(data)} samples); using all "
                          f"{len(data)}.", UserWarning, stacklevel=2)
        data = data.subset(slice(0, int(n)))
    return data
