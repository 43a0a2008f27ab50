"""A quiet TensorFlow start for the commands: the package's own lines first, TensorFlow's start-up log only with
``--verbose``.

What prints before the package can say anything, measured with TensorFlow 2.21 (CPU, no CUDA driver):

- ``WARNING: All log messages before absl::InitializeLog() is called are written to STDERR`` and
  ``I0000 ... cudart_stub.cc:31] Could not find cuda drivers``, twice (two shared libraries with their own copy of
  absl), during ``import tensorflow``. Abseil writes every message logged before ``absl::InitializeLog()`` to
  stderr whatever its thresholds are, so ``TF_CPP_MIN_LOG_LEVEL`` (even 3) cannot stop them, and Abseil reads no
  environment variable for it. The only thing that silences them is the file descriptor: :func:`start_tensorflow`
  points fd 2 at a temporary file while TensorFlow is imported and its platforms are listed, then restores it.
- ``E0000 ... cuda_platform.cc:52] failed call to cuInit: ... UNKNOWN ERROR (303)`` when the devices are first
  listed: an ERROR-level line, so ``TF_CPP_MIN_LOG_LEVEL=2`` keeps it; it is caught by the same capture.
- ``cpu_feature_guard.cc`` ("optimized to use available CPU instructions") at INFO: ``TF_CPP_MIN_LOG_LEVEL=2``.

The captured text is not thrown away blindly: lines that are not one of the known start-up notices above are
written to stderr after the capture (so a real problem still shows), and everything is written if the import fails.
"""
from __future__ import annotations

import os
import re
import sys
import tempfile
import time

VERBOSE_ENV = "SPECKLEGAN_TF_VERBOSE"

# TensorFlow's start-up notices that say nothing about the user's run (see the module docstring).
_NOISE = [re.compile(pattern) for pattern in (
    r"^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$",
    r"cudart_stub\.cc:\d+\] Could not find cuda drivers",
    r"cuda_platform\.cc:\d+\] failed call to cuInit",
    r"cuda_executor\.cc:\d+\] .*(?:kernel driver does not appear|cuInit)",
    r"cpu_feature_guard\.cc:\d+\]",
    r"^To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags\.$",
    r"oneDNN custom operations are on",
    r"Unable to register cu(?:DNN|FFT|BLAS) factory",
    r"computation placer already registered",
    r"TF-TRT Warning: Could not find TensorRT",
)]


def split_verbose(argv: list[str]) -> tuple[list[str], bool]:
    """Remove ``--verbose`` from the options (before a ``--``) and say whether it was there.

    The environment variable ``SPECKLEGAN_TF_VERBOSE=1`` has the same effect (and is how the ``specklegan``
    dispatcher passes the flag on).
    """
    argv = list(argv)
    end = argv.index("--") if "--" in argv else len(argv)
    verbose = "--verbose" in argv[:end]
    if verbose:
        argv = [a for i, a in enumerate(argv) if not (i < end and a == "--verbose")]
    return argv, verbose or os.environ.get(VERBOSE_ENV, "") not in ("", "0")


def is_noise(line: str) -> bool:
    """Whether ``line`` is one of TensorFlow's known start-up notices."""
    return any(pattern.search(line) for pattern in _NOISE)


def quiet_environment(verbose: bool) -> None:
    """Environment settings that must precede ``import tensorflow``: INFO and WARNING lines of TensorFlow's C++
    logging off unless ``verbose`` (a value the user set is kept)."""
    if not verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def start_tensorflow(verbose: bool = False) -> float:
    """Import TensorFlow and list its devices with the start-up log captured (all of it shown if ``verbose``).

    Listing the physical devices initialises the platforms (the cuInit line) but not the runtime, so logical
    devices and ``MultiWorkerMirroredStrategy`` can still be set up afterwards. Returns the seconds it took.
    A no-op (0 s) when TensorFlow is already imported, e.g. inside a test process.
    """
    if "tensorflow" in sys.modules:
        return 0.0
    started = time.perf_counter()
    quiet_environment(verbose)
    if verbose:
        import tensorflow as tf

        tf.config.list_physical_devices()
        return time.perf_counter() - started
    sys.stderr.flush()
    saved = os.dup(2)
    failed = True
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow as tf

            tf.config.list_physical_devices()
            failed = False
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf-8", "replace")
            kept = text if failed else "".join(line for line in text.splitlines(keepends=True)
                                                 if line.strip() and not is_noise(line))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()
    quiet_python_logging()
    return time.perf_counter() - started


def quiet_python_logging() -> None:
    """absl's Python logger (used by TensorFlow and Keras for warnings such as "Compiled the loaded model, but the
    compiled metrics have yet to be built") to ERROR: such notices are for library authors, not for users of
    the commands. ``--verbose`` leaves it alone."""
    try:
        from absl import logging as absl_logging
    except ImportError:  # absl-py comes with TensorFlow; without it there is nothing to quieten.
        return
    absl_logging.set_verbosity(absl_logging.ERROR)
