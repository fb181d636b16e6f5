"""Where a signed-in staff member's tokens are kept: the OS keyring, else an owner-only file."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from pathlib import Path
from typing import Any

from talkya_console.api.oauth import UserTokens
from talkya_console.config import KEYRING_SERVICE, config_dir, write_private

log = logging.getLogger("talkya.credentials")

BACKENDS = ("keyring", "file")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def usable_keyring() -> Any | None:
    """The keyring backend, or None when there is none worth using (not installed, fail/null, or broken)."""
    try:
        import keyring
        from keyring.backends import fail, null
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
        priority = float(backend.priority)
    except Exception:
        return None
    # Headless Linux gets the fail backend; the null one stores nothing; priority < 1 is keyring's own "unsuitable".
    if isinstance(backend, fail.Keyring | null.Keyring) or priority < 1:
        return None
    return backend


def _backend_label(backend: Any) -> str:
    name = str(getattr(backend, "name", type(backend).__name__))
    return name.removesuffix(" Keyring") or name


class TokenStore:
    """One profile's sign-in tokens. `backend` is "keyring", "file", or None to use the keyring when there is one."""

    def __init__(self, profile: str, *, directory: Path | None = None, backend: str | None = None) -> None:
        if backend is not None and backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, or None to choose.")
        self.profile = profile
        self._directory = directory
        self._backend = backend
        self._username = f"{profile}:oauth"

    def __repr__(self) -> str:
        return f"TokenStore(profile={self.profile!r}, location={self.location!r})"

    @property
    def path(self) -> Path:
        """The fallback file (used only without a keyring)."""
        directory = self._directory if self._directory is not None else config_dir() / "tokens"
        # A profile name is user input: keep it out of the path unless it is plainly a file name.
        name = (
            self.profile if _SAFE_NAME.match(self.profile) else hashlib.sha256(self.profile.encode()).hexdigest()[:32]
        )
        return directory / f"{name}.json"

    def _keyring(self) -> Any | None:
        return None if self._backend == "file" else usable_keyring()

    @property
    def location(self) -> str:
        """Where `save` puts the tokens, for people."""
        backend = self._keyring()
        if backend is not None:
            return f"the OS keyring ({_backend_label(backend)})"
        return f"{self.path} (owner-only file: no OS keyring found)"

    def load(self) -> UserTokens | None:
        """The stored tokens, or None when there are none (or they are unreadable)."""
        text: str | None = None
        backend = self._keyring()
        if backend is not None:
            try:
                text = backend.get_password(KEYRING_SERVICE, self._username)
            except Exception as exc:
                log.warning("the OS keyring could not be read: %s", type(exc).__name__)
        if text is None:
            try:
                text = self.path.read_text(encoding="utf-8")
            except FileNotFoundError:
                return None
        try:
            return UserTokens.from_storage(text)
        except ValueError:
            log.warning("the stored sign-in for profile %r is unreadable; sign in again", self.profile)
            return None

    def save(self, tokens: UserTokens) -> str:
        """Store the tokens; returns where (as `location` words it)."""
        text = tokens.to_storage()
        backend = self._keyring()
        if backend is not None:
            try:
                backend.set_password(KEYRING_SERVICE, self._username, text)
            except Exception as exc:
                log.warning("the OS keyring refused the tokens (%s); using a file", type(exc).__name__)
            else:
                # A file left from a time without a keyring would otherwise outlive this sign-in.
                self.path.unlink(missing_ok=True)
                return f"the OS keyring ({_backend_label(backend)})"
        self._ensure_private_dir()
        write_private(self.path, text)
        return f"{self.path} (owner-only file: no OS keyring found)"

    def delete(self) -> bool:
        """Forget the tokens wherever they are; returns whether any were stored."""
        found = False
        backend = self._keyring()
        if backend is not None:
            try:
                if backend.get_password(KEYRING_SERVICE, self._username) is not None:
                    backend.delete_password(KEYRING_SERVICE, self._username)
                    found = True
            except Exception as exc:
                log.warning("the OS keyring could not be cleared: %s", type(exc).__name__)
        if self.path.exists():
            self.path.unlink()
            found = True
        return found

    def _ensure_private_dir(self) -> None:
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(directory, 0o700)
