"""Contour text files of the IVUS challenge and the mask <-> polygon conversions.

A contour file holds one point per line, ``x, y`` (comma and/or spaces), in pixel coordinates of the original
image: x the column, y the row, pixel centres at integers (the scikit-image convention). The real files have 360
points with one decimal.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
from skimage.draw import polygon as fill_polygon_rc
from skimage.measure import find_contours, label

from .. import BACKGROUND, INTIMA_MEDIA, LUMEN
from .ivus_data import DataFormatError

MIN_CONTOUR_POINTS = 10  # fewer points than this is a truncated or wrong file, not an annotation
OUTSIDE_TOLERANCE = 0.05  # points may lie up to 5% of the image size outside it (annotations touching the edge)
_SEPARATOR = re.compile(r"\s*,\s*|\s+")


def read_contour(path: str | Path, image_shape: tuple[int, int] | None = None) -> np.ndarray:
    """Read a contour file into a float64 (P, 2) array of (x, y).

    Args:
        path: the text file.
        image_shape: (height, width) of the original image; if given, points far outside it are an error.

    Raises:
        FileNotFoundError: the file is missing.
        DataFormatError: a malformed line, NaN/inf, too few points or a point far outside the image; the message
            names the file and the line.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: contour file not found") from None
    except UnicodeDecodeError:
        raise DataFormatError(path, "not a text file") from None
    points, lines = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        fields = _SEPARATOR.split(line)
        if len(fields) != 2:
            raise DataFormatError(path, f"expected 'x, y', got {raw.strip()!r}", line=number)
        try:
            x, y = float(fields[0]), float(fields[1])
        except ValueError:
            raise DataFormatError(path, f"expected two numbers 'x, y', got {raw.strip()!r}", line=number) from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise DataFormatError(path, f"coordinate is not finite: {raw.strip()!r}", line=number)
        points.append((x, y))
        lines.append(number)
    if len(points) < MIN_CONTOUR_POINTS:
        raise DataFormatError(path, f"{len(points)} points; a contour needs at least {MIN_CONTOUR_POINTS}")
    xy = np.asarray(points, dtype=np.float64)
    if image_shape is not None:
        height, width = image_shape
        margin = OUTSIDE_TOLERANCE * max(height, width)
        outside = (xy[:, 0] < -margin) | (xy[:, 0] > width - 1 + margin) | (xy[:, 1] < -margin) | (
            xy[:, 1] > height - 1 + margin)
        if outside.any():
            k = int(np.argmax(outside))
            raise DataFormatError(path, f"point ({xy[k, 0]:g}, {xy[k, 1]:g}) lies far outside the {width}x{height} "
                                        "image (x is the column, y the row)", line=lines[k])
    return xy


def write_contour(path: str | Path, xy: np.ndarray) -> None:
    """Write (P, 2) points as ``x, y`` lines with one decimal, as in the challenge files."""
    lines = [f"{x:.1f}, {y:.1f}" for x, y in np.asarray(xy, dtype=np.float64)]
    Path(path).write_text("\n".join(lines) + "\n")


def polygon_area(xy: np.ndarray) -> float:
    """Area enclosed by a closed polygon (shoelace formula), in pixels²."""
    x, y = np.asarray(xy, dtype=np.float64).T
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def fill_polygon(xy: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Boolean (H, W) mask of the pixels whose centres lie inside the polygon (scikit-image polygon filling)."""
    mask = np.zeros(shape, dtype=bool)
    rows, cols = fill_polygon_rc(xy[:, 1], xy[:, 0], shape=shape)
    mask[rows, cols] = True
    return mask


def scale_contour(xy: np.ndarray, from_shape: tuple[int, int], to_shape: tuple[int, int]) -> np.ndarray:
    """Map pixel coordinates between image sizes, keeping pixel centres aligned (x' = (x + 0.5) * s - 0.5)."""
    sy, sx = to_shape[0] / from_shape[0], to_shape[1] / from_shape[1]
    return np.stack([(xy[:, 0] + 0.5) * sx - 0.5, (xy[:, 1] + 0.5) * sy - 0.5], axis=1)


def contour_from_region(region: np.ndarray, n_points: int = 360) -> np.ndarray:
    """Outline of the largest connected component of a boolean region, resampled to ``n_points`` (x, y).

    The outline is the 0.5 iso-line between inside and outside pixel centres (``skimage.measure.find_contours``),
    so filling it again gives back the region up to sub-pixel corners. Points are equally spaced by arc length.
    """
    region = np.asarray(region, dtype=bool)
    if not region.any():
        raise ValueError("the region is empty: no contour")
    components = label(region, connectivity=1)
    largest = np.argmax(np.bincount(components.ravel())[1:]) + 1
    padded = np.pad(components == largest, 1).astype(np.float32)  # closes outlines touching the border
    outline = max(find_contours(padded, 0.5), key=len) - 1.0  # (row, col), undo the padding
    closed = np.vstack([outline, outline[:1]])
    steps = np.hypot(*np.diff(closed, axis=0).T)
    arc = np.concatenate([[0.0], np.cumsum(steps)])
    targets = np.linspace(0.0, arc[-1], n_points, endpoint=False)
    rows = np.interp(targets, arc, closed[:, 0])
    cols = np.interp(targets, arc, closed[:, 1])
    return np.stack([cols, rows], axis=1)


def contours_from_mask(mask: np.ndarray, n_points: int = 360) -> tuple[np.ndarray, np.ndarray]:
    """(lumen, media-adventitia) contours (x, y) of a label map: the outlines of label 0 and of labels {0, 1}."""
    return (contour_from_region(mask == LUMEN, n_points),
            contour_from_region((mask == LUMEN) | (mask == INTIMA_MEDIA), n_points))


def mask_from_contours(lumen_xy: np.ndarray, media_xy: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Label map: the media polygon as intima/media, the lumen polygon (clipped to the media) as lumen."""
    vessel = fill_polygon(media_xy, shape)
    lumen = fill_polygon(lumen_xy, shape) & vessel
    mask = np.full(shape, BACKGROUND, dtype=np.uint8)
    mask[vessel] = INTIMA_MEDIA
    mask[lumen] = LUMEN
    return mask
