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
    ConnectionResult,
    CredentialsRejected,
    ProviderClient,
    ProviderError,
    ProviderRequestError,
    SyncCapability,
    api_base,
    connection_result,
    last_successful_run,
    push_changed,
    store_pulled,
    sync_enabled,
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
OVERLAP = 300  # seconds of overlap with the previous run, so nothing created meanwhile is missed
# ISO 4217 exponents that differ from 2 (amounts arrive in the currency's smallest unit).
ZERO_DECIMAL = {
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
    "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
}  # fmt: skip
THREE_DECIMAL = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}
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
    def _square_credential_problem(self):
        token = (self.square_access_token or "").strip()
        if not token:
            return "Please enter your Square Access Token before enabling."
        if token.startswith(("sq0idp-", "sandbox-sq0idb-")):
            return (
                "That is the Application ID, not an access token: copy the access token from "
                "Developer Console > Applications > your app > Credentials."
            )
        if token.startswith(("sq0csp-", "sandbox-sq0csb-")):
            return (
                "That is the Application secret, not an access token: copy the access token "
                "from Developer Console > Applications > your app > Credentials."
            )
        if any(c.isspace() for c in token):
            return "Paste the Square access token alone, without 'Bearer' or spaces."
        location = (self.square_location_id or "").strip()
        if location and not _LOCATION_ID.fullmatch(location):
            return (
                "The Square Location ID has letters and digits only (e.g. L88917AVBK2S5); "
                "leave it empty to sync the payments of every location."
            )
        return None

    def _square_environment(self):
        return "Sandbox" if self.sandbox_mode else "Production"

    async def enable_integration(self):
        if await self._is_square():
            problem = self._square_credential_problem()
            if problem:
                raise UserError(problem)
        await super().enable_integration()

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
        problem = self._square_credential_problem()
        if problem:
            return ConnectionResult("rejected", problem)
        try:
            async with self._square_client() as api:
                locations = (await api.get("/v2/locations")).json().get("locations") or []
        except (ProviderError, ValueError) as exc:
            return connection_result("Square", exc, rejected=self._square_rejected)
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
        problem = self._square_credential_problem()
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
        await self.api.request("PUT", f"/v2/customers/{remote_id}", json=fields)

    async def _create(self, contact, fields, key, replace=None):
        reference = self._reference(contact)
        body = {k: v for k, v in fields.items() if v is not None}
        body.update(idempotency_key=key, reference_id=reference)
        try:
            # The idempotency key makes a repeated create (HTTP retry, or a re-run after a
            # run killed before it committed) answer the customer made the first time.
            customer = (await self.api.post("/v2/customers", json=body)).json()["customer"]
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
        values = {
            "integration": self.integration.id,
            "model": "Contact",
            "local_id": str(contact.id),
            "remote_id": customer["id"],
            "synced_at": contact.write_date or datetime.now(),
        }
        Mapper = get_model("IntegrationMapper")
        if replace is None:
            await Mapper.create(**values)  # one row, so its own short transaction
        else:
            async with env_ctx.get().db.transaction():  # the old link goes with the new one
                await replace.delete()
                await Mapper.create(**values)
        return "created"

    async def _find(self, reference):
        query = {"query": {"filter": {"reference_id": {"exact": reference}}}, "limit": 1}
        found = (await self.api.post("/v2/customers/search", json=query)).json()
        customers = found.get("customers") or []
        return customers[0] if customers else None

    # -- pull ---------------------------------------------------------------------------
    async def pull_payments(self):
        """Payments created since the last successful run (oldest first), into
        PaymentTransaction; the first run takes Square's default window (the past year)."""
        run = self.run
        previous = await last_successful_run(self.integration)
        params = {"sort_order": "ASC", "limit": PAGE_SIZE}
        if previous is not None and previous.started is not None:
            since = previous.started.astimezone(UTC).timestamp() - OVERLAP
            params["begin_time"] = _rfc3339(since)
        location = (self.integration.square_location_id or "").strip()
        if location:
            params["location_id"] = location
        run.set_total(None)
        while True:
            run.checkpoint()
            page = (await self.api.get("/v2/payments", params=params)).json()
            for payment in page.get("payments") or []:
                run.checkpoint()
                try:
                    await self._store(payment)
                except ValidationError as exc:
                    run.record_failure(f"payment {payment.get('id')}", exc)
            cursor = page.get("cursor")
            if not cursor:
                break
            params["cursor"] = cursor

    async def _store(self, payment):
        money = payment.get("amount_money") or {}
        currency = (money.get("currency") or "").upper()
        minor = money.get("amount") or 0
        refunded = (payment.get("refunded_money") or {}).get("amount") or 0
        status = payment.get("status")
        state = STATES.get(status, "pending")
        if status == "COMPLETED" and minor > 0 and refunded >= minor:
            state = "refunded"
        created = _parse_time(payment.get("created_at"))
        customer = payment.get("customer_id")
        values = {
            "reference": payment["id"],
            "amount": _amount(minor, currency),
            "currency": currency[:3] or None,
            "state": state,
            "provider_status": status,
            "date": created.astimezone().replace(tzinfo=None) if created else None,
            "description": payment.get("note"),
            "customer_remote_id": customer,
            "contact": await self._contact(customer),
            "integration": self.integration.id,
            "company": self.integration.company_id,
        }
        await store_pulled(self.run, self.integration, payment["id"], values)

    async def _contact(self, customer):
        if not customer:
            return None
        if customer not in self.contact_of:
            link = (
                await get_model("IntegrationMapper")
                .filter(integration=self.integration.id, model="Contact", remote_id=customer)
                .first()
            )
            self.contact_of[customer] = int(link.local_id) if link else None
        return self.contact_of[customer]


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


def _parse_time(value):
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _amount(minor, currency):
    code = (currency or "").upper()
    if code in ZERO_DECIMAL:
        return float(minor)
    if code in THREE_DECIMAL:
        return minor / 1000.0
    return minor / 100.0
