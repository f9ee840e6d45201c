"""Mollie fields, key checks, connection test and sync (customers and payments).

API reference: https://docs.mollie.com/reference/ (Bearer API key, JSON bodies, HAL answers
with `_embedded` lists paged by `_links.next.href`, errors `{"status", "title", "detail"}`).
"""

import hashlib
import os
from urllib.parse import urlsplit

from ffdesk.engine.base import *
from ffdesk.sync import (
    BadRecord,
    ConnectionResult,
    Pages,
    ProviderClient,
    ProviderError,
    ProviderRequestError,
    SyncCapability,
    answer_object,
    api_base,
    connection_result,
    credential_problem,
    credential_rules,
    currency_code,
    decimal_amount,
    known_state,
    link_remote,
    linked_contact,
    object_id,
    pull_completed,
    pull_since,
    push_changed,
    refresh_open,
    same_mode,
    store_pulled,
    sync_enabled,
    unexpected,
)

IDENTIFIER = "payment_mollie"
# One host for both modes: the mode is the key's prefix (test_ / live_).
DEFAULT_BASE = "https://api.mollie.com"
TEST_PREFIX = "test_"
LIVE_PREFIX = "live_"
PAGE_SIZE = 250  # the most a Mollie list returns per call
BATCH = 500
CONCURRENCY = 4
# Mollie publishes no fixed request rate; stay modest, the HTTP layer retries any 429.
# Requests per second. Mollie's limits are "dynamic ... calculated based on observed traffic
# patterns", measured per second with a burst (https://docs.mollie.com/reference/rate-limiting),
# with no figure: stay modest; 429s lower it at once.
RATE_LIMIT = 10.0
STATES = {
    "open": "pending",
    "pending": "pending",
    "authorized": "authorized",
    "paid": "done",
    "canceled": "cancelled",
    "expired": "cancelled",
    "failed": "failed",
}


class MollieIntegration(Model):
    """Mollie's credentials (company-scoped) and behaviour on the Integration model."""

    __inherit__ = "Integration"

    mollie_api_key = Char(
        max_length=255,
        description="API Key",
        hint=(
            "Starts with test_ (test mode) or live_ (live mode). "
            "Dashboard > Developers > API keys, for the website profile to sync."
        ),
        company_scoped=True,
    )
    sandbox_mode = Boolean(
        description="Sandbox Mode",
        hint="On: test keys and test data. Off: live keys and real payments.",
        default=True,
    )

    async def _is_mollie(self):
        await self.fetch_related("module")
        return bool(self.module and self.module.identifier == IDENTIFIER)

    # -- credentials ------------------------------------------------------------------
    @credential_rules(IDENTIFIER)
    def _mollie_credential_problems(self):
        """{field: sentence} for what is wrong in the typed credentials (no network)."""
        problems = {}
        key = (self.mollie_api_key or "").strip()
        live = key.startswith(LIVE_PREFIX)
        sandbox = bool(self.sandbox_mode)
        if not key:
            problems["mollie_api_key"] = "Please enter your Mollie API Key before enabling."
        elif key.startswith("access_"):
            problems["mollie_api_key"] = (
                "That is an organization access token (access_...): enter the API key of "
                "the website profile instead (test_... or live_..., Dashboard > Developers > "
                "API keys)."
            )
        elif not key.startswith((TEST_PREFIX, LIVE_PREFIX)) or any(c.isspace() for c in key):
            problems["mollie_api_key"] = (
                "The Mollie API Key must start with test_ or live_ "
                "(copy it from Dashboard > Developers > API keys)."
            )
        elif sandbox and live:
            problems["mollie_api_key"] = (
                "The API Key is a live key (live_...) but Sandbox Mode is on: turn Sandbox "
                "Mode off, or enter the test API key (test_...)."
            )
        elif not sandbox and not live:
            problems["mollie_api_key"] = (
                "The API Key is a test key (test_...) but Sandbox Mode is off: turn Sandbox "
                "Mode on, or enter the live API key (live_...)."
            )
        return problems

    def _mollie_client(self):
        key = (self.mollie_api_key or "").strip()
        configured = os.environ.get("FFDESK_PAYMENT_MOLLIE_RATE_LIMIT")
        rate = float(configured) if configured else RATE_LIMIT
        return ProviderClient(
            provider="Mollie",
            base_url=api_base(IDENTIFIER, DEFAULT_BASE),
            headers={"Authorization": f"Bearer {key}"},
            secrets=[key],
            max_concurrency=CONCURRENCY,
            rate_limit=rate or None,
            credential_label="API key",
        )

    async def check_connection(self):
        if not await self._is_mollie():
            return await super().check_connection()
        problem = credential_problem(self)
        if problem:
            return ConnectionResult("rejected", problem)
        try:
            async with self._mollie_client() as api:
                listing = answer_object(await api.get("/v2/methods"), "Mollie", {"_embedded": dict})
        except (ProviderError, ValueError) as exc:
            return connection_result("Mollie", exc)
        mode = "live" if (self.mollie_api_key or "").strip().startswith(LIVE_PREFIX) else "test"
        found = listing["_embedded"].get("methods", [])
        if not isinstance(found, list) or not all(isinstance(m, dict) for m in found):
            return connection_result(
                "Mollie",
                unexpected("Mollie", "an object with `_embedded.methods`", "methods not in a list"),
            )
        methods = [str(m.get("description") or m.get("id") or "?") for m in found]
        if methods:
            suffix = f" Payment methods enabled: {', '.join(methods)}."
        else:
            suffix = " No payment method is enabled yet (Dashboard > Settings > Payment methods)."
        return ConnectionResult("ok", f"Connected to Mollie ({mode} mode).{suffix}")

    # -- sync -------------------------------------------------------------------------
    async def sync_capability(self):
        if not await self._is_mollie():
            return await super().sync_capability()
        return SyncCapability(True)

    async def sync_payment_mollie(cls):
        """Cron job: sync every enabled Mollie integration."""
        return await sync_enabled(IDENTIFIER)

    async def sync_integration(self, run):
        if not await self._is_mollie():
            return await super().sync_integration(run)
        problem = credential_problem(self)
        if problem:
            raise UserError(problem)
        async with self._mollie_client() as api:
            sync = _MollieSync(self, api, run)
            await sync.push_contacts()
            await sync.pull_payments()


class _MollieSync:
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
        """Create or update a Mollie customer for each contact changed since it was sent."""
        contacts = get_model("Contact").filter(company=self.integration.company_id)
        await push_changed(
            self.run, self.integration, contacts, self._push, concurrency=CONCURRENCY, batch=BATCH
        )

    async def _push(self, contact, mapping):
        """One changed contact (push_changed's push_one): "created" or "updated"."""
        body = {"name": contact.name or ""}
        if contact.email:
            body["email"] = contact.email.strip()
        if mapping is None:
            return await self._create(contact, body, _idempotency_key(self.integration, contact))
        try:
            answer_object(
                await self.api.request("PATCH", f"/v2/customers/{mapping.remote_id}", json=body),
                "Mollie",
                {"id": str},
            )
        except ProviderRequestError as exc:
            if exc.status not in (404, 410):
                raise
            # Deleted in the Mollie Dashboard: make it again, under a key of its own (the
            # first key would replay the creation of the customer that is gone).
            stamp = int(contact.write_date.timestamp()) if contact.write_date else 0
            key = f"{_idempotency_key(self.integration, contact)}-{stamp}"
            return await self._create(contact, body, key, replace=mapping)
        mapping.synced_at = contact.write_date or datetime.now()
        await mapping.save()
        return "updated"

    async def _create(self, contact, body, key, replace=None):
        body = {**body, "metadata": {"ffdesk_contact_id": str(contact.id)}}
        # Mollie honours an Idempotency-Key on POST: a retry of a create whose answer was lost
        # (timeout, dropped connection) replays the first answer instead of making a second
        # customer, so the HTTP layer may repeat it. Mollie keeps keys for a limited time only
        # and has no customer search, so a run killed before it committed and re-run much
        # later can still make a duplicate; the metadata names the contact for clean-up.
        customer = answer_object(
            await self.api.post("/v2/customers", json=body, headers={"Idempotency-Key": key}),
            "Mollie",
            {"id": str},
        )
        remote_id = object_id(customer["id"], "Mollie", "customer", "cst_")
        link = {"provider": "Mollie", "what": "customer"}
        link["synced_at"] = contact.write_date or datetime.now()
        if replace is None:
            # One row, so its own short transaction.
            await link_remote(self.integration, "Contact", contact.id, remote_id, **link)
        else:
            async with env_ctx.get().db.transaction():  # the old link goes with the new one
                await replace.delete()
                await link_remote(self.integration, "Contact", contact.id, remote_id, **link)
        return "created"

    # -- pull ---------------------------------------------------------------------------
    async def pull_payments(self):
        """Payments created since the pull cursor, then the ones we have that may still
        change (paid, expired or refunded later: Mollie lists by creation only)."""
        seen = set()
        if self.run.only is None:
            await self._list_payments(seen)
        await refresh_open(self.run, self.integration, self._fetch, self._store_fetched, seen=seen)
        await pull_completed(self.run)

    async def _fetch(self, payment_id):
        return answer_object(await self.api.get(f"/v2/payments/{payment_id}"), "Mollie")

    async def _store_fetched(self, payment):
        await self._store(payment, _parse_time(payment.get("createdAt")))

    async def _list_payments(self, seen):
        """Newest first; paging follows `_links.next` and stops at the first older one."""
        run = self.run
        since = await pull_since(run)
        cutoff = since.astimezone().timestamp() if since is not None else None
        run.set_total(None)
        path, params = "/v2/payments", {"limit": PAGE_SIZE}
        pages = Pages("Mollie")
        while path:
            run.checkpoint()
            page = answer_object(
                await self.api.get(path, params=params), "Mollie", {"_embedded": dict}
            )
            items = page["_embedded"].get("payments", [])
            if not isinstance(items, list):
                raise unexpected(
                    "Mollie", "an object with `_embedded.payments`", "payments that are not a list"
                )
            pages.check(path if params is None else None, [_id_of(p) for p in items])
            for payment in items:
                run.checkpoint()
                created = _parse_time(payment.get("createdAt")) if _id_of(payment) else None
                if cutoff is not None and created is not None and created.timestamp() < cutoff:
                    return  # the list is newest first: everything after this is older still
                seen.add(_id_of(payment))
                try:
                    await self._store(payment, created)
                except ValidationError as exc:
                    run.record_failure(f"payment {_id_of(payment) or '(no id)'}", exc)
            path, params = _next_page(page)
            if not items:
                break
            if path:
                pages.more(path)

    async def _store(self, payment, created):
        """Check every value of one payment, then store it; BadRecord if one is wrong."""
        if not isinstance(payment, dict):
            raise BadRecord("Mollie sent a payment that is not an object")
        remote_id = object_id(payment.get("id"), "Mollie", "payment", "tr_")
        mode = payment.get("mode")
        key_is_live = (self.integration.mollie_api_key or "").strip().startswith(LIVE_PREFIX)
        same_mode({"live": True, "test": False}.get(mode, mode), key_is_live, "Mollie", "payment")
        amount = payment.get("amount")
        if not isinstance(amount, dict):
            raise BadRecord(f"Mollie sent the amount {amount!r}, which is not an amount object")
        currency = currency_code(amount.get("currency"), "Mollie")
        value = decimal_amount(amount.get("value"), currency, "Mollie")
        refunded = payment.get("amountRefunded")
        refunded = (
            decimal_amount(refunded.get("value"), currency, "Mollie")
            if isinstance(refunded, dict)
            else 0
        )
        status = payment.get("status")
        state = known_state(status, STATES, "Mollie")
        if status == "paid" and value > 0 and refunded >= value:
            state = "refunded"
        if created is None:
            raise BadRecord(
                f"Mollie sent the creation time {payment.get('createdAt')!r}, which is not a date"
            )
        customer = payment.get("customerId")
        if customer is not None:
            customer = object_id(customer, "Mollie", "customer", "cst_")
        description = payment.get("description")
        values = {
            "reference": remote_id,
            "amount": value,
            "currency": currency,
            "state": state,
            "provider_status": status,
            "date": created.astimezone().replace(tzinfo=None),
            "description": description if isinstance(description, str) else None,
            "customer_remote_id": customer,
            "contact": await linked_contact(self.integration, customer, self.contact_of),
            "integration": self.integration.id,
            "company": self.integration.company_id,
        }
        await store_pulled(self.run, self.integration, remote_id, values)


def _idempotency_key(integration, contact):
    """The same key for the same (database, integration, model, local id)."""
    source = f"{env_ctx.get().db.id}:{integration.id}:Contact:{contact.id}"
    return "ffdesk-" + hashlib.sha256(source.encode()).hexdigest()[:32]


def _next_page(page):
    """(path, params) of `_links.next`, or (None, None) on the last page.

    Only the path and query of the link are used, resolved against the configured API base,
    so the bearer key never follows a link to another host.
    """
    links = page.get("_links")
    link = links.get("next") if isinstance(links, dict) else None
    href = link.get("href") if isinstance(link, dict) else None
    if not isinstance(href, str):
        href = None
    if not href:
        return None, None
    split = urlsplit(href)
    return (f"{split.path}?{split.query}" if split.query else split.path), None


def _id_of(item):
    return item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else None


def _parse_time(value):
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.astimezone()
