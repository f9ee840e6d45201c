"""The set of secret values that must never appear in logs, errors or exports, in any encoding."""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from urllib.parse import quote, quote_plus

_lock = threading.Lock()
_secrets: set[str] = set()
MASK = "***"
# Very short values would mask ordinary words ("a", "1"); real credentials are longer.
_MIN_LENGTH = 4
# A credential a server echoes back is masked even when nobody registered it: whatever follows
# an Authorization header name or a Bearer/Basic/Token scheme word, up to the end of the token.
_CREDENTIAL_PATTERNS = (
    re.compile(
        r"(?i)(\b(?:proxy-)?authorization\b[\"']?\s*[:=]\s*[\"']?)"
        r"((?:(?:bearer|basic|token|digest)\s+)?[^\s\"',;}\]]+)"
    ),
    # A token has a digit or punctuation in it: "basic information" is left alone.
    re.compile(r"(?i)(\b(?:bearer|basic)\s+)((?=[\w.~+/=-]*[0-9_.~+/=-])[\w.~+/=-]{8,})"),
)


def encodings(value: str) -> set[str]:
    """`value` in each form a server or a log may carry it: as is, URL-encoded, JSON-escaped."""
    forms = {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}
    # json.dumps escapes non-ASCII only with ensure_ascii; both spellings are seen in the wild.
    forms.add(json.dumps(value, ensure_ascii=False)[1:-1])
    return {form for form in forms if len(form) >= _MIN_LENGTH}


def register_secret(value: str | None) -> None:
    """Remember a secret value so that `redact` masks it (and its encodings) from now on.

    Its Basic forms are masked too: a key used as the user name with no password (Stripe
    accepts `sk_...:`) or alone.
    """
    if value and len(value) >= _MIN_LENGTH:
        found = encodings(value)
        for raw in (value, f"{value}:"):
            text = base64.b64encode(raw.encode()).decode("ascii")
            found.update({text, text.rstrip("=")})
        with _lock:
            _secrets.update(found)


def register_basic_auth(user: str | None, secret: str | None) -> None:
    """Remember a Basic credential: the secret and `base64(user:secret)`, which decodes to it."""
    register_secret(secret)
    if secret and len(secret) >= _MIN_LENGTH:
        pair = f"{user or ''}:{secret}".encode()
        found: set[str] = set()
        for encoded in (base64.b64encode(pair), base64.urlsafe_b64encode(pair)):
            text = encoded.decode("ascii")
            # Without its padding too: some servers and loggers strip the trailing "=".
            found.update(encodings(text) | encodings(text.rstrip("=")))
        with _lock:
            _secrets.update(found)


def forget_all() -> None:
    """Forget every registered secret (tests start each case from a clean slate)."""
    with _lock:
        _secrets.clear()


def redact(text: str) -> str:
    """Replace every known secret (in each encoding) and every echoed credential with `***`.

    Call it before cutting a text short: a secret cut in two is no longer recognised.
    """
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern in _CREDENTIAL_PATTERNS:
        text = pattern.sub(_mask_credential, text)
    return text


def unexpected_error_text(
    subject: str, exc: BaseException, details_in: str, *, where: str = ""
) -> str:
    """A bug's sentence for the user: what stopped and where the details are, masked, never
    a Python class name (the class and the traceback go to the log)."""
    detail = str(exc).strip().rstrip(".")
    said = f"{subject} stopped on an unexpected error{where}" + (f": {detail}" if detail else "")
    return redact(f"{said}. The details are in {details_in}.")


def _mask_credential(match: re.Match[str]) -> str:
    value = match.group(2)
    if value == MASK or value.endswith(MASK):
        return match.group(0)
    scheme, _, rest = value.partition(" ")
    if rest:  # keep the scheme word ("Bearer ***"): it tells the reader what was masked
        return f"{match.group(1)}{scheme} {MASK}"
    return f"{match.group(1)}{MASK}"


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
