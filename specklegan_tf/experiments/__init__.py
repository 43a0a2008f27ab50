"""specklegan_tf.experiments: the paper's experiments as one resumable command (``train/reproduce_paper.py``).

- ``budgets``: the compute budgets (``toy``, ``small``, ``medium``, ``paper``) as dataclasses.
- ``paper_experiment``: ``run_paper_experiment``: GAN training for both models and every number of training
  images, evaluation of the best generators, the segmentation study, figures and report; resumable by stages.
- ``segmentation``: the Table 2 stage (pre-training sets from the trained GANs, then the segmentation study).
- ``figures``: Fig. 5 (metric against training images) and Fig. 6 (image grid).
- ``report``: the Markdown report with configuration, provenance, machine and wall times; ``publish_report``.
- ``artefacts``, ``aggregate``, ``provenance``: atomic stage records, per-seed aggregation, git and machine facts.

TensorFlow is imported only when a stage runs, so ``--help`` and budget look-ups stay fast.
"""
from specklegan_tf.experiments.budgets import BUDGETS, PAPER_N_TRAIN, Budget, SegmentationBudget, get_budget
from specklegan_tf.experiments.paper_experiment import ExperimentResult, run_paper_experiment
from specklegan_tf.experiments.report import publish_report

__all__ = [
    "BUDGETS",
    "Budget",
    "ExperimentResult",
    "PAPER_N_TRAIN",
    "SegmentationBudget",
    "get_budget",
    "publish_report",
    "run_paper_experiment",
]
