"""Provider errors keep the provider's own error code beside its message."""

from __future__ import annotations

import json

import pytest

from ffdesk.sync.errors import (
    CredentialsRejected,
    ProviderRequestError,
    RateLimited,
    error_for_status,
    provider_code,
)

SHAPES = [
    ("Stripe", 400, {"error": {"type": "invalid_request_error", "code": "resource_missing"}},
     "resource_missing"),
    ("Razorpay", 400, {"error": {"code": "BAD_REQUEST_ERROR", "description": "x"}},
     "BAD_REQUEST_ERROR"),
    ("Square", 400, {"errors": [{"category": "INVALID_REQUEST_ERROR",
                                 "code": "IDEMPOTENCY_KEY_REUSED", "detail": "x"}]},
     "IDEMPOTENCY_KEY_REUSED"),
    ("Twilio", 400, {"code": 21211, "message": "The 'To' number is not valid", "status": 400},
     "21211"),
    ("Adyen", 403, {"status": 403, "errorCode": "901", "message": "Invalid Merchant Account"},
     "901"),
    ("PayPal", 400, {"name": "INVALID_REQUEST", "message": "Request is not well-formed"},
     "INVALID_REQUEST"),
    ("UPS", 404, {"response": {"errors": [{"code": "TW0001", "message": "Not Found"}]}},
     "TW0001"),
    ("PayPal", 401, {"error": "invalid_client", "error_description": "Client Authentication"},
     "invalid_client"),
]  # fmt: skip


@pytest.mark.parametrize(("provider", "status", "body", "code"), SHAPES)
def test_each_providers_error_code_is_kept(
    provider: str, status: int, body: dict[str, object], code: str
) -> None:
    error = error_for_status(provider, status, json.dumps(body))
    assert error.code == code
    assert isinstance(error, CredentialsRejected if status in (401, 403) else ProviderRequestError)


def test_no_code_without_a_json_body() -> None:
    assert provider_code("<html>Bad gateway</html>") is None
    assert provider_code(b"") is None
    assert provider_code("{not json") is None
    assert error_for_status("Mollie", 500, "oops").code is None


def test_a_rate_limit_keeps_its_code_and_retry_after() -> None:
    error = error_for_status(
        "Stripe", 429, json.dumps({"error": {"type": "rate_limit_error"}}), retry_after=2.0
    )
    assert isinstance(error, RateLimited)
    assert (error.code, error.retry_after) == ("rate_limit_error", 2.0)
