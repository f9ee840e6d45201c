"""The one wrapper around `keyring`: company-scoped secrets that never touch the database."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Iterable

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import chainer, fail, null

from ffdesk.engine.errors import UserError
from ffdesk.redaction import register_secret

__all__ = ["DEFAULT_SERVICE", "KeyringSecretStore", "SecretsUnavailable", "clear_cache"]

log = logging.getLogger(__name__)

DEFAULT_SERVICE = "ffdesk"

# The sentences a user sees; tests compare them exactly, so change them together.
GUIDANCE = (
    "Unlock your desktop keyring (GNOME Keyring, KWallet), install one, "
    "or choose a backend with the PYTHON_KEYRING_BACKEND environment variable."
)
LOCKED_GUIDANCE = (
    "Unlock your desktop keyring (GNOME Keyring, KWallet) and try again, "
    "or choose a backend with the PYTHON_KEYRING_BACKEND environment variable."
)
NULL_GUIDANCE = (
    "Choose a real backend with the PYTHON_KEYRING_BACKEND environment variable "
    "(or unset it), or unlock or install a desktop keyring (GNOME Keyring, KWallet)."
)


def unusable_message(action: str) -> str:
    """The message for a failed save or delete because no keyring works ("saved"/"deleted")."""
    return f"No usable keyring: the secret was not {action}. {GUIDANCE}"


def locked_message(action: str) -> str:
    """The message for a failed save or delete because the keyring stayed locked."""
    return f"The keyring is locked: the secret was not {action}. {LOCKED_GUIDANCE}"


def null_message(backend: str) -> str:
    """The message for refusing to save into a backend that silently stores nothing."""
    return (
        f"The keyring backend {backend} stores nothing: the secret was not saved. {NULL_GUIDANCE}"
    )


class SecretsUnavailable(UserError):
    """No usable keyring: a secret could not be saved or deleted.

    The message is a plain sentence saying what to do; it never holds the secret value or
    the keyring user name. `reason` names the underlying failure (an exception class or a
    backend), for logs and the "Details" of an error dialog.
    """

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


# One cache for the whole process, shared by every store, so that a value saved through one
# store (the form) is seen at once by another (a sync job in a worker thread). Keyed by
# (service, user name); a cached None means "known to be absent" (forms ask has() for every
# password field, and SecretService needs a D-Bus round trip per question).
_lock = threading.RLock()
# Entries are trusted for CACHE_SECONDS only: the command line (another process) may change
# the keyring while the window is open, and the window must see it soon after.
CACHE_SECONDS = 5.0
_now = time.monotonic  # replaced by tests
_cache: dict[tuple[str, str], tuple[str | None, float]] = {}
# The backend the cache was filled from: swapping the backend (keyring.set_keyring, tests)
# must not serve values read from the previous one.
_cache_backend: keyring.backend.KeyringBackend | None = None


def clear_cache() -> None:
    """Forget every cached value (e.g. after another process may have changed the keyring)."""
    global _cache_backend
    with _lock:
        _cache.clear()
        _cache_backend = None


def _backend_label(backend: keyring.backend.KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _chained(backend: keyring.backend.KeyringBackend) -> list[keyring.backend.KeyringBackend]:
    try:
        return list(backend.backends)  # type: ignore[attr-defined]
    except Exception:  # discovery of chained backends failed: treat as none usable
        return []


# ChainerBackend.backends re-discovers (and probes) every backend on each access, so the
# answer is remembered per backend object.
_stores_nothing_memo: weakref.WeakKeyDictionary[keyring.backend.KeyringBackend, bool] = (
    weakref.WeakKeyDictionary()
)


def _stores_nothing(backend: keyring.backend.KeyringBackend) -> bool:
    """True for backends that accept every write and keep nothing (a key would vanish)."""
    if isinstance(backend, null.Keyring):
        return True
    if not isinstance(backend, chainer.ChainerBackend):
        return False
    with _lock:
        if backend not in _stores_nothing_memo:
            _stores_nothing_memo[backend] = not _chained(backend)
        return _stores_nothing_memo[backend]


def _failure_reason(exc: BaseException) -> str:
    cls = type(exc)
    return f"{cls.__module__}.{cls.__qualname__}"


def _check_part(name: str, value: str) -> None:
    # ':' separates the parts of the user name; allowing it would let ("a:b", "c") and
    # ("a", "b:c") share one secret.
    if not isinstance(value, str) or not value or ":" in value:
        raise ValueError(f"{name} must be a non-empty string without ':', got {value!r}")


def _check_id(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")


class KeyringSecretStore:
    """Company-scoped secrets in the OS keyring, one entry per (company, record, field).

    Each secret lives under the keyring service `service` ("ffdesk") with the user name::

        f"{database_id}:{company_id}:{model}:{record_id}:{field}"

    for example ``"3f2c…-9b1e:1:integration:7:stripe_secret_key"``. The database id comes
    first so that two databases on one machine never share a secret even when their
    company and record ids coincide; `model` and `field` must not contain ``:``.

    Reads never raise: with no usable keyring they return None (and `available()` says
    why), so the app starts without a keyring. Saving or deleting raises
    `SecretsUnavailable`; nothing ever falls back to plain-text storage. Every value read
    or written is registered with `ffdesk.redaction` so logs mask it.
    """

    def __init__(self, database_id: str, service: str = DEFAULT_SERVICE) -> None:
        _check_part("database_id", database_id)
        if not isinstance(service, str) or not service:
            raise ValueError("service must be a non-empty string")
        self.database_id = database_id
        self.service = service
        # Result of the last availability check, per backend; None until asked.
        self._status: tuple[keyring.backend.KeyringBackend, str | None] | None = None

    # -- naming ------------------------------------------------------------------------

    def username(self, company_id: int, model: str, record_id: int, field: str) -> str:
        """The keyring user name of one secret (not secret itself, but kept out of messages)."""
        _check_id("company_id", company_id)
        _check_id("record_id", record_id)
        _check_part("model", model)
        _check_part("field", field)
        return f"{self.database_id}:{company_id}:{model}:{record_id}:{field}"

    # -- backend -----------------------------------------------------------------------

    def _backend(self) -> keyring.backend.KeyringBackend:
        """The current keyring backend, dropping the cache if it changed since last use."""
        global _cache_backend
        backend = keyring.get_keyring()
        with _lock:
            if backend is not _cache_backend:
                _cache.clear()
                _cache_backend = backend
        return backend

    def backend_name(self) -> str:
        """The backend class path as PYTHON_KEYRING_BACKEND spells it; a chainer lists its own."""
        try:
            backend = keyring.get_keyring()
        except Exception as exc:  # a broken keyring config must not stop a status display
            return f"unavailable ({_failure_reason(exc)})"
        label = _backend_label(backend)
        if isinstance(backend, chainer.ChainerBackend):
            label += "(" + ", ".join(_backend_label(b) for b in _chained(backend)) + ")"
        return label

    def _static_problem(self, backend: keyring.backend.KeyringBackend) -> str | None:
        """Why this backend can never store a secret, judged by its type alone."""
        if isinstance(backend, fail.Keyring):
            return f"No usable keyring: secrets cannot be saved. {GUIDANCE}"
        if _stores_nothing(backend):
            name = self.backend_name()
            return f"The keyring backend {name} stores nothing: secrets cannot be saved. " + (
                NULL_GUIDANCE
            )
        return None

    def available(self) -> bool:
        """Whether secrets can be saved now; `unavailable_reason()` says why not.

        The first call per backend does one read, which may make the desktop keyring ask
        the user to unlock it; the answer is remembered and updated by later operations.
        """
        return self.unavailable_reason() is None

    def unavailable_reason(self) -> str | None:
        """A sentence saying why secrets cannot be saved and what to do, or None if they can."""
        try:
            backend = self._backend()
        except Exception as exc:
            return self._note_failure_reason(exc)
        if self._status is not None and self._status[0] is backend:
            return self._status[1]
        problem = self._static_problem(backend)
        if problem is None:
            try:
                # A read of a name that is never written: proves the backend answers
                # (D-Bus reachable, collection unlocked) without storing anything.
                backend.get_password(self.service, f"{self.database_id}:probe")
            except Exception as exc:
                problem = self._note_failure_reason(exc)
        self._status = (backend, problem)
        return problem

    def _note_failure_reason(self, exc: BaseException) -> str:
        if isinstance(exc, keyring.errors.KeyringLocked):
            return f"The keyring is locked: secrets cannot be saved. {LOCKED_GUIDANCE}"
        return f"No usable keyring: secrets cannot be saved. {GUIDANCE}"

    def _remember(self, backend: keyring.backend.KeyringBackend, problem: str | None) -> None:
        self._status = (backend, problem)

    def _unavailable(
        self, backend: keyring.backend.KeyringBackend, exc: BaseException, action: str
    ) -> SecretsUnavailable:
        """Turn a backend failure into the user's error; the cause stays chained for the log."""
        self._remember(backend, self._note_failure_reason(exc))
        if isinstance(exc, keyring.errors.KeyringLocked):
            message = locked_message(action)
        else:
            message = unusable_message(action)
        return SecretsUnavailable(message, reason=_failure_reason(exc))

    # -- operations --------------------------------------------------------------------

    def get(self, company_id: int, model: str, record_id: int, field: str) -> str | None:
        """The stored value, or None if there is none or no keyring can be read."""
        key = (self.service, self.username(company_id, model, record_id, field))
        try:
            backend = self._backend()
        except Exception as exc:
            log.warning("No keyring backend could be loaded (%s)", _failure_reason(exc))
            return None
        with _lock:
            cached = _cache.get(key)
            if cached is not None and _now() - cached[1] < CACHE_SECONDS:
                value = cached[0]
                register_secret(value)  # cheap; survives a reset of the redaction registry
                return value
            try:
                value = backend.get_password(*key)
            except Exception as exc:
                # Reading must not stop the app: report "not set" and let available() and
                # the next save explain. Not cached, so a later unlock is seen.
                self._remember(backend, self._note_failure_reason(exc))
                log.warning("Could not read a secret from the keyring (%s)", _failure_reason(exc))
                return None
            register_secret(value)
            _cache[key] = (value, _now())
            return value

    def has(self, company_id: int, model: str, record_id: int, field: str) -> bool:
        """Whether a non-empty value is stored (False when no keyring can be read)."""
        return bool(self.get(company_id, model, record_id, field))

    def set(
        self, company_id: int, model: str, record_id: int, field: str, value: str | None
    ) -> None:
        """Store `value`; an empty string or None deletes the secret instead."""
        if value is None or value == "":
            self.delete(company_id, model, record_id, field)
            return
        if not isinstance(value, str):
            raise TypeError(f"a secret must be a str, got {type(value).__name__}")
        # Register before anything can fail, so that even a failure's log is masked.
        register_secret(value)
        key = (self.service, self.username(company_id, model, record_id, field))
        try:
            backend = self._backend()
        except Exception as exc:
            raise SecretsUnavailable(
                unusable_message("saved"), reason=_failure_reason(exc)
            ) from exc
        if _stores_nothing(backend):
            name = self.backend_name()
            self._remember(backend, self._static_problem(backend))
            raise SecretsUnavailable(null_message(name), reason=name)
        with _lock:
            _cache.pop(key, None)
            try:
                backend.set_password(*key, value)
            except Exception as exc:
                raise self._unavailable(backend, exc, "saved") from exc
            _cache[key] = (value, _now())
        self._remember(backend, None)

    def delete(self, company_id: int, model: str, record_id: int, field: str) -> None:
        """Remove the secret; a secret that is not there is fine."""
        key = (self.service, self.username(company_id, model, record_id, field))
        try:
            backend = self._backend()
        except Exception as exc:
            raise SecretsUnavailable(
                unusable_message("deleted"), reason=_failure_reason(exc)
            ) from exc
        with _lock:
            _cache.pop(key, None)
            try:
                backend.delete_password(*key)
            except keyring.errors.PasswordDeleteError:
                pass  # every backend reports "not found" this way
            except Exception as exc:
                raise self._unavailable(backend, exc, "deleted") from exc
            _cache[key] = (None, _now())

    def delete_record(
        self,
        model: str,
        record_id: int,
        company_ids: Iterable[int],
        fields: Iterable[str],
    ) -> None:
        """Delete every secret of one record for the given companies and fields.

        Tries them all even if one fails, then raises the first failure, so one locked item
        does not leave the others behind. Callers deleting records on a machine without a
        keyring may catch `SecretsUnavailable` and log it instead.
        """
        fields = list(fields)
        first: SecretsUnavailable | None = None
        for company_id in company_ids:
            for field in fields:
                try:
                    self.delete(company_id, model, record_id, field)
                except SecretsUnavailable as exc:
                    first = first or exc
        if first is not None:
            raise first
