"""Run-folder fault matrix (issue 14, acceptance 1): kills, damaged files, missing state, locks.

Every case runs tests/training/fault_run.py (the trainers' machinery with a network that traces in a second;
32 px, 2 epochs of 4 steps, a checkpoint every step) as child processes. Each case ends in one of two ways:
the run finishes with the final weights of the uninterrupted reference run (equal weight digests), or it refuses
with exit code 2 and the folder is byte for byte unchanged. In every case there is no traceback and the
message names the file concerned. The reference run is shared; independent cases run two at a time.
"""
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # end-to-end runs in child processes: see docs/testing.md (fast tier)

ROOT = Path(__file__).resolve().parents[2]
DRIVER = ROOT / "tests" / "training" / "fault_run.py"
TIMEOUT = 300
KILL_AT = "SPECKLEGAN_TF_KILL_AT"


def run(out: Path, *args, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
    env.pop(KILL_AT, None)
    if kill_at:
        env[KILL_AT] = kill_at
    return subprocess.run([sys.executable, str(DRIVER), "--out", str(out), "--export-dir", str(out.parent / "sm"),
                           *map(str, args)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=TIMEOUT)


def digest(process: subprocess.CompletedProcess) -> str:
    match = re.search(r"weights digest (\w+)", process.stdout)
    assert match, f"exit {process.returncode}\n{process.stdout[-2000:]}\n{process.stderr[-2000:]}"
    return match.group(1)


def no_traceback(process: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in process.stderr + process.stdout, process.stderr[-3000:]


def folder_state(folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file (the lock file excluded: a refused process never writes it)."""
    return {os.fspath(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    results = {}
    # The uninterrupted reference, and the kill chain's first process (killed after its third step; the
    # checkpoints of steps 1 and 2 are complete), side by side.
    with ThreadPoolExecutor(2) as pool:
        reference = pool.submit(run, root / "ref" / "run")
        first_kill = pool.submit(run, root / "chain" / "run", kill_at="step:3")
        results["reference"], results["kill_step"] = reference.result(), first_kill.result()
    results["digest"] = digest(results["reference"])
    chain = root / "chain" / "run"
    # Snapshots of the folder left by the kill, for the damaged-file cases.
    for name in ("truncated", "empty_index", "no_state", "garbage_state", "all_damaged"):
        shutil.copytree(chain, root / name / "run")
    checkpoints = {name: root / name / "run" / "checkpoints" for name in
                   ("truncated", "empty_index", "no_state", "garbage_state", "all_damaged")}
    data = checkpoints["truncated"] / "ckpt-2.data-00000-of-00001"
    os.truncate(data, data.stat().st_size // 2)
    (checkpoints["empty_index"] / "ckpt-2.index").write_bytes(b"")
    (checkpoints["no_state"] / "checkpoint").unlink()
    (checkpoints["garbage_state"] / "checkpoint").write_bytes(b"\x00\x13garbage\xff not a state file\n")
    for number in (1, 2):
        path = checkpoints["all_damaged"] / f"ckpt-{number}.data-00000-of-00001"
        os.truncate(path, path.stat().st_size // 2)
    # A lock record of a process that is gone (the lock file itself was left unlocked by the kill anyway); in
    # the missing-state case, so that one process checks both (each process costs about 10 s of CPU here).
    (root / "no_state" / "run" / ".lock").write_text(
        f'{{"pid": 999999, "host": "{socket.gethostname()}", "started": 0, "command": "fault_run.py (killed)"}}')
    # A finished run whose checkpoints were deleted, refused; then the same with --restart.
    shutil.copytree(root / "ref" / "run", root / "no_checkpoints" / "run")
    shutil.rmtree(root / "no_checkpoints" / "run" / "checkpoints")
    results["before"] = {name: folder_state(root / name / "run") for name in ("all_damaged", "no_checkpoints")}

    def chain_runs():
        # Each rerun resumes the previous kill and is killed itself at the next fault point.
        out = {}
        out["kill_checkpoint"] = run(chain, kill_at="checkpoint_write:2")
        out["kill_validation"] = run(chain, kill_at="validation:1")
        out["kill_export"] = run(chain, kill_at="export:1")
        out["chain_final"] = run(chain)
        return out

    def damaged_runs():
        out = {name: run(root / name / "run") for name in
               ("truncated", "empty_index", "no_state", "garbage_state", "all_damaged", "no_checkpoints")}
        out["restart"] = run(root / "no_checkpoints" / "run", "--restart")
        return out

    with ThreadPoolExecutor(2) as pool:
        chain_future, damaged_future = pool.submit(chain_runs), pool.submit(damaged_runs)
        results.update(chain_future.result())
        results.update(damaged_future.result())

    # A second process while a live one holds the folder (the holder is a real FolderLock in another process).
    busy = root / "busy" / "run"
    shutil.copytree(chain, busy)
    before_busy = folder_state(busy)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom specklegan_tf.training.folder_lock import FolderLock\n"
        f"lock = FolderLock({str(busy)!r}).acquire()\nprint('held', flush=True)\ntime.sleep(120)\n")],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "held"
        results["concurrent"] = run(busy)
    finally:
        holder.kill()
        holder.wait()
    results["concurrent_holder"] = holder.pid
    results["busy_unchanged"] = folder_state(busy) == before_busy
    results["root"] = root
    return results


def test_kill_during_a_step_then_rerun_resumes(matrix):
    assert matrix["kill_step"].returncode == -signal.SIGKILL
    rerun = matrix["kill_checkpoint"]  # the rerun of the step kill (itself killed later, at a checkpoint write)
    no_traceback(rerun)
    assert "Took over the stale lock" in rerun.stdout and ".lock" in rerun.stdout
    assert re.search(r"Resuming from \S+ckpt-2: epoch 1, step 2 of 4", rerun.stdout), rerun.stdout


def test_kill_during_a_checkpoint_write_then_rerun_finds_the_complete_files(matrix):
    assert matrix["kill_checkpoint"].returncode == -signal.SIGKILL
    rerun = matrix["kill_validation"]
    no_traceback(rerun)
    # The killed save wrote ckpt-4's files, not the state file: the rerun says so and resumes from them.
    assert re.search(r"state file \S+checkpoints/checkpoint names ckpt-3, but the newest intact checkpoint is "
                     r"ckpt-4", rerun.stdout), rerun.stdout
    assert re.search(r"Resuming from \S+ckpt-4: epoch 2, step 0", rerun.stdout), rerun.stdout


def test_kill_during_validation_and_export_then_the_run_finishes_like_an_uninterrupted_one(matrix):
    assert matrix["kill_validation"].returncode == -signal.SIGKILL
    assert matrix["kill_export"].returncode == -signal.SIGKILL
    assert re.search(r"Resuming from \S+ckpt-\d+", matrix["kill_export"].stdout)
    final = matrix["chain_final"]
    no_traceback(final)
    assert "Took over the stale lock" in final.stdout
    assert digest(final) == matrix["digest"]
    # The export killed after its version folder was complete is kept: still exactly one version.
    assert os.listdir(matrix["root"] / "chain" / "sm" / "faultrun") == ["1"]
    assert (matrix["root"] / "chain" / "run" / "finished.json").exists()


@pytest.mark.parametrize("case, named", [
    ("truncated", "ckpt-2.data-00000-of-00001 is damaged"),
    ("empty_index", "ckpt-2.index is empty"),
])
def test_damaged_latest_checkpoint_falls_back_to_the_newest_intact_one(matrix, case, named):
    process = matrix[case]
    no_traceback(process)
    assert process.returncode == 0 and named in process.stdout, process.stdout
    assert re.search(r"Resuming from the newest intact checkpoint \S+ckpt-1 instead", process.stdout)
    assert digest(process) == matrix["digest"]
    damaged = matrix["root"] / case / "run" / "checkpoints" / "damaged"
    assert sorted(p.name for p in damaged.iterdir()) == ["ckpt-2.data-00000-of-00001", "ckpt-2.index"]


@pytest.mark.parametrize("case, named", [
    ("no_state", "checkpoints/checkpoint is missing"),
    ("garbage_state", "checkpoints/checkpoint cannot be read"),
])
def test_missing_or_garbage_state_file_finds_the_checkpoints_by_their_files(matrix, case, named):
    process = matrix[case]
    no_traceback(process)
    assert process.returncode == 0 and named in process.stdout, process.stdout
    assert "found the checkpoints by their files instead: ckpt-2, ckpt-1" in process.stdout
    assert re.search(r"Resuming from \S+ckpt-2: epoch 1, step 2 of 4", process.stdout)
    assert digest(process) == matrix["digest"]


def test_no_readable_checkpoint_refuses_without_touching_the_folder(matrix):
    process = matrix["all_damaged"]
    no_traceback(process)
    assert process.returncode == 2
    assert "ckpt-2.data-00000-of-00001 is damaged" in process.stderr and "ckpt-1.data" in process.stderr
    assert "--restart" in process.stderr
    assert folder_state(matrix["root"] / "all_damaged" / "run") == matrix["before"]["all_damaged"]


def test_outputs_without_checkpoints_refuse_and_restart_moves_them_aside(matrix):
    process = matrix["no_checkpoints"]
    no_traceback(process)
    assert process.returncode == 2 and "generator_best.keras" in process.stderr and "--restart" in process.stderr
    restarted = matrix["restart"]
    no_traceback(restarted)
    assert "--restart: starting again from step 0" in restarted.stdout and "previous-1" in restarted.stdout
    assert digest(restarted) == matrix["digest"]
    previous = matrix["root"] / "no_checkpoints" / "run" / "previous-1"
    assert folder_state(previous) == matrix["before"]["no_checkpoints"]


def test_stale_lock_is_taken_over(matrix):
    process = matrix["no_state"]
    no_traceback(process)
    assert "Took over the stale lock" in process.stdout and "process 999999" in process.stdout
    assert ".lock" in process.stdout
    assert digest(process) == matrix["digest"]


def test_second_concurrent_run_refuses_naming_the_holder(matrix):
    process = matrix["concurrent"]
    no_traceback(process)
    assert process.returncode == 2
    assert f"in use by process {matrix['concurrent_holder']} on host {socket.gethostname()}" in process.stderr
    assert ".lock" in process.stderr
    assert matrix["busy_unchanged"]
