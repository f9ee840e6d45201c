"""Checks of each pulled object's values: a bad one fails that record with a reason, whole.

A provider module reads an object's values through these before it stores anything, so a
transaction is never stored with a guessed currency, a missing amount or an unknown state.
Each check raises `BadRecord` (a ValidationError: the run's per-record failure path) with a
sentence that names the provider, the value and what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from ffdesk.engine.errors import ValidationError
from ffdesk.engine.money import exponent, from_minor, is_currency

__all__ = [
    "BadRecord",
    "currency_code",
    "decimal_amount",
    "known_state",
    "minor_amount",
    "object_id",
    "same_mode",
]

T = TypeVar("T")
_DECIMAL = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,6})?")
MAX_ID_LENGTH = 255


class BadRecord(ValidationError):
    """A pulled object that fails a check: that record fails with this reason, nothing stored."""


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def currency_code(value: Any, provider: str) -> str:
    """The ISO 4217 code of `value` in capitals ("usd" -> "USD"); BadRecord for anything else."""
    code = value.strip().upper() if isinstance(value, str) else None
    if not code or not is_currency(code):
        raise BadRecord(
            f"{provider} sent the currency {_shown(value)}, which is not an ISO 4217 code"
        )
    return code


def minor_amount(
    value: Any, currency: str, provider: str, exponents: Mapping[str, int] | None = None
) -> Decimal:
    """An amount in the currency's smallest unit (an integer), as an exact Decimal.

    `exponents` lists the currencies the provider counts with other digits than ISO 4217.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRecord(
            f"{provider} sent the amount {_shown(value)}, which is not a whole number of the "
            "currency's smallest unit"
        )
    return from_minor(value, currency, (exponents or {}).get(currency))


def decimal_amount(value: Any, currency: str, provider: str) -> Decimal:
    """An amount written in major units ("10.00" or 10), exact, with no more decimals than
    the currency has."""
    text = value if isinstance(value, str) else None
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    if text is None or not _DECIMAL.fullmatch(text.strip()):
        raise BadRecord(f"{provider} sent the amount {_shown(value)}, which is not a number")
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise BadRecord(
            f"{provider} sent the amount {_shown(value)}, which is not a number"
        ) from None
    places = -int(amount.as_tuple().exponent)
    if places > exponent(currency) and amount != amount.quantize(
        Decimal(1).scaleb(-exponent(currency))
    ):
        raise BadRecord(
            f"{provider} sent the amount {text.strip()} {currency}, with more decimals than "
            f"{currency} has ({exponent(currency)})"
        )
    return amount


def known_state(value: Any, states: Mapping[str, T], provider: str) -> T:
    """Our state for the provider's status `value`; BadRecord for a status it does not list."""
    if not isinstance(value, str) or value not in states:
        raise BadRecord(f"{provider} sent the status {_shown(value)}, which it does not document")
    return states[value]


def object_id(value: Any, provider: str, what: str, prefix: str | tuple[str, ...] = "") -> str:
    """A provider id (non-empty text, at most 255 characters, starting with `prefix`)."""
    if (
        not isinstance(value, str)
        or len(value) > MAX_ID_LENGTH
        or value.split() != [value]  # blank, or whitespace anywhere in it
        or not value.startswith(prefix)
    ):
        expected = f" (it starts with {prefix})" if isinstance(prefix, str) and prefix else ""
        raise BadRecord(
            f"{provider} sent {_shown(value)} as the {what} id, which is not one{expected}"
        )
    return value


def same_mode(live: Any, key_is_live: bool, provider: str, what: str) -> None:
    """BadRecord when an object's mode (live or test) is not the mode of the key that read it."""
    if live is not key_is_live:
        found = "live" if live is True else "test" if live is False else repr(live)
        key = "live" if key_is_live else "test"
        raise BadRecord(
            f"{provider} sent a {found} {what} in answer to a {key} key: the answer is for "
            "another account or mode, so it was not stored"
        )
