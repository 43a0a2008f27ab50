"""Native-crash regression: the networks' forward and backward passes in child processes, with oneDNN on.

On AVX-512 CPUs TensorFlow 2.21's oneDNN backward kernel of a strided 1x1 convolution corrupted memory and
killed the process (README, "Known platform issues"). A crash in this process would end pytest itself, so each
network runs in a child process; a crash is a failed test that names the command reproducing it.
"""
import os

import pytest

from specklegan_tf.diagnostics.crash_sweep import ProbeOutcome, run_probe

pytestmark = pytest.mark.slow  # end-to-end runs in child processes: see docs/testing.md (fast tier)


def _assert_ran(outcome: ProbeOutcome) -> None:
    assert outcome.ok, (
        f"{outcome.verdict} after {outcome.seconds:.0f} s; reproduce with:\n    {outcome.command}\n"
        f"last output line: {outcome.last_line}"
    )


def _onednn_on() -> dict:
    # The default configuration users run: make sure a TF_ENABLE_ONEDNN_OPTS=0 in the caller's shell does not
    # hide the bug from this test.
    return {"TF_ENABLE_ONEDNN_OPTS": "1"}


# Batch 8 at width 0.25 puts the discriminator's first shortcut at (8, S, S, 4) -> 8: the shape that crashed.
@pytest.mark.parametrize("size, batch", [(64, 8), (128, 8), (256, 4)])
def test_gan_training_step_runs_natively(size, batch):
    """One SpeckleGAN.train_step: generator (SPADE blocks, speckle layer in polar mode) and discriminator,
    forward and backward, three times."""
    _assert_ran(run_probe(["gan", "--size", size, "--width", 0.25, "--batch", batch, "--steps", 3], _onednn_on()))


@pytest.mark.parametrize("size, batch", [(64, 8), (128, 4), (256, 2)])
def test_unet_training_step_runs_natively(size, batch):
    _assert_ran(run_probe(["unet", "--size", size, "--batch", batch, "--steps", 3], _onednn_on()))


def test_the_probe_reports_a_failing_child_with_its_command():
    """The harness itself: a child that cannot run is reported as failed, with a command that names it."""
    outcome = run_probe(["gan", "--size", "0"], {"SPECKLEGAN_PROBE_MARK": "1"})
    assert not outcome.ok and outcome.returncode == 2 and outcome.verdict == "failed (exit 2)"
    assert "--size 0" in outcome.command and outcome.command.startswith("SPECKLEGAN_PROBE_MARK=1 python -m")
    assert "--size must be >= 1" in outcome.last_line


@pytest.mark.skipif(os.name != "posix", reason="signals are POSIX")
def test_a_native_crash_is_reported_as_a_crash_not_a_pytest_abort():
    """A child killed by SIGSEGV (what the oneDNN bug did) becomes a 'crash (SIGSEGV)' outcome."""
    code = "import os, signal; print('about to crash', flush=True); os.kill(os.getpid(), signal.SIGSEGV)"
    outcome = run_probe([], interpreter_options=("-c", code), timeout=60)
    assert outcome.returncode == -11 and outcome.verdict == "crash (SIGSEGV)" and not outcome.ok
    assert outcome.last_line == "about to crash"
