"""core.config's variadic options (``tuple[int, ...]``): values after one flag, a repeatable flag, files."""
from dataclasses import dataclass, field

import pytest

from specklegan_tf.core.config import build_parser, load_config, option_help, read_saved_config, save_config


@dataclass
class Options:
    sizes: tuple[int, ...] = field(default=(50, 100), metadata=option_help("numbers of images"))
    paths: tuple[str, ...] = field(default=(), metadata=option_help("a path (repeatable)", repeat=True,
                                                                     metavar="PATH"))
    pair: tuple[int, int] = field(default=(1, 2), metadata=option_help("two numbers"))


def test_values_after_one_flag_and_a_repeated_flag():
    config = load_config(Options, ["--sizes", "10", "20", "30", "--paths", "a b", "--paths", "c"])
    assert config.sizes == (10, 20, 30) and config.paths == ("a b", "c") and config.pair == (1, 2)
    assert load_config(Options, []).sizes == (50, 100)
    assert load_config(Options, ["--sizes", "7"]).sizes == (7,)


def test_files_lists_and_single_strings(tmp_path):
    file = tmp_path / "options.yaml"
    file.write_text("sizes: [3, 4]\npaths: one path with spaces\n")
    config = load_config(Options, ["--config", str(file)])
    assert config.sizes == (3, 4) and config.paths == ("one path with spaces",)
    file.write_text("sizes: '5, 6'\npaths: [x, y]\n")
    config = load_config(Options, ["--config", str(file)])
    assert config.sizes == (5, 6) and config.paths == ("x", "y")
    save_config(config, tmp_path / "saved.yaml")
    assert read_saved_config(Options, tmp_path / "saved.yaml") == config


def test_errors_name_the_option():
    with pytest.raises(ValueError, match=r"--sizes expects one or more values, each an integer, got \['1', 'x'\]"):
        load_config(Options, ["--sizes", "1", "x"])
    with pytest.raises(SystemExit):  # argparse: nargs="+" needs at least one value
        load_config(Options, ["--sizes"])


def test_help_shows_the_forms_and_list_defaults():
    text = build_parser(Options).format_help()
    assert "--sizes N [N ...]" in text and "--paths PATH" in text and "--pair N N" in text
    assert "(default: [50, 100])" in text and "(default: [])" in text


@dataclass
class WithRequired:
    model: tuple[str, ...] = field(metadata=option_help("a model (repeatable)", repeat=True))
    out: str = field(metadata=option_help("output folder"))
    n: int = field(default=1, metadata=option_help("a number"))


def test_fields_without_default_are_required_options(tmp_path, capsys):
    config = load_config(WithRequired, ["--model", "a", "--model", "b", "--out", "o"])
    assert config.model == ("a", "b") and config.out == "o" and config.n == 1
    file = tmp_path / "options.json"
    file.write_text('{"model": ["m"], "out": "x"}')
    assert load_config(WithRequired, ["--config", str(file)]).model == ("m",)  # the file may give them
    with pytest.raises(SystemExit) as exit:
        load_config(WithRequired, ["--model", "a"])
    assert exit.value.code == 2
    assert "the following arguments are required: --out" in capsys.readouterr().err
    assert "(required)" in build_parser(WithRequired).format_help()
