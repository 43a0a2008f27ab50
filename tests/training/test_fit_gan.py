"""`python train/fit_gan.py` end to end in subprocesses (issue 5, acceptance 4, 5 and 7).

The runs are few and small (32x32, width 0.125, one epoch of 6 steps) because every process pays TensorFlow's
graph tracing once. They run side by side and are shared by the tests of this module:

- A: the demo command shrunk by flags, uninterrupted, with op determinism: the end-to-end run (acceptance 7) and
  the reference for the resume test;
- B: the same command in another run folder, killed with SIGKILL right after its first mid-epoch checkpoint,
  then B': the same command again, which must resume there and end with A's weights bit for bit (acceptance 4);
- W0, W1: two MultiWorkerMirroredStrategy workers on 127.0.0.1 through TF_CONFIG (acceptance 5; the
  MirroredStrategy side is tests/training/test_runner.py, resume included);
- A rerun: a finished run rerun does nothing and says so.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

pytestmark = pytest.mark.slow  # end-to-end runs in child processes: see docs/testing.md (fast tier)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "train" / "fit_gan.py"
STEPS = 6  # 24 images / batch 4
SMALL = ["--preset", "demo", "--epochs", "1", "--image-size", "32", "--width", "0.125", "--latent-dim", "16",
         "--n-train", "24", "--batch-size", "4", "--val-images", "8", "--grid-size", "4"]
TIMEOUT = 900


def _environment(cache: Path, tf_config: dict | None = None) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", SPECKLEGAN_TF_CACHE=str(cache), PYTHONUNBUFFERED="1")
    env.pop("TF_CONFIG", None)
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    return env


def _start(args: list, env: dict, log: Path, pipe: bool = False) -> subprocess.Popen:
    """Start fit_gan.py; stdout goes to ``<log>.out`` (or a pipe), stderr (progress bar, TF) to ``log``."""
    stdout = subprocess.PIPE if pipe else open(log.with_suffix(".out"), "w")
    return subprocess.Popen([sys.executable, str(SCRIPT), *map(str, args)], stdout=stdout,
                            stderr=open(log, "w"), env=env, text=True, cwd=ROOT)


def _finish(process: subprocess.Popen, log: Path) -> str:
    try:
        process.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
    out = log.with_suffix(".out").read_text()
    assert process.returncode == 0, f"exit {process.returncode}\n{out}\n{log.read_text()[-3000:]}"
    return out


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _checkpoint_tensors(run_dir: Path) -> dict[str, np.ndarray]:
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(run_dir / "checkpoints")))
    return {key: reader.get_tensor(key) for key in reader.get_variable_to_shape_map()
            if key != "_CHECKPOINTABLE_OBJECT_GRAPH"}


def _counters(run_dir: Path) -> dict:
    from specklegan_tf.training.checkpoints import read_counters

    return read_counters(run_dir / "checkpoints")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("fit_gan")
    env = _environment(root / "cache")
    common = SMALL + ["--deterministic", "--checkpoint-every-steps", "2", "--export-dir", root / "savedmodels"]
    command_a = common + ["--out", root / "A"]
    command_b = common + ["--out", root / "B", "--no-export"]

    # All processes side by side (each spends most of its time tracing the training step once).
    process_a = _start(command_a, env, root / "A.log")
    process_b = _start(command_b, env, root / "B.log", pipe=True)
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    workers = [
        _start(SMALL + ["--strategy", "multiworker", "--out", root / "MW", "--no-export", "--n-train", "16"],
               _environment(root / "cache", {"cluster": cluster, "task": {"type": "worker", "index": index}}),
               root / f"W{index}.log")
        for index in range(2)
    ]
    # E: with the moving average of the generator's weights (two epochs, so the average differs from the weights)
    # the R1 penalty in the discriminator's loss and the diversity term in the generator's.
    # E also starts its display-route speckle term at the training images' contrast (--speckle-contrast data) and
    # keeps its 1x1 weights non-negative (--speckle-weights nonnegative).
    process_e = _start(SMALL + ["--epochs", "2", "--generator-ema", "0.9", "--r1-gamma", "0.5",
                                "--diversity-weight", "1", "--speckle-route", "display", "--speckle-compression", "log",
                                "--speckle-contrast", "data", "--speckle-weights", "nonnegative", "--out", root / "E",
                                "--export-dir", root / "savedmodels_e"], env, root / "E.log")
    killed_after = None
    for line in process_b.stdout:
        if line.startswith("checkpoint "):
            process_b.send_signal(signal.SIGKILL)
            killed_after = line
            break
    process_b.wait(timeout=TIMEOUT)
    at_kill = _counters(root / "B")
    process_b2 = _start(command_b, env, root / "B2.log")  # the same command again: resumes
    out_a = _finish(process_a, root / "A.log")
    out_b2 = _finish(process_b2, root / "B2.log")
    out_workers = [_finish(worker, root / f"W{index}.log") for index, worker in enumerate(workers)]
    _finish(process_e, root / "E.log")

    rerun = subprocess.run([sys.executable, str(SCRIPT), *map(str, command_a)], capture_output=True, text=True,
                           env=env, cwd=ROOT, timeout=TIMEOUT)
    # Damaged copies of the finished run (issue 14): cheap, they stop before building any model.
    damaged = {}
    for case in ("no_best", "no_state"):
        shutil.copytree(root / "A", root / case)
        damaged[case] = root / case
    (root / "no_best" / "generator_best.keras").unlink()
    (root / "no_state" / "checkpoints" / "checkpoint").unlink()
    before = {case: sorted(p.name for p in folder.rglob("*")) for case, folder in damaged.items()}
    damaged_runs = {case: subprocess.run([sys.executable, str(SCRIPT), *map(str, common + ["--out", folder])],
                                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=TIMEOUT)
                    for case, folder in damaged.items()}
    after = {case: sorted(p.name for p in folder.rglob("*")) for case, folder in damaged.items()}
    return {"root": root, "out_a": out_a, "killed_after": killed_after, "returncode_b": process_b.returncode,
            "at_kill": at_kill, "out_b2": out_b2, "out_workers": out_workers, "rerun": rerun,
            "damaged": damaged_runs, "unchanged": before == after}


def test_demo_end_to_end_writes_checkpoints_logs_grid_and_export(runs):
    run_dir = runs["root"] / "A"
    assert _counters(run_dir)["epoch"] == 1 and _counters(run_dir)["step"] == STEPS
    assert any(name.endswith(".index") for name in os.listdir(run_dir / "checkpoints"))
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(run_dir / "logs"))
    config = (run_dir / "config.yaml").read_text()
    assert "image_size: 32" in config and "epochs: 1" in config and "name: specklegan-demo" in config
    for grid in ("epoch_0001.png", "final.png"):
        image = tf.io.decode_png((run_dir / "samples" / grid).read_bytes()).numpy()
        # Four rows (mask, real, two generated) of 32-px tiles with 2-px gaps, four columns.
        assert image.shape[:2] == (4 * 34 - 2, 4 * 34 - 2)
        assert image.std() > 0
    record = json.loads((run_dir / "finished.json").read_text())
    export = Path(record["savedmodel"])
    assert export == runs["root"] / "savedmodels" / "specklegan-demo" / "1"
    assert (export / "saved_model.pb").exists() and Path(record["keras"]).exists()
    assert (run_dir / "generator_best.keras").exists() and (run_dir / "generator_final.keras").exists()
    history = [json.loads(line) for line in (run_dir / "history.jsonl").read_text().splitlines()]
    assert len(history) == 1 and np.isfinite(history[0]["validation"]["texture_fd"])
    # The progress bar: one line per step of the single epoch, ending with the full bar and the epoch summary.
    log = (runs["root"] / "A.log").read_text()
    bars = re.findall(rf"^epoch 1/1 \[[#.]{{24}}\] (\d)/{STEPS} ETA \S+ \(run \S+\)", log, flags=re.MULTILINE)
    assert [int(step) for step in bars] == list(range(1, STEPS + 1)), log
    assert re.search(r"^epoch 1/1 done in \d+:\d\d", log, flags=re.MULTILINE), log


def test_sigkill_mid_epoch_then_rerun_resumes_and_matches_uninterrupted_run(runs):
    assert runs["returncode_b"] == -signal.SIGKILL
    at_kill = runs["at_kill"]
    assert at_kill["epoch"] == 0 and 0 < at_kill["step_in_epoch"] < STEPS, runs["killed_after"]
    resumed_line = re.search(r"Resuming from \S+ckpt-(\d+): epoch 1, step (\d+) of 6", runs["out_b2"])
    assert resumed_line, runs["out_b2"]
    assert int(resumed_line.group(1)) == int(resumed_line.group(2)) == at_kill["step"]
    assert f"this call trained {STEPS - at_kill['step']} steps" in runs["out_b2"]

    resumed, reference = _checkpoint_tensors(runs["root"] / "B"), _checkpoint_tensors(runs["root"] / "A")
    iterations = [k for k in reference if "optimizer" in k and "iteration" in k]
    assert len(iterations) == 2 and all(int(resumed[k]) == STEPS for k in iterations)
    assert resumed.keys() == reference.keys()
    different = [k for k in reference if not np.array_equal(resumed[k], reference[k], equal_nan=True)]
    assert different == []
    digests = [re.search(r"weights digest (\w+)", out).group(1) for out in (runs["out_a"], runs["out_b2"])]
    assert digests[0] == digests[1]


def test_two_workers_train_and_end_with_identical_weights(runs):
    outputs = runs["out_workers"]
    digests = {}
    for out in outputs:
        match = re.search(r"\[worker (\d)\] weights digest (\w+)", out)
        assert match, out
        digests[int(match.group(1))] = match.group(2)
    assert sorted(digests) == [0, 1] and digests[0] == digests[1]
    assert "MultiWorkerMirroredStrategy, 2 replica(s), this process is worker 0" in outputs[0]
    run_dir = runs["root"] / "MW"
    assert _counters(run_dir)["step"] == 16 // 4
    # Only the chief (worker 0) keeps files: the other worker's temporary checkpoint folder is gone.
    assert not [p for p in (run_dir / "checkpoints").iterdir() if p.name.startswith(".worker")]
    assert outputs[1].strip().splitlines() == [f"[worker 1] weights digest {digests[1]}"]


def test_finished_run_rerun_does_nothing_and_says_so(runs):
    rerun = runs["rerun"]
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "already finished" in rerun.stdout
    assert os.listdir(runs["root"] / "savedmodels" / "specklegan-demo") == ["1"]
    assert "Training" not in rerun.stdout


def test_finished_run_with_deleted_best_generator_or_state_file_says_so_and_changes_nothing(runs):
    no_best, no_state = runs["damaged"]["no_best"], runs["damaged"]["no_state"]
    for process in (no_best, no_state):
        assert process.returncode == 0 and "Traceback" not in process.stderr, process.stderr[-2000:]
        assert "already finished" in process.stdout
    assert "no_best/generator_best.keras (the best generator, epoch 1) is missing" in no_best.stdout
    assert "no_state/checkpoints/checkpoint is missing; found the checkpoints by their files" in no_state.stdout
    assert runs["unchanged"]
    assert os.listdir(runs["root"] / "savedmodels" / "specklegan-demo") == ["1"]


def test_generator_ema_run_writes_and_exports_the_averaged_weights(runs):
    import keras

    import specklegan_tf.models  # noqa: F401  (registers the layers the .keras files name)

    run = runs["root"] / "E"
    tensors = _checkpoint_tensors(run)
    prefix = "generator_average/averages/"
    averages = {int(key[len(prefix):].split("/")[0]): value for key, value in tensors.items()
                if key.startswith(prefix)}
    assert averages and tensors["generator_average/updates/.ATTRIBUTES/VARIABLE_VALUE"] == 2 * STEPS
    final = keras.saving.load_model(run / "generator_final.keras")
    (exported_file,) = (runs["root"] / "savedmodels_e").glob("*.keras")
    exported = keras.saving.load_model(exported_file)
    weights = [v.numpy() for v in final.trainable_variables]
    assert len(weights) == len(averages)
    for index, value in enumerate(weights):
        np.testing.assert_array_equal(value, averages[index])
    # The checkpoint's training weights are not the average: the files hold the average, not a copy of them.
    # (a weight without gradient, e.g. an unused bias, is its own average; those are few)
    raw = [value for key, value in tensors.items() if key.startswith("generator/")]
    copies = sum(any(r.shape == w.shape and np.array_equal(r, w) for r in raw) for w in weights)
    assert raw and copies < len(weights) / 4, (copies, len(weights))
    # The best generator is exported: an average too (it is the final one when the last epoch validated best).
    best_epoch = json.loads((run / "finished.json").read_text())["best_epoch"]
    if best_epoch == 2:
        for a, b in zip(exported.trainable_variables, final.trainable_variables):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert "generator_ema: 0.9" in (run / "config.yaml").read_text()
    # The R1 penalty is trained and logged per epoch; it is a model option, so a resume with another gamma is refused.
    history = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    assert [record["epoch"] for record in history] == [1, 2]
    assert all(0 < record["train"]["r1_penalty"] < 10 for record in history), history
    assert all(0 < record["train"]["diversity"] < 10 for record in history), history
    assert "r1_gamma: 0.5" in (run / "config.yaml").read_text()
    assert "diversity_weight: 1.0" in (run / "config.yaml").read_text()
    # --speckle-contrast data: measured once at the start, logged and recorded for the report.
    record = json.loads((run / "speckle_init.json").read_text())["speckle_contrast"]
    assert 0.05 < record["data_tissue_contrast"] < 1 and record["matched_direct_gain"] > 0
    assert (runs["root"] / "E.out").read_text().count("Speckle contrast from the data") == 1
    # --speckle-weights nonnegative: recorded, and the trained (averaged) 1x1 kernel has no negative weight.
    assert "speckle_weights: nonnegative" in (run / "config.yaml").read_text()
    assert keras.ops.convert_to_numpy(final.get_layer("speckle_to_image").kernel).min() >= 0
