"""The one checked path from a provider's answer to the data a module reads.

Every body a provider sends back goes through `answer_object`: decoded as UTF-8, parsed as
strict JSON (no NaN; a body nested without end is refused), and checked to be the object the
module expects, with the keys it reads of the types it reads them as. Anything else is
`UnexpectedAnswer`, whose text is one sentence for the user ("Stripe answered with something
that is not a Stripe answer (expected an object with `data`)."); what exactly was wrong goes to
the log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import httpx

from ffdesk.redaction import redact
from ffdesk.sync.errors import ProviderUnavailable

__all__ = ["UnexpectedAnswer", "answer_object", "parse_answer", "unexpected"]

log = logging.getLogger(__name__)

_SNIPPET = 120
_KIND = {
    dict: "an object",
    list: "a list",
    str: "text",
    int: "a number",
    float: "a number",
    bool: "true or false",
    type(None): "null",
}


class UnexpectedAnswer(ProviderUnavailable):
    """The provider answered, but with something that is not the answer its API documents.

    A ProviderUnavailable: the provider is not working as documented, so a run stops with it.
    """


def _kind(value: Any) -> str:
    return _KIND.get(type(value), type(value).__name__)


def _expected(keys: Mapping[str, type | tuple[type, ...]] | None) -> str:
    if not keys:
        return "a JSON object"
    names = ", ".join(f"`{name}`" for name in keys)
    return f"an object with {names}"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# One decoder for every answer: `json.loads` with an option builds a new one on each call.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def _fail(provider: str, expected: str, reason: str, body: bytes | str) -> UnexpectedAnswer:
    if isinstance(body, bytes):
        body = body[: _SNIPPET * 4].decode("utf-8", "replace")
    snippet = " ".join(body[:_SNIPPET].split())
    log.warning(redact(f"{provider} answered {reason}; expected {expected}; began: {snippet!r}"))
    article = "an" if provider[:1].upper() in "AEIO" else "a"  # an Adyen, a UPS answer
    return UnexpectedAnswer(
        f"{provider} answered with something that is not {article} {provider} answer "
        f"(expected {expected}). Try again later; if it keeps happening, the log has details.",
        provider=provider,
        detail=reason,
    )


def unexpected(provider: str, expected: str, reason: str) -> UnexpectedAnswer:
    """The error for an answer that parsed but is not what the API documents (`reason` is
    logged, the user reads what was expected)."""
    return _fail(provider, expected, reason, "")


def parse_answer(body: bytes | str, provider: str, *, expected: str = "a JSON object") -> Any:
    """The JSON value of `body`; UnexpectedAnswer for a body that is not (strict) JSON."""
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _fail(
                provider, expected, f"bytes that are not UTF-8 ({exc.reason})", body
            ) from None
    else:
        text = body
    stripped = text.strip()
    if not stripped:
        raise _fail(provider, expected, "an empty body", text)
    if stripped[0] == "<":
        raise _fail(provider, expected, "an HTML or XML page", text)
    try:
        # The C decoder counts its own recursion: a body nested without end (100,000 "[")
        # ends in RecursionError after about a thousand levels, quickly and safely.
        return _DECODER.decode(stripped)
    except RecursionError:
        raise _fail(provider, expected, "JSON nested too deeply to read", text) from None
    except ValueError as exc:
        raise _fail(provider, expected, f"text that is not JSON ({exc})", text) from None


def answer_object(
    answer: httpx.Response | bytes | str,
    provider: str,
    keys: Mapping[str, type | tuple[type, ...]] | None = None,
) -> dict[str, Any]:
    """The JSON object of a provider's answer, with each of `keys` present as its type.

    `keys` maps a key the caller reads to the type(s) it must have (`{"data": list}`); a key
    whose value is null counts as missing. Anything else raises UnexpectedAnswer.
    """
    expected = _expected(keys)
    body = answer.content if isinstance(answer, httpx.Response) else answer
    value = parse_answer(body, provider, expected=expected)
    if not isinstance(value, dict):
        raise _fail(provider, expected, f"{_kind(value)} instead of an object", body)
    for name, kind in (keys or {}).items():
        found = value.get(name)
        if found is None:
            raise _fail(provider, expected, f"an object without `{name}`", body)
        if not isinstance(found, kind) or (isinstance(found, bool) and bool not in _types(kind)):
            raise _fail(provider, expected, f"`{name}` as {_kind(found)}", body)
    return value


def _types(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)
