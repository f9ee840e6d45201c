"""Fake Square API (locations, customers, payments): real shapes, idempotency, cursor paging.

Follows https://developer.squareup.com/reference/square: Bearer access token, a
`Square-Version` header (YYYY-MM-DD; recorded in `versions`), JSON bodies, errors
`{"errors": [{"category", "code", "detail", "field"?}]}`. CreateCustomer honours
`idempotency_key`: the same key with the same body answers the customer made the first time,
the same key with other data is refused (400 IDEMPOTENCY_KEY_REUSED). ListPayments filters on
`created_at` with begin_time/end_time (RFC 3339; default: the past year), sorts by
`sort_order` (DESC by default) and pages with an opaque `cursor` (`limit` up to 100).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import random
import re
import string
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from tests.fakes.harness import FakeServer, HttpError, Request, Response, route

DEFAULT_TOKEN = "EAAAEFfdeskFakeSquareSandboxToken000000000000000000000000000001"
DEFAULT_VERSION = "2024-06-04"
PAYMENT_STATUSES = frozenset({"APPROVED", "PENDING", "COMPLETED", "CANCELED", "FAILED"})
CUSTOMER_FIELDS = frozenset(
    {
        "given_name",
        "family_name",
        "company_name",
        "nickname",
        "email_address",
        "address",
        "phone_number",
        "reference_id",
        "note",
        "birthday",
        "tax_ids",
    }
)
NAME_FIELDS = ("given_name", "family_name", "company_name", "email_address", "phone_number")
MAX_LIMIT = 100
YEAR = 365 * 86400
DEFAULT_LOCATION = {"id": "L88917AVBK2S5", "name": "Default Test Account"}
_UPPER = string.ascii_uppercase + string.digits
_ALNUM = string.ascii_letters + string.digits
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}")


def square_error(
    status: int,
    code: str,
    detail: str,
    *,
    category: str = "INVALID_REQUEST_ERROR",
    field: str | None = None,
) -> HttpError:
    """An HttpError carrying Square's error list."""
    error: dict[str, Any] = {"category": category, "code": code, "detail": detail}
    if field is not None:
        error["field"] = field
    return HttpError(status, {"errors": [error]})


def rfc3339(timestamp: float) -> str:
    """Square's timestamps: `2024-06-04T12:34:56.789Z`."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _parse_time(value: str, field: str) -> float:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise square_error(
            400, "INVALID_TIME", f"`{field}` must be an RFC 3339 timestamp.", field=field
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


class FakeSquare(FakeServer):
    """A local Square speaking the real shapes for locations, customers and payments.

    State is public for tests: `locations` (list of {"id", "name"}), `customers`, `payments`
    (id -> object; iterate under `lock` while requests may arrive), counters `creates`,
    `updates`, `replays`, `searches`, and `versions` (every Square-Version header received).
    """

    def __init__(
        self,
        access_token: str = DEFAULT_TOKEN,
        *,
        port: int = 0,
        seed: int | None = None,
        clock: Callable[[], float] = time.time,
        record_requests: bool = True,
    ) -> None:
        super().__init__(port=port, record_requests=record_requests)
        self.access_token = access_token
        self.clock = clock
        self.locations: list[dict[str, str]] = [dict(DEFAULT_LOCATION)]
        self._rng = random.Random(seed)
        self._seq = 0
        self._order: dict[str, int] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        self.payments: dict[str, dict[str, Any]] = {}
        self._idempotent: dict[str, tuple[str, dict[str, Any]]] = {}
        self.versions: list[str | None] = []
        self.creates = 0
        self.updates = 0
        self.replays = 0
        self.searches = 0

    # -- plumbing ----------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return square_error(
                401,
                "UNAUTHORIZED",
                "Your request did not include an `Authorization` http header with an access "
                'token. The header value is expected to be of the format "Bearer TOKEN".',
                category="AUTHENTICATION_ERROR",
            ).response
        if token.strip() != self.access_token:
            return square_error(
                401,
                "UNAUTHORIZED",
                "This request could not be authorized.",
                category="AUTHENTICATION_ERROR",
            ).response
        version = request.headers.get("square-version")
        self.versions.append(version)
        if version is not None and not _VERSION.fullmatch(version):
            return square_error(
                400,
                "INVALID_SQUARE_VERSION_FORMAT",
                f"Invalid Square-Version format: {version}. Expected YYYY-MM-DD.",
            ).response
        return super().handle(request)

    def not_found(self, request: Request) -> Response:
        return square_error(
            404,
            "NOT_FOUND",
            f"API endpoint for URL path `{request.path}` and HTTP method `{request.method}` "
            "is not found.",
        ).response

    def fault_body(self, status: int, request: Request) -> Any:
        if status == 429:
            return square_error(
                429, "RATE_LIMITED", "Rate limit exceeded.", category="RATE_LIMIT_ERROR"
            ).body
        if status == 503:
            return square_error(
                503, "SERVICE_UNAVAILABLE", "Service unavailable.", category="API_ERROR"
            ).body
        if status >= 500:
            return square_error(
                status, "INTERNAL_SERVER_ERROR", "An internal error occurred.", category="API_ERROR"
            ).body
        return square_error(status, "BAD_REQUEST", f"Injected failure ({status})").body

    def _new_id(self, length: int, alphabet: str, taken: Callable[[str], bool]) -> str:
        while True:
            object_id = "".join(self._rng.choices(alphabet, k=length))
            if not taken(object_id):
                return object_id

    def _arrive(self, object_id: str) -> None:
        self._seq += 1
        self._order[object_id] = self._seq

    @staticmethod
    def _json(request: Request) -> dict[str, Any]:
        body = request.json if request.body else {}
        if not isinstance(body, dict):
            raise square_error(400, "BAD_REQUEST", "The request body must be a JSON object.")
        return body

    @staticmethod
    def _limit(raw: Any, default: int = MAX_LIMIT) -> int:
        if raw is None:
            return default
        try:
            limit = int(raw)
        except (TypeError, ValueError):
            raise square_error(
                400, "INVALID_VALUE", "`limit` must be an integer.", field="limit"
            ) from None
        if not 1 <= limit <= MAX_LIMIT:
            raise square_error(
                400,
                "INVALID_VALUE",
                f"`limit` must be between 1 and {MAX_LIMIT}.",
                field="limit",
            )
        return limit

    @staticmethod
    def _cursor(offset: int, query: str) -> str:
        raw = json.dumps({"o": offset, "q": query}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def _offset(cursor: str, query: str) -> int:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded))
            offset, made_for = int(data["o"]), data["q"]
        except (ValueError, KeyError, TypeError):
            raise square_error(
                400, "INVALID_CURSOR", "The cursor is invalid.", field="cursor"
            ) from None
        if made_for != query:
            raise square_error(
                400,
                "INVALID_CURSOR",
                "The cursor was made for a different query.",
                field="cursor",
            )
        return offset

    # -- locations ---------------------------------------------------------------------------

    @route("GET", r"/v2/locations")
    def list_locations(self, request: Request) -> Response:
        return 200, {}, {"locations": [self._location(loc) for loc in self.locations]}

    def _location(self, location: dict[str, str]) -> dict[str, Any]:
        return {
            "id": location["id"],
            "name": location["name"],
            "address": {"address_line_1": "1600 Pennsylvania Ave NW", "country": "US"},
            "timezone": "UTC",
            "capabilities": ["CREDIT_CARD_PROCESSING", "AUTOMATIC_TRANSFERS"],
            "status": location.get("status", "ACTIVE"),
            "created_at": "2024-01-01T00:00:00.000Z",
            "merchant_id": "MLFAKEMERCHANT",
            "country": "US",
            "language_code": "en-US",
            "currency": location.get("currency", "USD"),
            "business_name": location["name"],
            "type": "PHYSICAL",
            "mcc": "7299",
        }

    # -- customers ---------------------------------------------------------------------------

    @route("POST", r"/v2/customers")
    def create_customer(self, request: Request) -> Response:
        body = self._json(request)
        key = body.get("idempotency_key")
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        if key:
            saved = self._idempotent.get(key)
            if saved is not None:
                if saved[0] != digest:
                    raise square_error(
                        400,
                        "IDEMPOTENCY_KEY_REUSED",
                        "The idempotency key can only be retried with the same request data.",
                        field="idempotency_key",
                    )
                self.replays += 1
                return 200, {}, saved[1]
        fields = {k: v for k, v in body.items() if k != "idempotency_key"}
        values = self._customer_values(fields)
        if not any(values.get(name) for name in NAME_FIELDS):
            raise square_error(
                400,
                "MISSING_REQUIRED_PARAMETER",
                "At least one of `given_name`, `family_name`, `company_name`, "
                "`email_address`, or `phone_number` is required.",
            )
        answer = {"customer": self._new_customer(values)}
        self.creates += 1
        if key:
            self._idempotent[key] = (digest, answer)
        return 200, {}, answer

    @route("POST", r"/v2/customers/search")
    def search_customers(self, request: Request) -> Response:
        body = self._json(request)
        self.searches += 1
        limit = self._limit(body.get("limit"))
        wanted = ((body.get("query") or {}).get("filter")) or {}
        found = []
        for customer in sorted(self.customers.values(), key=lambda c: self._order[c["id"]]):
            ok = True
            for field in ("reference_id", "email_address", "phone_number"):
                if field in wanted:
                    exact = (wanted[field] or {}).get("exact")
                    ok = ok and exact is not None and customer.get(field) == exact
            if ok:
                found.append(customer)
        found = found[:limit]
        return 200, {}, {"customers": found} if found else {}

    @route("GET", r"/v2/customers/(?P<id>[^/]+)")
    def get_customer(self, request: Request) -> Response:
        return 200, {}, {"customer": self._customer(request.path_params["id"])}

    @route("PUT", r"/v2/customers/(?P<id>[^/]+)")
    def update_customer(self, request: Request) -> Response:
        customer = self._customer(request.path_params["id"])
        body = self._json(request)
        version = body.pop("version", None)
        if version is not None and version != customer["version"]:
            raise square_error(
                409, "CONFLICT", "The customer has been changed since it was read.", field="version"
            )
        changes = self._customer_values(body)
        for name, value in changes.items():
            if value is None:
                customer.pop(name, None)  # Square leaves unset fields out of its answers
            else:
                customer[name] = value
        customer["version"] += 1
        customer["updated_at"] = rfc3339(self.clock())
        self.updates += 1
        return 200, {}, {"customer": customer}

    @route("DELETE", r"/v2/customers/(?P<id>[^/]+)")
    def delete_customer(self, request: Request) -> Response:
        del self.customers[self._customer(request.path_params["id"])["id"]]
        return 200, {}, {}

    def add_customer(self, **values: Any) -> dict[str, Any]:
        """Seed a customer as if created earlier (not counted in `creates`)."""
        with self.lock:
            customer = self._new_customer(self._customer_values(values))
            self.notify()
            return customer

    def _customer(self, customer_id: str) -> dict[str, Any]:
        customer = self.customers.get(customer_id)
        if customer is None:
            raise square_error(
                404,
                "NOT_FOUND",
                f"Customer with ID `{customer_id}` not found.",
                field="customer_id",
            )
        return customer

    def _new_customer(self, values: dict[str, Any]) -> dict[str, Any]:
        customer_id = self._new_id(26, _UPPER, self.customers.__contains__)
        now = rfc3339(self.clock())
        customer: dict[str, Any] = {
            "id": customer_id,
            "created_at": now,
            "updated_at": now,
            "preferences": {"email_unsubscribed": False},
            "creation_source": "THIRD_PARTY",
            "version": 0,
        }
        customer.update({k: v for k, v in values.items() if v is not None})
        self.customers[customer_id] = customer
        self._arrive(customer_id)
        return customer

    @staticmethod
    def _customer_values(body: dict[str, Any]) -> dict[str, Any]:
        """Validate every field before anything changes; return the new values."""
        for name in body:
            if name not in CUSTOMER_FIELDS:
                raise square_error(400, "BAD_REQUEST", f"Unrecognized field `{name}`.", field=name)
        values: dict[str, Any] = {}
        for name, value in body.items():
            if (
                value is not None
                and name not in ("address", "tax_ids")
                and not isinstance(value, str)
            ):
                raise square_error(
                    400, "EXPECTED_STRING", f"Expected `{name}` to be a string.", field=name
                )
            values[name] = value
        email = values.get("email_address")
        if email and not _EMAIL.fullmatch(email):
            raise square_error(
                400,
                "INVALID_EMAIL_ADDRESS",
                "Expected email_address to be a valid email address",
                field="email_address",
            )
        phone = values.get("phone_number")
        if phone:
            digits = re.sub(r"[\s().\-]", "", phone)
            if not re.fullmatch(r"\+?[0-9]{9,16}", digits):
                raise square_error(
                    400,
                    "INVALID_PHONE_NUMBER",
                    "Expected phone_number to be a valid phone number",
                    field="phone_number",
                )
        return values

    # -- payments ----------------------------------------------------------------------------

    @route("GET", r"/v2/payments")
    def list_payments(self, request: Request) -> Response:
        now = self.clock()
        begin_raw = request.arg("begin_time")
        end_raw = request.arg("end_time")
        begin = _parse_time(begin_raw, "begin_time") if begin_raw else now - YEAR
        end = _parse_time(end_raw, "end_time") if end_raw else now
        order = request.arg("sort_order", "DESC")
        if order not in ("ASC", "DESC"):
            raise square_error(
                400,
                "INVALID_ENUM_VALUE",
                f"`sort_order` must be ASC or DESC, not {order}.",
                field="sort_order",
            )
        location = request.arg("location_id")
        limit = self._limit(request.arg("limit"))
        query = json.dumps([begin_raw, end_raw, order, location, limit])
        cursor = request.arg("cursor")
        offset = self._offset(cursor, query) if cursor else 0
        chosen = [
            p
            for p in self.payments.values()
            if begin <= p["_created"] < end and (location is None or p["location_id"] == location)
        ]
        chosen.sort(key=lambda p: (p["_created"], self._order[p["id"]]), reverse=order == "DESC")
        chunk = chosen[offset : offset + limit]
        body: dict[str, Any] = {}
        if chunk:
            body["payments"] = [{k: v for k, v in p.items() if k != "_created"} for p in chunk]
        if offset + limit < len(chosen):
            body["cursor"] = self._cursor(offset + limit, query)
        return 200, {}, body

    @route("GET", r"/v2/payments/(?P<id>[^/]+)")
    def get_payment(self, request: Request) -> Response:
        payment = self.payments.get(request.path_params["id"])
        if payment is None:
            raise square_error(
                404, "NOT_FOUND", f"Could not find payment with id: {request.path_params['id']}"
            )
        return 200, {}, {"payment": {k: v for k, v in payment.items() if k != "_created"}}

    def add_payment(
        self,
        amount: int = 1000,
        currency: str = "USD",
        status: str = "COMPLETED",
        created: float | None = None,
        *,
        customer_id: str | None = None,
        note: str | None = None,
        location_id: str | None = None,
        refunded: int | None = None,
        id: str | None = None,
    ) -> dict[str, Any]:
        """Seed a payment (as a point of sale would have made it) and return it.

        `created` is a unix time (default: now); `refunded` a refunded amount in minor units.
        """
        if status not in PAYMENT_STATUSES:
            raise ValueError(f"not a Square payment status: {status!r}")
        with self.lock:
            payment_id = id or self._new_id(29, _ALNUM, self.payments.__contains__)
            created = self.clock() if created is None else created
            money = {"amount": amount, "currency": currency}
            payment: dict[str, Any] = {
                "id": payment_id,
                "created_at": rfc3339(created),
                "updated_at": rfc3339(created),
                "amount_money": money,
                "total_money": dict(money),
                "approved_money": dict(money),
                "status": status,
                "delay_duration": "PT168H",
                "source_type": "CARD",
                "card_details": {
                    "status": "CAPTURED" if status == "COMPLETED" else "AUTHORIZED",
                    "card": {"card_brand": "VISA", "last_4": "1111", "exp_month": 12},
                    "entry_method": "KEYED",
                },
                "location_id": location_id or self.locations[0]["id"],
                "order_id": self._new_id(29, _ALNUM, lambda _: False),
                "risk_evaluation": {"risk_level": "NORMAL"},
                "receipt_number": payment_id[:4],
                "version_token": self._new_id(43, _ALNUM, lambda _: False),
                "application_details": {
                    "square_product": "ECOMMERCE_API",
                    "application_id": "sandbox-sq0idb-FfdeskFake",
                },
                "_created": created,
            }
            if customer_id is not None:
                payment["customer_id"] = customer_id
            if note is not None:
                payment["note"] = note
            if refunded:
                payment["refunded_money"] = {"amount": refunded, "currency": currency}
                payment["refund_ids"] = [self._new_id(29, _ALNUM, lambda _: False)]
            self.payments[payment_id] = payment
            self._arrive(payment_id)
            self.notify()
            return payment

    def refund_payment(self, payment_id: str, amount: int | None = None) -> dict[str, Any]:
        """Refund all of (or `amount` of) a completed payment: Square keeps it `COMPLETED`
        and adds `refunded_money` and a refund id."""
        with self.lock:
            payment = self.payments[payment_id]
            money = payment["amount_money"]
            before = (payment.get("refunded_money") or {}).get("amount", 0)
            amount = money["amount"] - before if amount is None else amount
            payment["refunded_money"] = {"amount": before + amount, "currency": money["currency"]}
            payment.setdefault("refund_ids", []).append(self._new_id(29, _ALNUM, lambda _: False))
            payment["updated_at"] = rfc3339(self.clock())
            self.notify()
            return payment


def main(argv: Sequence[str] | None = None) -> int:
    """Run a FakeSquare in the foreground until Ctrl+C."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.square", description="Run a local fake Square API."
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    parser.add_argument("--access-token", default=DEFAULT_TOKEN, help="accepted access token")
    parser.add_argument("--payments", type=int, default=0, metavar="N", help="seed N payments")
    args = parser.parse_args(argv)
    fake = FakeSquare(access_token=args.access_token, port=args.port, record_requests=False)
    now = time.time()
    for i in range(args.payments):
        fake.add_payment(amount=100 + i, created=now - i * 60)
    with fake:
        print(fake.url, flush=True)
        print("fake Square; Ctrl+C stops", file=sys.stderr)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
