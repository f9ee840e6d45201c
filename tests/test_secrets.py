"""Tests for the keyring wrapper: naming, isolation, caching, failures and redaction."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator

import keyring
import keyring.errors
import pytest
from keyring.backends import chainer, fail, null

from ffdesk import secrets
from ffdesk.redaction import MASK, RedactingFilter
from ffdesk.secrets import KeyringSecretStore, SecretsUnavailable
from tests.helpers.memory_keyring import MemoryKeyring

DB_A = "0b7f7d6e-1c44-4f0e-9a53-3d1f6c2e8a01"
DB_B = "5e2a9c1d-77b0-4c8e-8f11-aa09c4d3b702"

GUIDANCE_TEXT = (
    "No usable keyring: the secret was not saved. Unlock your desktop keyring "
    "(GNOME Keyring, KWallet), install one, or choose a backend with the "
    "PYTHON_KEYRING_BACKEND environment variable."
)


def _secret(label: str = "") -> str:
    # Unique per test: the redaction registry is process-wide and never forgets.
    return f"sk_test_{label}{uuid.uuid4().hex}"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    secrets.clear_cache()
    yield
    secrets.clear_cache()


@pytest.fixture
def store() -> KeyringSecretStore:
    return KeyringSecretStore(DB_A)


class CountingKeyring(MemoryKeyring):
    """A MemoryKeyring that counts reads, to see the cache at work."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.reads += 1
        return super().get_password(service, username)


class RaisingKeyring(MemoryKeyring):
    """A backend whose every operation fails with the given exception."""

    def __init__(self, exc: Exception) -> None:
        super().__init__()
        self.exc = exc

    def get_password(self, service: str, username: str) -> str | None:
        raise self.exc

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.exc

    def delete_password(self, service: str, username: str) -> None:
        raise self.exc


def _use(backend: keyring.backend.KeyringBackend) -> None:
    # The autouse memory_keyring fixture restores the previous backend afterwards.
    keyring.set_keyring(backend)


def test_round_trip_uses_documented_user_name(
    store: KeyringSecretStore, memory_keyring: MemoryKeyring
) -> None:
    value = _secret()
    store.set(1, "integration", 7, "api_key", value)

    assert store.get(1, "integration", 7, "api_key") == value
    assert store.has(1, "integration", 7, "api_key")
    assert memory_keyring.store == {("ffdesk", f"{DB_A}:1:integration:7:api_key"): value}


def test_custom_service_name(memory_keyring: MemoryKeyring) -> None:
    KeyringSecretStore(DB_A, service="ffdesk-test").set(1, "m", 1, "f", "value-1")
    assert ("ffdesk-test", f"{DB_A}:1:m:1:f") in memory_keyring.store


def test_two_databases_never_collide(memory_keyring: MemoryKeyring) -> None:
    a, b = KeyringSecretStore(DB_A), KeyringSecretStore(DB_B)
    value_a, value_b = _secret("a"), _secret("b")
    a.set(1, "integration", 7, "api_key", value_a)
    assert b.get(1, "integration", 7, "api_key") is None
    assert not b.has(1, "integration", 7, "api_key")

    b.set(1, "integration", 7, "api_key", value_b)
    assert a.get(1, "integration", 7, "api_key") == value_a
    assert b.get(1, "integration", 7, "api_key") == value_b
    assert len(memory_keyring.store) == 2


def test_two_companies_never_see_each_other(store: KeyringSecretStore) -> None:
    store.set(1, "integration", 7, "api_key", _secret())
    assert not store.has(2, "integration", 7, "api_key")
    assert store.get(2, "integration", 7, "api_key") is None
    assert store.has(1, "integration", 7, "api_key")


def test_delete_and_delete_missing(
    store: KeyringSecretStore, memory_keyring: MemoryKeyring
) -> None:
    store.set(1, "integration", 7, "api_key", _secret())
    store.delete(1, "integration", 7, "api_key")
    assert store.get(1, "integration", 7, "api_key") is None
    assert not store.has(1, "integration", 7, "api_key")
    assert memory_keyring.store == {}
    store.delete(1, "integration", 7, "api_key")  # already gone: fine
    store.delete(3, "integration", 99, "never_set")


@pytest.mark.parametrize("empty", ["", None])
def test_empty_value_deletes(
    store: KeyringSecretStore, memory_keyring: MemoryKeyring, empty: str | None
) -> None:
    store.set(1, "integration", 7, "api_key", _secret())
    store.set(1, "integration", 7, "api_key", empty)
    assert store.get(1, "integration", 7, "api_key") is None
    assert memory_keyring.store == {}
    store.set(1, "integration", 7, "api_key", empty)  # deleting nothing is fine too


def test_delete_record_removes_every_company_and_field(
    store: KeyringSecretStore, memory_keyring: MemoryKeyring
) -> None:
    for company in (1, 2):
        for field in ("api_key", "webhook_secret"):
            store.set(company, "integration", 7, field, _secret())
    store.set(1, "integration", 8, "api_key", _secret())  # another record: must stay
    KeyringSecretStore(DB_B).set(1, "integration", 7, "api_key", _secret())  # another DB

    store.delete_record("integration", 7, [1, 2, 3], iter(["api_key", "webhook_secret"]))

    assert not any(
        store.has(c, "integration", 7, f) for c in (1, 2) for f in ("api_key", "webhook_secret")
    )
    assert sorted(u for _, u in memory_keyring.store) == sorted(
        [f"{DB_A}:1:integration:8:api_key", f"{DB_B}:1:integration:7:api_key"]
    )


def test_reads_are_cached_and_writes_invalidate() -> None:
    backend = CountingKeyring()
    _use(backend)
    store = KeyringSecretStore(DB_A)
    first, second = _secret("1"), _secret("2")
    backend.store[("ffdesk", f"{DB_A}:1:integration:7:api_key")] = first

    assert store.get(1, "integration", 7, "api_key") == first
    assert store.has(1, "integration", 7, "api_key")
    assert store.get(1, "integration", 7, "api_key") == first
    assert not store.has(1, "integration", 7, "missing")
    assert not store.has(1, "integration", 7, "missing")  # misses are cached too
    assert backend.reads == 2

    # Another store in the same process (e.g. a sync job) sees a save at once.
    KeyringSecretStore(DB_A).set(1, "integration", 7, "api_key", second)
    assert store.get(1, "integration", 7, "api_key") == second
    store.delete(1, "integration", 7, "api_key")
    assert store.get(1, "integration", 7, "api_key") is None
    assert backend.reads == 2

    secrets.clear_cache()
    assert store.get(1, "integration", 7, "api_key") is None
    assert backend.reads == 3


def test_swapping_the_backend_drops_the_cache(store: KeyringSecretStore) -> None:
    store.set(1, "integration", 7, "api_key", _secret())
    _use(MemoryKeyring())
    assert store.get(1, "integration", 7, "api_key") is None


def test_fail_backend_refuses_to_save_with_guidance() -> None:
    _use(fail.Keyring())
    store = KeyringSecretStore(DB_A)  # constructing never touches the keyring: app starts
    value = _secret()

    with pytest.raises(SecretsUnavailable) as info:
        store.set(1, "integration", 7, "api_key", value)

    message = str(info.value)
    assert message == GUIDANCE_TEXT
    assert info.value.message == GUIDANCE_TEXT
    assert value not in message
    assert store.username(1, "integration", 7, "api_key") not in message
    assert DB_A not in message
    assert info.value.reason == "keyring.errors.NoKeyringError"


def test_fail_backend_reads_none_and_reports_unavailable(caplog: pytest.LogCaptureFixture) -> None:
    _use(fail.Keyring())
    store = KeyringSecretStore(DB_A)

    assert store.get(1, "integration", 7, "api_key") is None
    assert not store.has(1, "integration", 7, "api_key")
    assert not store.available()
    reason = store.unavailable_reason()
    assert reason is not None and reason.startswith("No usable keyring")
    assert "PYTHON_KEYRING_BACKEND" in reason
    assert store.backend_name() == "keyring.backends.fail.Keyring"
    assert DB_A not in caplog.text


def test_fail_backend_refuses_to_delete() -> None:
    _use(fail.Keyring())
    store = KeyringSecretStore(DB_A)
    with pytest.raises(SecretsUnavailable, match=r"^No usable keyring: the secret was not deleted"):
        store.set(1, "integration", 7, "api_key", "")
    with pytest.raises(SecretsUnavailable):
        store.delete_record("integration", 7, [1, 2], ["api_key"])


def test_null_backend_is_refused_for_set() -> None:
    backend = null.Keyring()
    _use(backend)
    store = KeyringSecretStore(DB_A)
    value = _secret()

    with pytest.raises(SecretsUnavailable) as info:
        store.set(1, "integration", 7, "api_key", value)

    message = str(info.value)
    assert message.startswith(
        "The keyring backend keyring.backends.null.Keyring stores nothing: "
        "the secret was not saved."
    )
    assert "PYTHON_KEYRING_BACKEND" in message
    assert value not in message
    assert DB_A not in message
    assert store.get(1, "integration", 7, "api_key") is None
    assert not store.available()
    assert "stores nothing" in (store.unavailable_reason() or "")
    store.delete(1, "integration", 7, "api_key")  # nothing can be stored there: a no-op


def test_empty_chainer_is_refused_like_null() -> None:
    class EmptyChainer(chainer.ChainerBackend):
        backends = []  # what keyring builds when no real backend is viable

    _use(EmptyChainer())
    store = KeyringSecretStore(DB_A)
    with pytest.raises(SecretsUnavailable, match="stores nothing: the secret was not saved"):
        store.set(1, "integration", 7, "api_key", _secret())
    assert not store.available()


@pytest.mark.parametrize(
    ("exc", "start"),
    [
        (keyring.errors.KeyringLocked("Failed to unlock the collection!"), "The keyring is locked"),
        (keyring.errors.InitError("Failed to create the collection"), "No usable keyring"),
        (keyring.errors.PasswordSetError("boom"), "No usable keyring"),
        (OSError("D-Bus connection refused"), "No usable keyring"),  # a raw backend failure
        (EOFError(), "No usable keyring"),  # keyrings.alt prompting on a closed stdin
    ],
)
def test_backend_failures_become_secrets_unavailable(exc: Exception, start: str) -> None:
    _use(RaisingKeyring(exc))
    store = KeyringSecretStore(DB_A)
    value = _secret()

    with pytest.raises(SecretsUnavailable) as info:
        store.set(1, "integration", 7, "api_key", value)
    message = str(info.value)
    assert message.startswith(f"{start}: the secret was not saved.")
    assert value not in message
    assert store.username(1, "integration", 7, "api_key") not in message
    assert info.value.__cause__ is exc  # kept for the log file's traceback

    assert store.get(1, "integration", 7, "api_key") is None
    assert not store.available()
    assert (store.unavailable_reason() or "").startswith(start)


def test_available_with_a_working_backend(store: KeyringSecretStore) -> None:
    assert store.available()
    assert store.unavailable_reason() is None
    assert store.backend_name() == "tests.helpers.memory_keyring.MemoryKeyring"


def test_written_values_are_redacted_in_logs(store: KeyringSecretStore) -> None:
    value = _secret("written")
    store.set(1, "integration", 7, "api_key", value)

    record = logging.LogRecord("t", logging.INFO, __file__, 1, "key is %s", (value,), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == f"key is {MASK}"


def test_read_values_are_redacted_in_logs(
    store: KeyringSecretStore, memory_keyring: MemoryKeyring
) -> None:
    value = _secret("read")  # put there by another process: only a read can register it
    memory_keyring.store[("ffdesk", f"{DB_A}:1:integration:7:api_key")] = value
    assert store.get(1, "integration", 7, "api_key") == value

    record = logging.LogRecord("t", logging.INFO, __file__, 1, f"got {value}", None, None)
    RedactingFilter().filter(record)
    assert record.getMessage() == f"got {MASK}"


def test_value_is_registered_even_when_saving_fails() -> None:
    _use(fail.Keyring())
    value = _secret("failed")
    with pytest.raises(SecretsUnavailable):
        KeyringSecretStore(DB_A).set(1, "integration", 7, "api_key", value)
    record = logging.LogRecord("t", logging.INFO, __file__, 1, value, None, None)
    RedactingFilter().filter(record)
    assert record.getMessage() == MASK


@pytest.mark.parametrize(("model", "field"), [("a:b", "c"), ("a", "b:c"), ("", "f"), ("m", "")])
def test_ambiguous_names_are_rejected(store: KeyringSecretStore, model: str, field: str) -> None:
    with pytest.raises(ValueError):
        store.set(1, model, 1, field, "value-1")


def test_ids_must_be_ints(store: KeyringSecretStore) -> None:
    with pytest.raises(TypeError):
        store.get("1", "m", 1, "f")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.get(1, "m", True, "f")
    with pytest.raises(ValueError):
        KeyringSecretStore("db:1")


def _real_secret_service() -> keyring.backend.KeyringBackend:
    """The real Secret Service backend, or skip/fail as the environment asks."""
    required = os.environ.get("FFDESK_REQUIRE_SECRET_SERVICE") == "1"

    def unusable(why: str) -> None:
        if required:
            pytest.fail(f"FFDESK_REQUIRE_SECRET_SERVICE=1 but {why}")
        pytest.skip(why)

    if os.environ.get("FFDESK_SECRET_SERVICE") != "1":
        unusable("no throwaway Secret Service: run under scripts/with-secret-service")
    from keyring.backends import SecretService

    backend = SecretService.Keyring()
    try:
        backend.priority  # noqa: B018 - raises when D-Bus or the daemon is not usable
    except Exception as exc:
        unusable(f"the Secret Service backend is unusable: {exc}")
    return backend


@pytest.mark.secret_service
class TestRealSecretService:
    """The same round trip against gnome-keyring started by scripts/with-secret-service."""

    @pytest.fixture(autouse=True)
    def _restore_backend(self) -> Iterator[None]:
        previous = keyring.get_keyring()
        yield
        keyring.set_keyring(previous)

    def test_round_trip(self) -> None:
        # Chosen inside the test (not a fixture) so that a required-but-missing service is
        # reported as a FAILED test rather than an ERROR in setup.
        real_backend = _real_secret_service()
        keyring.set_keyring(real_backend)
        database_id = str(uuid.uuid4())  # never meets anything left from another run
        store = KeyringSecretStore(database_id)
        value = _secret("real")
        try:
            assert store.available(), store.unavailable_reason()
            assert store.backend_name() == "keyring.backends.SecretService.Keyring"

            store.set(1, "integration", 7, "api_key", value)
            secrets.clear_cache()  # make the next read go to the daemon
            assert store.get(1, "integration", 7, "api_key") == value
            assert (
                real_backend.get_password("ffdesk", f"{database_id}:1:integration:7:api_key")
                == value
            )
            assert store.has(1, "integration", 7, "api_key")
            assert not store.has(2, "integration", 7, "api_key")
            assert KeyringSecretStore(str(uuid.uuid4())).get(1, "integration", 7, "api_key") is None

            store.set(1, "integration", 7, "api_key", "")
            secrets.clear_cache()
            assert store.get(1, "integration", 7, "api_key") is None
            store.delete(1, "integration", 7, "api_key")  # missing on the daemon: fine
        finally:
            store.delete_record("integration", 7, [1, 2], ["api_key"])
