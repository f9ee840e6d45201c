"""The keyring cache is short-lived: a value another process changes is seen soon after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ffdesk import secrets
from ffdesk.secrets import CACHE_SECONDS, KeyringSecretStore
from tests.helpers.memory_keyring import MemoryKeyring


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    now = [1000.0]
    monkeypatch.setattr(secrets, "_now", lambda: now[0])
    secrets.clear_cache()
    yield now
    secrets.clear_cache()


def test_a_value_set_by_another_process_is_seen_once_the_cache_expires(
    memory_keyring: MemoryKeyring, clock: list[float]
) -> None:
    store = KeyringSecretStore("db-1")
    assert store.get(1, "Integration", 7, "secret_key") is None  # the window looked: not set
    # `ffdesk integrations set ... secret_key=-` in a terminal writes the keyring directly.
    memory_keyring.set_password("ffdesk", store.username(1, "Integration", 7, "secret_key"), "sk_x")
    clock[0] += CACHE_SECONDS / 2
    assert store.get(1, "Integration", 7, "secret_key") is None  # still within the cache
    clock[0] += CACHE_SECONDS
    assert store.get(1, "Integration", 7, "secret_key") == "sk_x"


def test_a_rotated_value_replaces_the_cached_one(
    memory_keyring: MemoryKeyring, clock: list[float]
) -> None:
    store = KeyringSecretStore("db-1")
    store.set(1, "Integration", 7, "secret_key", "sk_old_value")
    memory_keyring.set_password(
        "ffdesk", store.username(1, "Integration", 7, "secret_key"), "sk_new_value"
    )
    clock[0] += CACHE_SECONDS + 1
    assert store.get(1, "Integration", 7, "secret_key") == "sk_new_value"


def test_repeated_reads_within_the_cache_ask_the_keyring_once(
    memory_keyring: MemoryKeyring, clock: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = KeyringSecretStore("db-1")
    calls: list[str] = []
    original = memory_keyring.get_password

    def counting(service: str, username: str) -> str | None:
        calls.append(username)
        return original(service, username)

    monkeypatch.setattr(memory_keyring, "get_password", counting)
    for _ in range(5):
        store.has(1, "Integration", 7, "secret_key")
    assert len(calls) == 1
