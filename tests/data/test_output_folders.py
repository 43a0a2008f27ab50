"""staged_folder: a folder appears complete or not at all; what it refuses, and when it checks."""
import os

import pytest

from specklegan_tf.data.output_folders import staged_folder


def _names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_a_new_folder_appears_only_when_the_block_ends(tmp_path):
    out = tmp_path / "set"
    with staged_folder(out) as temporary:
        (temporary / "a.txt").write_text("a")
        assert not out.exists()
        assert temporary.parent == tmp_path and temporary.name.startswith(".")  # hidden, same file system
    assert _names(out) == ["a.txt"] and _names(tmp_path) == ["set"]


def test_replace_swaps_the_whole_folder_and_a_failure_keeps_the_old_one(tmp_path):
    out = tmp_path / "set"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError, match="half-way"):
        with staged_folder(out, replace=True) as temporary:
            (temporary / "new.txt").write_text("new")
            raise RuntimeError("killed half-way")
    assert _names(out) == ["old.txt"] and _names(tmp_path) == ["set"]
    with staged_folder(out, replace=True) as temporary:
        (temporary / "new.txt").write_text("new")
    assert _names(out) == ["new.txt"] and (out / "new.txt").read_text() == "new"
    assert _names(tmp_path) == ["set"]  # the old folder moved aside is gone too


def test_an_empty_folder_is_replaced_without_replace(tmp_path):
    out = tmp_path / "set"
    out.mkdir()
    with staged_folder(out) as temporary:
        (temporary / "a.txt").write_text("a")
    assert _names(out) == ["a.txt"]


def test_refusals_are_value_errors_naming_the_folder_before_anything_is_written(tmp_path):
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("x")
    with pytest.raises(ValueError, match=f"{os.fspath(full)!r} is not empty"):
        with staged_folder(full):
            pytest.fail("the block must not run")
    a_file = tmp_path / "file"
    a_file.write_text("f")
    for replace in (False, True):
        with pytest.raises(ValueError, match=f"{os.fspath(a_file)!r} is an existing file"):
            with staged_folder(a_file, replace=replace):
                pytest.fail("the block must not run")
    assert _names(tmp_path) == ["file", "full"] and a_file.read_text() == "f"


def test_a_folder_filled_by_someone_else_meanwhile_is_not_overwritten(tmp_path):
    out = tmp_path / "set"
    with pytest.raises(ValueError, match="is not empty"):
        with staged_folder(out) as temporary:
            (temporary / "mine.txt").write_text("mine")
            out.mkdir()
            (out / "theirs.txt").write_text("theirs")  # another process, while this block ran
    assert _names(out) == ["theirs.txt"] and _names(tmp_path) == ["set"]
