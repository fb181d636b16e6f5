"""config.toml: path, init, show (never a key), 0600, profiles, env overrides; and resolve_runtime."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from talkya_console import cli
from talkya_console.config import (
    Config,
    ConfigError,
    Profile,
    dump_config,
    load_config,
    parse_config,
    resolve_profile,
    save_config,
)
from talkya_console.runtime import EmbeddedProcess, RemoteRuntime, resolve_runtime

PROFILES = """
theme = "nord"
idle_lock_minutes = 5

[profiles.clinic]
base_url = "https://api.talkya.ai"
workspace = "ws_clinic"
relay_url = "wss://relay.example.org/v1/stream"
api_key = "tk_live_must_never_show"

[keymap]
"palette.open" = "ctrl+k,ctrl+p"
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Config and data dirs under tmp_path, and no TALKYA_* variables from the outer environment."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for var in ("CONFIG", "PROFILE", "API_KEY", "WORKSPACE", "BASE_URL", "RELAY_URL", "RELAY_TOKEN"):
        monkeypatch.delenv(f"TALKYA_{var}", raising=False)
    return tmp_path / "config" / "talkya-console" / "config.toml"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_path_and_init_write_an_owner_only_file(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["config", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(home)
    assert cli.main(["config", "init"]) == 0
    assert mode(home) == 0o600
    config = load_config(home)
    assert config.profiles["sandbox"].workspace == "ws_truebliss"
    assert cli.main(["config", "init"]) == 1, "an existing file is kept unless --force"
    home.chmod(0o644)
    assert cli.main(["config", "init", "--force"]) == 0
    assert mode(home) == 0o600


def test_show_never_prints_a_key(home: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    home.parent.mkdir(parents=True)
    home.write_text(PROFILES)
    monkeypatch.setenv("TALKYA_API_KEY", "tk_live_from_env_secret")
    monkeypatch.setenv("TALKYA_RELAY_TOKEN", "rt_from_env_secret")
    assert cli.main(["--profile", "clinic", "config", "show"]) == 0
    out = capsys.readouterr().out
    assert "secret" not in out and "must_never_show" not in out
    assert "api_key: set (env)" in out and "relay_token: set (env)" in out
    assert 'workspace = "ws_clinic"' in out
    assert cli.main(["--profile", "nope", "config", "show"]) == 1


def test_round_trip_through_the_serializer(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    config = Config(
        path,
        theme='dark "quoted"',
        idle_lock_minutes=0,
        profiles={"my clinic": Profile("my clinic", "https://x.example", "ws_x", None)},
        keymap={"palette.open": "ctrl+k", "quit": "ctrl+q"},
    )
    save_config(config)
    assert mode(path) == 0o600
    assert load_config(path) == config
    assert parse_config(dump_config(config), path) == config


def test_defaults_when_missing_and_errors_when_malformed(tmp_path: Path) -> None:
    config = load_config(tmp_path / "none.toml")
    assert (config.theme, config.idle_lock_minutes, config.profiles, config.keymap) == ("textual-dark", 15, {}, {})
    with pytest.raises(ConfigError):
        parse_config("idle_lock_minutes = -1", tmp_path)
    with pytest.raises(ConfigError):
        parse_config("theme = [", tmp_path)


def test_env_overrides_the_profile(tmp_path: Path) -> None:
    config = parse_config(PROFILES, tmp_path / "config.toml")
    env = {"TALKYA_WORKSPACE": "ws_other", "TALKYA_RELAY_URL": "ws://127.0.0.1:1/v1/stream"}
    resolved = resolve_profile(config, "clinic", env)
    assert resolved.base_url == "https://api.talkya.ai"
    assert (resolved.workspace, resolved.relay_url) == ("ws_other", "ws://127.0.0.1:1/v1/stream")
    with pytest.raises(ConfigError):
        resolve_profile(config, "nope", {})


def test_resolve_runtime(home: Path) -> None:
    home.parent.mkdir(parents=True)
    home.write_text(PROFILES)
    embedded = resolve_runtime(None, {})
    assert isinstance(embedded, EmbeddedProcess)
    assert (embedded.workspace, embedded.api_key) == ("ws_truebliss", "tk_test_truebliss")
    remote = resolve_runtime("clinic", {"TALKYA_API_KEY": "tk_live_x", "TALKYA_RELAY_TOKEN": "rt_x"})
    assert remote == RemoteRuntime(
        "https://api.talkya.ai", "ws_clinic", "tk_live_x", "wss://relay.example.org/v1/stream", "rt_x", "clinic"
    )
    assert "tk_live_x" not in repr(remote)
    from_env = resolve_runtime(
        None, {"TALKYA_API_KEY": "tk_live_y", "TALKYA_WORKSPACE": "ws_y", "TALKYA_BASE_URL": "http://127.0.0.1:9"}
    )
    assert isinstance(from_env, RemoteRuntime) and from_env.api_base == "http://127.0.0.1:9"
    # No key: the console asks for a staff sign-in (a stored one, or at the sign-in screen).
    signed_in_only = resolve_runtime("clinic", {})
    assert isinstance(signed_in_only, RemoteRuntime) and signed_in_only.api_key is None
    # A base URL alone (a `login` without a profile) is remote too.
    assert isinstance(resolve_runtime(None, {"TALKYA_BASE_URL": "http://x", "TALKYA_WORKSPACE": "ws_y"}), RemoteRuntime)
    with pytest.raises(ConfigError, match="workspace"):
        resolve_runtime(None, {"TALKYA_BASE_URL": "http://x"})
