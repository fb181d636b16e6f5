"""`relay token create`, secrets from flags and the environment, and secrets kept out of reprs."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from talkya_console.relay.cli import add_relay_parser, run_relay
from talkya_console.relay.log import EventLog
from talkya_console.relay.settings import Secret, parse_secret_specs, wrap_secrets
from talkya_console.relay.tokens import token_workspace


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="talkya-console")
    add_relay_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_token_create_prints_a_token_on_its_last_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "relay.db"
    assert run_relay(parse(["relay", "token", "create", "--workspace", "ws_alpha", "--db", str(db)])) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert token.startswith("rt_") and len(token) > 30
    log = EventLog(db)
    try:
        assert token_workspace(log, token) == "ws_alpha"
        assert token_workspace(log, token + "x") is None
    finally:
        log.close()
    assert token.encode() not in b"".join(p.read_bytes() for p in tmp_path.iterdir())  # stored hashed only


def test_token_create_wants_a_workspace_id(tmp_path: Path) -> None:
    assert run_relay(parse(["relay", "token", "create", "--workspace", "alpha", "--db", str(tmp_path / "r.db")])) == 2


def test_relay_defaults() -> None:
    args = parse(["relay", "--secret", "ws_a=whsec_1", "--secret", "ws_a=whsec_2"])
    assert (args.host, args.port, args.relay_command, args.secret) == ("127.0.0.1", 8788, None, args.secret)


def test_secrets_from_flags_and_env_group_by_workspace() -> None:
    specs = ["ws_a=whsec_1,ws_a=whsec_2,ws_b=whsec_3", "ws_a=whsec_1", ""]
    assert parse_secret_specs(specs) == {"ws_a": ["whsec_1", "whsec_2"], "ws_b": ["whsec_3"]}


def test_a_malformed_secret_is_refused_without_echoing_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TALKYA_RELAY_SECRETS", raising=False)
    with pytest.raises(ValueError) as err:
        parse_secret_specs(["ws_a=notasecret_hunter2"])
    assert "hunter2" not in str(err.value)
    assert run_relay(parse(["relay", "--secret", "ws_a:whsec_hunter2"])) == 2
    assert "hunter2" not in capsys.readouterr().err


def test_secrets_never_reach_a_repr() -> None:
    wrapped = wrap_secrets({"ws_a": ["whsec_hunter2"]})
    assert "hunter2" not in repr(wrapped) and "hunter2" not in str(wrapped["ws_a"][0])
    assert wrapped["ws_a"][0].reveal() == "whsec_hunter2" and wrapped["ws_a"][0] == Secret("whsec_hunter2")


def test_token_list_shows_ids_and_labels_never_tokens_and_revoke_takes_an_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "relay.db")
    run_relay(parse(["relay", "token", "create", "--workspace", "ws_alpha", "--label", "front desk 2", "--db", db]))
    first = capsys.readouterr().out.strip().splitlines()[-1]
    run_relay(parse(["relay", "token", "create", "--workspace", "ws_bravo", "--db", db]))
    capsys.readouterr()
    assert run_relay(parse(["relay", "token", "list", "--db", db])) == 0
    listing = capsys.readouterr().out
    assert first not in listing
    lines = listing.strip().splitlines()
    assert lines[0].split()[:2] == ["ID", "WORKSPACE"] and len(lines) == 3
    alpha = next(line for line in lines if "ws_alpha" in line)
    assert "front desk 2" in alpha and "never" in alpha and "just now" in alpha
    token_id = alpha.split()[0]
    assert token_id.startswith("rtk_")
    assert run_relay(parse(["relay", "token", "list", "--workspace", "ws_bravo", "--db", db])) == 0
    assert "ws_alpha" not in capsys.readouterr().out

    assert run_relay(parse(["relay", "token", "revoke", token_id, "--db", db])) == 0
    assert f"revoked {token_id}" in capsys.readouterr().out
    log = EventLog(db)
    try:
        assert token_workspace(log, first) is None
    finally:
        log.close()
    assert run_relay(parse(["relay", "token", "revoke", token_id, "--db", db])) == 1
    assert "no token" in capsys.readouterr().err
    # A token pasted by mistake is accepted as an id but never echoed back.
    assert run_relay(parse(["relay", "token", "revoke", first, "--db", db])) == 1
    assert first not in capsys.readouterr().err


def test_describe_age() -> None:
    from talkya_console.relay.tokens import describe_age

    assert [describe_age(t, 10_000.0) for t in (None, 9_990.0, 9_000.0, 2_000.0)] == [
        "never",
        "just now",
        "16 min ago",
        "2 h ago",
    ]
