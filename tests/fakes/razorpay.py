"""Fake Razorpay API (customers, payments): real shapes, Basic auth, count/skip paging.

Follows https://razorpay.com/docs/api/: Basic auth with key_id:key_secret, JSON bodies,
collections `{"entity": "collection", "count": n, "items": [...]}` newest first, errors
`{"error": {"code", "description", "source", "step", "reason", "metadata", "field"?}}`.
Customer creation honours `fail_existing`: "1" (the default) refuses a customer whose email and
contact match an existing one, "0" answers the existing customer instead.
"""

from __future__ import annotations

import argparse
import base64
import random
import re
import string
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from tests.fakes.harness import FakeServer, HttpError, Request, Response, route

DEFAULT_KEY_ID = "rzp_test_FfdeskFake0001"
DEFAULT_KEY_SECRET = "FfdeskFakeSecret00000001"
PAYMENT_STATUSES = frozenset({"created", "authorized", "captured", "refunded", "failed"})
CUSTOMER_CREATE_PARAMS = frozenset({"name", "email", "contact", "fail_existing", "gstin", "notes"})
CUSTOMER_EDIT_PARAMS = frozenset({"name", "email", "contact", "gstin", "notes"})
MAX_COUNT = 100
_ALNUM = string.ascii_letters + string.digits
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CONTACT = re.compile(r"\+?[0-9]{8,14}")


def razorpay_error(
    status: int,
    description: str,
    *,
    code: str = "BAD_REQUEST_ERROR",
    field: str | None = None,
    reason: str = "NA",
    source: str = "NA",
) -> HttpError:
    """An HttpError carrying Razorpay's error envelope."""
    error: dict[str, Any] = {
        "code": code,
        "description": description,
        "source": source,
        "step": "NA",
        "reason": reason,
        "metadata": {},
    }
    if field is not None:
        error["field"] = field
    return HttpError(status, {"error": error})


def _int_param(value: Any, name: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise razorpay_error(400, f"The {name} must be an integer.", field=name) from None
    if number < minimum:
        raise razorpay_error(400, f"The {name} must be at least {minimum}.", field=name)
    if maximum is not None and number > maximum:
        raise razorpay_error(400, f"The {name} may not be greater than {maximum}.", field=name)
    return number


class FakeRazorpay(FakeServer):
    """A local Razorpay speaking the real shapes for customers and payments.

    State is public for tests: `customers` and `payments` (id -> object; iterate under `lock`
    while requests may arrive), counters `creates` (customers really created), `existing`
    (creates answered with an existing customer because of fail_existing=0) and `updates`;
    `add_customer`/`add_payment` seed data.
    """

    def __init__(
        self,
        key_id: str = DEFAULT_KEY_ID,
        key_secret: str = DEFAULT_KEY_SECRET,
        *,
        port: int = 0,
        seed: int | None = None,
        clock: Callable[[], float] = time.time,
        record_requests: bool = True,
    ) -> None:
        super().__init__(port=port, record_requests=record_requests)
        self.key_id = key_id
        self.key_secret = key_secret
        self.clock = clock
        self._rng = random.Random(seed)
        self._seq = 0
        self.customers: dict[str, dict[str, Any]] = {}
        self.payments: dict[str, dict[str, Any]] = {}
        self._order: dict[str, int] = {}  # id -> arrival number, to break created_at ties
        self.creates = 0
        self.existing = 0
        self.updates = 0

    # -- plumbing ----------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        return super().handle(request)

    def _authenticate(self, request: Request) -> Response | None:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        key_id = secret = ""
        if scheme.lower() == "basic":
            try:
                key_id, _, secret = base64.b64decode(credentials).decode().partition(":")
            except ValueError:
                key_id = secret = ""
        if not key_id:
            return razorpay_error(
                401, "Please provide your api key for authentication purposes."
            ).response
        if key_id != self.key_id:
            return razorpay_error(401, "The api key provided is invalid").response
        if secret != self.key_secret:
            return razorpay_error(401, "Authentication failed").response
        return None

    def not_found(self, request: Request) -> Response:
        return razorpay_error(404, "The requested URL was not found on the server.").response

    def fault_body(self, status: int, request: Request) -> Any:
        if status == 429:
            return razorpay_error(429, "Too many requests").body
        if status >= 500:
            return razorpay_error(
                status,
                "The server encountered an error. The incident has been reported to admins.",
                code="SERVER_ERROR",
            ).body
        return razorpay_error(status, f"Injected failure ({status})").body

    def _now(self) -> int:
        return int(self.clock())

    def _new_id(self, prefix: str, taken: Callable[[str], bool]) -> str:
        while True:
            object_id = prefix + "".join(self._rng.choices(_ALNUM, k=14))
            if not taken(object_id):
                return object_id

    def _arrive(self, object_id: str) -> None:
        self._seq += 1
        self._order[object_id] = self._seq

    def _body(self, request: Request) -> dict[str, Any]:
        """The JSON body, or a form body taken as flat fields (Razorpay accepts both)."""
        if request.content_type.endswith("json"):
            body = request.json
            if not isinstance(body, dict):
                raise razorpay_error(400, "The request body must be a JSON object.")
            return body
        return request.form

    def _collection(self, request: Request, objects: dict[str, dict[str, Any]]) -> Response:
        count = _int_param(request.arg("count", "10"), "count", minimum=1, maximum=MAX_COUNT)
        skip = _int_param(request.arg("skip", "0"), "skip")
        low = request.arg("from")
        high = request.arg("to")
        low = _int_param(low, "from") if low is not None else None
        high = _int_param(high, "to") if high is not None else None
        if low is not None and high is not None and high < low:
            raise razorpay_error(400, "The to must be greater than or equal to from.", field="to")
        chosen = [
            obj
            for obj in objects.values()
            if (low is None or obj["created_at"] >= low)
            and (high is None or obj["created_at"] <= high)
        ]
        chosen.sort(key=lambda o: (o["created_at"], self._order[o["id"]]), reverse=True)
        items = chosen[skip : skip + count]
        return 200, {}, {"entity": "collection", "count": len(items), "items": items}

    # -- customers ---------------------------------------------------------------------------

    @route("POST", r"/v1/customers")
    def create_customer(self, request: Request) -> Response:
        body = self._body(request)
        self._check_fields(body, CUSTOMER_CREATE_PARAMS)
        fail_existing = str(body.get("fail_existing", "1")).lower()
        if fail_existing not in ("0", "1", "true", "false"):
            raise razorpay_error(
                400, "The fail existing must be either 0 or 1.", field="fail_existing"
            )
        values = self._customer_values(body, creating=True)
        match = self._find_existing(values.get("email"), values.get("contact"))
        if match is not None:
            if fail_existing in ("1", "true"):
                raise razorpay_error(
                    400,
                    "Customer already exists for the merchant",
                    reason="input_validation_failed",
                    source="business",
                )
            self.existing += 1
            return 200, {}, match
        customer = self._new_customer(values)
        self.creates += 1
        return 200, {}, customer

    @route("GET", r"/v1/customers")
    def list_customers(self, request: Request) -> Response:
        return self._collection(request, self.customers)

    @route("GET", r"/v1/customers/(?P<id>[^/]+)")
    def get_customer(self, request: Request) -> Response:
        return 200, {}, self._customer(request.path_params["id"])

    @route("PUT", r"/v1/customers/(?P<id>[^/]+)")
    def edit_customer(self, request: Request) -> Response:
        customer = self._customer(request.path_params["id"])
        body = self._body(request)
        self._check_fields(body, CUSTOMER_EDIT_PARAMS)
        customer.update(self._customer_values(body, creating=False))
        self.updates += 1
        return 200, {}, customer

    def add_customer(self, **values: Any) -> dict[str, Any]:
        """Seed a customer as if created earlier (not counted in `creates`)."""
        with self.lock:
            customer = self._new_customer(
                {
                    "name": values.get("name"),
                    "email": values.get("email"),
                    "contact": values.get("contact"),
                    "gstin": values.get("gstin"),
                    "notes": dict(values.get("notes") or {}),
                },
                created_at=values.get("created_at"),
            )
            self.notify()
            return customer

    def _customer(self, customer_id: str) -> dict[str, Any]:
        customer = self.customers.get(customer_id)
        if customer is None:
            raise razorpay_error(400, "The id provided does not exist", field="id")
        return customer

    def _find_existing(self, email: str | None, contact: str | None) -> dict[str, Any] | None:
        if not email and not contact:
            return None
        for customer in self.customers.values():
            if customer.get("email") == email and customer.get("contact") == contact:
                return customer
        return None

    def _new_customer(
        self, values: dict[str, Any], *, created_at: int | None = None
    ) -> dict[str, Any]:
        customer_id = self._new_id("cust_", self.customers.__contains__)
        customer = {
            "id": customer_id,
            "entity": "customer",
            "name": values.get("name"),
            "email": values.get("email"),
            "contact": values.get("contact"),
            "gstin": values.get("gstin"),
            "notes": values.get("notes") or [],
            "created_at": self._now() if created_at is None else created_at,
        }
        self.customers[customer_id] = customer
        self._arrive(customer_id)
        return customer

    @staticmethod
    def _check_fields(body: dict[str, Any], allowed: frozenset[str]) -> None:
        extra = sorted(set(body) - allowed)
        if extra:
            raise razorpay_error(
                400, f"{', '.join(extra)} is/are not required and should not be sent"
            )

    @staticmethod
    def _customer_values(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        """Validate every field before anything changes; return the new values."""
        values: dict[str, Any] = {}
        if "name" in body or creating:
            name = body.get("name")
            if not isinstance(name, str) or not name.strip():
                raise razorpay_error(400, "The name field is required.", field="name")
            if not 3 <= len(name) <= 50:
                raise razorpay_error(
                    400, "The name must be between 3 and 50 characters.", field="name"
                )
            values["name"] = name
        if "email" in body:
            email = body["email"]
            if not isinstance(email, str) or len(email) > 64 or not _EMAIL.fullmatch(email):
                raise razorpay_error(400, "The email must be a valid email address.", field="email")
            values["email"] = email
        if "contact" in body:
            contact = str(body["contact"])
            if len(contact) > 15 or not _CONTACT.fullmatch(contact):
                raise razorpay_error(
                    400,
                    "Contact number should be at least 8 digits, including country code",
                    field="contact",
                    reason="invalid_contact_number",
                    source="business",
                )
            values["contact"] = contact
        if "gstin" in body:
            values["gstin"] = body["gstin"] or None
        if "notes" in body:
            notes = body["notes"]
            if not isinstance(notes, dict) or len(notes) > 15:
                raise razorpay_error(
                    400, "The notes may not have more than 15 items.", field="notes"
                )
            values["notes"] = {str(k): str(v) for k, v in notes.items()}
        return values

    # -- payments ----------------------------------------------------------------------------

    @route("GET", r"/v1/payments")
    def list_payments(self, request: Request) -> Response:
        return self._collection(request, self.payments)

    @route("GET", r"/v1/payments/(?P<id>[^/]+)")
    def get_payment(self, request: Request) -> Response:
        payment = self.payments.get(request.path_params["id"])
        if payment is None:
            raise razorpay_error(400, "The id provided does not exist", field="id")
        return 200, {}, payment

    def add_payment(
        self,
        amount: int = 50000,
        currency: str = "INR",
        status: str = "captured",
        created_at: int | None = None,
        *,
        customer_id: str | None = None,
        email: str = "void@razorpay.com",
        contact: str = "+919000090000",
        description: str | None = None,
        method: str = "card",
        id: str | None = None,
    ) -> dict[str, Any]:
        """Seed a payment (as a checkout would have made it) and return it."""
        if status not in PAYMENT_STATUSES:
            raise ValueError(f"not a Razorpay payment status: {status!r}")
        with self.lock:
            payment_id = id or self._new_id("pay_", self.payments.__contains__)
            captured = status in ("captured", "refunded")
            payment = {
                "id": payment_id,
                "entity": "payment",
                "amount": amount,
                "currency": currency,
                "status": status,
                "order_id": None,
                "invoice_id": None,
                "international": False,
                "method": method,
                "amount_refunded": amount if status == "refunded" else 0,
                "refund_status": "full" if status == "refunded" else None,
                "captured": captured,
                "description": description,
                "card_id": None,
                "bank": None,
                "wallet": None,
                "vpa": None,
                "email": email,
                "contact": contact,
                "customer_id": customer_id,
                "notes": [],
                "fee": round(amount * 0.02) if captured else None,
                "tax": None,
                "error_code": "BAD_REQUEST_ERROR" if status == "failed" else None,
                "error_description": "Payment failed" if status == "failed" else None,
                "created_at": self._now() if created_at is None else created_at,
            }
            self.payments[payment_id] = payment
            self._arrive(payment_id)
            self.notify()
            return payment

    def refund_payment(self, payment_id: str, amount: int | None = None) -> dict[str, Any]:
        """Refund all of (or `amount` of) a captured payment, as the Dashboard does: a full
        refund turns the payment `refunded`, a partial one leaves it `captured`."""
        with self.lock:
            payment = self.payments[payment_id]
            amount = payment["amount"] - payment["amount_refunded"] if amount is None else amount
            payment["amount_refunded"] += amount
            full = payment["amount_refunded"] >= payment["amount"]
            payment["refund_status"] = "full" if full else "partial"
            if full:
                payment["status"] = "refunded"
            self.notify()
            return payment

    def capture_payment(self, payment_id: str) -> dict[str, Any]:
        """Capture an authorized payment (as the merchant's capture call would)."""
        with self.lock:
            payment = self.payments[payment_id]
            payment["status"] = "captured"
            payment["captured"] = True
            payment["fee"] = round(payment["amount"] * 0.02)
            self.notify()
            return payment


def main(argv: Sequence[str] | None = None) -> int:
    """Run a FakeRazorpay in the foreground until Ctrl+C."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.razorpay", description="Run a local fake Razorpay API."
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    parser.add_argument("--key-id", default=DEFAULT_KEY_ID, help="accepted key id")
    parser.add_argument("--key-secret", default=DEFAULT_KEY_SECRET, help="accepted key secret")
    parser.add_argument("--payments", type=int, default=0, metavar="N", help="seed N payments")
    args = parser.parse_args(argv)
    fake = FakeRazorpay(
        key_id=args.key_id, key_secret=args.key_secret, port=args.port, record_requests=False
    )
    now = int(time.time())
    for i in range(args.payments):
        fake.add_payment(amount=10000 + i, created_at=now - i * 60)
    with fake:
        print(fake.url, flush=True)
        print(f"fake Razorpay, key id {args.key_id}; Ctrl+C stops", file=sys.stderr)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
