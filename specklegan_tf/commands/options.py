"""How a subcommand turns its module docstring and its options dataclass into a parser, parsed options and an
exit code.

Every subcommand's ``--help`` is its module docstring: the first paragraph is the description, the rest (the
examples) the epilog. Bad options end in one ``<prog>: error: ...`` line on stderr and exit code 2, before
TensorFlow starts; a bad input found later (a missing or damaged file) ends the same way.
"""
from __future__ import annotations

import sys
from typing import Callable

from specklegan_tf.commands.startup import split_verbose, start_tensorflow
from specklegan_tf.core.config import build_parser, load_config


def _doc_parts(module_doc: str) -> dict:
    description, epilog = module_doc.split("\n\n", 1)
    return {"description": description, "epilog": epilog}


def command_parser(options_cls, module_doc: str, prog: str):
    """The ``argparse`` parser of ``options_cls`` with ``module_doc`` as its help."""
    return build_parser(options_cls, prog=prog, **_doc_parts(module_doc))


def parse_command_options(options_cls, argv: list[str], module_doc: str, prog: str):
    """The validated options (file-system checks included), or None after printing the error (exit code 2)."""
    try:
        return load_config(options_cls, [str(a) for a in argv], prog=prog, **_doc_parts(module_doc))
    except (FileNotFoundError, ValueError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return None


def exit_code_of(prog: str, work: Callable[..., int | None], *args) -> int:
    """``work(*args)``'s exit code (None counts as 0); a ``ValueError`` or ``FileNotFoundError`` it raises becomes
    one ``<prog>: error: ...`` line on stderr and exit code 2."""
    try:
        return work(*args) or 0
    except (FileNotFoundError, ValueError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2


def run_command(options_cls, argv: list[str] | None, module_doc: str, prog: str,
                announce: Callable[[object], str], work: Callable[[object], int | None]) -> int:
    """A subcommand's whole life: parse and check ``argv`` (default ``sys.argv[1:]``; ``--verbose`` shows
    TensorFlow's start-up log), print ``<prog>: <announce(options)>``, start TensorFlow, run ``work(options)``.

    Returns the exit code: 2 for bad options or bad input, else ``work``'s (0 when it returns None).
    """
    argv, verbose = split_verbose(sys.argv[1:] if argv is None else argv)
    options = parse_command_options(options_cls, argv, module_doc, prog)
    if options is None:
        return 2
    print(f"{prog}: {announce(options)}", flush=True)
    start_tensorflow(verbose)
    return exit_code_of(prog, work, options)
