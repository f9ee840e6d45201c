"""Fake PayPal API: OAuth2 client-credentials tokens and Transaction Search, in real shapes."""

from __future__ import annotations

import argparse
import base64
import math
import random
import re
import string
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.harness import FakeServer, HttpError, Request, Response, route

DEFAULT_CLIENT_ID = "AeFfdeskSandboxClientId0000000000000000000000000000000000000000000000000000000"
DEFAULT_SECRET = "EFfdeskSandboxSecret000000000000000000000000000000000000000000000000000000000"
DEFAULT_TOKEN_LIFETIME = 32400  # PayPal's tokens live about nine hours
ACCOUNT_NUMBER = "XZXSPECYZZZZZ"
APP_ID = "APP-80W284485P519543T"
SCOPE = (
    "https://uri.paypal.com/services/reporting/search/read "
    "https://uri.paypal.com/services/payments/payment/authcapture openid"
)
STATUSES = frozenset({"D", "P", "S", "V"})
SECTIONS = (
    "transaction_info",
    "payer_info",
    "shipping_info",
    "auction_info",
    "cart_info",
    "incentive_info",
    "store_info",
)
# The documented query parameters of GET /v1/reporting/transactions; anything else is refused,
# which catches client typos a lenient fake would hide.
SEARCH_PARAMS = frozenset(
    {
        "transaction_id",
        "transaction_type",
        "transaction_status",
        "transaction_amount",
        "transaction_currency",
        "start_date",
        "end_date",
        "payment_instrument_type",
        "store_id",
        "terminal_id",
        "fields",
        "balance_affecting_records_only",
        "page_size",
        "page",
    }
)
MAX_RANGE = timedelta(days=31)
HISTORY = timedelta(days=3 * 365)
# RFC 3339 with seconds and an explicit offset: the pattern of PayPal's OpenAPI `date_time`.
DATE_TIME = re.compile(
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])[T,t]([0-1][0-9]|2[0-3]):[0-5][0-9]:"
    r"([0-5][0-9]|60)([.][0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_ALNUM = string.ascii_uppercase + string.digits
_TOKEN_CHARS = string.ascii_letters + string.digits + "-_"


def _debug_id(rng: random.Random) -> str:
    return "".join(rng.choices("0123456789abcdef", k=13))


def paypal_error(
    status: int,
    name: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    *,
    debug_id: str = "f1e2d3c4b5a69",
) -> HttpError:
    """An HttpError with PayPal's REST error envelope (name, message, debug_id, details)."""
    body: dict[str, Any] = {"name": name, "message": message, "debug_id": debug_id}
    if details:
        body["details"] = details
    body["links"] = [
        {
            "href": f"https://developer.paypal.com/docs/api/transaction-search/v1/#error-{name}",
            "rel": "information_link",
        }
    ]
    return HttpError(status, body)


def invalid_request(field: str, value: Any, issue: str, description: str) -> HttpError:
    return paypal_error(
        400,
        "INVALID_REQUEST",
        "Request is not well-formed, syntactically incorrect, or violates schema.",
        [
            {
                "field": field,
                "value": "" if value is None else str(value),
                "location": "query",
                "issue": issue,
                "description": description,
            }
        ],
    )


def oauth_error(status: int, error: str, description: str) -> HttpError:
    """The OAuth endpoints' own shape: {"error", "error_description"}."""
    return HttpError(status, {"error": error, "error_description": description})


def format_date(moment: datetime) -> str:
    """PayPal's response format: `2024-05-01T10:00:00+0000`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_query_date(value: str | None, field: str) -> datetime:
    if value is None:
        raise invalid_request(field, None, "MISSING_REQUIRED_PARAMETER", f"{field} is required.")
    if not DATE_TIME.match(value):
        raise invalid_request(
            field,
            value,
            "INVALID_PARAMETER_SYNTAX",
            f"{field} must be an Internet date and time (RFC 3339) with seconds and an offset.",
        )
    text = value.replace("t", "T").replace(",", "T")
    if text[-1] in "Zz":
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise invalid_request(
            field, value, "INVALID_PARAMETER_VALUE", f"{field} is not a valid date."
        ) from None


class FakePayPal(FakeServer):
    """A local PayPal: `POST /v1/oauth2/token` and `GET /v1/reporting/transactions`.

    Tokens are issued for (`client_id`, `secret`) with `token_lifetime` seconds of life on the
    fake's `clock`; an expired, revoked (`expire_tokens`) or unknown token is answered 401
    like PayPal. Transaction Search validates the window (RFC 3339 dates, at most 31 days,
    within three years), pages with `page`/`page_size` (1..500) and reports `total_items` and
    `total_pages`. Seed data with `add_transaction`; read `transactions`, `token_requests`,
    `tokens_issued` and the harness log. `transaction_search_enabled=False` answers 403 as for
    an app without the Transaction Search permission.
    """

    def __init__(
        self,
        client_id: str = DEFAULT_CLIENT_ID,
        secret: str = DEFAULT_SECRET,
        *,
        port: int = 0,
        token_lifetime: int = DEFAULT_TOKEN_LIFETIME,
        clock: Callable[[], float] = time.time,
        seed: int | None = None,
        record_requests: bool = True,
    ) -> None:
        super().__init__(port=port, record_requests=record_requests)
        self.client_id = client_id
        self.secret = secret
        self.token_lifetime = token_lifetime
        self.clock = clock
        self.transaction_search_enabled = True
        self._rng = random.Random(seed)
        self.tokens: dict[str, float] = {}  # access token -> expiry (clock seconds)
        self.transactions: list[dict[str, Any]] = []  # full detail objects, any order
        self.token_requests = 0  # every POST to the token endpoint, refused ones included
        self.tokens_issued = 0

    # -- plumbing ----------------------------------------------------------------------------

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def not_found(self, request: Request) -> Response:
        return paypal_error(
            404,
            "RESOURCE_NOT_FOUND",
            "The specified resource does not exist.",
            debug_id=_debug_id(self._rng),
        ).response

    def fault_body(self, status: int, request: Request) -> Any:
        debug_id = _debug_id(self._rng)
        if request.path == "/v1/oauth2/token":
            if status == 429:
                return {"error": "rate_limit_reached", "error_description": "Too many requests"}
            if status >= 500:
                return {"error": "server_error", "error_description": "Internal server error"}
        if status == 429:
            return paypal_error(
                429,
                "RATE_LIMIT_REACHED",
                "Too many requests. Blocked due to rate limiting.",
                debug_id=debug_id,
            ).body
        if status == 503:
            return paypal_error(
                503, "SERVICE_UNAVAILABLE", "Service Unavailable.", debug_id=debug_id
            ).body
        if status >= 500:
            return paypal_error(
                status, "INTERNAL_SERVER_ERROR", "An internal server error occurred.",
                debug_id=debug_id,
            ).body  # fmt: skip
        return paypal_error(status, "INVALID_REQUEST", f"Injected failure ({status}).").body

    def _bearer(self, request: Request) -> None:
        """Check the access token of an API call; raise PayPal's 401 when it is not valid."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise paypal_error(
                401,
                "AUTHENTICATION_FAILURE",
                "Authentication failed due to invalid authentication credentials or a missing "
                "Authorization header.",
                debug_id=_debug_id(self._rng),
            )
        expiry = self.tokens.get(token)
        if expiry is None:
            raise oauth_error(401, "invalid_token", "Token signature verification failed")
        if expiry <= self.clock():
            raise oauth_error(401, "invalid_token", "Access Token not found in cache")

    def expire_tokens(self) -> None:
        """Make every token issued so far expired, as if their lifetime had passed."""
        with self.lock:
            now = self.clock()
            for token in self.tokens:
                self.tokens[token] = min(self.tokens[token], now)

    # -- OAuth2 ------------------------------------------------------------------------------

    @route("POST", r"/v1/oauth2/token")
    def token(self, request: Request) -> Response:
        self.token_requests += 1
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        client_id = secret = ""
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode()
            except ValueError:
                decoded = ""
            client_id, _, secret = decoded.partition(":")
        if (client_id, secret) != (self.client_id, self.secret):
            raise oauth_error(401, "invalid_client", "Client Authentication failed")
        grant = dict(request.form_pairs).get("grant_type")
        if grant is None:
            raise oauth_error(400, "unsupported_grant_type", "Grant Type is NULL")
        if grant != "client_credentials":
            raise oauth_error(400, "unsupported_grant_type", f"Grant Type {grant} is not supported")
        token = "A21AA" + "".join(self._rng.choices(_TOKEN_CHARS, k=92))
        self.tokens[token] = self.clock() + self.token_lifetime
        self.tokens_issued += 1
        nonce = self._now().strftime("%Y-%m-%dT%H:%M:%SZ") + "".join(
            self._rng.choices(_TOKEN_CHARS, k=43)
        )
        return (
            200,
            {},
            {
                "scope": SCOPE,
                "access_token": token,
                "token_type": "Bearer",
                "app_id": APP_ID,
                "expires_in": self.token_lifetime,
                "nonce": nonce,
            },
        )

    # -- Transaction Search ------------------------------------------------------------------

    @route("GET", r"/v1/reporting/transactions")
    def search(self, request: Request) -> Response:
        self._bearer(request)
        if not self.transaction_search_enabled:
            raise paypal_error(
                403,
                "NOT_AUTHORIZED",
                "Authorization failed due to insufficient permissions.",
                debug_id=_debug_id(self._rng),
            )
        params = {k: v[0] for k, v in request.query.items()}
        for name in params:
            if name not in SEARCH_PARAMS:
                raise invalid_request(
                    name, params[name], "INVALID_PARAMETER", f"Unknown query parameter {name}."
                )
        start = parse_query_date(params.get("start_date"), "start_date")
        end = parse_query_date(params.get("end_date"), "end_date")
        if end < start:
            raise invalid_request(
                "end_date",
                params["end_date"],
                "INVALID_DATE_RANGE",
                "End date must be after the start date.",
            )
        if end - start > MAX_RANGE:
            raise invalid_request(
                "end_date",
                params["end_date"],
                "INVALID_DATE_RANGE",
                "Date range is greater than 31 days",
            )
        now = self._now()
        if start < now - HISTORY:
            raise invalid_request(
                "start_date",
                params["start_date"],
                "INVALID_DATE_RANGE",
                "Data for the given start date is not available.",
            )
        page_size = self._int(params, "page_size", 100, 1, 500)
        page = self._int(params, "page", 1, 1, 2147483647)
        sections = self._sections(params.get("fields"))
        balance_only = params.get("balance_affecting_records_only", "Y")
        if balance_only not in ("Y", "N"):
            raise invalid_request(
                "balance_affecting_records_only",
                balance_only,
                "INVALID_PARAMETER_VALUE",
                "Value must be Y or N.",
            )
        status = params.get("transaction_status")
        wanted_id = params.get("transaction_id")
        served_end = min(end, now)  # PayPal serves up to its last refresh
        found = []
        for detail in sorted(self.transactions, key=lambda d: d["_initiated"]):
            moment = detail["_initiated"]
            if not start <= moment <= served_end:
                continue
            info = detail["transaction_info"]
            if balance_only == "Y" and not detail["_balance_affecting"]:
                continue
            if status is not None and info["transaction_status"] != status:
                continue
            if wanted_id is not None and info["transaction_id"] != wanted_id:
                continue
            found.append(detail)
        total_items = len(found)
        total_pages = math.ceil(total_items / page_size)
        chosen = found[(page - 1) * page_size : page * page_size]
        links = [{"href": self._link(request, page), "rel": "self", "method": "GET"}]
        if page < total_pages:
            links.append({"href": self._link(request, page + 1), "rel": "next", "method": "GET"})
            links.append({"href": self._link(request, total_pages), "rel": "last", "method": "GET"})
        return (
            200,
            {"Paypal-Debug-Id": _debug_id(self._rng)},
            {
                "transaction_details": [
                    {k: v for k, v in d.items() if k in sections} for d in chosen
                ],
                "account_number": ACCOUNT_NUMBER,
                "start_date": format_date(start),
                "end_date": format_date(served_end),
                "last_refreshed_datetime": format_date(now),
                "page": page,
                "total_items": total_items,
                "total_pages": total_pages,
                "links": links,
            },
        )

    def _link(self, request: Request, page: int) -> str:
        pairs = [(k, v) for k, v in request.query_pairs if k != "page"] + [("page", str(page))]
        query = "&".join(f"{k}={v}" for k, v in pairs)
        return f"https://api-m.sandbox.paypal.com{request.path}?{query}"

    @staticmethod
    def _int(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
        raw = params.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise invalid_request(
                name, raw, "INVALID_PARAMETER_SYNTAX", f"{name} must be an integer."
            ) from None
        if not low <= value <= high:
            raise invalid_request(
                name,
                raw,
                "INVALID_PARAMETER_VALUE",
                f"{name} must be between {low} and {high}.",
            )
        return value

    @staticmethod
    def _sections(fields: str | None) -> set[str]:
        if fields is None:
            return {"transaction_info"}
        names = {f.strip() for f in fields.split(",") if f.strip()}
        if "all" in names:
            return set(SECTIONS)
        unknown = names - set(SECTIONS)
        if unknown:
            raise invalid_request(
                "fields",
                fields,
                "INVALID_PARAMETER_VALUE",
                f"Unknown field {sorted(unknown)[0]}.",
            )
        return names | {"transaction_info"}

    # -- seeding -----------------------------------------------------------------------------

    def add_transaction(
        self,
        value: str = "10.00",
        currency: str = "USD",
        status: str = "S",
        initiated: datetime | float | None = None,
        *,
        event_code: str = "T0006",
        payer_email: str | None = "buyer@example.com",
        payer_name: str = "Test Buyer",
        subject: str | None = None,
        invoice_id: str | None = None,
        transaction_id: str | None = None,
        fee: str | None = None,
        balance_affecting: bool = True,
    ) -> dict[str, Any]:
        """Seed a transaction as Transaction Search reports it and return its detail object.

        `initiated` is a datetime (aware, or naive UTC) or unix time; default: now. Keys
        starting with `_` are the fake's own and never sent.
        """
        if status not in STATUSES:
            raise ValueError(f"not a PayPal transaction status: {status!r}")
        with self.lock:
            if initiated is None:
                moment = self._now()
            elif isinstance(initiated, datetime):
                moment = initiated if initiated.tzinfo else initiated.replace(tzinfo=UTC)
            else:
                moment = datetime.fromtimestamp(initiated, UTC)
            moment = moment.replace(microsecond=0)
            transaction_id = transaction_id or "".join(self._rng.choices(_ALNUM, k=17))
            payer_id = "".join(self._rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", k=13))
            info: dict[str, Any] = {
                "paypal_account_id": payer_id,
                "transaction_id": transaction_id,
                "transaction_event_code": event_code,
                "transaction_initiation_date": format_date(moment),
                "transaction_updated_date": format_date(moment),
                "transaction_amount": {"currency_code": currency, "value": value},
                "transaction_status": status,
                "protection_eligibility": "01",
            }
            if fee is not None:
                info["fee_amount"] = {"currency_code": currency, "value": fee}
            if subject is not None:
                info["transaction_subject"] = subject
            if invoice_id is not None:
                info["invoice_id"] = invoice_id
            given, _, surname = payer_name.partition(" ")
            detail: dict[str, Any] = {
                "transaction_info": info,
                "payer_info": {
                    "account_id": payer_id,
                    "address_status": "Y",
                    "payer_status": "Y",
                    "payer_name": {
                        "given_name": given,
                        "surname": surname,
                        "alternate_full_name": payer_name,
                    },
                    "country_code": "US",
                },
                "shipping_info": {},
                "cart_info": {},
                "store_info": {},
                "auction_info": {},
                "incentive_info": {},
                "_initiated": moment,
                "_balance_affecting": balance_affecting,
            }
            if payer_email is not None:
                detail["payer_info"]["email_address"] = payer_email
            self.transactions.append(detail)
            self.notify()
            return detail

    def set_status(self, transaction_id: str, status: str) -> None:
        """Change a seeded transaction's status (a refund, a pending payment clearing)."""
        if status not in STATUSES:
            raise ValueError(f"not a PayPal transaction status: {status!r}")
        with self.lock:
            for detail in self.transactions:
                info = detail["transaction_info"]
                if info["transaction_id"] == transaction_id:
                    info["transaction_status"] = status
                    info["transaction_updated_date"] = format_date(self._now())
            self.notify()


def main(argv: Sequence[str] | None = None) -> int:
    """Run a FakePayPal in the foreground until Ctrl+C."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.paypal", description="Run a local fake PayPal API."
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID, help="accepted client id")
    parser.add_argument("--secret", default=DEFAULT_SECRET, help="accepted secret")
    parser.add_argument(
        "--transactions", type=int, default=0, metavar="N", help="seed N transactions"
    )
    args = parser.parse_args(argv)
    fake = FakePayPal(
        client_id=args.client_id, secret=args.secret, port=args.port, record_requests=False
    )
    now = datetime.now(UTC)
    for i in range(args.transactions):
        fake.add_transaction(value=f"{10 + i}.00", initiated=now - timedelta(hours=4 + i))
    with fake:
        print(fake.url, flush=True)
        print("fake PayPal; Ctrl+C stops", file=sys.stderr)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
