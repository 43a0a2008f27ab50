"""TextureFeatures: a radiomics-style descriptor that needs no network weights (the texture Fréchet distance)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from skimage.feature import graycomatrix, graycoprops, local_binary_pattern

from specklegan_tf.metrics.features import FeatureExtractor
from specklegan_tf.metrics.speckle import (
    autocorrelation_fwhm,
    field_of_view,
    lateral_grain,
    polar_autocorrelation_sums,
    polar_shape,
    remove_local_mean,
    to_polar,
)

_GLCM_PROPERTIES = ("contrast", "dissimilarity", "homogeneity", "energy", "correlation")


class TextureFeatures(FeatureExtractor):
    """Texture descriptor of gray-value images built from scikit-image, no weights needed.

    Per image, all dimensionless and of order one so that no group dominates a distance:

    - gray-value histogram moments of ``x / 255``: mean, standard deviation, skewness, the log of the
      (Pearson, >= 1) kurtosis and the entropy of the 256-bin histogram (in bytes, i.e. bits / 8);
    - gray-level co-occurrence properties (``graycomatrix``/``graycoprops``: contrast / (L-1)^2,
      dissimilarity / (L-1), homogeneity, energy, correlation) on the image quantised to ``levels`` gray
      levels, averaged over four angles, at each of ``distances``;
    - normalised histograms of rotation-invariant uniform local binary patterns (``local_binary_pattern``,
      8 neighbours at radius 1) of the image downsampled by each of ``lbp_scales`` (block means; cheaper
      than larger LBP radii at full resolution);
    - speckle statistics: log of the median SNR and of the median Nakagami m over ``block`` x ``block``
      tiles (tiles darker than 2 gray levels or flat are skipped, i.e. the black frame outside the field of
      view) and log of the axial and lateral grain size (autocorrelation FWHM in polar coordinates, see
      :mod:`specklegan_tf.metrics.speckle`).

    The Fréchet distance between Gaussians fitted to these features is the *texture Fréchet distance*,
    the project's offline default for comparing image sets. It reacts to blur and to speckle replaced by
    white noise (tests/metrics/test_texture_distance.py), which FID on ImageNet features and the JSD of
    histograms may miss. Its values are comparable only between runs with the same settings.

    Args:
        distances: GLCM pixel distances.
        levels: gray levels of the quantised image the GLCM is computed on (2..256).
        lbp_scales: downsampling factors of the images the local binary patterns are computed on.
        block: tile size in pixels for the local SNR and Nakagami m.
        batch_size: images processed at once.

    Call arguments:
        images: uint8 (N, H, W) or float gray values in [0, 255]; H, W >= 2 * max(distances) + 1,
            >= 3 * max(lbp_scales) and >= block.

    Returns:
        float64 array (N, dim); ``feature_names`` lists the columns.

    Example:
        >>> features = TextureFeatures()
        >>> features(images).shape
        (len(images), features.dim)
    """

    name = "texture"

    def __init__(
        self,
        distances: Sequence[int] = (1, 2, 4, 8),
        levels: int = 32,
        lbp_scales: Sequence[int] = (1, 2),
        block: int = 16,
        batch_size: int = 32,
    ) -> None:
        super().__init__(batch_size=batch_size)
        self.distances = tuple(int(d) for d in distances)
        if not self.distances or min(self.distances) < 1:
            raise ValueError(f"`distances` must be positive integers; received {distances!r}.")
        if not 2 <= int(levels) <= 256:
            raise ValueError(f"`levels` must lie in 2..256; received {levels!r}.")
        self.levels = int(levels)
        self.lbp_scales = tuple(int(r) for r in lbp_scales)
        if not self.lbp_scales or min(self.lbp_scales) < 1:
            raise ValueError(f"`lbp_scales` must be positive integers; received {lbp_scales!r}.")
        if int(block) < 2:
            raise ValueError(f"`block` must be >= 2 pixels; received {block!r}.")
        self.block = int(block)
        self._lbp_points = 8
        self.feature_names = self._names()
        self.dim = len(self.feature_names)

    def _names(self) -> tuple[str, ...]:
        names = ["mean", "std", "skewness", "log_kurtosis", "entropy"]  # kurtosis: Pearson, 3 for a Gaussian
        names += [f"glcm_{p}_d{d}" for d in self.distances for p in _GLCM_PROPERTIES]
        names += [f"lbp_s{s}_bin{b}" for s in self.lbp_scales for b in range(self._lbp_points + 2)]
        names += ["log_block_snr", "log_block_nakagami_m", "log_axial_grain", "log_lateral_grain"]
        return tuple(names)

    def extract_batch(self, images: np.ndarray) -> np.ndarray:
        """Features of one batch (B, H, W) -> (B, dim)."""
        smallest = max(2 * max(self.distances) + 1, 3 * max(self.lbp_scales), self.block)
        if min(images.shape[1:]) < smallest:
            raise ValueError(
                f"`images` of size {images.shape[1:]} are too small for TextureFeatures with distances "
                f"{self.distances}, lbp_scales {self.lbp_scales} and block {self.block} (need >= {smallest})."
            )
        gray = images.astype(np.float64) / 255.0
        rounded = np.rint(images).astype(np.uint8) if images.dtype != np.uint8 else images
        # GLCMs on a few gray levels: speckle statistics survive, the matrices stay small and fast.
        quantised = np.minimum((gray * self.levels).astype(np.uint8), self.levels - 1)
        columns = [self._histogram_moments(gray, rounded)]
        columns.append(np.stack([self._glcm(q) for q in quantised]))
        columns.append(np.stack([self._lbp(r) for r in rounded]))
        columns.append(self._speckle(images.astype(np.float32)))
        return np.concatenate(columns, axis=1)

    @staticmethod
    def _histogram_moments(gray: np.ndarray, rounded: np.ndarray) -> np.ndarray:
        flat = gray.reshape(gray.shape[0], -1)
        mean = flat.mean(axis=1)
        std = flat.std(axis=1)
        safe_std = np.where(std > 0, std, 1.0)
        z = (flat - mean[:, None]) / safe_std[:, None]
        skewness = np.where(std > 0, (z ** 3).mean(axis=1), 0.0)
        kurtosis = np.where(std > 0, (z ** 4).mean(axis=1), 3.0)
        counts = np.stack([np.bincount(r.ravel(), minlength=256) for r in rounded]).astype(np.float64)
        p = counts / counts.sum(axis=1, keepdims=True)
        entropy = -(p * np.log2(np.where(p > 0, p, 1.0))).sum(axis=1) / 8.0
        return np.stack([mean, std, skewness, np.log(kurtosis), entropy], axis=1)

    def _glcm(self, quantised: np.ndarray) -> np.ndarray:
        matrix = graycomatrix(
            quantised, distances=self.distances, angles=(0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4),
            levels=self.levels, symmetric=True, normed=True,
        )
        scale = {"contrast": (self.levels - 1) ** 2, "dissimilarity": self.levels - 1}
        props = []
        for prop in _GLCM_PROPERTIES:
            values = graycoprops(matrix, prop) / scale.get(prop, 1)  # (distances, angles)
            if prop == "correlation":
                values = np.nan_to_num(values, nan=1.0)  # a constant image is perfectly correlated
            props.append(values.mean(axis=1))
        return np.stack(props, axis=1).ravel()  # distance-major, matching feature_names

    def _lbp(self, image: np.ndarray) -> np.ndarray:
        bins = self._lbp_points + 2
        histograms = []
        for scale in self.lbp_scales:
            if scale > 1:
                rows, cols = image.shape[0] // scale, image.shape[1] // scale
                blocks = image[: rows * scale, : cols * scale].reshape(rows, scale, cols, scale)
                level = np.rint(blocks.mean(axis=(1, 3))).astype(np.uint8)  # LBP wants integer images
            else:
                level = image
            codes = local_binary_pattern(level, self._lbp_points, 1, method="uniform").astype(np.int64)
            inner = codes[1:-1, 1:-1]  # border codes read padded pixels
            histograms.append(np.bincount(inner.ravel(), minlength=bins)[:bins] / inner.size)
        return np.concatenate(histograms)

    def _speckle(self, images: np.ndarray) -> np.ndarray:
        batch, height, width = images.shape
        b = self.block
        tiles = images[:, : height // b * b, : width // b * b].reshape(batch, height // b, b, width // b, b)
        tiles = tiles.transpose(0, 1, 3, 2, 4).reshape(batch, -1, b * b)
        mean, std = tiles.mean(axis=2), tiles.std(axis=2)
        intensity = tiles ** 2
        intensity_var = intensity.var(axis=2)
        valid = (mean > 2.0) & (std > 0) & (intensity_var > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            snr = np.where(valid, mean / std, np.nan)
            m = np.where(valid, intensity.mean(axis=2) ** 2 / intensity_var, np.nan)
        # Images without a single textured tile (e.g. all black) get SNR = m = 1 (log 0) as a neutral value.
        log_snr = np.log(_nanmedian_or(snr, 1.0))
        log_m = np.log(_nanmedian_or(m, 1.0))

        angles, radii = polar_shape(height, width)
        centred = remove_local_mean(images, field_of_view(height, width))
        axial_num, axial_den, lateral_num, lateral_den = polar_autocorrelation_sums(to_polar(centred))
        radius_of_column = np.arange(radii, dtype=np.float64) * (min(height, width) / 2.0) / radii
        axial = autocorrelation_fwhm(axial_num, axial_den)
        lateral = np.array([lateral_grain(n, lateral_den[0], angles, radius_of_column)[1] for n in lateral_num])
        # Undefined grain sizes (flat images) become 1 px, the width of white noise.
        log_axial = np.log(np.where(np.isfinite(axial) & (axial > 0), axial, 1.0))
        log_lateral = np.log(np.where(np.isfinite(lateral) & (lateral > 0), lateral, 1.0))
        return np.stack([log_snr, log_m, log_axial, log_lateral], axis=1)


def _nanmedian_or(values: np.ndarray, fallback: float) -> np.ndarray:
    result = np.full(values.shape[0], fallback)
    for row, row_values in enumerate(values):
        finite = row_values[np.isfinite(row_values)]
        if finite.size:
            result[row] = float(np.median(finite))
    return result


__all__ = ["TextureFeatures"]
