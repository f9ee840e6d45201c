"""Square fields, token checks, connection test and sync (customers and payments).

API reference: https://developer.squareup.com/reference/square (Bearer access token plus a
`Square-Version` header, JSON bodies, cursor paging, errors `{"errors": [{"category", "code",
"detail", "field"?}]}`). Sandbox and production are separate hosts with separate tokens.
"""

import hashlib
import os
import re
from datetime import UTC

from ffdesk.engine.base import *
from ffdesk.sync import (
    BadRecord,
    ConnectionResult,
    CredentialsRejected,
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
    unexpected,
)

IDENTIFIER = "payment_square"
SANDBOX_BASE = "https://connect.squareupsandbox.com"
PRODUCTION_BASE = "https://connect.squareup.com"
SQUARE_VERSION = "2024-06-04"
PAGE_SIZE = 100  # the most ListPayments returns per call
BATCH = 500
CONCURRENCY = 4
# Square publishes no fixed request rate; stay modest, the HTTP layer retries any 429.
# Requests per second. Square does not document its limits and asks for exponential backoff
# with jitter on 429 RATE_LIMITED (https://developer.squareup.com/docs/build-basics/
# handling-errors, and developer.squareup.com/forums/t/7842): stay modest.
RATE_LIMIT = 10.0
STATES = {
    "APPROVED": "authorized",
    "PENDING": "pending",
    "COMPLETED": "done",
    "CANCELED": "cancelled",
    "FAILED": "failed",
}
_LOCATION_ID = re.compile(r"[A-Za-z0-9]{1,32}")


class SquareIntegration(Model):
    """Square's credentials (company-scoped) and behaviour on the Integration model."""

    __inherit__ = "Integration"

    square_access_token = Char(
        max_length=255,
        description="Access Token",
        hint=(
            "Developer Console > Applications > your app > Credentials: the Sandbox access "
            "token with Sandbox Mode on, the Production access token with it off."
        ),
        company_scoped=True,
    )
    # Not a credential, so stored plainly (the Integration record is already per company).
    square_location_id = Char(
        max_length=32,
        description="Location ID",
        hint="Optional: sync only the payments of this location (e.g. L88917AVBK2S5). "
        "Test connection lists the account's locations.",
    )
    sandbox_mode = Boolean(
        description="Sandbox Mode",
        hint="On: test keys and test data. Off: live keys and real payments.",
        default=True,
    )

    async def _is_square(self):
        await self.fetch_related("module")
        return bool(self.module and self.module.identifier == IDENTIFIER)

    # -- credentials ------------------------------------------------------------------
    @credential_rules(IDENTIFIER)
    def _square_credential_problems(self):
        """{field: sentence} for what is wrong in the typed credentials (no network)."""
        problems = {}
        token = (self.square_access_token or "").strip()
        if not token:
            problems["square_access_token"] = (
                "Please enter your Square Access Token before enabling."
            )
        elif token.startswith(("sq0idp-", "sandbox-sq0idb-")):
            problems["square_access_token"] = (
                "That is the Application ID, not an access token: copy the access token from "
                "Developer Console > Applications > your app > Credentials."
            )
        elif token.startswith(("sq0csp-", "sandbox-sq0csb-")):
            problems["square_access_token"] = (
                "That is the Application secret, not an access token: copy the access token "
                "from Developer Console > Applications > your app > Credentials."
            )
        elif any(c.isspace() for c in token):
            problems["square_access_token"] = (
                "Paste the Square access token alone, without 'Bearer' or spaces."
            )
        location = (self.square_location_id or "").strip()
        if location and not _LOCATION_ID.fullmatch(location):
            problems["square_location_id"] = (
                "The Square Location ID has letters and digits only (e.g. L88917AVBK2S5); "
                "leave it empty to sync the payments of every location."
            )
        return problems

    def _square_environment(self):
        return "Sandbox" if self.sandbox_mode else "Production"

    def _square_client(self):
        token = (self.square_access_token or "").strip()
        configured = os.environ.get("FFDESK_PAYMENT_SQUARE_RATE_LIMIT")
        rate = float(configured) if configured else RATE_LIMIT
        default = SANDBOX_BASE if self.sandbox_mode else PRODUCTION_BASE
        return ProviderClient(
            provider="Square",
            base_url=api_base(IDENTIFIER, default),
            headers={"Authorization": f"Bearer {token}", "Square-Version": SQUARE_VERSION},
            secrets=[token],
            max_concurrency=CONCURRENCY,
            rate_limit=rate or None,
            credential_label="access token",
        )

    def _square_rejected(self, exc):
        """The refusal, with the usual cause: a token of the other environment."""
        if self.sandbox_mode:
            hint = "if this is a Production access token, turn Sandbox Mode off."
        else:
            hint = "if this is a Sandbox access token, turn Sandbox Mode on."
        return (
            f"{exc} Square {self._square_environment()} accepts only its own access tokens: {hint}"
        )

    async def check_connection(self):
        if not await self._is_square():
            return await super().check_connection()
        problem = credential_problem(self)
        if problem:
            return ConnectionResult("rejected", problem)
        try:
            async with self._square_client() as api:
                answer = answer_object(await api.get("/v2/locations"), "Square")
        except (ProviderError, ValueError) as exc:
            return connection_result("Square", exc, rejected=self._square_rejected)
        # Square leaves `locations` out when there are none.
        locations = answer.get("locations", [])
        if not isinstance(locations, list) or not all(isinstance(x, dict) for x in locations):
            return connection_result(
                "Square",
                unexpected("Square", "an object with `locations`", "locations not in a list"),
            )
        names = ", ".join(f"{loc.get('name') or '?'} ({loc.get('id')})" for loc in locations)
        wanted = (self.square_location_id or "").strip()
        if wanted and wanted not in {loc.get("id") for loc in locations}:
            return ConnectionResult(
                "rejected",
                f"Location {wanted} is not a location of this Square account "
                f"({'its locations: ' + names if names else 'it has no location'}). Correct "
                "the Location ID, or leave it empty to sync every location.",
            )
        where = self._square_environment()
        found = f" Locations: {names}." if names else " The account has no location yet."
        return ConnectionResult("ok", f"Connected to Square ({where}).{found}")

    # -- sync -------------------------------------------------------------------------
    async def sync_capability(self):
        if not await self._is_square():
            return await super().sync_capability()
        return SyncCapability(True)

    async def sync_payment_square(cls):
        """Cron job: sync every enabled Square integration."""
        return await sync_enabled(IDENTIFIER)

    async def sync_integration(self, run):
        if not await self._is_square():
            return await super().sync_integration(run)
        problem = credential_problem(self)
        if problem:
            raise UserError(problem)
        async with self._square_client() as api:
            sync = _SquareSync(self, api, run)
            try:
                await sync.push_contacts()
                await sync.pull_payments()
            except CredentialsRejected as exc:
                raise UserError(self._square_rejected(exc)) from None


class _SquareSync:
    """One run's work: contacts out as customers, payments in as PaymentTransactions.

    A plain class (not a model extension) so its helpers cannot collide with another
    provider's methods on the shared Integration model.
    """

    def __init__(self, integration, api, run):
        self.integration = integration
        self.api = api
        self.run = run
        self.contact_of = {}  # remote customer id -> local contact id (or None)
        self.db_id = env_ctx.get().db.id

    # -- push ---------------------------------------------------------------------------
    async def push_contacts(self):
        """Create or update a Square customer for each contact changed since it was sent."""
        contacts = get_model("Contact").filter(company=self.integration.company_id)
        await push_changed(
            self.run, self.integration, contacts, self._push, concurrency=CONCURRENCY, batch=BATCH
        )

    def _key(self, contact, again=None):
        """The same idempotency key for the same (database, integration, model, local id);
        `again` (a re-creation) makes another one. 39 characters: within Square's limits."""
        source = f"{self.db_id}:{self.integration.id}:Contact:{contact.id}"
        if again is not None:
            source = f"{source}:{again}"
        return "ffdesk-" + hashlib.sha256(source.encode()).hexdigest()[:32]

    def _reference(self, contact):
        """Square's reference_id: finds a customer made by a run that never committed it."""
        return f"ffdesk-{str(self.db_id)[:8]}-contact-{contact.id}"

    async def _push(self, contact, mapping):
        """One changed contact (push_changed's push_one): "created" or "updated"."""
        fields = _customer_fields(contact)
        if mapping is None:
            return await self._create(contact, fields, self._key(contact))
        try:
            await self._update(mapping.remote_id, fields)
        except ProviderRequestError as exc:
            if exc.status != 404:
                raise
            # Deleted in the Square Dashboard: make it again, under a key of its own (the
            # first key would replay the creation of the customer that is gone).
            stamp = int(contact.write_date.timestamp()) if contact.write_date else 0
            return await self._create(contact, fields, self._key(contact, stamp), replace=mapping)
        mapping.synced_at = contact.write_date or datetime.now()
        await mapping.save()
        return "updated"

    async def _update(self, remote_id, fields):
        # null clears a field at Square; a field left out would keep its old value.
        answer_object(
            await self.api.request("PUT", f"/v2/customers/{remote_id}", json=fields),
            "Square",
            {"customer": dict},
        )

    async def _create(self, contact, fields, key, replace=None):
        reference = self._reference(contact)
        body = {k: v for k, v in fields.items() if v is not None}
        body.update(idempotency_key=key, reference_id=reference)
        try:
            # The idempotency key makes a repeated create (HTTP retry, or a re-run after a
            # run killed before it committed) answer the customer made the first time.
            customer = answer_object(
                await self.api.post("/v2/customers", json=body), "Square", {"customer": dict}
            )["customer"]
        except ProviderRequestError as exc:
            if exc.code != "IDEMPOTENCY_KEY_REUSED":
                raise
            # Square refuses a key reused with other data (IDEMPOTENCY_KEY_REUSED): the
            # contact changed after a create that was never committed here. That customer
            # carries our reference_id: adopt it and bring it up to date.
            customer = await self._find(reference)
            if customer is None:
                raise
            await self._update(customer["id"], fields)
        remote_id = object_id(customer.get("id"), "Square", "customer")
        link = {"provider": "Square", "what": "customer"}
        link["synced_at"] = contact.write_date or datetime.now()
        if replace is None:
            # One row, so its own short transaction.
            await link_remote(self.integration, "Contact", contact.id, remote_id, **link)
        else:
            async with env_ctx.get().db.transaction():  # the old link goes with the new one
                await replace.delete()
                await link_remote(self.integration, "Contact", contact.id, remote_id, **link)
        return "created"

    async def _find(self, reference):
        query = {"query": {"filter": {"reference_id": {"exact": reference}}}, "limit": 1}
        found = answer_object(await self.api.post("/v2/customers/search", json=query), "Square")
        customers = found.get("customers", [])
        if not isinstance(customers, list):
            raise unexpected("Square", "an object with `customers`", "customers not in a list")
        customers = [c for c in customers if isinstance(c, dict) and isinstance(c.get("id"), str)]
        return customers[0] if customers else None

    # -- pull ---------------------------------------------------------------------------
    async def pull_payments(self):
        """Payments created since the pull cursor, then the ones we have that may still
        change (completed, cancelled or refunded later: Square lists by creation time)."""
        seen = set()
        if self.run.only is None:
            await self._list_payments(seen)
        await refresh_open(self.run, self.integration, self._fetch, self._store, seen=seen)
        await pull_completed(self.run)

    async def _fetch(self, payment_id):
        answer = await self.api.get(f"/v2/payments/{payment_id}")
        return answer_object(answer, "Square", {"payment": dict})["payment"]

    async def _list_payments(self, seen):
        """Oldest first; the first run takes Square's default window (the past year)."""
        run = self.run
        since = await pull_since(run)
        params = {"sort_order": "ASC", "limit": PAGE_SIZE}
        if since is not None:
            params["begin_time"] = _rfc3339(since.astimezone(UTC).timestamp())
        location = (self.integration.square_location_id or "").strip()
        if location:
            params["location_id"] = location
        run.set_total(None)
        pages = Pages("Square")
        while True:
            run.checkpoint()
            page = answer_object(await self.api.get("/v2/payments", params=params), "Square")
            # Square leaves `payments` out of an empty page.
            items = page.get("payments", [])
            if not isinstance(items, list):
                raise unexpected("Square", "an object with `payments`", "payments not in a list")
            pages.check(params.get("cursor"), [_id_of(p) for p in items])
            for payment in items:
                run.checkpoint()
                seen.add(_id_of(payment))
                try:
                    await self._store(payment)
                except ValidationError as exc:
                    run.record_failure(f"payment {_id_of(payment) or '(no id)'}", exc)
            cursor = page.get("cursor")
            if not cursor:
                break
            if not isinstance(cursor, str):
                raise unexpected(
                    "Square", "a text `cursor`", f"a cursor of type {type(cursor).__name__}"
                )
            pages.more(cursor)
            params["cursor"] = cursor

    async def _store(self, payment):
        """Check every value of one payment, then store it; BadRecord if one is wrong."""
        if not isinstance(payment, dict):
            raise BadRecord("Square sent a payment that is not an object")
        remote_id = object_id(payment.get("id"), "Square", "payment")
        money = payment.get("amount_money")
        if not isinstance(money, dict):
            raise BadRecord(f"Square sent the amount {money!r}, which is not an amount object")
        currency = currency_code(money.get("currency"), "Square")
        amount = minor_amount(money.get("amount"), currency, "Square")
        refunded_money = payment.get("refunded_money")
        refunded = (
            minor_amount(refunded_money.get("amount"), currency, "Square")
            if isinstance(refunded_money, dict)
            else 0
        )
        status = payment.get("status")
        state = known_state(status, STATES, "Square")
        if status == "COMPLETED" and amount > 0 and refunded >= amount:
            state = "refunded"
        created = _parse_time(payment.get("created_at"))
        if created is None:
            raise BadRecord(
                f"Square sent the creation time {payment.get('created_at')!r}, which is not a date"
            )
        customer = payment.get("customer_id")
        if customer is not None:
            customer = object_id(customer, "Square", "customer")
        note = payment.get("note")
        values = {
            "reference": remote_id,
            "amount": amount,
            "currency": currency,
            "state": state,
            "provider_status": status,
            "date": created.astimezone().replace(tzinfo=None),
            "description": note if isinstance(note, str) else None,
            "customer_remote_id": customer,
            "contact": await linked_contact(self.integration, customer, self.contact_of),
            "integration": self.integration.id,
            "company": self.integration.company_id,
        }
        await store_pulled(self.run, self.integration, remote_id, values)


def _customer_fields(contact):
    """given_name / family_name (first word / the rest), email_address, phone_number."""
    words = (contact.name or "").split()
    given = words[0] if words else None
    family = " ".join(words[1:]) or None
    return {
        "given_name": given,
        "family_name": family,
        "email_address": (contact.email or "").strip() or None,
        "phone_number": (contact.phone or "").strip() or None,
    }


def _rfc3339(timestamp):
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _id_of(item):
    return item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else None


def _parse_time(value):
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
