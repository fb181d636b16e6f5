"""The PIN that unlocks an idle console: stored as a salted scrypt hash, five wrong tries sign the person out."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from talkya_console.config import data_dir, write_private

MAX_ATTEMPTS = 5
_PIN = re.compile(r"[0-9]{4,8}")
# scrypt cost: about 50 ms and 16 MiB per check, so a copied pins.json is slow to brute-force offline.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


@dataclass(frozen=True)
class PinCheck:
    """The outcome of one PIN entry."""

    status: Literal["ok", "wrong", "signed_out"]
    attempts_left: int

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def signed_out(self) -> bool:
        return self.status == "signed_out"


def _hash(pin: str, salt: bytes) -> bytes:
    return hashlib.scrypt(pin.encode("utf-8"), salt=salt, **_SCRYPT)


class PinStore:
    """PINs per `f"{workspace}/{user_id}"`, in an owner-only JSON file (`data_dir()/pins.json` by default)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else data_dir() / "pins.json"

    def __repr__(self) -> str:
        return f"PinStore(path={str(self.path)!r})"

    @staticmethod
    def validate(pin: str) -> None:
        """Raise ValueError, with a sentence to show, unless `pin` is 4 to 8 digits."""
        if not isinstance(pin, str) or not _PIN.fullmatch(pin):
            raise ValueError("A PIN is 4 to 8 digits (0-9), nothing else.")

    def has_pin(self, user_key: str) -> bool:
        """Whether this user has a PIN set."""
        return user_key in self._read()

    def set_pin(self, user_key: str, pin: str) -> None:
        """Set (or replace) the user's PIN; the failure count starts again."""
        self.validate(pin)
        salt = os.urandom(16)
        pins = self._read()
        pins[user_key] = {"salt": salt.hex(), "hash": _hash(pin, salt).hex(), "failures": 0}
        self._write(pins)

    def check(self, user_key: str, pin: str) -> PinCheck:
        """Check a PIN entry. After MAX_ATTEMPTS wrong ones in a row (counted across restarts), and for a user
        without a PIN, the answer is `signed_out`: the caller forgets the session and asks to sign in again."""
        pins = self._read()
        entry = pins.get(user_key)
        if entry is None or entry["failures"] >= MAX_ATTEMPTS:
            return PinCheck("signed_out", 0)
        expected = bytes.fromhex(entry["hash"])
        if hmac.compare_digest(_hash(str(pin), bytes.fromhex(entry["salt"])), expected):
            if entry["failures"]:
                entry["failures"] = 0
                self._write(pins)
            return PinCheck("ok", MAX_ATTEMPTS)
        entry["failures"] += 1
        self._write(pins)
        left = MAX_ATTEMPTS - entry["failures"]
        return PinCheck("wrong", left) if left > 0 else PinCheck("signed_out", 0)

    def clear(self, user_key: str) -> bool:
        """Forget the user's PIN; returns whether there was one."""
        pins = self._read()
        if pins.pop(user_key, None) is None:
            return False
        self._write(pins)
        return True

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError:
            # A damaged file must not unlock anything: with no PIN on record, check() answers signed_out.
            return {}
        pins = data.get("pins") if isinstance(data, dict) else None
        return pins if isinstance(pins, dict) else {}

    def _write(self, pins: dict[str, dict[str, Any]]) -> None:
        write_private(self.path, json.dumps({"version": 1, "pins": pins}, indent=2, sort_keys=True))
