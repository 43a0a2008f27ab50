"""The package as a user gets it (issue 15): the wheel, installed into a fresh venv outside the repository, trains
the demo at 32 px for one epoch with its installed `specklegan` command, exports, and generates from the export;
TensorBoard's own reader finds the tags the README promises in that run's logs; the commands start quietly.

How the second venv gets its dependencies: it is a new venv (its own site-packages, its own `bin/specklegan`)
into which the wheel is installed with `pip install --no-deps`; a `.pth` file then appends this test venv's
site-packages to its path for TensorFlow and the other dependencies. Installing TensorFlow into it instead would
download and unpack a 572 MB wheel (2.1 GB on disk) in every test run, minutes of the CI budget, and test pip
rather than the package. What is tested is the package's side: the wheel's files (code, the phantom, the export
code) and entry point, and that nothing is read from the clone (`specklegan_tf` must import from the new venv,
and the run happens in a folder outside the repository). The new venv also hides `tensorboard` (`sys.modules`
entry None, what `import` does for an absent package), so the run shows that training needs no TensorBoard.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # end-to-end runs in child processes: see docs/testing.md (fast tier)

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--preset", "demo", "--epochs", "1", "--image-size", "32", "--width", "0.125", "--latent-dim", "16",
        "--n-train", "24", "--batch-size", "4", "--val-images", "8", "--grid-size", "4", "--name", "tiny"]
# TensorFlow's C++ log format (absl): severity letter, date, time, thread, file:line].
ABSL_LINE = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ \S+:\d+\]")
TIMEOUT = 900


def _check(command, **kwargs):
    run = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=TIMEOUT, **kwargs)
    assert run.returncode == 0, f"{command}\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return run


def _timed(command, cwd, env):
    """Run a command; returns (exit code, stdout, stderr, seconds until its first stdout line)."""
    started = time.perf_counter()
    process = subprocess.Popen([str(c) for c in command], cwd=cwd, env=env, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    err: list[str] = []
    reader = threading.Thread(target=lambda: err.extend(process.stderr))
    reader.start()
    out, first = [], None
    for line in process.stdout:
        first = time.perf_counter() - started if first is None else first
        out.append(line)
    process.wait(timeout=TIMEOUT)
    reader.join()
    return process.returncode, "".join(out), "".join(err), first


def _ignore(folder, names):
    skip = {".git", ".venv", "build", "dist", "runs", "__pycache__", ".pytest_cache"}
    return [n for n in names if n in skip or n.endswith(".egg-info") or (Path(folder).name == "savedmodels"
                                                                          and n != "README.md")]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"  # a copy: building must not leave build/ or egg-info in the clone
    shutil.copytree(ROOT, source, ignore=_ignore)
    _check([sys.executable, "-m", "build", "--wheel", "--outdir", base / "dist", source])
    wheel = next((base / "dist").glob("specklegan_tf-*.whl"))
    venv = base / "venv"
    _check([sys.executable, "-m", "venv", venv])
    python = venv / "bin" / "python"
    _check([python, "-m", "pip", "install", "--no-deps", "--no-index", wheel])
    new_site = Path(_check([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (new_site / "zz_dependencies_from_test_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (new_site / "no_tensorboard.pth").write_text("import sys; sys.modules['tensorboard'] = None\n")
    work = base / "work"  # outside the repository
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "PYTHONPATH", "TF_CONFIG")}
    env["SPECKLEGAN_TF_CACHE"] = str(base / "cache")
    where = _check([python, "-c", "import specklegan_tf; print(specklegan_tf.__file__)"], cwd=work, env=env)
    fit = _timed([venv / "bin" / "specklegan", "fit-gan", *TINY, "--out", "runs/tiny"], work, env)
    assert fit[0] == 0, f"{fit[1][-3000:]}\n{fit[2][-3000:]}"
    generate = _timed([python, "-m", "specklegan_tf", "generate", "--model", "savedmodels/tiny", "--n", "3",
                       "--out", "synthetic", "--image-size", "32"], work, env)
    assert generate[0] == 0, f"{generate[1]}\n{generate[2]}"
    return {"wheel": wheel, "venv": venv, "work": work, "env": env, "module": where.stdout.strip(),
            "fit": fit, "generate": generate}


def test_wheel_installs_a_command_that_trains_exports_and_generates(installed):
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    for inside in ("specklegan_tf/data/phantom_simulator.py", "specklegan_tf/export/generator.py",
                   "specklegan_tf/commands/main.py", "specklegan_tf/__main__.py"):
        assert inside in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "specklegan = specklegan_tf.commands.main:main" in zipfile.ZipFile(installed["wheel"]).read(
        entry_points).decode()
    assert Path(installed["module"]).is_relative_to(installed["venv"])  # not the clone's copy
    work = installed["work"]
    assert "Exported the best" in installed["fit"][1]
    assert (work / "savedmodels" / "tiny" / "1" / "saved_model.pb").is_file()
    assert (work / "savedmodels" / "tiny.keras").is_file() and (work / "runs" / "tiny" / "finished.json").is_file()
    assert "wrote 3 images and masks to synthetic" in installed["generate"][1]
    assert len(list((work / "synthetic" / "DCM").iterdir())) == 3
    assert len(list((work / "synthetic" / "LABELS").iterdir())) == 6


def test_commands_start_quietly_and_say_something_first(installed):
    for code, out, err, first in (installed["fit"], installed["generate"]):
        assert out.splitlines()[0].startswith(("specklegan fit-gan: 1 epoch,", "python -m specklegan_tf generate:"))
        assert first < 10, f"first own line after {first:.1f} s"
        noise = [line for line in err.splitlines() if ABSL_LINE.match(line) or "absl::InitializeLog" in line
                 or "oneDNN" in line or "cuInit" in line or "WARNING:absl" in line]
        assert not noise, "\n".join(noise)
    assert "ETA" in installed["fit"][2]  # the progress lines are stderr's only content
    # --verbose shows what the capture hides (on this machine's TensorFlow build: absl's pre-init lines). The
    # cheapest command that starts TensorFlow: a batch larger than the data set is refused right after the start.
    code, out, err, _ = _timed([installed["venv"] / "bin" / "specklegan", "--verbose", "fit-gan", *TINY,
                                "--batch-size", "32", "--out", "runs/verbose"], installed["work"], installed["env"])
    assert code == 2 and "--batch-size 32 is larger than the data set" in err, err
    if not any(ABSL_LINE.match(line) or "absl::InitializeLog" in line for line in err.splitlines()):
        pytest.skip("this TensorFlow build prints nothing at start-up, so there is nothing to hide")


def test_tensorboard_reads_the_tags_the_readme_promises(installed):
    from tensorboard.backend.event_processing import plugin_event_accumulator

    import tensorflow as tf

    readme = (ROOT / "README.md").read_text()
    assert ("logs/                    TensorBoard: train/* per step, epoch/* means, learning_rate/*, validation/*, "
            "samples, config") in readme
    logs = plugin_event_accumulator.EventAccumulator(str(installed["work"] / "runs" / "tiny" / "logs"))
    logs.Reload()
    scalars = set(logs.PluginTagToContent("scalars"))
    for tag in ("train/d_loss", "train/g_loss", "epoch/d_loss", "learning_rate/g_optimizer",
                "learning_rate/d_optimizer", "validation/texture_fd", "validation/kid"):
        assert tag in scalars, sorted(scalars)
    steps = [event.step for event in logs.Tensors("train/d_loss")]
    assert steps == list(range(1, 7))  # one per training step
    assert all(np.isfinite(tf.make_ndarray(e.tensor_proto)) for e in logs.Tensors("train/g_loss"))
    assert set(logs.PluginTagToContent("images")) == {"samples"}
    width, height, png = tf.make_ndarray(logs.Tensors("samples")[-1].tensor_proto)
    assert tf.io.decode_png(png).shape == (int(height), int(width), 1)
    assert set(logs.PluginTagToContent("text")) == {"config"}
    text = tf.make_ndarray(logs.Tensors("config")[0].tensor_proto).item().decode()
    assert "image_size: 32" in text and "name: tiny" in text
