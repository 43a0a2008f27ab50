"""Bad options, output paths and config files are refused before TensorFlow starts, naming the option or file
(issue 14, items 5 and 8); `generate --out` writes a whole folder or refuses (item 3)."""
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from specklegan_tf.commands import generate
from specklegan_tf.data.output_folders import staged_folder

ROOT = Path(__file__).resolve().parents[2]


def test_bad_values_are_refused_before_tensorflow_starts(tmp_path):
    model = tmp_path / "g.keras"
    model.write_bytes(b"only its existence is checked before TensorFlow")
    a_file = tmp_path / "a_file.txt"
    a_file.write_text("not a folder")
    full = tmp_path / "full"
    full.mkdir()
    (full / "old.png").write_bytes(b"")
    binary = tmp_path / "run.yaml"
    binary.write_bytes(bytes(range(256)) * 4)
    cases = [  # (command, arguments, what the message must name)
        ("generate", ["--model", model, "--out", tmp_path / "o", "--batch-size", "0"], ["--batch-size"]),
        ("generate", ["--model", model, "--out", tmp_path / "o", "--seed", "-1"], ["--seed"]),
        ("generate", ["--model", model, "--out", tmp_path / "o", "--n", "0"], ["--n"]),
        ("generate", ["--model", model, "--out", a_file], ["--out", "a_file.txt"]),
        ("generate", ["--model", model, "--out", full], ["--out", "full", "not empty", "--replace"]),
        ("evaluate", ["--model", model, "--out", tmp_path / "e", "--grid-columns", "0"], ["--grid-columns"]),
        ("evaluate", ["--model", model, "--out", a_file], ["--out", "a_file.txt"]),
        ("evaluate", ["--model", model, "--name", "A", "--name", "B", "--out", tmp_path / "e"], ["--name"]),
        ("fit_gan", ["--preset", "demo", "--out", a_file], ["--out", "a_file.txt"]),
        ("fit_gan", ["--preset", "demo", "--export-dir", a_file], ["--export-dir", "a_file.txt"]),
        ("fit_gan", ["--config", binary], ["--config", "run.yaml", "not a text file"]),
    ]
    child = textwrap.dedent("""
        import contextlib, importlib, io, json, sys
        results = []
        for command, args, _ in json.loads(sys.argv[1]):
            err = io.StringIO()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                try:
                    code = importlib.import_module("specklegan_tf.commands." + command).main(args)
                except SystemExit as exit:  # argparse's own errors
                    code = exit.code
            results.append([code, err.getvalue()])
        print(json.dumps({"results": results, "tensorflow": "tensorflow" in sys.modules}))
    """)
    encoded = json.dumps([[c, [str(a) for a in args], names] for c, args, names in cases])
    run = subprocess.run([sys.executable, "-c", child, encoded], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.splitlines()[-1])
    assert not report["tensorflow"], "a bad option must be refused before TensorFlow is imported"
    for (command, args, names), (code, stderr) in zip(cases, report["results"]):
        assert code == 2, (command, args, stderr)
        assert all(name in stderr for name in names), (command, args, stderr)
        assert "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file.txt", "full", "g.keras", "run.yaml"]
    assert [p.name for p in full.iterdir()] == ["old.png"]


def _pairs(folder: Path) -> int:
    return len(list((folder / "DCM").iterdir()))


@pytest.mark.slow  # several seconds (a child process, a trained or exported model): full suite only
def test_generate_writes_a_whole_folder_or_refuses(tmp_path, capsys):
    from specklegan_tf.export import save_generator_keras
    from specklegan_tf.models import build_generator

    model = save_generator_keras(build_generator(32, width=0.125, latent_dim=16, seed=0), tmp_path / "g.keras")
    out = tmp_path / "synthetic"
    out.mkdir()  # an empty folder is fine
    assert generate.main(["--model", model, "--n", 4, "--out", out]) == 0
    assert _pairs(out) == 4
    assert generate.main(["--model", model, "--n", 2, "--out", out]) == 2
    assert "--out" in capsys.readouterr().err and _pairs(out) == 4  # refused, old set untouched
    assert generate.main(["--model", model, "--n", 2, "--out", out, "--replace"]) == 0
    assert _pairs(out) == 2 and len(list((out / "LABELS").iterdir())) == 4  # lum_ and med_ contour per pair
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.keras", "synthetic"]  # no temporary folders left


def test_staged_folder_leaves_the_old_folder_on_failure(tmp_path):
    out = tmp_path / "set"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with staged_folder(out, replace=True) as temporary:
            (temporary / "new.txt").write_text("new")
            raise RuntimeError("killed half-way")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["set"]
    with staged_folder(out, replace=True) as temporary:
        np.save(temporary / "new.npy", np.zeros(2))
    assert [p.name for p in out.iterdir()] == ["new.npy"] and [p.name for p in tmp_path.iterdir()] == ["set"]
    with pytest.raises(ValueError, match="not empty"):
        with staged_folder(out):
            pass
