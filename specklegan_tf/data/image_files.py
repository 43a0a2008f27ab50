"""Reading and resizing image files and PNG label maps, with errors that name the file.

Policy for unusual image files (the issue asks to say which):

- RGB / RGBA / gray+alpha / palette images are **converted** to 8-bit gray with a ``UserWarning`` naming the file
  (exactly when all colour channels are equal, by ITU-R 601 luminance otherwise).
- 16-bit and 32-bit images are **refused** with a ``DataFormatError``: how their range maps to 8 bits (12 bits
  used? window?) cannot be guessed; convert them to 8-bit gray first.
- Label maps must be single-channel integer images (mode L, P, I;16 or I) with values in 0..num_classes-1; colour
  label maps are refused.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from .ivus_data import DataFormatError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
_HIGH_DEPTH_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")


def _open(path: Path) -> Image.Image:
    try:
        image = Image.open(path)
        image.load()  # decode now: truncated files fail here, not later
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: image file not found") from None
    except UnidentifiedImageError:
        raise DataFormatError(path, "not a readable image file (unknown or corrupt format)") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise DataFormatError(path, f"truncated or corrupt image file ({err})") from None
    return image


def read_gray_image(path: str | Path) -> np.ndarray:
    """Read an image file as uint8 gray (H, W); see the module docstring for colour and 16-bit files."""
    path = Path(path)
    image = _open(path)
    if image.mode in _HIGH_DEPTH_MODES:
        raise DataFormatError(path, f"{'16' if image.mode.startswith('I;16') else '32'}-bit image (mode "
                                    f"{image.mode}) refused: convert it to 8-bit gray first")
    if image.mode == "L":
        return np.asarray(image, dtype=np.uint8)
    if image.mode == "1":
        return np.asarray(image.convert("L"), dtype=np.uint8)
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]):
        warnings.warn(f"{path}: {image.mode} image with equal channels converted to 8-bit gray", UserWarning,
                      stacklevel=2)
        return rgb[..., 0].copy()
    warnings.warn(f"{path}: {image.mode} colour image converted to 8-bit gray (luminance)", UserWarning,
                  stacklevel=2)
    return np.asarray(image.convert("RGB").convert("L"), dtype=np.uint8)


def read_label_map(path: str | Path, num_classes: int = 3) -> np.ndarray:
    """Read a PNG label map as uint8 (H, W), checking that every value is a class 0..num_classes-1."""
    path = Path(path)
    image = _open(path)
    if image.mode not in ("L", "P", "I;16", "I;16B", "I;16L", "I"):
        raise DataFormatError(path, f"label map must be a single-channel integer image (mode L, P, I;16 or I), "
                                    f"got mode {image.mode}")
    labels = np.asarray(image)
    values = np.unique(labels)
    bad = values[(values < 0) | (values >= num_classes)]
    if bad.size:
        raise DataFormatError(path, f"labels outside {{{', '.join(map(str, range(num_classes)))}}}: "
                                    f"{bad[:10].tolist()}{' ...' if bad.size > 10 else ''}")
    return labels.astype(np.uint8)


def resize_image(image: np.ndarray, size: int) -> np.ndarray:
    """Resize a uint8 gray image to (size, size): area averaging when shrinking, bilinear when enlarging."""
    if image.shape == (size, size):
        return image
    shrinking = image.shape[0] >= size and image.shape[1] >= size
    method = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(image).resize((size, size), method), dtype=np.uint8)


def resize_labels(labels: np.ndarray, size: int) -> np.ndarray:
    """Resize a uint8 label map to (size, size) with nearest neighbour (no invented classes)."""
    if labels.shape == (size, size):
        return labels
    return np.asarray(Image.fromarray(labels).resize((size, size), Image.Resampling.NEAREST), dtype=np.uint8)


def write_gray_png(path: str | Path, image: np.ndarray) -> None:
    """Write a uint8 (H, W) array as an 8-bit gray PNG."""
    Image.fromarray(np.asarray(image, dtype=np.uint8), mode="L").save(path)


def list_images(folder: str | Path, suffixes: tuple[str, ...] = IMAGE_SUFFIXES) -> list[Path]:
    """Image files in ``folder`` (sorted by name); FileNotFoundError / DataFormatError for a missing / empty folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: folder not found")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
    if not files:
        raise DataFormatError(folder, f"no image files ({', '.join(suffixes)}) in this folder")
    return files
