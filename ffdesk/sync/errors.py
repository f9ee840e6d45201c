"""Errors a provider call can end in, each with a sentence the user can act on."""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any

from ffdesk.redaction import redact

# Provider messages end up in dialogs and run logs: long enough to be useful, short enough to read.
_MAX_DETAIL = 300
_MAX_SCAN = 65536
_HTML_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")


class ProviderError(Exception):
    """A call to a provider failed; `message` is a readable sentence with no secret in it."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        detail: str | None = None,
        code: str | None = None,
    ) -> None:
        # Redact here, once, so no path that builds an error can leak a secret into its text.
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.status = status
        # The provider's own error text (already redacted), for callers that want it alone.
        self.detail = redact(detail) if detail else None
        # The provider's own error code (Twilio 21211, Square IDEMPOTENCY_KEY_REUSED, ...).
        self.code = redact(code) if code else None

    def __str__(self) -> str:
        return self.message


class CredentialsRejected(ProviderError):
    """The provider answered 401 or 403: the key, token or account is wrong or lacks rights."""


class RateLimited(ProviderError):
    """The provider kept answering 429 until the retries ran out."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = 429,
        detail: str | None = None,
        retry_after: float | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, provider=provider, status=status, detail=detail, code=code)
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    """The provider could not be reached, timed out, or kept answering 5xx.

    `outage` is True when several calls in a row ended so (the client's circuit breaker): the
    provider is down and the run stops; otherwise only the record being sent failed.
    """

    outage: bool = False


class AnswerTooLarge(ProviderError):
    """The provider's answer was larger than the ceiling; it was not read to its end."""


class ProviderRequestError(ProviderError):
    """The provider refused the request itself (a 4xx other than 401, 403 and 429)."""


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _from_json(data: Any) -> str | None:
    """The error text from the JSON error shapes the shipped providers use."""
    if isinstance(data, list):
        # A bare list of errors: read the first one like a single error object.
        data = data[0] if data else None
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    if isinstance(error, dict):
        # Stripe {"error": {"message"}}, Razorpay {"error": {"description"}}.
        found = _text(error.get("message")) or _text(error.get("description"))
        if found:
            return found
    errors = data.get("errors")
    if isinstance(errors, list):
        # Square {"errors": [{"detail"}]}, UPS (inside "response") {"errors": [{"message"}]}.
        texts = [
            t
            for e in errors[:3]
            if isinstance(e, dict)
            and (t := _text(e.get("detail")) or _text(e.get("message")) or _text(e.get("code")))
        ]
        if texts:
            return "; ".join(texts)
    response = data.get("response")
    if isinstance(response, dict) and (found := _from_json(response)):
        return found
    # OAuth token endpoints (PayPal, UPS): {"error": "invalid_client", "error_description"}.
    if found := _text(data.get("error_description")):
        return found
    # Mollie {"title", "detail"}: the detail is the useful part.
    if found := _text(data.get("detail")):
        return found
    # PayPal, Twilio, Adyen {"message"}; PayPal adds the first issue in "details".
    if found := _text(data.get("message")):
        details = data.get("details")
        if isinstance(details, list) and details and isinstance(details[0], dict):
            extra = _text(details[0].get("description")) or _text(details[0].get("issue"))
            if extra and extra not in found:
                found = f"{found} ({extra})"
        return found
    return _text(data.get("title")) or _text(error) or _text(data.get("name"))


def _shorten(text: str) -> str:
    text = _SPACES.sub(" ", text).strip()
    if len(text) > _MAX_DETAIL:
        text = text[: _MAX_DETAIL - 1].rstrip() + "…"
    return text


def _code_from_json(data: Any) -> str | None:
    """The error code in the JSON error shapes the shipped providers use."""
    if isinstance(data, list):
        data = data[0] if data else None
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    if isinstance(error, dict):  # Stripe, Razorpay
        value = error.get("code") or error.get("type")
        return str(value) if value else None
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):  # Square, UPS
        value = errors[0].get("code")
        return str(value) if value else None
    response = data.get("response")
    if isinstance(response, dict):
        return _code_from_json(response)
    for key in ("code", "errorCode", "name"):  # Twilio, Adyen, PayPal
        value = data.get(key)
        if value is not None and not isinstance(value, (dict, list)):
            return str(value)
    if isinstance(error, str):  # OAuth token endpoints
        return error
    return None


def provider_code(body: str | bytes | None) -> str | None:
    """The provider's own error code in a JSON response body, if it has one."""
    if not body:
        return None
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    stripped = body.strip()
    if not stripped or stripped[0] not in "{[":
        return None
    try:
        return _code_from_json(json.loads(stripped))
    except (ValueError, RecursionError):  # a hostile body nests without end
        return None


def provider_message(body: str | bytes | None) -> str | None:
    """The provider's own error message in a response body, or a short snippet of the body."""
    if not body:
        return None
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    stripped = body.strip()
    if not stripped:
        return None
    if stripped[0] in "{[":
        try:
            found = _from_json(json.loads(stripped))
        except (ValueError, RecursionError):  # a hostile body nests without end
            found = None
        if found:
            # Redact first: a secret cut in two by the shortening is no longer recognised.
            return _shorten(redact(found))
    # Only the start is ever shown; a secret cut here lies far past what _shorten keeps.
    stripped = stripped[:_MAX_SCAN]
    if stripped[0] == "<":
        # An HTML error page from a proxy or load balancer: keep its words, drop the markup.
        stripped = _HTML_TAG.sub(" ", stripped)
    snippet = _shorten(redact(stripped))
    return snippet or None


def _clause(text: str) -> str:
    """`text` without its final full stop, so it can sit inside a longer sentence."""
    return text[:-1] if text.endswith(".") else text


def _status_text(status: int) -> str:
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _attempts_text(attempts: int) -> str:
    return f" after {attempts} attempts" if attempts > 1 else ""


def error_for_status(
    provider: str,
    status: int,
    body: str | bytes | None = None,
    *,
    attempts: int = 1,
    retry_after: float | None = None,
    credential_label: str = "credentials",
) -> ProviderError:
    """The error for a final non-2xx answer (`attempts` counts the tries made, retries included)."""
    detail = provider_message(body)
    code = provider_code(body)
    if status in (401, 403):
        what = f": {_clause(detail)}" if detail else f" ({_status_text(status)})"
        return CredentialsRejected(
            f"{provider} rejected the credentials{what}. Check the {credential_label}.",
            provider=provider,
            status=status,
            detail=detail,
            code=code,
        )
    if status == 429:
        when = (
            f"Try again in {max(1, round(retry_after))} seconds."
            if retry_after is not None
            else "Try again later."
        )
        return RateLimited(
            f"{provider} is limiting the request rate and refused the request"
            f"{_attempts_text(attempts)} (HTTP 429). {when}",
            provider=provider,
            status=status,
            detail=detail,
            retry_after=retry_after,
            code=code,
        )
    if status >= 500:
        extra = f" ({_clause(detail)})" if detail else ""
        return ProviderUnavailable(
            f"{provider} could not be reached: {_status_text(status)}{extra}"
            f"{_attempts_text(attempts)}. Try again later.",
            provider=provider,
            status=status,
            detail=detail,
            code=code,
        )
    what = f": {_clause(detail)}." if detail else "."
    return ProviderRequestError(
        f"{provider} refused the request ({_status_text(status)}){what}",
        provider=provider,
        status=status,
        detail=detail,
        code=code,
    )


def unreachable(provider: str, reason: str, *, attempts: int = 1) -> ProviderUnavailable:
    """The error for a call that never got an answer (connection failed, dropped or timed out)."""
    return ProviderUnavailable(
        f"{provider} could not be reached: {_clause(reason)}{_attempts_text(attempts)}. "
        "Try again later.",
        provider=provider,
        status=None,
    )
