"""The paper's segmentation experiment (Table 2): U-Nets with and without pre-training on generated images.

Examples:
    specklegan study --gan speckle=savedmodels/specklegan --gan baseline=savedmodels/baseline
    specklegan study --image-size 64 --pretrain generated/ --out runs/study64
    specklegan study --n-train 50 --folds 2 --epochs 5 --image-size 32   # a quick look

For each --n-train scenario (default 50 and 100) and each condition (no pre-training; pre-training on images of
each --gan generator or --pretrain folder), a k-fold cross-validation over the scenario's training images,
tested on the remaining images. Writes table2.md, table2.csv, table2_pvalues.csv, boxplot.png and study.json
into --out. Rerunning the same command resumes; the same seed gives the same table.
See the README's Segmentation section. --verbose shows TensorFlow's start-up log.
"""
from __future__ import annotations

import sys

from specklegan_tf.commands.options import command_parser, exit_code_of, parse_command_options
from specklegan_tf.commands.startup import split_verbose, start_tensorflow


def build_parser(prog: str = "specklegan study"):
    """The study's parser (one flag per :class:`~specklegan_tf.experiments.study_config.StudyConfig` field)."""
    from specklegan_tf.experiments.study_config import StudyConfig

    return command_parser(StudyConfig, __doc__, prog)


def main(argv: list[str] | None = None, prog: str = "specklegan study") -> int:
    argv, verbose = split_verbose(sys.argv[1:] if argv is None else argv)
    # The study's configuration checks its values with the U-Net trainer's, which imports TensorFlow: say so.
    print(f"{prog}: starting TensorFlow", flush=True)
    start_tensorflow(verbose)
    from specklegan_tf.experiments.study import run_study
    from specklegan_tf.experiments.study_config import StudyConfig

    config = parse_command_options(StudyConfig, argv, __doc__, prog)
    if config is None:
        return 2

    def checked_study() -> None:
        config.check_data_path()
        run_study(config)

    return exit_code_of(prog, checked_study)


if __name__ == "__main__":
    sys.exit(main())
