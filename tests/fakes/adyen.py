"""Fake Adyen Checkout API (/paymentMethods): X-API-Key auth, merchant accounts, error shapes."""

from __future__ import annotations

import argparse
import random
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from tests.fakes.harness import FakeServer, HttpError, Request, Response, route

DEFAULT_API_KEY = (
    "AQEyhmfxK4PFaBZGw0m/n3Q5qf3VaY9UCJ14XWZE03G/k2NFitRvbe4N1XqH1eHaH2AksaEQjsAO1pnPuiEX"
)
DEFAULT_MERCHANT = "FfdeskECOM"
# Checkout API versions the fake answers; Adyen keeps old versions online for years.
VERSIONS = range(37, 72)
DEFAULT_METHODS: tuple[dict[str, Any], ...] = (
    {"brands": ["visa", "mc", "amex"], "name": "Cards", "type": "scheme"},
    {"name": "iDEAL", "type": "ideal", "countries": ["NL"]},
    {"name": "PayPal", "type": "paypal"},
)
_REQUEST_FIELDS = frozenset(
    {
        "allowedPaymentMethods",
        "amount",
        "blockedPaymentMethods",
        "channel",
        "countryCode",
        "merchantAccount",
        "shopperLocale",
        "shopperReference",
        "splitCardFundingSources",
        "store",
    }
)


def adyen_error(status: int, code: str, message: str, error_type: str, psp: str) -> HttpError:
    """An HttpError carrying Adyen's error body (with a pspReference, as Adyen's have)."""
    return HttpError(
        status,
        {
            "status": status,
            "errorCode": code,
            "message": message,
            "errorType": error_type,
            "pspReference": psp,
        },
        {"pspReference": psp},
    )


class FakeAdyen(FakeServer):
    """A local Adyen Checkout API: POST /v{37..71}/paymentMethods (also under /checkout/ as on
    the live hosts).

    `X-API-Key` must be `api_key` (401 000 otherwise). `merchant_accounts` maps the merchant
    accounts the key may use to their payment methods; `other_merchant_accounts` exist but are
    not the key's (403 901 "Invalid Merchant Account", as for an unknown one); a missing
    merchantAccount is a 422 901. With `checkout_role=False` the API credential lacks the
    Checkout webservice role (403 010 "Not allowed").
    """

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        merchant_accounts: Mapping[str, Sequence[dict[str, Any]]] | None = None,
        *,
        other_merchant_accounts: Sequence[str] = ("SomeoneElseECOM",),
        checkout_role: bool = True,
        port: int = 0,
        seed: int | None = None,
        record_requests: bool = True,
    ) -> None:
        super().__init__(port=port, record_requests=record_requests)
        self.api_key = api_key
        if merchant_accounts is None:
            merchant_accounts = {DEFAULT_MERCHANT: DEFAULT_METHODS}
        self.merchant_accounts = {k: [dict(m) for m in v] for k, v in merchant_accounts.items()}
        self.other_merchant_accounts = set(other_merchant_accounts)
        self.checkout_role = checkout_role
        self._rng = random.Random(seed)

    def _psp(self) -> str:
        return "".join(self._rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", k=16))

    def handle(self, request: Request) -> Response:
        if request.headers.get("x-api-key") != self.api_key:
            return adyen_error(
                401, "000", "HTTP Status Response - Unauthorized", "security", self._psp()
            ).response
        return super().handle(request)

    def not_found(self, request: Request) -> Response:
        return adyen_error(
            404, "000", "HTTP Status Response - Not Found", "security", self._psp()
        ).response

    def fault_body(self, status: int, request: Request) -> Any:
        if status == 429:
            return adyen_error(429, "000", "Too Many Requests", "security", self._psp()).body
        if status >= 500:
            return adyen_error(
                status, "000", "An unexpected error occurred", "internal", self._psp()
            ).body
        return adyen_error(status, "000", f"Injected failure ({status})", "internal", "").body

    @route("POST", r"(?:/checkout)?/v(?P<version>[0-9]+)/paymentMethods")
    def payment_methods(self, request: Request) -> Response:
        if int(request.path_params["version"]) not in VERSIONS:
            return self.not_found(request)
        if not request.content_type.endswith("json"):
            raise adyen_error(
                422,
                "702",
                f"Content-Type {request.content_type or '(none)'} is not supported",
                "validation",
                self._psp(),
            )
        body = request.json
        if not isinstance(body, dict):
            raise adyen_error(
                422, "702", "Unexpected input: expected a JSON object", "validation", self._psp()
            )
        unknown = sorted(set(body) - _REQUEST_FIELDS)
        if unknown:
            raise adyen_error(
                422,
                "702",
                "Structure of PaymentMethodsRequest contains the following unknown fields: "
                + ", ".join(unknown),
                "validation",
                self._psp(),
            )
        merchant = body.get("merchantAccount")
        if not merchant:
            raise adyen_error(422, "901", "Invalid Merchant Account", "validation", self._psp())
        if merchant not in self.merchant_accounts:
            # Unknown, or someone else's: Adyen does not say which.
            raise adyen_error(403, "901", "Invalid Merchant Account", "security", self._psp())
        if not self.checkout_role:
            raise adyen_error(403, "010", "Not allowed", "security", self._psp())
        country = body.get("countryCode")
        methods = [
            {k: v for k, v in m.items() if k != "countries"}
            for m in self.merchant_accounts[merchant]
            if country is None or country in m.get("countries", [country])
        ]
        return 200, {"pspReference": self._psp()}, {"paymentMethods": methods}


def main(argv: Sequence[str] | None = None) -> int:
    """Run a FakeAdyen in the foreground until Ctrl+C."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.adyen", description="Run a local fake Adyen Checkout API."
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="accepted X-API-Key")
    parser.add_argument("--merchant-account", default=DEFAULT_MERCHANT)
    args = parser.parse_args(argv)
    fake = FakeAdyen(
        args.api_key,
        {args.merchant_account: DEFAULT_METHODS},
        port=args.port,
        record_requests=False,
    )
    with fake:
        print(fake.url, flush=True)
        print(
            f"fake Adyen, merchant account {args.merchant_account}; Ctrl+C stops", file=sys.stderr
        )
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
