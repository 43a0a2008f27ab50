"""The configuration mechanism of every command: a dataclass, presets, a YAML/JSON file and flags.

Precedence: the dataclass defaults < a named preset (``--preset NAME``) < a configuration file (``--config FILE``,
YAML or JSON, the keys of the flags with ``_`` or ``-``) < flags given on the command line. A configuration is a
dataclass whose fields carry their help text (``field(metadata=option_help("..."))``); it may define

- ``validate()``: checks of the values alone (called by ``__post_init__``, so a configuration read back from a run
  folder is checked the same way), raising ValueError naming the option (:mod:`specklegan_tf.core.validators`);
- fields without a default: required options (argparse's usage error when neither a flag nor the file gives them);
- ``check_paths()``: checks against the file system (input files exist, outputs are not files), run by
  :func:`load_config` as one explicit step after the values, and not when a saved configuration is read back.

The trainers (``specklegan_tf.training.config``), the segmentation study, the reproduction and generate/evaluate
all parse their options with :func:`load_config`.

Example:
    >>> from dataclasses import dataclass, field
    >>> @dataclass
    ... class Options:
    ...     image_size: int = field(default=64, metadata=option_help("image side"))
    >>> load_config(Options, ["--image-size", "128"]).image_size
    128
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import json
import os
import types
import typing
from pathlib import Path
from typing import Any, Mapping, Sequence, TypeVar

import yaml

from specklegan_tf.core.atomic_files import write_text
from specklegan_tf.core.validators import option_name as _option

ConfigT = TypeVar("ConfigT")


def option_help(text: str, **extra: Any) -> dict[str, Any]:
    """Field metadata: the flag's help text plus argparse extras such as ``choices`` or ``metavar``.

    A variadic field (``tuple[int, ...]``) takes its values after one flag (``--n-train 50 100``); with
    ``repeat=True`` it is given once per value instead (``--gan a --gan b``), for values that are paths.
    """
    return {"help": text, **extra}


def to_plain_dict(config: Any) -> dict[str, Any]:
    """A configuration dataclass as plain data (tuples as lists), as written to ``config.yaml``."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(config).items()}


def _field_types(config_cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(config_cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(config_cls)}


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    """``int | None`` -> (int, True); ``int`` -> (int, False)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _convert(key: str, annotation: Any, value: Any) -> Any:
    """Convert a value read from a file or flag to the field's type; ValueError naming the option."""
    base, optional = _unwrap_optional(annotation)
    if value is None or (optional and isinstance(value, str) and value.lower() in ("none", "null", "")):
        if optional:
            return None
        raise ValueError(f"{_option(key)} must not be empty")
    try:
        if _is_variadic(base):
            item = typing.get_args(base)[0]
            if isinstance(value, str):  # one path from a file stays whole; numbers may be listed "50, 100"
                value = [value] if item is str else value.replace(",", " ").split()
            if not isinstance(value, (list, tuple)):
                raise ValueError
            return tuple(_convert(key, item, v) for v in value)
        if typing.get_origin(base) is tuple:
            item_types = typing.get_args(base)
            if isinstance(value, str):
                value = value.replace(",", " ").split()
            if not isinstance(value, (list, tuple)) or len(value) != len(item_types):
                raise ValueError
            return tuple(_convert(key, t, v) for t, v in zip(item_types, value))
        if base is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "yes", "1", "on", "false", "no", "0", "off"):
                return value.lower() in ("true", "yes", "1", "on")
            raise ValueError
        if base is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        if base is float:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if base is str:
            return str(value)
    except (TypeError, ValueError):
        pass
    raise ValueError(f"{_option(key)} expects {_describe(annotation)}, got {value!r}")


def _is_variadic(annotation: Any) -> bool:
    """``tuple[int, ...]``: any number of values (``nargs="+"``, or a repeatable flag)."""
    args = typing.get_args(annotation)
    return typing.get_origin(annotation) is tuple and len(args) == 2 and args[1] is Ellipsis


def _describe(annotation: Any) -> str:
    base, optional = _unwrap_optional(annotation)
    if _is_variadic(base):
        text = f"one or more values, each {_describe(typing.get_args(base)[0])}"
    elif typing.get_origin(base) is tuple:
        text = f"{len(typing.get_args(base))} values"
    else:
        text = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(base, str(base))
    return text + (" (or none)" if optional else "")


def read_config_file(path: str | os.PathLike) -> dict[str, Any]:
    """Read a YAML (``.yaml``/``.yml``) or JSON (``.json``) configuration file into a dict.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file cannot be parsed or is not a mapping of option names to values.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"--config: no such file: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"--config: {path} is not a text file (give a YAML or JSON file)") from None
    try:
        content = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise ValueError(f"--config: cannot parse {path}: {error}") from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ValueError(f"--config: {path} must contain a mapping of option names to values")
    return content


def merge_settings(config_cls: type[ConfigT], settings: Mapping[str, Any], source: str,
                   base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Merge ``settings`` (keys with ``_`` or ``-``) over ``base``, checking names and converting types.

    Raises:
        ValueError: a key is not an option of ``config_cls`` (the message names it, the source and close matches)
            or a value has the wrong type.
    """
    field_types = _field_types(config_cls)
    merged = dict(base or {})
    for raw_key, value in settings.items():
        key = str(raw_key).replace("-", "_")
        if key not in field_types:
            close = difflib.get_close_matches(key, field_types, n=3)
            hint = f"; did you mean {', '.join(_option(c) for c in close)}?" if close else ""
            raise ValueError(f"{source}: unknown option {raw_key!r}{hint}")
        merged[key] = _convert(key, field_types[key], value)
    return merged


def build_parser(config_cls: type[ConfigT], presets: Mapping[str, Mapping[str, Any]] | None = None,
                 description: str | None = None, prog: str | None = None,
                 epilog: str | None = None) -> argparse.ArgumentParser:
    """An argparse parser with one flag per dataclass field plus ``--config`` and ``--preset``.

    Flags default to "not given" (``argparse.SUPPRESS``) so that only what the user typed overrides the
    preset and the configuration file; their help shows the dataclass default. ``epilog`` (e.g. examples) is
    shown as written.
    """
    parser = argparse.ArgumentParser(prog=prog, description=description, epilog=epilog,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     argument_default=argparse.SUPPRESS)
    parser.add_argument("--config", metavar="FILE", help="YAML or JSON file with the same keys as the flags")
    if presets:
        parser.add_argument("--preset", choices=sorted(presets), help="a named configuration (flags override it)")
    defaults = {f.name: f.default for f in dataclasses.fields(config_cls)}
    for f in dataclasses.fields(config_cls):
        annotation = _field_types(config_cls)[f.name]
        base, _ = _unwrap_optional(annotation)
        default = defaults[f.name]
        default = list(default) if isinstance(default, tuple) and _is_variadic(base) else default
        shown = "required" if default is dataclasses.MISSING else f"default: {default}"
        help_text = f"{f.metadata.get('help', '')} ({shown})"
        kwargs: dict[str, Any] = {"dest": f.name, "help": help_text}
        if base is bool:
            parser.add_argument(_option(f.name), action=argparse.BooleanOptionalAction, **kwargs)
            continue
        if "metavar" in f.metadata:
            kwargs["metavar"] = f.metadata["metavar"]
        if _is_variadic(base):
            item = typing.get_args(base)[0]
            kwargs.setdefault("metavar", {int: "N", float: "X"}.get(item, "VALUE"))
            if f.metadata.get("repeat"):
                kwargs["action"] = "append"
            else:
                kwargs["nargs"] = "+"
            parser.add_argument(_option(f.name), **kwargs)
            continue
        if typing.get_origin(base) is tuple:
            kwargs["nargs"] = len(typing.get_args(base))
        if "choices" in f.metadata:
            kwargs["choices"] = f.metadata["choices"]
        elif "metavar" not in kwargs:
            kwargs["metavar"] = {int: "N", float: "X"}.get(typing.get_args(base)[0] if kwargs.get("nargs")
                                                           else base, "VALUE")
        parser.add_argument(_option(f.name), **kwargs)
    return parser


def load_config(config_cls: type[ConfigT], argv: Sequence[str] | None = None,
                presets: Mapping[str, Mapping[str, Any]] | None = None,
                description: str | None = None, prog: str | None = None,
                epilog: str | None = None) -> ConfigT:
    """Parse command-line arguments into a validated configuration.

    Args:
        config_cls: The trainer's configuration dataclass (a :class:`TrainerConfig` subclass).
        argv: The arguments (default ``sys.argv[1:]``).
        presets: Named partial configurations selectable with ``--preset`` (or a ``preset`` key in the file).
        description: Help text of the command.
        prog: Program name shown in the help.
        epilog: Text after the options in the help (examples).

    Returns:
        The configuration: defaults < preset < ``--config`` file < flags.

    Raises:
        ValueError / FileNotFoundError: an unknown option, a bad value or a missing file; the message names the
            option. (argparse itself exits with a usage message for malformed flags.)
    """
    parser = build_parser(config_cls, presets, description, prog, epilog)
    given = vars(parser.parse_args(argv))
    config_path = given.pop("config", None)
    preset = given.pop("preset", None)
    file_settings = read_config_file(config_path) if config_path else {}
    if preset is None and "preset" in file_settings:
        preset = file_settings.get("preset")
    file_settings.pop("preset", None)
    settings: dict[str, Any] = {}
    if preset is not None:
        if not presets or preset not in presets:
            raise ValueError(f"--preset: unknown preset {preset!r}; choose from {sorted(presets or {})}")
        settings = merge_settings(config_cls, presets[preset], f"preset {preset!r}")
    settings = merge_settings(config_cls, file_settings, f"--config {config_path}", settings)
    settings = merge_settings(config_cls, given, "command line", settings)
    missing = [_option(f.name) for f in dataclasses.fields(config_cls)
               if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
               and f.name not in settings]
    if missing:  # a field without a default is a required option (given as a flag or in the file)
        parser.error(f"the following arguments are required: {', '.join(missing)}")
    config = config_cls(**settings)
    if hasattr(config, "check_paths"):
        config.check_paths()
    return config


def save_config(config: Any, path: str | os.PathLike, omit: Sequence[str] = ("restart",)) -> None:
    """Write the effective configuration as YAML, atomically.

    ``omit`` names actions of one command rather than properties of the run (``restart``): a resume from the
    file must not repeat them.
    """
    settings = to_plain_dict(config)
    for key in omit:
        settings.pop(key, None)
    write_text(path, yaml.safe_dump(settings, sort_keys=False))


def read_saved_config(config_cls: type[ConfigT], path: str | os.PathLike) -> ConfigT:
    """Read a configuration written by :func:`save_config`: values are checked, file paths are not (a finished
    run's data folder may have moved; the resume decides what it needs)."""
    return config_cls(**merge_settings(config_cls, read_config_file(path), str(path)))
