"""PayPal fields, credential checks, connection test (OAuth2 token) and transaction sync."""

import os
from datetime import UTC, timedelta

from ffdesk.engine.base import *
from ffdesk.sync import (
    BadRecord,
    ClientCredentialsSession,
    ConnectionResult,
    CredentialsRejected,
    Pages,
    ProviderError,
    ProviderRequestError,
    RateLimiter,
    SyncCapability,
    api_base,
    credential_problem,
    credential_rules,
    currency_code,
    decimal_amount,
    known_state,
    open_records,
    pull_completed,
    pull_since,
    store_pulled,
    sync_enabled,
    unexpected,
)

IDENTIFIER = "payment_paypal"
PROVIDER = "PayPal"
SANDBOX_BASE = "https://api-m.sandbox.paypal.com"
LIVE_BASE = "https://api-m.paypal.com"
TOKEN_PATH = "/v1/oauth2/token"
TRANSACTIONS_PATH = "/v1/reporting/transactions"
CREDENTIAL_LABEL = "PayPal Client ID and Secret"
PAGE_SIZE = 500  # the most PayPal's Transaction Search returns per page
WINDOW = timedelta(days=31)  # Transaction Search refuses wider date ranges
DEFAULT_HISTORY_DAYS = 31
MAX_HISTORY_DAYS = 3 * 365  # Transaction Search lists the previous three years
# "It takes a maximum of three hours for executed transactions to appear in the list."
REPORTING_DELAY = timedelta(hours=3)
# Requests per second. PayPal publishes no figure ("PayPal doesn't publish exact rate limits",
# https://developer.paypal.com/api/rest/reference/rate-limiting/): stay modest; 429s lower it.
RATE_LIMIT = 10.0
MIN_ID_LENGTH = 20
STATES = {"S": "done", "P": "pending", "V": "refunded", "D": "failed"}


def _rate_limit():
    configured = os.environ.get("FFDESK_PAYMENT_PAYPAL_RATE_LIMIT")
    rate = float(configured) if configured else RATE_LIMIT
    return RateLimiter(rate) if rate > 0 else None


def _mode_hint(sandbox):
    """What a rejected token request should make the user check, given Sandbox Mode."""
    if sandbox:
        return (
            "Sandbox Mode is on, so they must be the Sandbox credentials of your REST app "
            "(developer.paypal.com > Apps & Credentials > Sandbox); for Live credentials "
            "turn Sandbox Mode off."
        )
    return (
        "Sandbox Mode is off, so they must be the Live credentials of your REST app "
        "(developer.paypal.com > Apps & Credentials > Live); for Sandbox credentials "
        "turn Sandbox Mode on."
    )


def _paypal_date(moment):
    """RFC 3339 with seconds and an explicit offset, as Transaction Search wants it."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def _parse_date(text):
    """A PayPal timestamp (`2024-05-01T10:00:00+0000` or RFC 3339) as naive local time."""
    if not isinstance(text, str) or not text.strip():
        return None
    text = text.strip()
    if text[-1] in "Zz":
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone().replace(tzinfo=None)
    return moment.replace(microsecond=0)


def _windows(start, end):
    """(start, end) ranges of at most 31 days covering start..end, oldest first."""
    while start < end:
        stop = min(start + WINDOW, end)
        yield start, stop
        start = stop


def _amount(money):
    """(amount, currency) of a PayPal money object, checked; BadRecord if either is wrong."""
    if not isinstance(money, dict):
        raise BadRecord(f"PayPal sent the amount {money!r}, which is not an amount object")
    currency = currency_code(money.get("currency_code"), PROVIDER)
    return decimal_amount(money.get("value"), currency, PROVIDER), currency


class PayPalIntegration(Model):
    """PayPal's credentials (company-scoped) and behaviour on the Integration model."""

    __inherit__ = "Integration"

    paypal_client_id = Char(
        max_length=255,
        description="Client ID",
        hint=(
            "The Client ID of your PayPal REST app: developer.paypal.com > Apps & Credentials "
            "(Sandbox or Live, matching Sandbox Mode)."
        ),
        company_scoped=True,
    )
    paypal_client_secret = Char(
        max_length=255,
        description="Secret",
        hint="The Secret shown under the Client ID of the same REST app.",
        company_scoped=True,
    )
    sandbox_mode = Boolean(
        description="Sandbox Mode",
        hint="On: test keys and test data. Off: live keys and real payments.",
        default=True,
    )
    paypal_history_days = Integer(
        description="History (days)",
        hint=(
            "How far back the first sync reaches, 1 to 1095 days (PayPal keeps three years). "
            "Later syncs start from the last successful one."
        ),
        default=DEFAULT_HISTORY_DAYS,
    )

    async def _is_paypal(self):
        await self.fetch_related("module")
        return bool(self.module and self.module.identifier == IDENTIFIER)

    # -- credentials ------------------------------------------------------------------
    @credential_rules(IDENTIFIER)
    def _paypal_credential_problems(self):
        """{field: sentence} for what is wrong in the typed credentials (no network)."""
        problems = {}
        client_id = (self.paypal_client_id or "").strip()
        secret = (self.paypal_client_secret or "").strip()
        where = "developer.paypal.com > Apps & Credentials"
        if not client_id:
            problems["paypal_client_id"] = "Please enter your PayPal Client ID before enabling."
        elif len(client_id) < MIN_ID_LENGTH or any(c.isspace() for c in client_id):
            problems["paypal_client_id"] = (
                "The PayPal Client ID looks incomplete: it is a long string of letters, digits, "
                f"dashes and underscores without spaces. Copy it again from {where}."
            )
        if not secret:
            problems["paypal_client_secret"] = "Please enter your PayPal Secret before enabling."
        elif len(secret) < MIN_ID_LENGTH or any(c.isspace() for c in secret):
            problems["paypal_client_secret"] = (
                "The PayPal Secret looks incomplete: it is a long string of letters, digits, "
                f"dashes and underscores without spaces. Copy it again from {where}."
            )
        elif client_id == secret:
            problems["paypal_client_secret"] = (
                "The PayPal Client ID and Secret are the same: paste the Secret (shown under "
                f"the Client ID in {where}) into the Secret field."
            )
        days = self.paypal_history_days
        if days is not None and not 1 <= days <= MAX_HISTORY_DAYS:
            problems["paypal_history_days"] = (
                f"History (days) must be between 1 and {MAX_HISTORY_DAYS}: PayPal lists "
                "transactions of the last three years only."
            )
        return problems

    def _paypal_api(self):
        """One sync's (or test's) connection: the shared OAuth2 token and the API calls; a
        call answered 401 gets a new token and is sent once more."""
        sandbox = bool(self.sandbox_mode)
        return ClientCredentialsSession(
            provider=PROVIDER,
            base_url=api_base(IDENTIFIER, SANDBOX_BASE if sandbox else LIVE_BASE),
            token_path=TOKEN_PATH,
            client_id=(self.paypal_client_id or "").strip(),
            secret=(self.paypal_client_secret or "").strip(),
            headers={"Accept": "application/json", "Accept-Language": "en_US"},
            credential_label=CREDENTIAL_LABEL,
            rejected_hint=_mode_hint(sandbox),
            rate_limit=_rate_limit(),
        )

    async def check_connection(self):
        if not await self._is_paypal():
            return await super().check_connection()
        problem = credential_problem(self)
        if problem:
            return ConnectionResult("rejected", problem)
        mode = "sandbox" if self.sandbox_mode else "live"
        try:
            async with self._paypal_api() as api:
                # Always a new token: the test is that PayPal accepts these credentials now.
                await api.token(fresh=True)
        except CredentialsRejected as exc:
            return ConnectionResult("rejected", str(exc))
        except ProviderRequestError as exc:
            return ConnectionResult("rejected", str(exc))
        except ProviderError as exc:
            return ConnectionResult("unreachable", str(exc))
        return ConnectionResult("ok", f"Connected to PayPal ({mode} mode).")

    # -- sync -------------------------------------------------------------------------
    async def sync_capability(self):
        if not await self._is_paypal():
            return await super().sync_capability()
        return SyncCapability(True)

    async def sync_payment_paypal(cls):
        """Cron job: sync every enabled PayPal integration."""
        return await sync_enabled(IDENTIFIER)

    async def sync_integration(self, run):
        if not await self._is_paypal():
            return await super().sync_integration(run)
        problem = credential_problem(self)
        if problem:
            raise UserError(problem)
        async with self._paypal_api() as api:
            if run.only is None:
                await self._pull_paypal_transactions(api, run)
                await pull_completed(run)
            else:
                await self._resync_paypal_transaction(api, run)

    async def _paypal_sync_start(self, end, run):
        """Where this pull starts: the pull cursor (less PayPal's reporting delay), else
        `paypal_history_days` back, and early enough to read again every transaction we have
        that may still change (PayPal filters on the initiation date only); never before
        PayPal's three years."""
        earliest = end - timedelta(days=MAX_HISTORY_DAYS)
        since = await pull_since(run, REPORTING_DELAY)
        if since is not None:
            start = since.astimezone(UTC)
        else:
            days = self.paypal_history_days or DEFAULT_HISTORY_DAYS
            start = end - timedelta(days=min(max(days, 1), MAX_HISTORY_DAYS))
        dates = [r.date for r in await open_records(run, self) if r.date is not None]
        if dates:
            start = min(start, min(dates).astimezone(UTC) - timedelta(minutes=1))
        return max(start, earliest).replace(microsecond=0)

    async def _resync_paypal_transaction(self, api, run):
        """One transaction again, found by its id around its own date."""
        records = await open_records(run, self)
        Mapper = get_model("IntegrationMapper")
        now = datetime.now(UTC).replace(microsecond=0)
        for record in records:
            mapping = await Mapper.filter(
                integration=self.id, model="PaymentTransaction", local_id=str(record.id)
            ).first()
            if mapping is None or record.date is None:
                run.record_failure(f"transaction #{record.id}", "it has no PayPal id or date")
                continue
            moment = record.date.astimezone(UTC)
            start = moment - timedelta(days=1)
            end = min(moment + timedelta(days=1), now)
            await self._pull_paypal_transactions(
                api, run, (start, end), {"transaction_id": mapping.remote_id}
            )

    async def _pull_paypal_transactions(self, api, run, span=None, extra=None):
        """Transactions of every 31-day window since the start, into PaymentTransaction."""
        if span is None:
            end = datetime.now(UTC).replace(microsecond=0)
            start = await self._paypal_sync_start(end, run)
        else:
            start, end = span
        windows = list(_windows(start, end))
        run.log(
            f"Transactions from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC "
            f"({len(windows)} window(s) of at most 31 days)"
        )
        run.set_total(None)
        seen = set()
        contacts = {}
        for window_start, window_end in windows:
            page = 1
            pages = Pages(PROVIDER)
            while True:
                run.checkpoint()
                params = {
                    "start_date": _paypal_date(window_start),
                    "end_date": _paypal_date(window_end),
                    "fields": "all",
                    "page_size": PAGE_SIZE,
                    "page": page,
                    **(extra or {}),
                }
                try:
                    body = await api.get_json(TRANSACTIONS_PATH, params=params)
                except CredentialsRejected as exc:
                    if exc.status == 403:
                        raise UserError(
                            "PayPal refused the transaction history: the REST app lacks the "
                            "Transaction Search permission. Tick Transaction search in the "
                            "app's settings (developer.paypal.com > Apps & Credentials > your "
                            "app) and sync again; PayPal may take a few hours to grant it."
                        ) from None
                    raise
                details = body.get("transaction_details")
                if not isinstance(details, list):
                    raise unexpected(
                        PROVIDER,
                        "an object with `transaction_details`",
                        "`transaction_details` that is not a list",
                    )
                pages.check(page, [_transaction_id(d) for d in details])
                total_pages = body.get("total_pages")
                if page == 1 and isinstance(body.get("total_items"), int):
                    run.set_total(run.done + body["total_items"])
                for detail in details:
                    run.checkpoint()
                    info = detail.get("transaction_info") if isinstance(detail, dict) else None
                    remote_id = _transaction_id(detail)
                    if not remote_id:
                        run.record_failure("a transaction", "PayPal sent it without an id")
                        continue
                    if remote_id in seen:
                        # The reporting system may list one id twice (balance affecting or
                        # not): the first one is kept.
                        run.count("skipped")
                        continue
                    seen.add(remote_id)
                    try:
                        await self._store_paypal_transaction(detail, info, contacts, run)
                    except ValidationError as exc:
                        run.record_failure(f"transaction {remote_id}", exc)
                if not details or not isinstance(total_pages, int) or page >= total_pages:
                    break
                page += 1
                pages.more(page)
        run.checkpoint()

    async def _paypal_contact(self, payer, contacts):
        """The local contact with the payer's email address, if there is one."""
        email = payer.get("email_address") if isinstance(payer, dict) else None
        if not isinstance(email, str) or not email.strip():
            return None
        email = email.strip()
        if email not in contacts:
            Contact = get_model("Contact")
            found = await Contact.filter(company=self.company_id, email=email).first()
            contacts[email] = found.id if found else None
        return contacts[email]

    async def _store_paypal_transaction(self, detail, info, contacts, run):
        """Check every value of one transaction, then store it; BadRecord if one is wrong."""
        remote_id = info["transaction_id"]
        if not isinstance(remote_id, str) or len(remote_id) > 255:
            raise BadRecord(f"PayPal sent {remote_id!r} as a transaction id, which is not one")
        payer = detail.get("payer_info")
        payer = payer if isinstance(payer, dict) else {}
        amount, currency = _amount(info.get("transaction_amount"))
        status = info.get("transaction_status")
        state = known_state(status, STATES, PROVIDER)
        date = _parse_date(info.get("transaction_initiation_date"))
        if date is None:
            raise BadRecord(
                f"PayPal sent the date {info.get('transaction_initiation_date')!r}, "
                "which is not a date"
            )
        description = (
            info.get("transaction_subject")
            or info.get("transaction_note")
            or (f"Invoice {info['invoice_id']}" if info.get("invoice_id") else None)
        )
        values = {
            "reference": remote_id,
            "amount": amount,
            "currency": currency,
            "state": state,
            "provider_status": (
                f"{status} {info.get('transaction_event_code') or ''}".strip()[:64]
                if status
                else None
            ),
            "date": date,
            "description": description,
            "customer_remote_id": payer.get("account_id") if isinstance(payer, dict) else None,
            "contact": await self._paypal_contact(payer, contacts),
            "integration": self.id,
            "company": self.company_id,
        }
        await store_pulled(run, self, remote_id, values)


def _transaction_id(detail):
    info = detail.get("transaction_info") if isinstance(detail, dict) else None
    found = info.get("transaction_id") if isinstance(info, dict) else None
    return found if isinstance(found, str) else None
