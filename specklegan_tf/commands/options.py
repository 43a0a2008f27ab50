"""How a subcommand turns its module docstring and its options dataclass into a parser and parsed options.

Every subcommand's ``--help`` is its module docstring: the first paragraph is the description, the rest (the
examples) the epilog. Bad options end in one ``<prog>: error: ...`` line on stderr and exit code 2, before
TensorFlow starts.
"""
from __future__ import annotations

import sys

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
