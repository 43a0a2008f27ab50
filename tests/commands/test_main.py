"""The `specklegan` dispatcher: every command is reachable, its --help shows defaults and an example; --verbose."""
import json

import pytest

from specklegan_tf.commands import main as dispatcher
from specklegan_tf.commands.startup import is_noise, split_verbose


@pytest.mark.parametrize("command", list(dispatcher.COMMANDS))
def test_every_command_has_help_with_defaults_and_examples(command, capsys):
    with pytest.raises(SystemExit) as exit:
        dispatcher.main([command, "--help"])
    assert exit.value.code == 0
    shown = capsys.readouterr().out
    assert f"usage: specklegan {command}" in shown
    assert "(default: " in shown and "Examples:" in shown and f"specklegan {command} --" in shown
    assert "--verbose" in shown


def test_dispatcher_lists_commands_and_refuses_unknown_ones(capsys):
    assert dispatcher.main(["--help"]) == 0
    listing = capsys.readouterr().out
    assert all(f"  {name} " in listing for name in dispatcher.COMMANDS)
    assert dispatcher.main(["fitgan"]) == 2
    assert "unknown command 'fitgan'" in capsys.readouterr().err
    assert dispatcher.main(["--version"]) == 0 and "specklegan_tf 0." in capsys.readouterr().out


def test_verbose_flag_and_noise_filter(monkeypatch):
    monkeypatch.delenv("SPECKLEGAN_TF_VERBOSE", raising=False)
    assert split_verbose(["--n", "3", "--verbose", "--", "--verbose"]) == (["--n", "3", "--", "--verbose"], True)
    assert split_verbose(["--n", "3"]) == (["--n", "3"], False)
    assert is_noise("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n")
    assert is_noise("I0000 00:00:1796179680.991990    3696 cudart_stub.cc:31] Could not find cuda drivers on "
                    "your machine, GPU will not be used.")
    assert not is_noise("E0000 00:00:1.2 3696 bfc_allocator.cc:1] Allocator ran out of memory")  # real problems stay


def test_only_the_chief_prints_the_first_line(monkeypatch):
    from specklegan_tf.commands.trainer import prints_messages

    cluster = {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}
    for task, chief in (({"type": "worker", "index": 0}, True), ({"type": "worker", "index": 1}, False)):
        monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": task}))
        assert prints_messages() is chief
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {**cluster, "chief": ["127.0.0.1:3"]},
                                                "task": {"type": "worker", "index": 0}}))
    assert not prints_messages()
    monkeypatch.delenv("TF_CONFIG")
    assert prints_messages()
