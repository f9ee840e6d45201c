"""Fake Stripe API (balance, customers, payment intents, charges, events): real shapes, auth,
paging, idempotency."""

from __future__ import annotations

import argparse
import base64
import random
import re
import string
import sys
import threading
import time
from bisect import bisect_left, insort
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tests.fakes.harness import FakeServer, HttpError, Request, Response, render, route

DEFAULT_SECRET_KEY = "sk_test_ffdesk0000000000000000fake"
DOCS = "https://stripe.com/docs/error-codes"
PAYMENT_INTENT_STATUSES = frozenset(
    {
        "requires_payment_method",
        "requires_confirmation",
        "requires_action",
        "processing",
        "requires_capture",
        "canceled",
        "succeeded",
    }
)
# Parameters the fake understands; anything else is rejected like Stripe does, which catches
# client typos (`page=`, `meta[...]`) that a lenient fake would hide.
CUSTOMER_PARAMS = frozenset(
    {
        "address",
        "balance",
        "description",
        "email",
        "expand",
        "invoice_prefix",
        "metadata",
        "name",
        "phone",
        "preferred_locales",
        "shipping",
        "tax_exempt",
    }
)
ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")
CUSTOMER_LIST_PARAMS = frozenset(
    {"created", "email", "ending_before", "expand", "limit", "starting_after"}
)
PAYMENT_INTENT_LIST_PARAMS = frozenset(
    {"created", "customer", "ending_before", "expand", "limit", "starting_after"}
)
EVENT_LIST_PARAMS = frozenset(
    {"created", "delivery_success", "ending_before", "limit", "starting_after", "type", "types"}
)
API_VERSION = "2024-06-20"
EVENT_RETENTION = 30 * 86400
# The event a status change of a payment intent sends (Stripe's own event names).
STATUS_EVENTS = {
    "requires_payment_method": "payment_intent.payment_failed",
    "requires_action": "payment_intent.requires_action",
    "processing": "payment_intent.processing",
    "requires_capture": "payment_intent.amount_capturable_updated",
    "canceled": "payment_intent.canceled",
    "succeeded": "payment_intent.succeeded",
}
_ALNUM = string.ascii_letters + string.digits
_KEY_PREFIX = re.compile(r"^[a-z]{2,}_(?:test|live)_")


def stripe_error(
    status: int,
    message: str,
    *,
    type: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
) -> HttpError:
    """An HttpError carrying Stripe's error envelope."""
    error: dict[str, Any] = {"message": message, "type": type}
    if code is not None:
        error["code"] = code
        error["doc_url"] = f"{DOCS}/{code.replace('_', '-')}"
    if param is not None:
        error["param"] = param
    return HttpError(status, {"error": error})


def mask_key(key: str) -> str:
    """Mask an API key as Stripe's errors do: `sk_test_1234abcd` -> `sk_test_****abcd`."""
    match = _KEY_PREFIX.match(key)
    prefix = match.group(0) if match else ""
    rest = key[len(prefix) :]
    if len(rest) <= 4:
        return prefix + "*" * len(rest)
    return prefix + "*" * (len(rest) - 4) + rest[-4:]


def _missing(kind: str, object_id: str, param: str) -> HttpError:
    # Stripe answers 404 for a missing object in the URL, 400 for one named in a parameter.
    status = 404 if param == "id" else 400
    return stripe_error(
        status, f"No such {kind}: '{object_id}'", code="resource_missing", param=param
    )


def _int_param(value: Any, param: str) -> int:
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise stripe_error(400, f"Invalid integer: {value}", param=param)


def _str_param(value: Any, param: str) -> str:
    if not isinstance(value, str):
        raise stripe_error(400, f"Invalid string: {value}", param=param)
    return value


def _check_params(params: dict[str, Any], allowed: frozenset[str]) -> None:
    for name in params:
        if name not in allowed:
            raise stripe_error(
                400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name
            )


class _CreatedIndex:
    """Object ids ordered by (created, arrival), so lists come newest first as Stripe's do."""

    def __init__(self) -> None:
        self._keys: list[tuple[int, int, str]] = []
        self._key_of: dict[str, tuple[int, int, str]] = {}
        self._seq = 0

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._key_of

    def add(self, object_id: str, created: int) -> None:
        self._seq += 1
        key = (created, self._seq, object_id)
        insort(self._keys, key)
        self._key_of[object_id] = key

    def remove(self, object_id: str) -> None:
        key = self._key_of.pop(object_id)
        del self._keys[bisect_left(self._keys, key)]

    def page(
        self,
        limit: int,
        *,
        starting_after: str | None = None,
        ending_before: str | None = None,
        created: tuple[int | None, int | None] = (None, None),
        accept: Callable[[str], bool] | None = None,
    ) -> tuple[list[str], bool]:
        """One page of ids, newest first, and whether more exist beyond it.

        `created` is an inclusive (min, max) range; `accept` filters further.
        """
        keys = self._keys
        lo, hi = 0, len(keys)
        # (t,) sorts before every (t, seq, id): bisecting with it finds the first key at time t.
        if created[0] is not None:
            lo = bisect_left(keys, (created[0],))
        if created[1] is not None:
            hi = bisect_left(keys, (created[1] + 1,))
        found: list[str] = []
        if ending_before is not None:
            # The `limit` objects just newer than the cursor, still returned newest first.
            lo = max(lo, bisect_left(keys, self._key_of[ending_before]) + 1)
            for i in range(lo, hi):
                if accept is None or accept(keys[i][2]):
                    found.append(keys[i][2])
                    if len(found) > limit:
                        break
            return found[:limit][::-1], len(found) > limit
        if starting_after is not None:
            hi = min(hi, bisect_left(keys, self._key_of[starting_after]))
        for i in range(hi - 1, lo - 1, -1):
            if accept is None or accept(keys[i][2]):
                found.append(keys[i][2])
                if len(found) > limit:
                    break
        return found[:limit], len(found) > limit


@dataclass(frozen=True)
class _SavedResponse:
    method: str
    path: str
    params: tuple[tuple[str, str], ...]
    status: int
    headers: dict[str, str]
    body: bytes


class FakeStripe(FakeServer):
    """A local Stripe speaking the real API shapes for balance, customers and payment intents.

    Bearer (or Basic) auth with `secret_key`; Stripe's error envelope; list paging newest first
    with `limit`/`starting_after`/`ending_before` and `created[...]` filters; `Idempotency-Key`
    replay on POST. State is public for tests: `customers` and `payment_intents` (id -> object,
    live dicts: iterate them under `lock` while requests may arrive), counters `creates`,
    `updates` and `replays`, plus `add_customer`/`add_payment_intent` to seed data.
    """

    def __init__(
        self,
        secret_key: str = DEFAULT_SECRET_KEY,
        *,
        port: int = 0,
        seed: int | None = None,
        currency: str = "usd",
        balance_available: int = 0,
        balance_pending: int = 0,
        clock: Callable[[], float] = time.time,
        record_requests: bool = True,
    ) -> None:
        super().__init__(port=port, record_requests=record_requests)
        self.secret_key = secret_key
        self.livemode = "_live_" in secret_key
        self.currency = currency
        self.balance_available = balance_available
        self.balance_pending = balance_pending
        self.clock = clock  # source of `created` timestamps; tests may pin it
        self._rng = random.Random(seed)
        self.customers: dict[str, dict[str, Any]] = {}
        self.deleted_customers: set[str] = set()
        self.payment_intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.events: dict[str, dict[str, Any]] = {}
        self._customer_index = _CreatedIndex()
        self._payment_intent_index = _CreatedIndex()
        self._event_index = _CreatedIndex()
        self._idempotent: dict[str, _SavedResponse] = {}
        self.creates = 0
        self.updates = 0
        self.replays = 0

    # -- plumbing ----------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        key = request.headers.get("idempotency-key")
        # Stripe honours idempotency keys on POST only; GET and DELETE are idempotent anyway.
        if request.method != "POST" or key is None:
            status, headers, body = super().handle(request)
            return status, {**headers, "Request-Id": self._request_id()}, body
        return self._idempotent_post(request, key)

    def _idempotent_post(self, request: Request, key: str) -> Response:
        if len(key) > 255:
            raise stripe_error(
                400, "Idempotency keys can be at most 255 characters long.", param="Idempotency-Key"
            )
        params = tuple(sorted(request.form_pairs))
        saved = self._idempotent.get(key)
        if saved is not None:
            if (saved.method, saved.path) != (request.method, request.path):
                raise stripe_error(
                    400,
                    "Keys for idempotent requests can only be used for the same endpoint they "
                    f"were first used for ('{saved.path}' vs '{request.path}'). Try using a key "
                    f"other than '{key}' if you meant to execute a different request.",
                    type="idempotency_error",
                )
            if saved.params != params:
                raise stripe_error(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters "
                    f"they were first used with. Try using a key other than '{key}' if you meant "
                    "to execute a different request.",
                    type="idempotency_error",
                )
            self.replays += 1
            return saved.status, {**saved.headers, "Idempotent-Replayed": "true"}, saved.body
        status, headers, body = render(*super().handle(request))
        headers = {**headers, "Request-Id": self._request_id(), "Idempotency-Key": key}
        # Stripe saves whatever the endpoint answered, 500s included, but not requests that
        # failed validation before executing (400) or named a missing object (404).
        if status not in (400, 404):
            self._idempotent[key] = _SavedResponse(
                request.method, request.path, params, status, headers, body
            )
        return status, headers, body

    def _authenticate(self, request: Request) -> Response | None:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        key = ""
        if scheme.lower() == "bearer":
            key = credentials.strip()
        elif scheme.lower() == "basic":  # Stripe also takes the key as Basic auth username
            try:
                key = base64.b64decode(credentials).decode().partition(":")[0]
            except ValueError:
                key = ""
        if not key:
            return stripe_error(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
                "or we can help at https://support.stripe.com/.",
            ).response
        if key != self.secret_key:
            return stripe_error(401, f"Invalid API Key provided: {mask_key(key)}").response
        return None

    def not_found(self, request: Request) -> Response:
        return stripe_error(
            404,
            f"Unrecognized request URL ({request.method}: {request.path}). Please see "
            "https://stripe.com/docs or we can help at https://support.stripe.com/.",
        ).response

    def fault_body(self, status: int, request: Request) -> Any:
        if status == 429:
            return stripe_error(
                429,
                "Request rate limit exceeded. Learn more about rate limits here "
                "https://stripe.com/docs/rate-limits.",
                code="rate_limit",
            ).body
        if status >= 500:
            return stripe_error(status, "An unknown error occurred", type="api_error").body
        return stripe_error(status, f"Injected failure ({status})").body

    def _request_id(self) -> str:
        return "req_" + "".join(self._rng.choices(_ALNUM, k=14))

    def _new_id(self, prefix: str, length: int, taken: Callable[[str], bool]) -> str:
        while True:
            object_id = prefix + "".join(self._rng.choices(_ALNUM, k=length))
            if not taken(object_id):
                return object_id

    def _now(self) -> int:
        return int(self.clock())

    def _list(
        self,
        request: Request,
        allowed: frozenset[str],
        index: _CreatedIndex,
        objects: dict[str, dict[str, Any]],
        kind: str,
        filters: dict[str, str],
    ) -> Response:
        """A Stripe list object for `request`; `filters` maps query params to object fields."""
        params = request.nested_query
        _check_params(params, allowed)
        limit = _int_param(params.get("limit", "10"), "limit")
        if limit < 1:
            raise stripe_error(400, "This value must be greater than or equal to 1.", param="limit")
        if limit > 100:
            raise stripe_error(
                400,
                f"This value must be less than or equal to 100 (it currently is '{limit}').",
                param="limit",
            )
        cursors = {}
        for param in ("starting_after", "ending_before"):
            if param in params:
                cursors[param] = _str_param(params[param], param)
                if cursors[param] not in index:
                    raise _missing(kind, cursors[param], param)
        wanted = {field: _str_param(params[q], q) for q, field in filters.items() if q in params}
        accept = None
        if wanted:

            def accept(object_id: str) -> bool:
                obj = objects[object_id]
                return all(obj.get(f) == v for f, v in wanted.items())

        ids, has_more = index.page(
            limit, created=self._created_range(params.get("created")), accept=accept, **cursors
        )
        return (
            200,
            {},
            {
                "object": "list",
                "data": [objects[i] for i in ids],
                "has_more": has_more,
                "url": request.path,
            },
        )

    @staticmethod
    def _created_range(value: Any) -> tuple[int | None, int | None]:
        """Inclusive (min, max) from `created=T` or `created[gte|gt|lte|lt]=T`."""
        if value is None:
            return None, None
        if isinstance(value, str):
            exact = _int_param(value, "created")
            return exact, exact
        if not isinstance(value, dict):
            raise stripe_error(400, "Invalid created", param="created")
        _check_params({f"created[{k}]": v for k, v in value.items()}, _CREATED_OPS)
        low = high = None
        if "gte" in value:
            low = _int_param(value["gte"], "created[gte]")
        if "gt" in value:
            gt = _int_param(value["gt"], "created[gt]") + 1
            low = gt if low is None else max(low, gt)
        if "lte" in value:
            high = _int_param(value["lte"], "created[lte]")
        if "lt" in value:
            lt = _int_param(value["lt"], "created[lt]") - 1
            high = lt if high is None else min(high, lt)
        return low, high

    # -- balance -----------------------------------------------------------------------------

    @route("GET", r"/v1/balance")
    def get_balance(self, request: Request) -> Response:
        def amounts(amount: int) -> list[dict[str, Any]]:
            return [{"amount": amount, "currency": self.currency, "source_types": {"card": amount}}]

        return (
            200,
            {},
            {
                "object": "balance",
                "available": amounts(self.balance_available),
                "connect_reserved": [{"amount": 0, "currency": self.currency}],
                "livemode": self.livemode,
                "pending": amounts(self.balance_pending),
            },
        )

    # -- customers ---------------------------------------------------------------------------

    @route("POST", r"/v1/customers")
    def create_customer(self, request: Request) -> Response:
        customer = self._new_customer(request.form)
        self.creates += 1
        return 200, {}, customer

    @route("POST", r"/v1/customers/(?P<id>[^/]+)")
    def update_customer(self, request: Request) -> Response:
        customer = self._customer(request.path_params["id"])
        changes = self._customer_changes(customer, request.form)
        customer.update(changes)  # in place: tests holding the dict see the update
        self.updates += 1
        return 200, {}, customer

    @route("GET", r"/v1/customers/search")
    def search_customers(self, request: Request) -> Response:
        """Stripe's search, for the one query form ffdesk uses: `metadata['key']:'value'`."""
        query = request.arg("query") or ""
        match = re.fullmatch(r"\s*metadata\['([^']+)'\]\s*:\s*'([^']*)'\s*", query)
        if match is None:
            raise stripe_error(400, f"Invalid search query: {query!r}.", param="query")
        key, value = match.groups()
        found = sorted(
            (c for c in self.customers.values() if (c.get("metadata") or {}).get(key) == value),
            key=lambda c: c["created"],
            reverse=True,
        )
        return (
            200,
            {},
            {
                "object": "search_result",
                "data": found[:100],
                "has_more": len(found) > 100,
                "next_page": None,
                "url": "/v1/customers/search",
            },
        )

    @route("GET", r"/v1/customers/(?P<id>[^/]+)")
    def get_customer(self, request: Request) -> Response:
        customer_id = request.path_params["id"]
        if customer_id in self.deleted_customers:
            return 200, {}, {"id": customer_id, "object": "customer", "deleted": True}
        return 200, {}, self._customer(customer_id)

    @route("DELETE", r"/v1/customers/(?P<id>[^/]+)")
    def delete_customer(self, request: Request) -> Response:
        customer_id = request.path_params["id"]
        self._customer(customer_id)
        del self.customers[customer_id]
        self._customer_index.remove(customer_id)
        self.deleted_customers.add(customer_id)
        return 200, {}, {"id": customer_id, "object": "customer", "deleted": True}

    @route("GET", r"/v1/customers")
    def list_customers(self, request: Request) -> Response:
        return self._list(
            request,
            CUSTOMER_LIST_PARAMS,
            self._customer_index,
            self.customers,
            "customer",
            {"email": "email"},
        )

    def add_customer(self, **params: Any) -> dict[str, Any]:
        """Seed a customer as if created earlier (not counted in `creates`).

        Takes the API's parameters as Python values (`metadata={"local_id": "7"}`) plus
        `created` (unix time) and `id`.
        """
        created = params.pop("created", None)
        customer_id = params.pop("id", None)
        with self.lock:
            customer = self._new_customer(params, created=created, customer_id=customer_id)
            self.notify()
            return customer

    def _customer(self, customer_id: str) -> dict[str, Any]:
        customer = self.customers.get(customer_id)
        if customer is None:
            raise _missing("customer", customer_id, "id")
        return customer

    def _new_customer(
        self,
        params: dict[str, Any],
        *,
        created: int | None = None,
        customer_id: str | None = None,
    ) -> dict[str, Any]:
        customer_id = customer_id or self._new_id(
            "cus_", 14, lambda i: i in self.customers or i in self.deleted_customers
        )
        customer: dict[str, Any] = {
            "id": customer_id,
            "object": "customer",
            "address": None,
            "balance": 0,
            "created": self._now() if created is None else created,
            "currency": None,
            "default_source": None,
            "delinquent": False,
            "description": None,
            "discount": None,
            "email": None,
            "invoice_prefix": "".join(self._rng.choices(string.ascii_uppercase, k=8)),
            "invoice_settings": {
                "custom_fields": None,
                "default_payment_method": None,
                "footer": None,
                "rendering_options": None,
            },
            "livemode": self.livemode,
            "metadata": {},
            "name": None,
            "next_invoice_sequence": 1,
            "phone": None,
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
            "test_clock": None,
        }
        customer.update(self._customer_changes(customer, params))
        self.customers[customer_id] = customer
        self._customer_index.add(customer_id, customer["created"])
        return customer

    def _customer_changes(self, customer: dict[str, Any], params: dict[str, Any]) -> dict:
        """Validate create/update parameters fully before anything changes; return new fields."""
        params = _pythonic(params)
        _check_params(params, CUSTOMER_PARAMS)
        changes: dict[str, Any] = {}
        for name in ("name", "email", "phone", "description", "invoice_prefix"):
            if name in params:
                # Stripe unsets a field sent as an empty string.
                changes[name] = _str_param(params[name], name) or None
        email = changes.get("email")
        if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+", email):
            raise stripe_error(
                400, f"Invalid email address: {email}", code="email_invalid", param="email"
            )
        if "metadata" in params:
            changes["metadata"] = _merge_metadata(customer["metadata"], params["metadata"])
        if "address" in params:
            changes["address"] = _address(params["address"], "address")
        if "shipping" in params:
            shipping = params["shipping"]
            if shipping == "":
                changes["shipping"] = None
            elif isinstance(shipping, dict):
                changes["shipping"] = {
                    "address": _address(shipping.get("address", ""), "shipping[address]"),
                    "name": _str_param(shipping.get("name", ""), "shipping[name]") or None,
                    "phone": _str_param(shipping.get("phone", ""), "shipping[phone]") or None,
                }
            else:
                raise stripe_error(400, "Invalid hash", param="shipping")
        if "preferred_locales" in params:
            locales = params["preferred_locales"]
            changes["preferred_locales"] = [] if locales == "" else _as_list(locales)
        if "tax_exempt" in params:
            if params["tax_exempt"] not in ("none", "exempt", "reverse"):
                raise stripe_error(
                    400, f"Invalid tax_exempt: {params['tax_exempt']}", param="tax_exempt"
                )
            changes["tax_exempt"] = params["tax_exempt"]
        if "balance" in params:
            changes["balance"] = _int_param(params["balance"], "balance")
        return changes

    # -- payment intents ---------------------------------------------------------------------

    @route("GET", r"/v1/payment_intents")
    def list_payment_intents(self, request: Request) -> Response:
        expand = self._expand(request, {"data.latest_charge", "data.customer"})
        status, headers, body = self._list(
            request,
            PAYMENT_INTENT_LIST_PARAMS,
            self._payment_intent_index,
            self.payment_intents,
            "payment_intent",
            {"customer": "customer"},
        )
        body["data"] = [self._expanded(i, expand, "data.") for i in body["data"]]
        return status, headers, body

    @route("GET", r"/v1/payment_intents/(?P<id>[^/]+)")
    def get_payment_intent(self, request: Request) -> Response:
        expand = self._expand(request, {"latest_charge", "customer"})
        intent = self.payment_intents.get(request.path_params["id"])
        if intent is None:
            raise _missing("payment_intent", request.path_params["id"], "id")
        return 200, {}, self._expanded(intent, expand, "")

    @staticmethod
    def _expand(request: Request, allowed: set[str]) -> set[str]:
        wanted = request.nested_query.get("expand") or []
        if not isinstance(wanted, list):
            raise stripe_error(400, "Invalid array", param="expand")
        for path in wanted:
            if path not in allowed:
                raise stripe_error(
                    400,
                    f"This property cannot be expanded ({path}).",
                    param="expand",
                )
        return set(wanted)

    def _expanded(self, intent: dict[str, Any], expand: set[str], prefix: str) -> dict[str, Any]:
        out = dict(intent)
        charge = out.get("latest_charge")
        if f"{prefix}latest_charge" in expand and charge in self.charges:
            out["latest_charge"] = self.charges[charge]
        customer = out.get("customer")
        if f"{prefix}customer" in expand and customer in self.customers:
            out["customer"] = self.customers[customer]
        return out

    # -- charges and refunds -----------------------------------------------------------------

    @route("GET", r"/v1/charges/(?P<id>[^/]+)")
    def get_charge(self, request: Request) -> Response:
        charge = self.charges.get(request.path_params["id"])
        if charge is None:
            raise _missing("charge", request.path_params["id"], "id")
        return 200, {}, charge

    def _new_charge(self, intent: dict[str, Any], created: int | None = None) -> dict[str, Any]:
        charge_id = self._new_id("ch_", 24, self.charges.__contains__)
        charge = {
            "id": charge_id,
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": intent["amount"],
            "amount_refunded": 0,
            "captured": True,
            "created": self._now() if created is None else created,
            "currency": intent["currency"],
            "customer": intent["customer"],
            "description": intent["description"],
            "livemode": self.livemode,
            "metadata": {},
            "paid": True,
            "payment_intent": intent["id"],
            "payment_method": intent["payment_method"],
            "refunded": False,
            "refunds": {
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": f"/v1/charges/{charge_id}/refunds",
            },
            "status": "succeeded",
        }
        self.charges[charge_id] = charge
        return charge

    def refund_payment_intent(self, intent_id: str, amount: int | None = None) -> dict[str, Any]:
        """Refund (all of, or `amount` of) a succeeded intent's charge, as the Dashboard does:
        the charge records the refund, the intent stays `succeeded`, and `charge.refunded` is
        sent. Returns the refund."""
        with self.lock:
            intent = self.payment_intents[intent_id]
            charge = self.charges[intent["latest_charge"]]
            previous = {
                "amount_refunded": charge["amount_refunded"],
                "refunded": charge["refunded"],
            }
            amount = charge["amount"] - charge["amount_refunded"] if amount is None else amount
            refund = {
                "id": self._new_id("re_", 24, lambda _: False),
                "object": "refund",
                "amount": amount,
                "charge": charge["id"],
                "created": self._now(),
                "currency": charge["currency"],
                "metadata": {},
                "payment_intent": intent_id,
                "reason": "requested_by_customer",
                "status": "succeeded",
            }
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
            charge["refunds"]["data"].insert(0, refund)
            charge["refunds"]["total_count"] += 1
            self._emit("charge.refunded", charge, previous)
            self.notify()
            return refund

    def set_payment_intent_status(self, intent_id: str, status: str) -> dict[str, Any]:
        """Move an intent to `status` (captured, canceled, failed...) and send its event."""
        if status not in PAYMENT_INTENT_STATUSES:
            raise ValueError(f"not a PaymentIntent status: {status!r}")
        with self.lock:
            intent = self.payment_intents[intent_id]
            previous = {"status": intent["status"]}
            intent["status"] = status
            if status == "succeeded":
                intent["amount_received"] = intent["amount"]
                intent["amount_capturable"] = 0
                if intent["payment_method"] is None:
                    intent["payment_method"] = self._new_id("pm_", 24, lambda _: False)
                if intent["latest_charge"] is None:
                    intent["latest_charge"] = self._new_charge(intent)["id"]
            elif status == "canceled":
                intent["canceled_at"] = self._now()
                intent["cancellation_reason"] = "requested_by_customer"
            self._emit(STATUS_EVENTS[status], intent, previous)
            self.notify()
            return intent

    # -- events ------------------------------------------------------------------------------

    def _emit(
        self,
        kind: str,
        obj: dict[str, Any],
        previous: dict[str, Any] | None = None,
        *,
        created: int | None = None,
    ) -> dict[str, Any]:
        """Record an event carrying a snapshot of `obj` (call with the lock held); `created`
        defaults to now (a seeded object's events happen when it was made)."""
        event_id = self._new_id("evt_", 24, self.events.__contains__)
        data: dict[str, Any] = {"object": _snapshot(obj)}
        if previous is not None:
            data["previous_attributes"] = dict(previous)
        event = {
            "id": event_id,
            "object": "event",
            "api_version": API_VERSION,
            "created": self._now() if created is None else created,
            "data": data,
            "livemode": self.livemode,
            "pending_webhooks": 0,
            "request": {"id": None, "idempotency_key": None},
            "type": kind,
        }
        self.events[event_id] = event
        self._event_index.add(event_id, event["created"])
        return event

    @route("GET", r"/v1/events")
    def list_events(self, request: Request) -> Response:
        params = request.nested_query
        _check_params(params, EVENT_LIST_PARAMS)
        one = params.get("type")
        types = params.get("types")
        if one is not None and types is not None:
            raise stripe_error(
                400, "You may only specify one of these parameters: type, types.", param="types"
            )
        if types is not None and (not isinstance(types, list) or len(types) > 20):
            raise stripe_error(400, "Invalid array", param="types")
        patterns = [one] if one is not None else types
        # Stripe keeps events for 30 days: older ones are no longer listed.
        oldest = self._now() - EVENT_RETENTION
        if patterns is not None:
            matchers = [re.compile(re.escape(p).replace(r"\*", ".*") + "$") for p in patterns]
            wanted = {
                event_id
                for event_id, event in self.events.items()
                if any(m.match(event["type"]) for m in matchers) and event["created"] >= oldest
            }
        else:
            wanted = {i for i, event in self.events.items() if event["created"] >= oldest}
        limit = _int_param(params.get("limit", "10"), "limit")
        if not 1 <= limit <= 100:
            raise stripe_error(400, "This value must be between 1 and 100.", param="limit")
        cursors = {}
        for param in ("starting_after", "ending_before"):
            if param in params:
                cursors[param] = _str_param(params[param], param)
                if cursors[param] not in self._event_index:
                    raise _missing("event", cursors[param], param)
        ids, has_more = self._event_index.page(
            limit,
            created=self._created_range(params.get("created")),
            accept=wanted.__contains__,
            **cursors,
        )
        body = {
            "object": "list",
            "data": [self.events[i] for i in ids],
            "has_more": has_more,
            "url": "/v1/events",
        }
        return 200, {}, body

    def add_payment_intent(
        self,
        amount: int = 1000,
        currency: str | None = None,
        status: str = "succeeded",
        created: int | None = None,
        *,
        customer: str | None = None,
        description: str | None = None,
        metadata: dict[str, str] | None = None,
        payment_method_types: Sequence[str] = ("card",),
        id: str | None = None,
    ) -> dict[str, Any]:
        """Seed a payment intent (as a shop's checkout would have made it) and return it."""
        if status not in PAYMENT_INTENT_STATUSES:
            raise ValueError(f"not a PaymentIntent status: {status!r}")
        with self.lock:
            intent_id = id or self._new_id("pi_", 24, self.payment_intents.__contains__)
            created = self._now() if created is None else created
            succeeded = status == "succeeded"
            intent = {
                "id": intent_id,
                "object": "payment_intent",
                "amount": amount,
                "amount_capturable": amount if status == "requires_capture" else 0,
                "amount_received": amount if succeeded else 0,
                "application": None,
                "canceled_at": created if status == "canceled" else None,
                "cancellation_reason": "requested_by_customer" if status == "canceled" else None,
                "capture_method": "automatic",
                "client_secret": f"{intent_id}_secret_{''.join(self._rng.choices(_ALNUM, k=25))}",
                "confirmation_method": "automatic",
                "created": created,
                "currency": (currency or self.currency).lower(),
                "customer": customer,
                "description": description,
                "last_payment_error": None,
                "latest_charge": None,
                "livemode": self.livemode,
                "metadata": dict(metadata or {}),
                "payment_method": self._new_id("pm_", 24, lambda _: False) if succeeded else None,
                "payment_method_types": list(payment_method_types),
                "receipt_email": None,
                "status": status,
            }
            if succeeded:
                intent["latest_charge"] = self._new_charge(intent, created)["id"]
            self.payment_intents[intent_id] = intent
            self._payment_intent_index.add(intent_id, created)
            self._emit("payment_intent.created", intent, created=created)
            if succeeded:
                self._emit("payment_intent.succeeded", intent, created=created)
            self.notify()
            return intent


_CREATED_OPS = frozenset({"created[gte]", "created[gt]", "created[lte]", "created[lt]"})


def _snapshot(obj: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of an object as it is now (an event's `data.object` never changes later)."""
    return {
        k: _snapshot(v) if isinstance(v, dict) else (list(v) if isinstance(v, list) else v)
        for k, v in obj.items()
    }


def _pythonic(params: dict[str, Any]) -> dict[str, Any]:
    """Accept Python values from `add_customer` the way the form decoder would produce them."""

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): convert(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [convert(v) for v in value]
        if value is None:
            return ""
        return value if isinstance(value, str) else str(value)

    return {k: convert(v) for k, v in params.items()}


def _as_list(value: Any) -> list[Any]:
    """Stripe arrays arrive as `a[]=x` (a list) or `a[0]=x` (a dict keyed by index)."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and all(k.isdigit() for k in value):
        return [value[k] for k in sorted(value, key=int)]
    raise stripe_error(400, f"Invalid array: {value}")


def _merge_metadata(current: dict[str, str], value: Any) -> dict[str, str]:
    """Stripe metadata semantics: keys merge, `metadata[k]=` deletes k, `metadata=` clears all."""
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise stripe_error(400, "Invalid hash", param="metadata")
    merged = dict(current)
    for key, item in value.items():
        item = _str_param(item, f"metadata[{key}]")
        if len(key) > 40:
            raise stripe_error(
                400,
                f"Metadata keys can have a maximum length of 40 characters: {key}",
                param=f"metadata[{key}]",
            )
        if len(item) > 500:
            raise stripe_error(
                400,
                "Metadata values can have a maximum length of 500 characters.",
                param=f"metadata[{key}]",
            )
        if item == "":
            merged.pop(key, None)
        else:
            merged[key] = item
    if len(merged) > 50:
        raise stripe_error(400, "You can have up to 50 keys in metadata.", param="metadata")
    return merged


def _address(value: Any, param: str) -> dict[str, str | None] | None:
    if value == "":
        return None
    if not isinstance(value, dict):
        raise stripe_error(400, "Invalid hash", param=param)
    _check_params({f"{param}[{k}]": v for k, v in value.items()}, _address_params(param))
    return {f: _str_param(value.get(f, ""), f"{param}[{f}]") or None for f in ADDRESS_FIELDS}


def _address_params(param: str) -> frozenset[str]:
    return frozenset(f"{param}[{f}]" for f in ADDRESS_FIELDS)


def main(argv: Sequence[str] | None = None) -> int:
    """Run a FakeStripe in the foreground until Ctrl+C."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.stripe", description="Run a local fake Stripe API."
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    parser.add_argument("--secret-key", default=DEFAULT_SECRET_KEY, help="accepted secret key")
    parser.add_argument(
        "--payment-intents", type=int, default=0, metavar="N", help="seed N payment intents"
    )
    args = parser.parse_args(argv)
    # No request recording: a long-running standalone server would otherwise grow without bound.
    fake = FakeStripe(secret_key=args.secret_key, port=args.port, record_requests=False)
    now = int(time.time())
    for i in range(args.payment_intents):
        fake.add_payment_intent(amount=100 + i, created=now - i * 60)
    with fake:
        print(fake.url, flush=True)
        print(f"fake Stripe, secret key {args.secret_key}; Ctrl+C stops", file=sys.stderr)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
