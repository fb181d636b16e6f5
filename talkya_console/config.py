"""Where the console keeps its files (platformdirs), its config.toml, and settings read from the environment."""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "talkya-console"
CONFIG_ENV = "TALKYA_CONFIG"
KEYRING_SERVICE = APP_NAME
DEFAULT_THEME = "textual-dark"
DEFAULT_IDLE_LOCK_MINUTES = 15
# Environment variables that override a profile's fields (and, for keys, the keyring).
ENV_FIELDS = {"base_url": "TALKYA_BASE_URL", "workspace": "TALKYA_WORKSPACE", "relay_url": "TALKYA_RELAY_URL"}
ENV_SECRETS = {"api_key": "TALKYA_API_KEY", "relay_token": "TALKYA_RELAY_TOKEN"}
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class ConfigError(Exception):
    """config.toml is unreadable, or a profile is missing or incomplete."""


def data_dir() -> Path:
    """The user data dir, created owner-only."""
    path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def config_dir() -> Path:
    """The user config dir, created owner-only."""
    path = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def default_sandbox_db() -> Path:
    """The standalone sandbox's SQLite file."""
    return data_dir() / "sandbox.db"


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """config.toml: `$TALKYA_CONFIG` if set, else in the user config dir."""
    env = os.environ if env is None else env
    override = env.get(CONFIG_ENV)
    return Path(override) if override else config_dir() / "config.toml"


@dataclass
class Profile:
    """Where a Talkya and its relay are; the keys are never stored here (env or OS keyring)."""

    name: str
    base_url: str | None = None
    workspace: str | None = None
    relay_url: str | None = None


@dataclass
class Config:
    """The parsed config.toml, with defaults for anything missing."""

    path: Path
    theme: str = DEFAULT_THEME
    idle_lock_minutes: int = DEFAULT_IDLE_LOCK_MINUTES
    profiles: dict[str, Profile] = field(default_factory=dict)
    keymap: dict[str, str] = field(default_factory=dict)


def _str_or_none(table: Mapping[str, Any], key: str, where: str) -> str | None:
    """A string field, or None; anything else is a ConfigError."""
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{where}.{key} must be a string")
    return value


def parse_config(text: str, path: Path) -> Config:
    """A Config from TOML text; unknown keys are ignored (so a stray api_key is never echoed back)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    config = Config(path)
    config.theme = _str_or_none(data, "theme", "config") or DEFAULT_THEME
    minutes = data.get("idle_lock_minutes", DEFAULT_IDLE_LOCK_MINUTES)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 0:
        raise ConfigError("idle_lock_minutes must be a whole number, 0 or more")
    config.idle_lock_minutes = minutes
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError("[profiles] must be a table of [profiles.NAME] tables")
    for name, table in profiles.items():
        if not isinstance(table, dict):
            raise ConfigError(f"[profiles.{name}] must be a table")
        where = f"profiles.{name}"
        config.profiles[name] = Profile(
            name,
            _str_or_none(table, "base_url", where),
            _str_or_none(table, "workspace", where),
            _str_or_none(table, "relay_url", where),
        )
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict) or not all(isinstance(v, str) for v in keymap.values()):
        raise ConfigError("[keymap] maps binding ids to key strings")
    config.keymap = dict(keymap)
    return config


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """config.toml parsed, or the defaults when it does not exist."""
    path = path or config_path(env)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(path)
    return parse_config(text, path)


def _key(name: str) -> str:
    """A TOML key: bare when it can be, else quoted."""
    return name if _BARE_KEY.match(name) else json.dumps(name)


def _value(value: str | int) -> str:
    """A TOML scalar (JSON string escapes are valid TOML basic-string escapes)."""
    return str(value) if isinstance(value, int) else json.dumps(value, ensure_ascii=False)


def dump_config(config: Config) -> str:
    """TOML for this flat shape: top-level scalars, [profiles.NAME] tables, [keymap]."""
    lines = [f"theme = {_value(config.theme)}", f"idle_lock_minutes = {_value(config.idle_lock_minutes)}"]
    for name, profile in config.profiles.items():
        lines += ["", f"[profiles.{_key(name)}]"]
        for key in ("base_url", "workspace", "relay_url"):
            value = getattr(profile, key)
            if value is not None:
                lines.append(f"{key} = {_value(value)}")
    lines += ["", "[keymap]"]
    lines += [f"{_key(binding)} = {_value(keys)}" for binding, keys in config.keymap.items()]
    return "\n".join(lines) + "\n"


def write_private(path: Path, text: str) -> None:
    """Write `text` owner-only (0600) and atomically: a temp file created 0600, then renamed over."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def save_config(config: Config) -> None:
    """Write the config to its path, 0600."""
    write_private(config.path, dump_config(config))


def default_config(path: Path) -> Config:
    """What `config init` writes: the defaults and a profile for a local sandbox and relay."""
    sandbox = Profile("sandbox", "http://127.0.0.1:8787", "ws_truebliss", "ws://127.0.0.1:8788/v1/stream")
    return Config(path, profiles={"sandbox": sandbox})


def keyring_available() -> bool:
    """Whether the `keyring` package is importable (a dependency; kept defensive for odd installs)."""
    try:
        import keyring  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return True


def _keyring_get(profile: str, name: str) -> str | None:
    """`name` (api_key, relay_token) of a profile from the OS keyring, when there is one."""
    try:
        import keyring
    except ImportError:
        return None
    try:
        value = keyring.get_password(KEYRING_SERVICE, f"{profile}:{name}")
    except Exception:  # no usable backend: treat as not stored
        return None
    return value if isinstance(value, str) and value else None


def resolve_secret(name: str, profile: str | None, env: Mapping[str, str]) -> tuple[str | None, str]:
    """A key (api_key or relay_token) and where it came from: env, then keyring, else (None, 'not set')."""
    value = env.get(ENV_SECRETS[name])
    if value:
        return value, "env"
    if profile is not None:
        value = _keyring_get(profile, name)
        if value:
            return value, "keyring"
    return None, "not set"


def resolve_profile(config: Config, name: str | None, env: Mapping[str, str]) -> Profile:
    """The named profile (or none) with TALKYA_BASE_URL, TALKYA_WORKSPACE, TALKYA_RELAY_URL over it."""
    if name is not None and name not in config.profiles:
        raise ConfigError(f"no profile {name!r} in {config.path}")
    base = config.profiles.get(name or "", Profile(name or ""))
    overrides = {key: env[var] for key, var in ENV_FIELDS.items() if env.get(var)}
    return Profile(
        base.name,
        overrides.get("base_url", base.base_url),
        overrides.get("workspace", base.workspace),
        overrides.get("relay_url", base.relay_url),
    )
