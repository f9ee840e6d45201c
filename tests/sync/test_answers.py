"""The checked answer path and the value checks, on their own."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from ffdesk.redaction import register_secret
from ffdesk.sync import (
    BadRecord,
    UnexpectedAnswer,
    answer_object,
    currency_code,
    decimal_amount,
    known_state,
    minor_amount,
    object_id,
    same_mode,
)


def test_a_good_answer_is_read_with_its_keys_checked() -> None:
    body = b'\xef\xbb\xbf{"data": [{"id": "pi_1"}], "has_more": false}'  # a UTF-8 BOM is fine
    assert answer_object(body, "Stripe", {"data": list, "has_more": bool}) == {
        "data": [{"id": "pi_1"}],
        "has_more": False,
    }


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"data": [], "has_more": 1}', "`has_more` as a number"),
        (b'{"data": null, "has_more": false}', "an object without `data`"),
        (b'{"data": {}, "has_more": false}', "`data` as an object"),
        (b'{"data": [], "has_more": false', "text that is not JSON"),
        (b"[1, 2]", "a list instead of an object"),
    ],
)
def test_a_wrong_shape_names_what_was_expected_and_logs_what_came(
    body: bytes, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="ffdesk.sync.answers"),
        pytest.raises(UnexpectedAnswer) as caught,
    ):
        answer_object(body, "Stripe", {"data": list, "has_more": bool})
    assert str(caught.value) == (
        "Stripe answered with something that is not a Stripe answer (expected an object with "
        "`data`, `has_more`). Try again later; if it keeps happening, the log has details."
    )
    assert reason in caplog.text


def test_a_secret_echoed_in_a_bad_answer_never_reaches_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "sk_test_EchoedBackInTheBody0001"
    register_secret(secret)
    with (
        caplog.at_level(logging.WARNING, logger="ffdesk.sync.answers"),
        pytest.raises(UnexpectedAnswer),
    ):
        answer_object(f"<html>key {secret}</html>".encode(), "Stripe")
    assert caplog.records and secret not in caplog.text


def test_value_checks_accept_exact_values() -> None:
    assert currency_code("usd", "Stripe") == "USD"
    assert minor_amount(1999, "KWD", "Stripe") == Decimal("1.999")
    assert minor_amount(7, "MGA", "Stripe", {"MGA": 0}) == Decimal("7")
    assert decimal_amount("-5.00", "USD", "PayPal") == Decimal("-5")
    assert decimal_amount(12, "JPY", "PayPal") == Decimal("12")
    assert decimal_amount("10.000", "EUR", "Mollie") == Decimal("10")
    assert known_state("paid", {"paid": "done"}, "Mollie") == "done"
    assert object_id("pi_123", "Stripe", "payment", "pi_") == "pi_123"
    same_mode(False, False, "Stripe", "payment")


@pytest.mark.parametrize(
    ("check", "message"),
    [
        (lambda: currency_code("string", "Stripe"), "currency 'string', which is not an ISO"),
        (lambda: currency_code(978, "Stripe"), "currency 978"),
        (lambda: minor_amount(True, "USD", "Stripe"), "amount True, which is not a whole"),
        (lambda: minor_amount(10.5, "USD", "Stripe"), "amount 10.5"),
        (lambda: decimal_amount("1e3", "USD", "PayPal"), "amount '1e3', which is not a number"),
        (lambda: decimal_amount("NaN", "USD", "PayPal"), "amount 'NaN'"),
        (lambda: decimal_amount("1.5", "JPY", "PayPal"), "1.5 JPY, with more decimals"),
        (lambda: known_state("lost", {"paid": "done"}, "Mollie"), "status 'lost'"),
        (lambda: known_state(["paid"], {"paid": "done"}, "Mollie"), "status ['paid']"),
        (lambda: object_id("cus 1", "Stripe", "customer"), "'cus 1' as the customer id"),
        (lambda: object_id("x_1", "Stripe", "payment", "pi_"), "it starts with pi_"),
        (lambda: same_mode(True, False, "Stripe", "payment"), "live payment in answer to a test"),
        (lambda: same_mode(None, True, "Stripe", "payment"), "None payment in answer to a live"),
    ],
)
def test_value_checks_refuse_junk_with_a_sentence(check: object, message: str) -> None:
    with pytest.raises(BadRecord) as caught:
        check()  # type: ignore[operator]
    assert message in str(caught.value)
