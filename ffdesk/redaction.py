"""The set of secret values that must never appear in logs, errors or exports."""

from __future__ import annotations

import logging
import threading

_lock = threading.Lock()
_secrets: set[str] = set()
MASK = "***"
# Very short values would mask ordinary words ("a", "1"); real credentials are longer.
_MIN_LENGTH = 4


def register_secret(value: str | None) -> None:
    """Remember a secret value so that `redact` masks it from now on."""
    if value and len(value) >= _MIN_LENGTH:
        with _lock:
            _secrets.add(value)


def forget_all() -> None:
    """Forget every registered secret (tests start each case from a clean slate)."""
    with _lock:
        _secrets.clear()


def redact(text: str) -> str:
    """Replace every known secret value in `text` with `***` (longest first)."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that masks known secrets in the formatted message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks are formatted later; pre-format them so they can be cleaned too.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        return True


def install_redacting_filter(logger: logging.Logger | None = None) -> RedactingFilter:
    """Attach the redacting filter to every handler of `logger` (the root logger by default)."""
    target = logger or logging.getLogger()
    flt = RedactingFilter()
    for handler in target.handlers:
        handler.addFilter(flt)
    target.addFilter(flt)
    return flt
