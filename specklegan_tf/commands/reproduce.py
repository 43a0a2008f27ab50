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

import argparse
import sys

from specklegan_tf.commands.checks import HelpFormatter, at_least
from specklegan_tf.commands.startup import split_verbose, start_tensorflow
from specklegan_tf.experiments.budgets import BUDGETS, get_budget  # no TensorFlow yet


def build_parser(prog: str = "specklegan reproduce") -> argparse.ArgumentParser:
    description, epilog = __doc__.split("\n\n", 1)
    parser = argparse.ArgumentParser(prog=prog, description=description, epilog=epilog,
                                     formatter_class=HelpFormatter)
    parser.add_argument("--budget", required=True, choices=list(BUDGETS),
                        help="compute budget: toy (test), small (2-core CPU), medium, paper (GPU)")
    parser.add_argument("--data", default="phantom",
                        help="'phantom', an IVUS challenge folder (DCM/, LABELS/) or images/ + labels/")
    parser.add_argument("--out", default=None, help="experiment folder (default runs/reproduce_<budget>)")
    parser.add_argument("--inception-weights", default=None, metavar="FILE",
                        help="InceptionV3 weights file: adds FID (no weights can be downloaded here)")
    parser.add_argument("--data-seed", type=at_least(0), default=0, help="seed of the phantom data set")
    parser.add_argument("--publish", default=None, metavar="DIR",
                        help="copy report.md with its figures and tables to DIR when finished")
    return parser


def main(argv: list[str] | None = None, prog: str = "specklegan reproduce") -> int:
    argv, verbose = split_verbose(sys.argv[1:] if argv is None else argv)
    args = build_parser(prog).parse_args(argv)
    try:
        print(f"{prog}: budget {args.budget} on {args.data}; starting TensorFlow", flush=True)
        start_tensorflow(verbose)
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
    except (ValueError, FileNotFoundError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
