"""Runs :mod:`~specklegan_tf.diagnostics.native_crash_probe` in child processes and tabulates the outcomes.

Each configuration runs in its own Python process, so a native crash (segmentation fault, abort) becomes a row of
the table, with the command that reproduces it, instead of ending the sweep.

Usage::

    python -m specklegan_tf.diagnostics.crash_sweep reproducer   # the upstream table: Conv2D vs the package's shortcut
    python -m specklegan_tf.diagnostics.crash_sweep models       # GAN and U-Net, 32-512 px, widths 0.25 and 1
    python -m specklegan_tf.diagnostics.crash_sweep models --no-onednn   # the same with TF_ENABLE_ONEDNN_OPTS=0
"""
from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

PROBE = "specklegan_tf.diagnostics.native_crash_probe"

# The shapes of the upstream report (tensorflow/tensorflow#57749 family) as found on an AMD EPYC Zen 4:
# (N, H, W, C) -> filters.
REPRODUCER_SHAPES = (
    ((8, 64, 64, 4), 8), ((8, 128, 128, 4), 8), ((8, 256, 256, 4), 8), ((8, 64, 64, 8), 16),
    ((8, 64, 64, 4), 16), ((8, 128, 128, 4), 32), ((8, 256, 256, 4), 32), ((8, 32, 32, 4), 8), ((8, 64, 64, 16), 32),
)


@dataclass(frozen=True)
class ProbeOutcome:
    """What one child process did: ``returncode`` (negative: killed by that signal), its command, its last line."""

    arguments: tuple[str, ...]
    returncode: int
    seconds: float
    last_line: str
    environment: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def verdict(self) -> str:
        if self.ok:
            return "ok"
        if self.returncode == -999:
            return "timeout"
        if self.returncode < 0:
            try:
                return f"crash ({signal.Signals(-self.returncode).name})"
            except ValueError:
                return f"crash (signal {-self.returncode})"
        return f"failed (exit {self.returncode})"

    @property
    def command(self) -> str:
        """The shell command that reproduces this run."""
        env = " ".join(f"{key}={value}" for key, value in self.environment)
        return " ".join(filter(None, (env, "python -m", PROBE, shlex.join(self.arguments))))


def run_probe(arguments, environment: dict | None = None, timeout: float = 1800.0,
              interpreter_options: tuple[str, ...] = ("-m", PROBE)) -> ProbeOutcome:
    """Runs the probe with ``arguments`` (a list of strings) in a child Python process.

    Args:
        arguments: the probe's command line, e.g. ``["gan", "--size", "128"]``.
        environment: variables set for the child on top of this process's environment.
        timeout: seconds before the child is killed (reported as ``timeout``).
        interpreter_options: what precedes ``arguments`` on the child's command line (the probe module; a test
            passes ``("-c", code)`` to check the harness itself).
    """
    arguments = tuple(str(a) for a in arguments)
    env = {**os.environ, **(environment or {})}
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, *interpreter_options, *arguments], env=env, capture_output=True,
                              text=True, timeout=timeout)
        returncode, output = done.returncode, (done.stdout + done.stderr).strip()
    except subprocess.TimeoutExpired as expired:
        returncode, output = -999, str(expired.stdout or "")
    lines = [line for line in output.splitlines() if line.strip()]
    return ProbeOutcome(arguments, returncode, time.perf_counter() - start, lines[-1] if lines else "",
                        tuple(sorted((environment or {}).items())))


def reproducer_rows():
    """(label, probe arguments) of the upstream reproducer and the package's replacement at every listed shape."""
    for shape, filters in REPRODUCER_SHAPES:
        common = ["--shape", *map(str, shape), "--filters", str(filters)]
        label = f"{shape} -> {filters}"
        yield f"Conv2D 1x1 stride 2  {label}", ["conv", *common, "--kernel", "1", "--stride", "2"]
        yield f"package shortcut     {label}", ["shortcut", *common, "--stride", "2"]
        yield f"Conv2D 3x3 stride 2  {label}", ["conv", *common, "--kernel", "3", "--stride", "2"]


def model_rows(sizes=(32, 64, 128, 256, 512), widths=(0.25, 1.0), batches=(1, 16), steps: int = 2,
               models=("speckle",)):
    """(label, probe arguments) for the GAN and the U-Net over the supported sizes.

    ``models``: the generators to run (``"speckle"``, ``"baseline"``); the baseline only drops the speckle layer, so
    its convolutions are a subset of SpeckleGAN's except for the last block's input channels. At 512 px the batch
    is capped at 4 (a 16-image step of the full-width network needs tens of GB).
    """
    for size in sizes:
        for batch in batches:
            batch = min(batch, 4) if size >= 512 else batch
            for width in widths:
                for model in models:
                    yield (f"gan {model:8s} {size:3d} px width {width:4g} batch {batch:2d}",
                           ["gan", "--model", model, "--size", size, "--width", width, "--batch", batch,
                            "--steps", steps])
            yield (f"unet              {size:3d} px            batch {batch:2d}",
                   ["unet", "--size", size, "--batch", batch, "--steps", steps])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m specklegan_tf.diagnostics.crash_sweep", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("table", choices=("reproducer", "models"))
    parser.add_argument("--no-onednn", action="store_true", help="set TF_ENABLE_ONEDNN_OPTS=0 in the children")
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128, 256, 512])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--widths", type=float, nargs="+", default=[0.25, 1.0])
    parser.add_argument("--models", nargs="+", default=["speckle"], choices=["speckle", "baseline"])
    args = parser.parse_args(argv)
    environment = {"TF_ENABLE_ONEDNN_OPTS": "0"} if args.no_onednn else {}
    rows = reproducer_rows() if args.table == "reproducer" else model_rows(args.sizes, args.widths, args.batches, models=args.models)
    print(f"python {sys.version.split()[0]}, avx512f CPUs: {_avx512_cpus()}, oneDNN "
          f"{'off' if args.no_onednn else 'on'}", flush=True)
    failures = 0
    for label, arguments in rows:
        outcome = run_probe(arguments, environment)
        failures += not outcome.ok
        note = "" if outcome.ok else f"   reproduce: {outcome.command}"
        print(f"{label:58s} {outcome.verdict:18s} {outcome.seconds:7.1f} s{note}", flush=True)
    return 1 if failures and args.table == "models" else 0


def _avx512_cpus() -> int:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return sum(" avx512f" in line for line in cpuinfo if line.startswith("flags"))
    except OSError:
        return -1


if __name__ == "__main__":
    sys.exit(main())
