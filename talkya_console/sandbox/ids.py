"""Opaque, prefixed ids. Random in production use; a seeded generator makes demo data stable."""

from __future__ import annotations

import random
import secrets
import string

_ALPHABET = string.ascii_lowercase + string.digits


class IdFactory:
    def __init__(self, seed: int | None = None) -> None:
        self._rng: random.Random | None = random.Random(seed) if seed is not None else None

    def new(self, prefix: str, length: int = 14) -> str:
        if self._rng is None:
            body = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        else:
            body = "".join(self._rng.choice(_ALPHABET) for _ in range(length))
        return f"{prefix}_{body}"


ids = IdFactory()


def new_id(prefix: str) -> str:
    return ids.new(prefix)


def new_secret(prefix: str, nbytes: int = 24) -> str:
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"
