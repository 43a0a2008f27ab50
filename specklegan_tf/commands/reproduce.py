"""Reproduce the paper's experiments (Fig. 5, Fig. 6, Table 1, Table 2) in one command, on the phantom or your data.

Examples:
    specklegan reproduce --budget small                    # 50 min measured on a shared 2-core CPU
    specklegan reproduce --budget paper --data DIR --inception-weights inception_v3.weights.h5
    specklegan reproduce --budget toy --out /tmp/toy       # the test budget (two GAN runs)

Rerunning the same command resumes an interrupted run: finished stages are skipped and GAN or U-Net trainings
continue from their last checkpoints. The report is OUT/report.md; --publish DIR copies it with its figures and
tables (not the checkpoints), e.g. to docs/results/. --verbose shows TensorFlow's start-up log.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field

from specklegan_tf.commands.checks import check_exists
from specklegan_tf.commands.options import command_parser, run_command
from specklegan_tf.core.config import option_help
from specklegan_tf.core.validators import at_least, one_of
from specklegan_tf.experiments.budgets import BUDGETS, get_budget  # no TensorFlow yet


@dataclass
class ReproduceOptions:
    """The options of ``specklegan reproduce`` (``train/reproduce_paper.py``); the budget names a
    :class:`~specklegan_tf.experiments.budgets.Budget`."""

    budget: str = field(metadata=option_help(
        "compute budget: toy (test), small (2-core CPU), medium, cpu128, cpu128-v2 and cpu128-v3 (128 px, hours on "
        "a CPU), paper (GPU)", choices=list(BUDGETS)))
    data: str = field(default="phantom", metadata=option_help(
        "'phantom', an IVUS challenge folder (DCM/, LABELS/) or images/ + labels/"))
    out: str | None = field(default=None, metadata=option_help("experiment folder (default runs/reproduce_<budget>)",
                                                               metavar="OUT"))
    inception_weights: str | None = field(default=None, metadata=option_help(
        "InceptionV3 weights file: adds FID (no weights can be downloaded here)", metavar="FILE"))
    data_seed: int = field(default=0, metadata=option_help("seed of the phantom data set"))
    publish: str | None = field(default=None, metadata=option_help(
        "copy report.md with its figures and tables to DIR when finished", metavar="DIR"))

    def __post_init__(self) -> None:
        one_of(self.budget, "budget", list(BUDGETS))
        at_least(self.data_seed, "data_seed", 0)

    def check_paths(self) -> None:
        """The data folder and the Inception weights exist (before TensorFlow starts)."""
        if str(self.data).strip().lower() != "phantom":
            check_exists("--data", self.data)
        if self.inception_weights is not None:
            check_exists("--inception-weights", self.inception_weights)


def build_parser(prog: str = "specklegan reproduce"):
    return command_parser(ReproduceOptions, __doc__, prog)


def main(argv: list[str] | None = None, prog: str = "specklegan reproduce") -> int:
    return run_command(ReproduceOptions, argv, __doc__, prog, work=lambda args: _reproduce(args, prog),
                       announce=lambda args: f"budget {args.budget} on {args.data}; starting TensorFlow")


def _reproduce(args: ReproduceOptions, prog: str) -> int:
    from specklegan_tf.experiments import publish_report, run_paper_experiment
    from specklegan_tf.training.runner import NonFiniteLossError

    try:
        result = run_paper_experiment(get_budget(args.budget), data=args.data, out=args.out,
                                      inception_weights=args.inception_weights, data_seed=args.data_seed)
    except NonFiniteLossError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 3
    print(f"Report: {result.report_path}")
    if args.publish:
        print(f"Published: {publish_report(result.out, args.publish)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
