"""Where sign-ins are kept (OS keyring, else an owner-only file) and the unlock PIN's store."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from pydantic import SecretStr

from talkya_console.api import UserTokens
from talkya_console.credentials import TokenStore
from talkya_console.pin import MAX_ATTEMPTS, PinStore


class MemoryKeyring(KeyringBackend):
    """A keyring backend in a dict, as a desktop's would be."""

    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.items[(service, username)]


class BrokenKeyring(MemoryKeyring):
    """A keyring that is there but refuses to store (a locked collection, a dead D-Bus)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("locked")


class UnsuitableKeyring(MemoryKeyring):
    priority = 0.5  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def no_keyring() -> Iterator[None]:
    """Every test starts on a machine without a keyring, and the real one is never touched."""
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


def sample_tokens() -> UserTokens:
    return UserTokens(
        access_token=SecretStr("tk_at_sekrit"),
        refresh_token=SecretStr("tk_rt_sekrit"),
        expires_at=1_900_000_000.0,
        scope="users:read",
        workspace="ws_truebliss",
        user_id="usr_1",
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- TokenStore --------------------------------------------------------------------------------
def test_without_a_keyring_tokens_go_to_an_owner_only_file_and_come_back(tmp_path: Path) -> None:
    store = TokenStore("clinic", directory=tmp_path / "tokens")
    assert "no OS keyring found" in store.location
    where = store.save(sample_tokens())
    assert where == store.location
    assert mode(store.path) == 0o600
    assert mode(store.path.parent) == 0o700
    assert store.load() == sample_tokens()
    assert store.delete() is True
    assert store.load() is None
    assert store.delete() is False


def test_a_desktop_keyring_is_used_when_there_is_one(tmp_path: Path) -> None:
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    store = TokenStore("clinic", directory=tmp_path / "tokens")
    assert store.location.startswith("the OS keyring (")
    store.save(sample_tokens())
    assert list(memory.items) == [("talkya-console", "clinic:oauth")]
    assert not store.path.exists()
    assert store.load() == sample_tokens()
    assert store.delete() is True
    assert memory.items == {}


@pytest.mark.parametrize("backend", [BrokenKeyring, UnsuitableKeyring])
def test_a_keyring_that_refuses_or_is_unsuitable_falls_back_to_the_file(tmp_path: Path, backend) -> None:
    keyring.set_keyring(backend())
    store = TokenStore("clinic", directory=tmp_path / "tokens")
    where = store.save(sample_tokens())
    assert "no OS keyring found" in where
    assert store.load() == sample_tokens()


def test_backend_file_skips_the_keyring(tmp_path: Path) -> None:
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    store = TokenStore("clinic", directory=tmp_path, backend="file")
    store.save(sample_tokens())
    assert memory.items == {}
    assert store.path.exists()


def test_an_odd_profile_name_does_not_become_a_path(tmp_path: Path) -> None:
    store = TokenStore("../../etc/passwd", directory=tmp_path)
    assert store.path.parent == tmp_path
    store.save(sample_tokens())
    assert store.load() == sample_tokens()


def test_an_unreadable_file_is_no_sign_in(tmp_path: Path) -> None:
    store = TokenStore("clinic", directory=tmp_path)
    store.path.write_text("{not json")
    assert store.load() is None


def test_no_repr_or_str_shows_a_token(tmp_path: Path) -> None:
    store = TokenStore("clinic", directory=tmp_path)
    store.save(sample_tokens())
    shown = " ".join([repr(store), str(store), repr(sample_tokens()), str(sample_tokens()), store.location])
    assert "sekrit" not in shown


# -- PinStore ------------------------------------------------------------------------------------
@pytest.fixture
def pins(tmp_path: Path) -> PinStore:
    return PinStore(tmp_path / "pins.json")


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", "", "١٢٣٤", " 1234"])
def test_invalid_pins_are_refused_with_a_sentence(pins: PinStore, pin: str) -> None:
    with pytest.raises(ValueError, match="4 to 8 digits"):
        pins.set_pin("ws_a/usr_1", pin)
    assert not pins.has_pin("ws_a/usr_1")


def test_pins_are_stored_salted_in_an_owner_only_file(pins: PinStore) -> None:
    pins.set_pin("ws_a/usr_1", "2468")
    pins.set_pin("ws_a/usr_2", "2468")
    assert mode(pins.path) == 0o600
    text = pins.path.read_text()
    assert "2468" not in text
    stored = json.loads(text)["pins"]
    assert stored["ws_a/usr_1"]["hash"] != stored["ws_a/usr_2"]["hash"]
    assert stored["ws_a/usr_1"]["salt"] != stored["ws_a/usr_2"]["salt"]


def test_the_right_pin_unlocks(pins: PinStore) -> None:
    pins.set_pin("ws_a/usr_1", "13579")
    assert pins.check("ws_a/usr_1", "13579").ok
    assert not pins.check("ws_a/usr_2", "13579").ok, "no PIN of one's own: sign in again"


def test_wrong_pins_count_down_and_the_fifth_signs_out(pins: PinStore) -> None:
    pins.set_pin("ws_a/usr_1", "1234")
    left = [pins.check("ws_a/usr_1", "0000") for _ in range(MAX_ATTEMPTS)]
    assert [c.attempts_left for c in left[:-1]] == [4, 3, 2, 1]
    assert all(c.status == "wrong" for c in left[:-1])
    assert left[-1].signed_out
    assert pins.check("ws_a/usr_1", "1234").signed_out, "the right PIN no longer helps"


def test_the_count_survives_a_restart_and_success_resets_it(pins: PinStore) -> None:
    pins.set_pin("ws_a/usr_1", "1234")
    for _ in range(3):
        pins.check("ws_a/usr_1", "9999")
    restarted = PinStore(pins.path)
    assert restarted.check("ws_a/usr_1", "9999").attempts_left == 1
    assert restarted.check("ws_a/usr_1", "1234").ok
    assert PinStore(pins.path).check("ws_a/usr_1", "9999").attempts_left == 4


def test_clear_forgets_the_pin(pins: PinStore) -> None:
    pins.set_pin("ws_a/usr_1", "1234")
    assert pins.clear("ws_a/usr_1") is True
    assert not pins.has_pin("ws_a/usr_1")
    assert pins.clear("ws_a/usr_1") is False
