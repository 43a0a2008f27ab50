"""Run-folder checks before training (issue 14, items 4 and 9) and the folder lock in one process."""
import json
import os

import pytest
import yaml

from specklegan_tf.training.checkpoints import TrainingCheckpoint
from specklegan_tf.training.config import GANConfig, load_config, save_config
from specklegan_tf.training.folder_lock import FolderLock, FolderLockedError
from specklegan_tf.training.gan_trainer import check_resumable
from specklegan_tf.training.recovery import scan_checkpoints


@pytest.mark.parametrize("name", [".hidden", "..", "a/b", " padded", ""])
def test_bad_run_names_are_refused_before_training(name):
    with pytest.raises(ValueError, match="--name must be a plain folder name"):
        load_config(GANConfig, ["--name", name])


def test_restart_is_an_option_but_never_saved(tmp_path):
    config = load_config(GANConfig, ["--restart", "--image-size", "32"])
    assert config.restart
    save_config(config, tmp_path / "config.yaml")
    assert "restart" not in yaml.safe_load((tmp_path / "config.yaml").read_text())


def _run_folder_with_checkpoint(tmp_path, data):
    run = tmp_path / "run"
    save_config(GANConfig(data=os.fspath(data), image_size=32), run / "config.yaml")
    TrainingCheckpoint(run / "checkpoints", {}).save()
    return run


def test_resume_check_compares_data_folders_as_canonical_paths(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    run = _run_folder_with_checkpoint(tmp_path, data)
    check_resumable(GANConfig(data=os.fspath(data) + "/", image_size=32), run)  # DIR/ is DIR
    monkeypatch.chdir(tmp_path)
    check_resumable(GANConfig(data="data", image_size=32), run)  # relative is absolute
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(ValueError, match=r"--data .*other.* \(the run has .*data"):
        check_resumable(GANConfig(data=os.fspath(other), image_size=32), run)


def test_lock_nests_in_one_process_and_stale_records_are_reported(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / ".lock").write_text(json.dumps({"pid": 999999, "host": "elsewhere", "started": 0, "command": "x"}))
    with FolderLock(folder) as outer:
        assert "process 999999 on host elsewhere" in outer.stale_message()
        with FolderLock(folder) as inner:  # nested: the trainer and its loop
            assert inner.stale_message() is None
        # Still held after the inner release: a record naming this process is in the file.
        assert json.loads((folder / ".lock").read_text())["pid"] == os.getpid()
    assert (folder / ".lock").read_text() == ""  # released: emptied, never deleted


def test_lock_held_by_another_process_is_refused_naming_it(tmp_path):
    import subprocess
    import sys

    folder = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import time\nfrom specklegan_tf.training.folder_lock import FolderLock\n"
        f"FolderLock({os.fspath(folder)!r}, 'study folder').acquire()\nprint('held', flush=True)\ntime.sleep(60)\n")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(FolderLockedError, match=rf"in use by process {holder.pid} on host"):
            FolderLock(folder, "study folder").acquire()
    finally:
        holder.kill()
        holder.wait()
    with FolderLock(folder) as lock:  # the holder was killed: its lock is stale and taken over
        assert f"process {holder.pid}" in lock.stale_message()


def test_scan_of_a_fresh_folder_reports_nothing(tmp_path):
    scan = scan_checkpoints(tmp_path / "checkpoints")
    assert scan.chosen is None and not scan.has_files and scan.messages() == []
