"""Fake Mollie API v2 (methods, customers, payments): HAL shapes, Bearer auth, idempotency.

Follows https://docs.mollie.com/reference/: Bearer API key (test_/live_), JSON bodies, answers
in `application/hal+json` with lists under `_embedded` and paging by `_links.next.href`
(`from` = the first id of the next page, newest first, `limit` up to 250), errors
`{"status", "title", "detail", "field"?, "_links": {"documentation"}}`. POST, PATCH and
DELETE honour an `Idempotency-Key` header: the same key with the same body replays the first
answer for `idempotency_ttl` seconds; the same key with another body is refused (422).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import string
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from tests.fakes.harness import FakeServer, HttpError, Request, Response, render, route

DEFAULT_API_KEY = "test_FfdeskFakeMollieKey0000000001"
HAL = "application/hal+json"
DOCS = "https://docs.mollie.com/overview/handling-errors"
PAYMENT_STATUSES = frozenset(
    {"open", "pending", "authorized", "paid", "canceled", "expired", "failed"}
)
CUSTOMER_PARAMS = frozenset({"name", "email", "locale", "metadata", "testmode"})
MAX_LIMIT = 250
DEFAULT_METHODS = (("ideal", "iDEAL"), ("creditcard", "Card"), ("bancontact", "Bancontact"))
_ALNUM = string.ascii_letters + string.digits
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def mollie_error(
    status: int, detail: str, *, field: str | None = None, title: str | None = None
) -> HttpError:
    """An HttpError carrying Mollie's error object."""
    body: dict[str, Any] = {
        "status": status,
        "title": title or HTTPStatus(status).phrase,
        "detail": detail,
    }
    if field is not None:
        body["field"] = field
    body["_links"] = {"documentation": {"href": DOCS, "type": "text/html"}}
    return HttpError(status, body, {"Content-Type": HAL})


def iso(timestamp: float) -> str:
    """Mollie's timestamp format: `2024-03-20T09:13:37+00:00`."""
    return datetime.fromtimestamp(int(timestamp), UTC).isoformat()


@dataclass(frozen=True)
class _Saved:
    method: str
    path: str
    digest: str
    stored_at: float
    response: tuple[int, dict[str, str], bytes]


class FakeMollie(FakeServer):
    """A local Mollie speaking the real shapes for methods, customers and payments.

    State is public for tests: `customers`, `payments` (id -> object; iterate under `lock`
    while requests may arrive), counters `creates`, `updates`, `replays`; `methods` (id,
    description) pairs; `link_base`, the host written into `_links` (default: this server; set
    it to "https://api.mollie.com" to check a client does not follow links elsewhere).
    """

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        *,
        port: int = 0,
        seed: int | None = None,
        clock: Callable[[], float] = time.time,
        idempotency_ttl: float = 3600.0,
        record_requests: bool = True,
    ) -> None:
        super().__init__(port=port, record_requests=record_requests)
        self.api_key = api_key
        self.clock = clock
        self.idempotency_ttl = idempotency_ttl
        self.methods: list[tuple[str, str]] = list(DEFAULT_METHODS)
        self.link_base: str | None = None
        self._rng = random.Random(seed)
        self._seq = 0
        self._order: dict[str, int] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        self.deleted_customers: set[str] = set()
        self.payments: dict[str, dict[str, Any]] = {}
        self._idempotent: dict[str, _Saved] = {}
        self.creates = 0
        self.updates = 0
        self.replays = 0

    @property
    def mode(self) -> str:
        return "live" if self.api_key.startswith("live_") else "test"

    # -- plumbing ----------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        key = request.headers.get("idempotency-key")
        if key is None or request.method not in ("POST", "PATCH", "DELETE"):
            return self._hal(super().handle(request))
        return self._idempotent_call(request, key)

    @staticmethod
    def _hal(response: Response) -> Response:
        status, headers, body = response
        if isinstance(body, dict | list) and not any(k.lower() == "content-type" for k in headers):
            headers = {**headers, "Content-Type": HAL}
        return status, headers, body

    def _idempotent_call(self, request: Request, key: str) -> Response:
        now = self.clock()
        digest = hashlib.sha256(request.body or b"").hexdigest()
        saved = self._idempotent.get(key)
        if saved is not None and now - saved.stored_at > self.idempotency_ttl:
            saved = None  # expired: the key may be used afresh
        if saved is not None:
            if (saved.method, saved.path, saved.digest) != (request.method, request.path, digest):
                raise mollie_error(
                    422,
                    "The idempotency key has already been used for a different request.",
                    title="Unprocessable Entity",
                )
            self.replays += 1
            status, headers, body = saved.response
            return status, {**headers, "Idempotent-Replayed": "true"}, body
        status, headers, body = render(*self._hal(super().handle(request)))
        if status < 400 or status >= 500:  # refused requests changed nothing: not kept
            self._idempotent[key] = _Saved(
                request.method, request.path, digest, now, (status, headers, body)
            )
        return status, headers, body

    def _authenticate(self, request: Request) -> Response | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.api_key:
            return mollie_error(
                401,
                "Missing authentication, or failed to authenticate",
                title="Unauthorized Request",
            ).response
        return None

    def not_found(self, request: Request) -> Response:
        return mollie_error(404, "The resource does not exist.").response

    def fault_body(self, status: int, request: Request) -> Any:
        if status == 429:
            return mollie_error(
                429, "You have exceeded the rate limit. Please slow down your requests."
            ).body
        if status >= 500:
            return mollie_error(
                status, "An internal server error occurred while processing your request."
            ).body
        return mollie_error(status, f"Injected failure ({status})").body

    def _base(self) -> str:
        return (self.link_base or self.url).rstrip("/")

    def _link(self, path: str, **query: Any) -> dict[str, str]:
        suffix = f"?{urlencode(query)}" if query else ""
        return {"href": f"{self._base()}{path}{suffix}", "type": HAL}

    def _new_id(self, prefix: str, taken: Callable[[str], bool]) -> str:
        while True:
            object_id = prefix + "".join(self._rng.choices(_ALNUM, k=10))
            if not taken(object_id):
                return object_id

    def _arrive(self, object_id: str) -> None:
        self._seq += 1
        self._order[object_id] = self._seq

    @staticmethod
    def _json(request: Request) -> dict[str, Any]:
        body = request.json if request.body else {}
        if not isinstance(body, dict):
            raise mollie_error(400, "The request body must be a JSON object.")
        return body

    def _list(
        self, request: Request, objects: dict[str, dict[str, Any]], kind: str, path: str
    ) -> Response:
        raw = request.arg("limit", "50")
        try:
            limit = int(raw or "")
        except ValueError:
            raise mollie_error(400, "Invalid limit given", field="limit") from None
        if not 1 <= limit <= MAX_LIMIT:
            raise mollie_error(400, f"Invalid limit given, maximum is {MAX_LIMIT}", field="limit")
        ordered = sorted(
            objects.values(), key=lambda o: (o["_created"], self._order[o["id"]]), reverse=True
        )
        start = 0
        cursor = request.arg("from")
        if cursor is not None:
            ids = [o["id"] for o in ordered]
            if cursor not in ids:
                raise mollie_error(400, f"Invalid 'from' parameter: {cursor}", field="from")
            start = ids.index(cursor)
        chunk = ordered[start : start + limit]
        nxt = ordered[start + limit] if start + limit < len(ordered) else None
        prev_start = max(0, start - limit)
        links: dict[str, Any] = {
            "self": self._link(path, **({"from": cursor} if cursor else {}), limit=limit),
            "previous": (
                self._link(path, **{"from": ordered[prev_start]["id"]}, limit=limit)
                if start > 0
                else None
            ),
            "next": self._link(path, **{"from": nxt["id"]}, limit=limit) if nxt else None,
            "documentation": {
                "href": f"https://docs.mollie.com/reference/list-{kind}",
                "type": "text/html",
            },
        }
        return (
            200,
            {},
            {
                "count": len(chunk),
                "_embedded": {kind: [self._public(o) for o in chunk]},
                "_links": links,
            },
        )

    @staticmethod
    def _public(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if not k.startswith("_") or k == "_links"}

    # -- methods -----------------------------------------------------------------------------

    @route("GET", r"/v2/methods")
    def list_methods(self, request: Request) -> Response:
        methods = [
            {
                "resource": "method",
                "id": method_id,
                "description": description,
                "minimumAmount": {"value": "0.01", "currency": "EUR"},
                "maximumAmount": {"value": "50000.00", "currency": "EUR"},
                "image": {
                    "size1x": f"https://www.mollie.com/external/icons/payment-methods/{method_id}.png",
                    "svg": f"https://www.mollie.com/external/icons/payment-methods/{method_id}.svg",
                },
                "status": "activated",
                "_links": {"self": self._link(f"/v2/methods/{method_id}")},
            }
            for method_id, description in self.methods
        ]
        return (
            200,
            {},
            {
                "count": len(methods),
                "_embedded": {"methods": methods},
                "_links": {"self": self._link("/v2/methods"), "documentation": None},
            },
        )

    # -- customers ---------------------------------------------------------------------------

    @route("POST", r"/v2/customers")
    def create_customer(self, request: Request) -> Response:
        values = self._customer_values(self._json(request))
        customer = self._new_customer(values)
        self.creates += 1
        return 201, {}, self._public(customer)

    @route("GET", r"/v2/customers")
    def list_customers(self, request: Request) -> Response:
        return self._list(request, self.customers, "customers", "/v2/customers")

    @route("GET", r"/v2/customers/(?P<id>[^/]+)")
    def get_customer(self, request: Request) -> Response:
        return 200, {}, self._public(self._customer(request.path_params["id"]))

    @route("PATCH", r"/v2/customers/(?P<id>[^/]+)")
    def update_customer(self, request: Request) -> Response:
        customer = self._customer(request.path_params["id"])
        customer.update(self._customer_values(self._json(request)))
        self.updates += 1
        return 200, {}, self._public(customer)

    @route("DELETE", r"/v2/customers/(?P<id>[^/]+)")
    def delete_customer(self, request: Request) -> Response:
        customer_id = self._customer(request.path_params["id"])["id"]
        del self.customers[customer_id]
        self.deleted_customers.add(customer_id)
        return 204, {}, None

    def add_customer(self, **values: Any) -> dict[str, Any]:
        """Seed a customer as if created earlier (not counted in `creates`)."""
        with self.lock:
            customer = self._new_customer(self._customer_values(values))
            self.notify()
            return customer

    def _customer(self, customer_id: str) -> dict[str, Any]:
        customer = self.customers.get(customer_id)
        if customer is None:
            raise mollie_error(404, f"No customer exists with token {customer_id}.")
        return customer

    def _new_customer(self, values: dict[str, Any]) -> dict[str, Any]:
        customer_id = self._new_id(
            "cst_", lambda i: i in self.customers or i in self.deleted_customers
        )
        now = self.clock()
        customer = {
            "resource": "customer",
            "id": customer_id,
            "mode": self.mode,
            "name": None,
            "email": None,
            "locale": None,
            "metadata": None,
            "createdAt": iso(now),
            "_created": now,
            "_links": {
                "self": self._link(f"/v2/customers/{customer_id}"),
                "dashboard": {
                    "href": f"https://www.mollie.com/dashboard/customers/{customer_id}",
                    "type": "text/html",
                },
                "documentation": {
                    "href": "https://docs.mollie.com/reference/get-customer",
                    "type": "text/html",
                },
            },
        }
        customer.update(values)
        self.customers[customer_id] = customer
        self._arrive(customer_id)
        return customer

    @staticmethod
    def _customer_values(body: dict[str, Any]) -> dict[str, Any]:
        """Validate every field before anything changes; return the new values."""
        values: dict[str, Any] = {}
        for name in body:
            if name not in CUSTOMER_PARAMS:
                raise mollie_error(422, f"Unknown parameter '{name}'.", field=name)
        if "name" in body:
            if body["name"] is not None and not isinstance(body["name"], str):
                raise mollie_error(422, "The name must be a string.", field="name")
            values["name"] = body["name"] or None
        if "email" in body:
            email = body["email"]
            if email is not None and (not isinstance(email, str) or not _EMAIL.fullmatch(email)):
                raise mollie_error(422, f"The email address '{email}' is invalid.", field="email")
            values["email"] = email or None
        if "locale" in body:
            values["locale"] = body["locale"]
        if "metadata" in body:
            metadata = body["metadata"]
            if metadata is not None and len(repr(metadata)) > 1024:
                raise mollie_error(
                    422, "The metadata is too large, at most 1024 bytes.", field="metadata"
                )
            values["metadata"] = metadata
        return values

    # -- payments ----------------------------------------------------------------------------

    @route("GET", r"/v2/payments")
    def list_payments(self, request: Request) -> Response:
        return self._list(request, self.payments, "payments", "/v2/payments")

    @route("GET", r"/v2/payments/(?P<id>[^/]+)")
    def get_payment(self, request: Request) -> Response:
        payment = self.payments.get(request.path_params["id"])
        if payment is None:
            raise mollie_error(404, f"No payment exists with token {request.path_params['id']}.")
        return 200, {}, self._public(payment)

    def add_payment(
        self,
        value: str = "10.00",
        currency: str = "EUR",
        status: str = "paid",
        created: float | None = None,
        *,
        customer_id: str | None = None,
        description: str = "Order",
        method: str | None = "ideal",
        refunded: str | None = None,
        metadata: Any = None,
        id: str | None = None,
    ) -> dict[str, Any]:
        """Seed a payment (as a checkout would have made it) and return it.

        `created` is a unix time (default: now); `refunded` an amountRefunded value.
        """
        if status not in PAYMENT_STATUSES:
            raise ValueError(f"not a Mollie payment status: {status!r}")
        with self.lock:
            payment_id = id or self._new_id("tr_", self.payments.__contains__)
            created = self.clock() if created is None else created
            payment: dict[str, Any] = {
                "resource": "payment",
                "id": payment_id,
                "mode": self.mode,
                "createdAt": iso(created),
                "amount": {"value": value, "currency": currency},
                "description": description,
                "method": method if status not in ("open", "expired") else None,
                "metadata": metadata,
                "status": status,
                "isCancelable": status == "open",
                "profileId": "pfl_QkEhN94Ba",
                "sequenceType": "oneoff",
                "redirectUrl": "https://webshop.example.org/order/12345/",
                "_created": created,
                "_links": {
                    "self": self._link(f"/v2/payments/{payment_id}"),
                    "dashboard": {
                        "href": f"https://www.mollie.com/dashboard/payments/{payment_id}",
                        "type": "text/html",
                    },
                },
            }
            if customer_id is not None:
                payment["customerId"] = customer_id
            if status == "paid":
                payment["paidAt"] = iso(created)
                payment["amountRemaining"] = {"value": value, "currency": currency}
                payment["amountRefunded"] = {"value": refunded or "0.00", "currency": currency}
            self.payments[payment_id] = payment
            self._arrive(payment_id)
            self.notify()
            return payment

    def refund_payment(self, payment_id: str, value: str | None = None) -> dict[str, Any]:
        """Refund all of (or `value` of) a paid payment: Mollie keeps it `paid` and moves
        `amountRefunded` and `amountRemaining`."""
        with self.lock:
            payment = self.payments[payment_id]
            currency = payment["amount"]["currency"]
            total = Decimal(payment["amount"]["value"])
            done = Decimal(payment["amountRefunded"]["value"])
            amount = total - done if value is None else Decimal(value)
            payment["amountRefunded"] = {"value": f"{done + amount:.2f}", "currency": currency}
            payment["amountRemaining"] = {
                "value": f"{total - done - amount:.2f}",
                "currency": currency,
            }
            self.notify()
            return payment

    def set_status(self, payment_id: str, status: str) -> dict[str, Any]:
        """Move a payment to `status` (an open payment paid, expired or failed later)."""
        if status not in PAYMENT_STATUSES:
            raise ValueError(f"not a Mollie payment status: {status!r}")
        with self.lock:
            payment = self.payments[payment_id]
            payment["status"] = status
            payment["isCancelable"] = status == "open"
            if status == "paid":
                money = dict(payment["amount"])
                payment["paidAt"] = iso(self.clock())
                payment["amountRemaining"] = money
                payment["amountRefunded"] = {"value": "0.00", "currency": money["currency"]}
            self.notify()
            return payment


def main(argv: Sequence[str] | None = None) -> int:
    """Run a FakeMollie in the foreground until Ctrl+C."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.mollie", description="Run a local fake Mollie API."
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="accepted API key")
    parser.add_argument("--payments", type=int, default=0, metavar="N", help="seed N payments")
    args = parser.parse_args(argv)
    fake = FakeMollie(api_key=args.api_key, port=args.port, record_requests=False)
    now = time.time()
    for i in range(args.payments):
        fake.add_payment(value=f"{10 + i}.00", created=now - i * 60)
    with fake:
        print(fake.url, flush=True)
        print(f"fake Mollie, API key {args.api_key}; Ctrl+C stops", file=sys.stderr)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
