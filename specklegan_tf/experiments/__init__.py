"""specklegan_tf.experiments: the paper's experiments as one resumable command (``train/reproduce_paper.py``).

- ``budgets``: the compute budgets (``toy``, ``small``, ``medium``, ``paper``) as dataclasses.
- ``paper_experiment``: ``run_paper_experiment``: GAN training for both models and every number of training
  images, evaluation of the best generators, the segmentation study, figures and report; resumable by stages.
- ``gan_runs``: the models, their display names, run names and synthetic masks (below every stage module).
- ``segmentation``: the Table 2 stage (the segmentation study with the experiment's GANs as conditions).
- ``study`` (``run_study``, the entry for a ``--data`` set) with ``study_config``, ``study_splits``,
  ``study_runs`` (``run_study_on_arrays``: arrays plus train/test indices), ``study_tables``, ``study_plot``:
  the segmentation study, also ``specklegan study`` (formerly ``specklegan_tf.training.segmentation_study``).
- ``figures``: Fig. 5 (metric against training images) and Fig. 6 (image grid).
- ``report``, ``report_tables``: the Markdown report with configuration, provenance, machine and wall times;
  ``publish_report``.
- ``artefacts``, ``aggregate``, ``provenance``: atomic stage records, per-seed aggregation, git and machine facts.

TensorFlow is imported only when a stage runs, so ``--help`` and budget look-ups stay fast.
"""
from specklegan_tf.experiments.budgets import BUDGETS, PAPER_N_TRAIN, Budget, SegmentationBudget, get_budget
from specklegan_tf.experiments.paper_experiment import ExperimentResult, run_paper_experiment
from specklegan_tf.experiments.report import publish_report

# The study imports TensorFlow (through the U-Net trainer): its names are imported on first use (PEP 562).
_LAZY = {"StudyConfig": "study_config", "StudyResult": "study_runs", "run_study": "study",
         "run_study_on_arrays": "study_runs"}

__all__ = [
    "BUDGETS",
    "Budget",
    "ExperimentResult",
    "PAPER_N_TRAIN",
    "SegmentationBudget",
    "StudyConfig",
    "StudyResult",
    "get_budget",
    "publish_report",
    "run_paper_experiment",
    "run_study",
    "run_study_on_arrays",
]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'specklegan_tf.experiments' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"specklegan_tf.experiments.{_LAZY[name]}"), name)
    globals()[name] = value
    return value
