"""Razorpay fields, key checks, connection test and sync (customers and payments).

API reference: https://razorpay.com/docs/api/ (Basic auth with key_id:key_secret, JSON bodies,
collections `{"entity": "collection", "count": n, "items": [...]}` paged with count/skip).
"""

import os
import re
import time

from ffdesk.engine.base import *
from ffdesk.sync import (
    BadRecord,
    ConnectionResult,
    Pages,
    ProviderClient,
    ProviderError,
    SyncCapability,
    answer_object,
    api_base,
    connection_result,
    credential_problem,
    credential_rules,
    currency_code,
    known_state,
    link_remote,
    linked_contact,
    minor_amount,
    object_id,
    pull_completed,
    pull_since,
    push_changed,
    refresh_open,
    store_pulled,
    sync_enabled,
)

IDENTIFIER = "payment_razorpay"
# One host for both modes: the mode is the key's prefix (rzp_test_ / rzp_live_).
DEFAULT_BASE = "https://api.razorpay.com"
TEST_PREFIX = "rzp_test_"
LIVE_PREFIX = "rzp_live_"
PAGE_SIZE = 100  # the most GET /v1/payments returns per call
BATCH = 500
CONCURRENCY = 4
# Razorpay publishes no fixed request rate; stay modest, the HTTP layer retries any 429.
# Requests per second. Razorpay "uses a request Rate Limiter" and asks for backoff with
# randomisation on 429 (https://razorpay.com/docs/api/pagination, "Rate Limiting"), with no
# figure: stay modest; 429s lower it at once.
RATE_LIMIT = 10.0
STATES = {
    "created": "pending",
    "authorized": "authorized",
    "captured": "done",
    "refunded": "refunded",
    "failed": "failed",
}
_PHONE_NOISE = re.compile(r"[\s().\-/]")


class RazorpayIntegration(Model):
    """Razorpay's credentials (company-scoped) and behaviour on the Integration model."""

    __inherit__ = "Integration"

    razorpay_key_id = Char(
        max_length=64,
        description="Key ID",
        hint=(
            "Starts with rzp_test_ (Test Mode) or rzp_live_ (Live Mode). "
            "Dashboard > Account & Settings > API Keys."
        ),
        company_scoped=True,
    )
    razorpay_key_secret = Char(
        max_length=255,
        description="Key Secret",
        hint="Shown once, when the key is generated; regenerate the key if it is lost.",
        company_scoped=True,
    )
    sandbox_mode = Boolean(
        description="Sandbox Mode",
        hint="On: test keys and test data. Off: live keys and real payments.",
        default=True,
    )

    async def _is_razorpay(self):
        await self.fetch_related("module")
        return bool(self.module and self.module.identifier == IDENTIFIER)

    # -- credentials ------------------------------------------------------------------
    @credential_rules(IDENTIFIER)
    def _razorpay_credential_problems(self):
        """{field: sentence} for what is wrong in the typed credentials (no network)."""
        problems = {}
        key_id = (self.razorpay_key_id or "").strip()
        live = key_id.startswith(LIVE_PREFIX)
        sandbox = bool(self.sandbox_mode)
        if not key_id:
            problems["razorpay_key_id"] = "Please enter your Razorpay Key ID before enabling."
        elif not key_id.startswith((TEST_PREFIX, LIVE_PREFIX)):
            problems["razorpay_key_id"] = (
                "The Razorpay Key ID must start with rzp_test_ or rzp_live_ "
                "(copy it from Dashboard > Account & Settings > API Keys)."
            )
        elif sandbox and live:
            problems["razorpay_key_id"] = (
                "The Key ID is a Live Mode key (rzp_live_...) but Sandbox Mode is on: turn "
                "Sandbox Mode off, or enter a Test Mode Key ID (rzp_test_...) and its secret."
            )
        elif not sandbox and not live:
            problems["razorpay_key_id"] = (
                "The Key ID is a Test Mode key (rzp_test_...) but Sandbox Mode is off: turn "
                "Sandbox Mode on, or enter a Live Mode Key ID (rzp_live_...) and its secret."
            )
        if not (self.razorpay_key_secret or "").strip():
            problems["razorpay_key_secret"] = (
                "Please enter the Razorpay Key Secret that belongs to this Key ID."
            )
        return problems

    def _razorpay_client(self):
        key_id = (self.razorpay_key_id or "").strip()
        secret = (self.razorpay_key_secret or "").strip()
        configured = os.environ.get("FFDESK_PAYMENT_RAZORPAY_RATE_LIMIT")
        rate = float(configured) if configured else RATE_LIMIT
        return ProviderClient(
            provider="Razorpay",
            base_url=api_base(IDENTIFIER, DEFAULT_BASE),
            auth=(key_id, secret),
            secrets=[secret],
            max_concurrency=CONCURRENCY,
            rate_limit=rate or None,
            credential_label="Key ID and Key Secret",
        )

    async def check_connection(self):
        if not await self._is_razorpay():
            return await super().check_connection()
        problem = credential_problem(self)
        if problem:
            return ConnectionResult("rejected", problem)
        try:
            async with self._razorpay_client() as api:
                answer_object(
                    await api.get("/v1/payments", params={"count": 1}), "Razorpay", {"items": list}
                )
        except (ProviderError, ValueError) as exc:
            return connection_result("Razorpay", exc)
        mode = "Live" if (self.razorpay_key_id or "").strip().startswith(LIVE_PREFIX) else "Test"
        return ConnectionResult("ok", f"Connected to Razorpay ({mode} Mode).")

    # -- sync -------------------------------------------------------------------------
    async def sync_capability(self):
        if not await self._is_razorpay():
            return await super().sync_capability()
        return SyncCapability(True)

    async def sync_payment_razorpay(cls):
        """Cron job: sync every enabled Razorpay integration."""
        return await sync_enabled(IDENTIFIER)

    async def sync_integration(self, run):
        if not await self._is_razorpay():
            return await super().sync_integration(run)
        problem = credential_problem(self)
        if problem:
            raise UserError(problem)
        async with self._razorpay_client() as api:
            sync = _RazorpaySync(self, api, run)
            await sync.push_contacts()
            await sync.pull_payments()


class _RazorpaySync:
    """One run's work: contacts out as customers, payments in as PaymentTransactions.

    A plain class (not a model extension) so its helpers cannot collide with another
    provider's methods on the shared Integration model.
    """

    def __init__(self, integration, api, run):
        self.integration = integration
        self.api = api
        self.run = run
        self.contact_of = {}  # remote customer id -> local contact id (or None)

    # -- push ---------------------------------------------------------------------------
    async def push_contacts(self):
        """Create or update a Razorpay customer for each contact changed since it was sent."""
        contacts = get_model("Contact").filter(company=self.integration.company_id)
        await push_changed(
            self.run, self.integration, contacts, self._push, concurrency=CONCURRENCY, batch=BATCH
        )

    async def _push(self, contact, mapping):
        """One changed contact (push_changed's push_one): "created" or "updated"."""
        body = _customer_body(contact)
        if mapping is not None:
            answer_object(
                await self.api.request("PUT", f"/v1/customers/{mapping.remote_id}", json=body),
                "Razorpay",
                {"id": str},
            )
            mapping.synced_at = contact.write_date or datetime.now()
            await mapping.save()
            return "updated"
        body["fail_existing"] = "0"
        body["notes"] = {"ffdesk_contact_id": str(contact.id)}
        # Razorpay has no idempotency key. fail_existing=0 makes the create safe to repeat:
        # a customer with the same email and phone is answered back instead of duplicated, so
        # a retried request or a run killed before it committed maps to the same customer.
        # Without email or phone there is nothing to match on, so such a create is sent once.
        unique = bool(body.get("email") or body.get("contact"))
        customer = answer_object(
            await self.api.post("/v1/customers", json=body, retry=unique), "Razorpay", {"id": str}
        )
        remote_id = object_id(customer["id"], "Razorpay", "customer", "cust_")
        Mapper = get_model("IntegrationMapper")
        taken = await Mapper.filter(
            integration=self.integration.id, model="Contact", remote_id=remote_id
        ).first()
        if taken is not None and taken.local_id != str(contact.id):
            # This contact's failure (push_changed records it); the run goes on.
            raise ValidationError(
                f"Razorpay keeps one customer per email and phone, and {remote_id} already "
                f"belongs to contact #{taken.local_id} with the same email and phone"
            )
        # One row, so its own short transaction.
        await link_remote(
            self.integration,
            "Contact",
            contact.id,
            remote_id,
            provider="Razorpay",
            what="customer",
            synced_at=contact.write_date or datetime.now(),
        )
        return "created"

    # -- pull ---------------------------------------------------------------------------
    async def pull_payments(self):
        """Payments created since the pull cursor, then the ones we have that may still change
        (captured, failed or refunded later: Razorpay lists by creation time only)."""
        seen = set()
        if self.run.only is None:
            await self._list_payments(seen)
        await refresh_open(self.run, self.integration, self._fetch, self._store, seen=seen)
        await pull_completed(self.run)

    async def _fetch(self, payment_id):
        return answer_object(await self.api.get(f"/v1/payments/{payment_id}"), "Razorpay")

    async def _list_payments(self, seen):
        run = self.run
        since = await pull_since(run)
        # A fixed upper bound: payments made while we page do not shift the skip offsets.
        params = {"count": PAGE_SIZE, "skip": 0, "to": int(time.time())}
        if since is not None:
            params["from"] = max(0, int(since.timestamp()))
        run.set_total(None)
        pages = Pages("Razorpay")
        while True:
            run.checkpoint()
            page = answer_object(
                await self.api.get("/v1/payments", params=params), "Razorpay", {"items": list}
            )
            items = page["items"]
            pages.check(params["skip"], [_id_of(p) for p in items])
            for payment in items:
                run.checkpoint()
                seen.add(_id_of(payment))
                try:
                    await self._store(payment)
                except ValidationError as exc:
                    run.record_failure(f"payment {_id_of(payment) or '(no id)'}", exc)
            if len(items) < PAGE_SIZE:
                break
            params["skip"] += len(items)
            pages.more(params["skip"])

    async def _store(self, payment):
        """Check every value of one payment, then store it; BadRecord if one is wrong."""
        if not isinstance(payment, dict):
            raise BadRecord("Razorpay sent a payment that is not an object")
        remote_id = object_id(payment.get("id"), "Razorpay", "payment", "pay_")
        currency = currency_code(payment.get("currency"), "Razorpay")
        amount = minor_amount(payment.get("amount"), currency, "Razorpay")
        state = known_state(payment.get("status"), STATES, "Razorpay")
        created = payment.get("created_at")
        if isinstance(created, bool) or not isinstance(created, int) or created <= 0:
            raise BadRecord(
                f"Razorpay sent the creation time {created!r}, which is not a timestamp"
            )
        customer = payment.get("customer_id")
        if customer is not None:
            customer = object_id(customer, "Razorpay", "customer", "cust_")
        description = payment.get("description")
        values = {
            "reference": remote_id,
            "amount": amount,
            "currency": currency,
            "state": state,
            "provider_status": payment["status"],
            "date": datetime.fromtimestamp(created),
            "description": description if isinstance(description, str) else None,
            "customer_remote_id": customer,
            "contact": await linked_contact(self.integration, customer, self.contact_of),
            "integration": self.integration.id,
            "company": self.integration.company_id,
        }
        await store_pulled(self.run, self.integration, remote_id, values)


def _customer_body(contact):
    """Razorpay's customer fields: name (3-50 characters), email, contact (max 15)."""
    body = {"name": (contact.name or "").strip()[:50]}
    if contact.email:
        body["email"] = contact.email.strip()
    if contact.phone:
        # "+44 20 1234 5678" -> "+442012345678": Razorpay counts every character.
        body["contact"] = _PHONE_NOISE.sub("", contact.phone)
    return body


def _id_of(item):
    return item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else None
