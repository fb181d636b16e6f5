"""The relay's settings, and webhook secrets wrapped so they never reach a repr or a log."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

SECRETS_ENV = "TALKYA_RELAY_SECRETS"
MAX_BODY = 1024 * 1024
_SPEC = re.compile(r"^(ws_[A-Za-z0-9_]+)=(whsec_\S+)$")


class Secret:
    """A secret string whose repr and str are masked; `reveal()` is the only way to the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def wrap_secrets(secrets: Mapping[str, Sequence[str | Secret]]) -> dict[str, tuple[Secret, ...]]:
    """Workspace id to its secrets (two during a rotation), each wrapped."""
    return {ws: tuple(s if isinstance(s, Secret) else Secret(s) for s in values) for ws, values in secrets.items()}


def parse_secret_specs(specs: Iterable[str]) -> dict[str, list[str]]:
    """`ws_a=whsec_1` items (from `--secret` or comma-separated env) grouped by workspace, in order."""
    grouped: dict[str, list[str]] = {}
    items = [item.strip() for raw in specs for item in raw.split(",") if item.strip()]
    for index, item in enumerate(items, start=1):
        match = _SPEC.match(item)
        if match is None:
            # Never echo the item: it may be a secret typed slightly wrong.
            raise ValueError(f"secret #{index} is not of the form ws_...=whsec_...")
        values = grouped.setdefault(match.group(1), [])
        if match.group(2) not in values:
            values.append(match.group(2))
    return grouped


@dataclass(frozen=True)
class CatchUpSource:
    """Where to refill a workspace's gaps from: a Talkya API and a key with `webhooks:read`."""

    base_url: str
    workspace_id: str
    api_key: Secret
    interval: float | None = None  # seconds between runs after the one at startup; None: startup only


@dataclass(frozen=True)
class RelaySettings:
    """Tunables; the defaults suit production, tests shrink them."""

    retention_days: float = 7.0
    retention_count: int = 100_000
    prune_interval: float = 60.0
    ping_interval: float = 15.0
    queue_size: int = 1000
    tolerance: int = 300
    max_body: int = MAX_BODY
    replay_page: int = 500
    auth_timeout: float = 10.0
    synchronous: str = "FULL"
    catch_up: tuple[CatchUpSource, ...] = field(default_factory=tuple)
