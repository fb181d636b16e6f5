"""The `talkya-console` command hands its flags to the servers it starts."""

from __future__ import annotations

import pytest

from talkya_console import cli


@pytest.fixture
def served(monkeypatch):
    calls: list[tuple[tuple, dict]] = []
    monkeypatch.setattr("talkya_console.sandbox.server.serve", lambda *a, **k: calls.append((a, k)) or 0)
    return calls


def test_sandbox_flags_reach_the_server(served):
    assert (
        cli.main(["sandbox", "--db", ":memory:", "--port", "9999", "--rate", "10", "--sim-seed", "4", "--no-simulate"])
        == 0
    )
    ((args, kwargs),) = served
    assert args[:4] == ("127.0.0.1", 9999, ":memory:", "demo")
    assert kwargs == {"simulate": False, "rate": 10.0, "sim_seed": 4}


def test_no_command_opens_the_console_with_the_profile(monkeypatch):
    opened: list[tuple[str | None, str | None]] = []
    monkeypatch.setattr("talkya_console.console.run_console", lambda profile, user: opened.append((profile, user)) or 0)
    assert cli.main([]) == 0
    assert cli.main(["--profile", "clinic"]) == 0
    assert cli.main(["--as", "usr_114"]) == 0
    assert opened == [(None, None), ("clinic", None), (None, "usr_114")]


def test_sandbox_defaults_to_its_port_and_the_seeds_simulator(served, tmp_path, monkeypatch):
    monkeypatch.setattr("talkya_console.config.default_sandbox_db", lambda: tmp_path / "sandbox.db")
    assert cli.main(["sandbox"]) == 0
    ((args, kwargs),) = served
    assert args[1] == 8787
    assert kwargs["simulate"] is None, "the simulator follows the seed unless told"


@pytest.mark.parametrize("flags", [["--rate", "0"], ["--patients", "100001"]])
def test_bad_values_are_refused_with_a_message(served, flags, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["sandbox", *flags])
    assert exit_.value.code == 2
    assert "must be" in capsys.readouterr().err
    assert served == []


def test_relay_token_create_prints_the_token_last(tmp_path, capsys):
    assert (
        cli.main(["relay", "token", "create", "--workspace", "ws_truebliss", "--db", str(tmp_path / "relay.db")]) == 0
    )
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("rt_")
