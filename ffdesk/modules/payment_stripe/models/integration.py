"""Stripe fields, credential checks, connection test and sync (customers and payment intents)."""

import functools
import os
from datetime import timedelta
from urllib.parse import quote

from ffdesk.engine.base import *
from ffdesk.sync import (
    BadRecord,
    ConnectionResult,
    Pages,
    ProviderClient,
    ProviderError,
    ProviderRequestError,
    SyncCapability,
    UnexpectedAnswer,
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
    same_mode,
    store_pulled,
    sync_enabled,
)

IDENTIFIER = "payment_stripe"
DEFAULT_BASE = "https://api.stripe.com"
SECRET_PREFIXES = ("sk_test_", "sk_live_", "rk_test_", "rk_live_")
PAGE_SIZE = 100
BATCH = 500
CONCURRENCY = 8
# Requests/s by sandbox mode: the most ffdesk sends, lowered at once by Stripe's 429s.
# https://docs.stripe.com/rate-limits : 25 operations/s in a sandbox, 100 in live mode, but
# "API endpoints have a default limit of 25 requests per second" and a sync spends most of
# its requests on one endpoint (POST /v1/customers); Stripe says to treat limits as maxima.
RATE_LIMITS = {True: 25.0, False: 25.0}
# Stripe counts these in whole units although ISO 4217 gives them minor units.
STRIPE_EXPONENTS = {"MGA": 0}
STATES = {
    "requires_payment_method": "pending",
    "requires_confirmation": "pending",
    "requires_action": "pending",
    "processing": "pending",
    "requires_capture": "authorized",
    "canceled": "cancelled",
    "succeeded": "done",
}
# Events that change a payment after it was first pulled; Stripe keeps them 30 days.
EVENTS_KEPT = timedelta(days=29)
EVENT_TYPES = (
    "payment_intent.succeeded",
    "payment_intent.canceled",
    "payment_intent.payment_failed",
    "payment_intent.processing",
    "payment_intent.requires_action",
    "payment_intent.amount_capturable_updated",
    "charge.refunded",
)


def _is_live(key):
    return key.startswith(("sk_live_", "rk_live_", "pk_live_"))


class StripeIntegration(Model):
    """Stripe's credentials (company-scoped) and behaviour on the Integration model."""

    __inherit__ = "Integration"

    secret_key = Char(
        max_length=255,
        description="Secret Key",
        hint=(
            "Starts with sk_test_ / sk_live_ (or rk_ for a restricted key). "
            "Dashboard > Developers > API keys."
        ),
        company_scoped=True,
    )
    publishable_key = Char(
        max_length=255,
        description="Publishable Key",
        hint="Starts with pk_test_ / pk_live_.",
        company_scoped=True,
    )
    webhook_secret = Char(
        max_length=255,
        description="Webhook Signing Secret",
        hint="Starts with whsec_; used to verify webhook events.",
        company_scoped=True,
    )
    sandbox_mode = Boolean(
        description="Sandbox Mode",
        hint="On: test keys and test data. Off: live keys and real payments.",
        default=True,
    )

    async def _is_stripe(self):
        await self.fetch_related("module")
        return bool(self.module and self.module.identifier == IDENTIFIER)

    # -- credentials ------------------------------------------------------------------
    @credential_rules(IDENTIFIER)
    def _stripe_credential_problems(self):
        """{field: sentence} for what is wrong in the typed credentials (no network)."""
        problems = {}
        key = (self.secret_key or "").strip()
        sandbox = bool(self.sandbox_mode)
        if not key:
            problems["secret_key"] = "Please enter your Stripe Secret Key before enabling."
        elif not key.startswith(SECRET_PREFIXES):
            problems["secret_key"] = (
                "The Stripe Secret Key must start with sk_test_, sk_live_, rk_test_ or rk_live_ "
                "(copy it from Dashboard > Developers > API keys)."
            )
        elif sandbox and _is_live(key):
            problems["secret_key"] = (
                "The Secret Key is a live key but Sandbox Mode is on: turn Sandbox Mode off, "
                "or enter a test key (sk_test_...)."
            )
        elif not sandbox and not _is_live(key):
            problems["secret_key"] = (
                "The Secret Key is a test key but Sandbox Mode is off: turn Sandbox Mode on, "
                "or enter a live key (sk_live_...)."
            )
        publishable = (self.publishable_key or "").strip()
        if publishable:
            if not publishable.startswith(("pk_test_", "pk_live_")):
                problems["publishable_key"] = (
                    "The Publishable Key must start with pk_test_ or pk_live_."
                )
            elif key.startswith(SECRET_PREFIXES) and _is_live(publishable) != _is_live(key):
                problems["publishable_key"] = (
                    "The Publishable Key and the Secret Key belong to different modes "
                    "(one test, one live): use the pair from the same mode."
                )
        webhook = (self.webhook_secret or "").strip()
        if webhook and not webhook.startswith("whsec_"):
            problems["webhook_secret"] = "The Webhook Signing Secret must start with whsec_."
        return problems

    def _stripe_client(self):
        key = (self.secret_key or "").strip()
        configured = os.environ.get("FFDESK_PAYMENT_STRIPE_RATE_LIMIT")
        rate = float(configured) if configured else RATE_LIMITS[bool(self.sandbox_mode)]
        return ProviderClient(
            provider="Stripe",
            base_url=api_base(IDENTIFIER, DEFAULT_BASE),
            headers={"Authorization": f"Bearer {key}", "Stripe-Version": "2024-06-20"},
            secrets=[key],
            max_concurrency=CONCURRENCY,
            rate_limit=rate or None,
            credential_label="secret key",
        )

    def record_dashboard_url(self, record, remote_id):
        if not (self.module and self.module.identifier == IDENTIFIER):
            return super().record_dashboard_url(record, remote_id)
        # The Stripe Dashboard's object pages: https://dashboard.stripe.com/payments/pi_... and
        # /customers/cus_..., under /test/ for test-mode objects (as the Dashboard itself links
        # them; see https://docs.stripe.com/dashboard/basics).
        kinds = {"PaymentTransaction": "payments", "Contact": "customers"}
        kind = kinds.get(record._name)
        if kind is None or not remote_id:
            return None
        mode = "test/" if self.sandbox_mode else ""
        return f"https://dashboard.stripe.com/{mode}{kind}/{quote(str(remote_id), safe='')}"

    async def check_connection(self):
        if not await self._is_stripe():
            return await super().check_connection()
        problem = credential_problem(self)
        if problem:
            return ConnectionResult("rejected", problem)
        key_is_live = _is_live((self.secret_key or "").strip())
        try:
            async with self._stripe_client() as api:
                balance = answer_object(
                    await api.get("/v1/balance"), "Stripe", {"livemode": bool, "available": list}
                )
        except (ProviderError, ValueError) as exc:
            return connection_result("Stripe", exc)
        if balance["livemode"] is not key_is_live:
            key = "live" if key_is_live else "test"
            found = "live" if balance["livemode"] else "test"
            return ConnectionResult(
                "rejected",
                f"Stripe answered in {found} mode to a {key} key: the API address or the key is "
                "not the one intended. Check the Secret Key and Sandbox Mode.",
            )
        mode = "live" if key_is_live else "test"
        amounts = ", ".join(
            money for item in balance["available"] if (money := _money(item)) is not None
        )
        suffix = f" Available balance: {amounts}." if amounts else ""
        return ConnectionResult("ok", f"Connected to Stripe ({mode} mode).{suffix}")

    # -- sync -------------------------------------------------------------------------
    async def sync_capability(self):
        if not await self._is_stripe():
            return await super().sync_capability()
        return SyncCapability(True)

    async def sync_payment_stripe(cls):
        """Cron job: sync every enabled Stripe integration."""
        return await sync_enabled(IDENTIFIER)

    async def sync_integration(self, run):
        if not await self._is_stripe():
            return await super().sync_integration(run)
        problem = credential_problem(self)
        if problem:
            raise UserError(problem)
        async with self._stripe_client() as api:
            contacts = get_model("Contact").filter(company=self.company_id)
            push_one = functools.partial(self._push_contact, api)
            await push_changed(run, self, contacts, push_one, concurrency=CONCURRENCY, batch=BATCH)
            if run.only is None:
                await self._pull_payment_intents(api, run)
            else:  # resync of one payment: read it again
                customers = {}
                await refresh_open(
                    run,
                    self,
                    functools.partial(_fetch_intent, api),
                    lambda intent: self._store_intent(intent, customers, run),
                )

    async def _push_contact(self, api, contact, mapping):
        """Create or update the Stripe customer of a contact changed since it was sent
        (push_changed's push_one); answers "created" or "updated"."""
        body = {
            "name": contact.name or "",
            "email": contact.email or "",
            "phone": contact.phone or "",
        }
        db_id = env_ctx.get().db.id
        if mapping is None:
            body["metadata[ffdesk_contact_id]"] = str(contact.id)
            # Same key for the same (integration, model, local_id): a run killed after Stripe
            # created the customer but before we committed replays it instead of duplicating.
            key = f"ffdesk-{db_id}-{self.id}-Contact-{contact.id}"
            try:
                customer = _customer(
                    await api.post("/v1/customers", data=body, headers={"Idempotency-Key": key})
                )
            except ProviderRequestError as exc:
                # Killed after Stripe created the customer, then the contact was edited: the
                # same key now comes with other parameters and Stripe refuses it. Adopt the
                # customer made then (found by our metadata) and update it below.
                if "idempoten" not in str(exc).lower():
                    raise
                customer = await _customer_of(api, contact.id)
                if customer is None:
                    raise
                await link_remote(
                    self, "Contact", contact.id, customer["id"], provider="Stripe", what="customer"
                )
                del body["metadata[ffdesk_contact_id]"]
                stamp = contact.write_date.timestamp() if contact.write_date else 0
                await api.post(
                    f"/v1/customers/{customer['id']}",
                    data=body,
                    headers={"Idempotency-Key": f"{key}-adopted-{stamp}"},
                )
                mapping = (
                    await get_model("IntegrationMapper")
                    .filter(integration=self.id, model="Contact", local_id=str(contact.id))
                    .get()
                )
                mapping.synced_at = contact.write_date or datetime.now()
                await mapping.save()
                return "created"
            # One row, so its own short transaction: no enclosing one (and no SAVEPOINT).
            await link_remote(
                self,
                "Contact",
                contact.id,
                customer["id"],
                provider="Stripe",
                what="customer",
                synced_at=contact.write_date or datetime.now(),
            )
            return "created"
        stamp = contact.write_date.timestamp() if contact.write_date else 0
        key = f"ffdesk-{db_id}-{self.id}-Contact-{contact.id}-{stamp}"
        _customer(
            await api.post(
                f"/v1/customers/{mapping.remote_id}", data=body, headers={"Idempotency-Key": key}
            )
        )
        mapping.synced_at = contact.write_date or datetime.now()
        await mapping.save()
        return "updated"

    async def _pull_payment_intents(self, api, run):
        """Payment intents created since the pull cursor, then those changed since (events)."""
        since = await pull_since(run)
        params = {"limit": PAGE_SIZE, "expand[]": "data.latest_charge"}
        if since is not None:
            params["created[gte]"] = int(since.timestamp())
        run.set_total(None)
        customers = {}
        seen = set()
        pages = Pages("Stripe")
        while True:
            run.checkpoint()
            page = answer_object(
                await api.get("/v1/payment_intents", params=params),
                "Stripe",
                {"data": list, "has_more": bool},
            )
            items = page["data"]
            pages.check(params.get("starting_after"), [_id_of(item) for item in items])
            for intent in items:
                run.checkpoint()
                seen.add(_id_of(intent))
                try:
                    await self._store_intent(intent, customers, run)
                except ValidationError as exc:
                    run.record_failure(f"payment {_id_of(intent) or '(no id)'}", exc)
            if not page["has_more"] or not items:
                break
            params["starting_after"] = _last_id(items, "payments")
            pages.more(params["starting_after"])
        if since is not None:
            await self._pull_changed_intents(api, run, since, seen, customers)
            if datetime.now() - since > EVENTS_KEPT:
                # Older events are gone: read again what may have changed since.
                await refresh_open(
                    run,
                    self,
                    functools.partial(_fetch_intent, api),
                    lambda intent: self._store_intent(intent, customers, run),
                    seen=seen,
                )
        await pull_completed(run)

    async def _pull_changed_intents(self, api, run, since, seen, customers):
        """Intents captured, cancelled, failed or refunded since `since`, found through
        Stripe's events and read again as they are now (an event's copy may be stale)."""
        params = {
            "limit": PAGE_SIZE,
            "types[]": list(EVENT_TYPES),
            "created[gte]": int(since.timestamp()),
        }
        changed = []
        pages = Pages("Stripe")
        while True:
            run.checkpoint()
            page = answer_object(
                await api.get("/v1/events", params=params),
                "Stripe",
                {"data": list, "has_more": bool},
            )
            items = page["data"]
            pages.check(params.get("starting_after"), [_id_of(event) for event in items])
            for event in items:
                intent_id = _intent_of(event)
                if intent_id and intent_id not in seen and intent_id not in changed:
                    changed.append(intent_id)
            if not page["has_more"] or not items:
                break
            params["starting_after"] = _last_id(items, "events")
            pages.more(params["starting_after"])
        for intent_id in changed:
            run.checkpoint()
            try:
                intent = await _fetch_intent(api, intent_id)
                await self._store_intent(intent, customers, run)
            except (ValidationError, ProviderRequestError) as exc:
                run.record_failure(f"payment {intent_id}", exc)

    async def _store_intent(self, intent, customers, run):
        """Check every value of one payment intent, then store it; BadRecord if one is wrong."""
        if not isinstance(intent, dict):
            raise BadRecord("Stripe sent a payment that is not an object")
        remote_id = object_id(intent.get("id"), "Stripe", "payment", "pi_")
        same_mode(
            intent.get("livemode"), _is_live((self.secret_key or "").strip()), "Stripe", "payment"
        )
        currency = currency_code(intent.get("currency"), "Stripe")
        amount = minor_amount(intent.get("amount"), currency, "Stripe", STRIPE_EXPONENTS)
        state = known_state(intent.get("status"), STATES, "Stripe")
        if _refund_of(intent) == "full":
            state = "refunded"  # a refunded intent stays "succeeded": the refund is on its charge
        created = intent.get("created")
        if isinstance(created, bool) or not isinstance(created, int) or created <= 0:
            raise BadRecord(f"Stripe sent the creation time {created!r}, which is not a timestamp")
        customer = intent.get("customer")
        if isinstance(customer, dict):
            customer = customer.get("id")
        if customer is not None:
            customer = object_id(customer, "Stripe", "customer", "cus_")
        description = intent.get("description")
        values = {
            "reference": remote_id,
            "amount": amount,
            "currency": currency,
            "state": state,
            "provider_status": _provider_status(intent),
            "date": datetime.fromtimestamp(created),
            "description": description if isinstance(description, str) else None,
            "customer_remote_id": customer,
            "contact": await linked_contact(self, customer, customers),
            "integration": self.id,
            "company": self.company_id,
        }
        await store_pulled(run, self, remote_id, values)


def _intent_of(event):
    """The payment intent an event is about (a refund's event carries the charge)."""
    data = event.get("data") if isinstance(event, dict) else None
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        return None
    if obj.get("object") == "payment_intent":
        found = obj.get("id")
    elif obj.get("object") == "charge":
        found = obj.get("payment_intent")
    else:
        return None
    return found if isinstance(found, str) else None


async def _fetch_intent(api, intent_id):
    """One payment intent as it is now, with its latest charge (for refunds)."""
    path = f"/v1/payment_intents/{intent_id}"
    return answer_object(await api.get(path, params={"expand[]": "latest_charge"}), "Stripe")


def _refund_of(intent):
    """'full', 'partial' or None, from the intent's expanded latest charge."""
    charge = intent.get("latest_charge")
    if not isinstance(charge, dict):
        return None
    if charge.get("refunded"):
        return "full"
    return "partial" if charge.get("amount_refunded") else None


def _provider_status(intent):
    refund = _refund_of(intent)
    if refund == "full":
        return "refunded"
    if refund == "partial":
        return "partially_refunded"
    return intent["status"]


def _id_of(item):
    return item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else None


def _last_id(items, what):
    """The id to continue a listing from: its last item's; UnexpectedAnswer without one."""
    last = _id_of(items[-1])
    if last is None:
        raise UnexpectedAnswer(
            f"Stripe said there were more {what} but gave the last one no id to "
            "continue from; stopped.",
            provider="Stripe",
        )
    return last


def _customer(response):
    """The customer Stripe answered with, checked: an object whose id is a customer id."""
    customer = answer_object(response, "Stripe", {"id": str})
    try:
        object_id(customer["id"], "Stripe", "customer", "cus_")
    except BadRecord as exc:
        raise UnexpectedAnswer(f"{exc}.", provider="Stripe") from None
    return customer


def _money(item):
    """ "12.50 USD" for one balance entry, or None when it is not a valid amount."""
    if not isinstance(item, dict):
        return None
    try:
        currency = currency_code(item.get("currency"), "Stripe")
        amount = minor_amount(item.get("amount"), currency, "Stripe", STRIPE_EXPONENTS)
    except BadRecord:
        return None
    return f"{amount} {currency}"


async def _customer_of(api, contact_id):
    """The customer created earlier for a contact, by the metadata ffdesk set on it.

    Stripe's search index can lag a little behind a create; a miss fails this contact for
    this run and the next run finds it.
    """
    query = f"metadata['ffdesk_contact_id']:'{contact_id}'"
    found = answer_object(
        await api.get("/v1/customers/search", params={"query": query}), "Stripe", {"data": list}
    )
    data = [c for c in found["data"] if _id_of(c)]
    return data[0] if data else None
