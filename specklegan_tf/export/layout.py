"""TF Serving's folder layout (``<export_dir>/<name>/<version>/``) and atomic writes of files and folders.

A half-written export must never be visible: TF Serving polls the model folder and loads any new numeric version
folder, and a crash mid-write must not leave a broken file where a good one was. So everything is written to a
hidden temporary sibling (same file system) and moved into place with ``os.replace``, which is atomic on POSIX.
TF Serving ignores the temporary folders because their names are not numbers.

Shared by the generator export and the segmentation export.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from specklegan_tf.layers.speckle_kernel import plain_tensorflow_kernel

from specklegan_tf.core.atomic_files import atomic_file  # noqa: F401  (the one atomic writer; old name kept)


def existing_versions(model_dir: str | os.PathLike) -> list[int]:
    """The numeric version folders under ``model_dir``, sorted (empty if the folder does not exist)."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        return []
    return sorted(int(p.name) for p in model_dir.iterdir() if p.is_dir() and p.name.isdigit())


def next_version(model_dir: str | os.PathLike) -> int:
    """The next free version number under ``model_dir``: one more than the largest, 1 for a new model."""
    versions = existing_versions(model_dir)
    return versions[-1] + 1 if versions else 1


def latest_version_dir(model_dir: str | os.PathLike) -> Path:
    """The newest numeric version folder of a model folder; ``FileNotFoundError`` naming the folder if none."""
    versions = existing_versions(model_dir)
    if not versions:
        raise FileNotFoundError(f"no numeric version folder (TF Serving layout) in {os.fspath(model_dir)!r}")
    return Path(model_dir) / str(versions[-1])


@contextlib.contextmanager
def atomic_directory(final_dir: str | os.PathLike) -> Iterator[Path]:
    """Yields a temporary folder beside ``final_dir``; on success it becomes ``final_dir`` in one rename.

    Raises ``FileExistsError`` (naming the folder) if ``final_dir`` already exists; on an exception inside the
    block the temporary folder is removed and ``final_dir`` is untouched.

    Example:
        >>> with atomic_directory("savedmodels/specklegan/3") as tmp:
        ...     write_everything_into(tmp)
    """
    final_dir = Path(final_dir)
    if final_dir.exists():
        raise FileExistsError(f"export folder {os.fspath(final_dir)!r} already exists; choose another version")
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{final_dir.name}-", dir=final_dir.parent))
    try:
        yield tmp
        try:
            # Renaming onto an existing *empty* folder would succeed silently; refuse it explicitly.
            if final_dir.exists():
                raise FileExistsError(f"export folder {os.fspath(final_dir)!r} appeared while writing")
            os.replace(tmp, final_dir)
        except OSError as error:
            raise FileExistsError(f"could not move the export into {os.fspath(final_dir)!r}: {error}") from error
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def export_serving_archive(model, export_dir: str | os.PathLike, name: str, version: int | None,
                           endpoints: dict, metadata_file: str, metadata: dict) -> Path:
    """Writes ``model`` with the given serving ``endpoints`` as a SavedModel in ``export_dir/name/<version>/``.

    The version folder is written under a temporary name and renamed when complete (``write_versioned``), so TF
    Serving never sees a half-written version; ``metadata`` goes to ``assets.extra/<metadata_file>`` as JSON.

    Args:
        model: The Keras model whose variables the endpoints use.
        export_dir: Folder of all exports (TF Serving's model root).
        name: Model name, a plain folder name; the model's base path is ``export_dir/name``.
        version: Positive integer version; ``None`` takes the next free number.
        endpoints: Signature name -> ``tf.function`` with an input signature.
        metadata_file: File name of the JSON metadata.
        metadata: JSON-serialisable facts about the export.

    Returns:
        The version folder written.
    """
    import json

    import keras

    if not name or os.sep in name or name.startswith("."):
        raise ValueError(f"`name` must be a plain folder name, got {name!r}")
    text = json.dumps(metadata, indent=2, sort_keys=True, default=str)

    def write(folder: Path) -> None:
        # Trace the endpoints with plain TensorFlow ops: TF Serving compiles XLA on CPU only behind an experimental
        # flag that is off by default, so graphs with XLA-compiled functions (the speckle layer's fast kernels)
        # would fail there.
        with plain_tensorflow_kernel():
            archive = keras.export.ExportArchive()
            archive.track(model)
            for endpoint, function in endpoints.items():
                archive.add_endpoint(endpoint, function)
            archive.write_out(os.fspath(folder), verbose=False)
        (folder / "assets.extra").mkdir(exist_ok=True)
        (folder / "assets.extra" / metadata_file).write_text(text)

    return write_versioned(Path(export_dir) / name, version, write)


def save_keras_file(model, path: str | os.PathLike) -> Path:
    """Saves ``model`` as a ``.keras`` file atomically (an existing file stays intact until the new one is complete).

    Args:
        model: A Keras model built from registered, serialisable layers (no lambdas), so the file loads with
            ``keras.saving.load_model(path, safe_mode=True)`` once ``specklegan_tf.models`` is imported (that
            registers every layer of the package; ``import specklegan_tf`` alone loads no TensorFlow and
            registers nothing).
        path: Destination, ending in ``.keras``.

    Returns:
        The path written.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"`path` must end with .keras, got {os.fspath(path)!r}")
    with atomic_file(path) as tmp:
        model.save(os.fspath(tmp))
    return path


def write_versioned(model_dir: str | os.PathLike, version: int | None, write) -> Path:
    """Writes a new version folder atomically with ``write(tmp_dir)`` and returns its final path.

    Args:
        model_dir: the model's base folder (``<export_dir>/<name>``), what TF Serving's ``model_base_path`` is.
        version: a positive integer, or ``None`` for the next free version (retried if another writer took it).
        write: a callable that writes the export into the folder it is given.
    """
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValueError(f"`version` must be a positive integer (TF Serving's numeric folders), got {version!r}")
        with atomic_directory(Path(model_dir) / str(version)) as tmp:
            write(tmp)
        return Path(model_dir) / str(version)
    for _ in range(5):
        final_dir = Path(model_dir) / str(next_version(model_dir))
        try:
            with atomic_directory(final_dir) as tmp:
                write(tmp)
            return final_dir
        except FileExistsError:  # a concurrent export took this number: write again under the next one
            continue
    raise FileExistsError(f"could not find a free version folder in {os.fspath(model_dir)!r}")
