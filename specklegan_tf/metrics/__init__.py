"""Evaluation of generated images and segmentations (the paper's Eq. 5, Tables 1 and 2), plus KID, a
texture Fréchet distance that needs no download and speckle statistics.

Images are uint8 (N, H, W) gray values, or floats in [0, 255]; masks are uint8 (N, H, W) with labels
0 lumen, 1 intima/media, 2 background. TensorFlow is imported only when ``InceptionFeatures`` is built.
"""
from specklegan_tf.metrics.depth_grain import grain_by_depth
from specklegan_tf.metrics.features import FeatureExtractor
from specklegan_tf.metrics.histograms import class_histogram_jsd
from specklegan_tf.metrics.grid_artefact import axis_power_ratio
from specklegan_tf.metrics.frechet import feature_statistics, fid, frechet_distance, texture_frechet_distance
from specklegan_tf.metrics.inception import InceptionFeatures, InceptionWeightsNotFoundError
from specklegan_tf.metrics.kid import kid
from specklegan_tf.metrics.outliers import brightness_outlier_fractions
from specklegan_tf.metrics.report import EvaluationReport, ModelComparison, compare_models, evaluation_report
from specklegan_tf.metrics.segmentation import dice, modified_hausdorff, paired_t_test
from specklegan_tf.metrics.similarity import paired_ssim
from specklegan_tf.metrics.speckle import SNR_RAYLEIGH, speckle_statistics
from specklegan_tf.metrics.texture import TextureFeatures

__all__ = [
    "EvaluationReport",
    "FeatureExtractor",
    "InceptionFeatures",
    "InceptionWeightsNotFoundError",
    "ModelComparison",
    "SNR_RAYLEIGH",
    "TextureFeatures",
    "axis_power_ratio",
    "brightness_outlier_fractions",
    "class_histogram_jsd",
    "compare_models",
    "dice",
    "evaluation_report",
    "feature_statistics",
    "fid",
    "frechet_distance",
    "grain_by_depth",
    "kid",
    "modified_hausdorff",
    "paired_ssim",
    "paired_t_test",
    "speckle_statistics",
    "texture_frechet_distance",
]
