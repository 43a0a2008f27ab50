"""specklegan_tf.evaluation: judging exported generators (metrics report, Fig. 6-style grid).

- ``evaluate_generators``: one or several exported generators against a real data set.
- ``sample_grid``: a PNG grid with one row per model and one column per mask.
"""
from specklegan_tf.evaluation.gan_report import evaluate_generators, make_features, model_name
from specklegan_tf.evaluation.grid import sample_grid

__all__ = ["evaluate_generators", "make_features", "model_name", "sample_grid"]
