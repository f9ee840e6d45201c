"""Twilio fields, credential checks, connection test and SMS sync.

A sync run (1) settles messages that an interrupted run left `sending`, (2) sends the queued
outbound messages of the integration's company and (3) reads Twilio's message list to update
the statuses of the messages it sent.

Twilio has no idempotency key, so a message is never sent twice on a guess: it is marked
`sending` (committed) before the POST, which is made without automatic retries. A 429 is sent
again (Twilio created nothing); a lost answer or a 5xx is first looked up at Twilio and sent
again only if Twilio has no such message. A message still `sending` when a later run starts
(the run was killed mid-POST) is looked up and adopted, or else marked failed, never resent.
"""

import asyncio
import re
from datetime import UTC, timedelta
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime

from ffdesk.engine.base import *
from ffdesk.sync import (
    BadRecord,
    ConnectionResult,
    CredentialsRejected,
    Pages,
    ProviderClient,
    ProviderError,
    ProviderRequestError,
    ProviderUnavailable,
    RateLimited,
    SyncCapability,
    UnexpectedAnswer,
    answer_object,
    api_base,
    conflict,
    credential_problem,
    credential_rules,
    known_state,
    object_id,
    owner_of,
    rate_limit_for,
    sync_enabled,
    unexpected,
)

IDENTIFIER = "sms_twilio"
PROVIDER = "Twilio"
DEFAULT_BASE = "https://api.twilio.com"
API = "/2010-04-01"
CREDENTIAL_LABEL = "Account SID and Auth Token"
PAGE_SIZE = 100  # messages per page of the status pull (Twilio allows up to 1000)
LOOKUP_PAGE_SIZE = 50
LOOKUP_PAGES = 5  # pages of a recipient's messages searched for a message whose answer was lost
BATCH = 200  # queued messages read from the database at a time
CONCURRENCY = 4
# Requests per second. Twilio limits concurrent REST requests per account, not a rate, and
# says a 429 "is never processed and is always safe to retry"
# (https://www.twilio.com/docs/api/errors/20429); messages queue at Twilio's own sending rate.
RATE_LIMIT = 10.0
# Statuses are followed for messages sent at most this long ago: Twilio drops a message it could
# not send within its validity period (4 hours at most), and carriers report within a few days.
LOOKBACK = timedelta(days=3)
# Margin for the difference between this computer's clock and Twilio's.
CLOCK_SKEW = timedelta(minutes=10)
# Twilio's message statuses -> Message.status.
STATUSES = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "sending",
    "sent": "sent",
    "partially_delivered": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
    "receiving": "received",
    "received": "received",
}
# Local statuses of sent messages (remote_id set) that may still change.
PENDING = ["queued", "sending", "sent"]
_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
_AUTH_TOKEN = re.compile(r"[0-9a-fA-F]{32}")
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")
_NUMBER_PUNCTUATION = re.compile(r"[\s().-]")
_CONSOLE = "Twilio Console > Account Info"
_TRIAL_PREFIX = "Sent from your Twilio trial account - "
INTERRUPTED = (
    "Sending was interrupted before Twilio answered and Twilio shows no such message, so it was "
    "not sent again (that could send it twice). Queue it again to resend it."
)
ANSWER_UNREADABLE = (
    "Twilio accepted the message but its answer could not be read, and the message was not "
    "found at Twilio either: it is kept as sent (not sent again), without a delivery status."
)
INTERRUPTED_TEST = (
    "Sending was interrupted before Twilio answered, and Twilio test credentials cannot look "
    "messages up, so it was not sent again (that could send it twice). Queue it again to resend it."
)


def _number(value):
    """A phone number without the spaces, dots, dashes and brackets people type."""
    return _NUMBER_PUNCTUATION.sub("", value or "")


def _parse_date(value):
    """Twilio's RFC 2822 date ("Wed, 18 Aug 2010 20:01:40 +0000") as naive local time."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone().replace(tzinfo=None)


def _utc_date(local):
    """The UTC calendar date (YYYY-MM-DD) of a naive local time, as Twilio's DateSent wants."""
    return local.astimezone(UTC).date().isoformat()


def _twilio_error(code, message):
    text = f"Twilio error {code}" if code is not None else "Twilio error"
    if message:
        text += f": {message}"
    if code is not None:
        text += f" (https://www.twilio.com/docs/errors/{code})"
    return text


def _is_test_credentials(exc):
    """403 20008: the credentials are Twilio's test credentials, which may only create messages."""
    detail = (exc.detail or "").lower()
    return exc.status == 403 and "test" in detail and "credential" in detail


def _json_object(response, keys=None):
    """The object Twilio answered with, read through the checked path."""
    return answer_object(response, PROVIDER, keys)


ACCOUNT_KEYS = {"sid": str, "status": str}
ACCOUNT_STATUSES = ("active", "suspended", "closed")


def _account(response):
    """Twilio's account resource, checked: its sid and a status Twilio documents."""
    account = _json_object(response, ACCOUNT_KEYS)
    if account["status"] not in ACCOUNT_STATUSES:
        raise unexpected(
            PROVIDER, "an account with a `status`", f"the account status {account['status']!r}"
        )
    return account


def _sid_of(item):
    sid = item.get("sid") if isinstance(item, dict) else None
    return sid if isinstance(sid, str) and sid else None


class TwilioIntegration(Model):
    """Twilio's credentials (company-scoped) and behaviour on the Integration model."""

    __inherit__ = "Integration"

    cron_sync_method = "sync_sms_twilio"

    twilio_account_sid = Char(
        max_length=34,
        description="Account SID",
        hint=(
            f"AC followed by 32 hexadecimal characters ({_CONSOLE}). Twilio has no sandbox "
            "switch: its test credentials are a separate Account SID and Auth Token "
            "(Console > API keys & tokens > Test credentials) that accept messages without "
            "sending them; enter them here to try the integration."
        ),
        company_scoped=True,
    )
    twilio_auth_token = Char(
        max_length=64,
        description="Auth Token",
        hint=f"32 hexadecimal characters, shown next to the Account SID ({_CONSOLE}).",
        company_scoped=True,
    )
    twilio_from_number = Char(
        max_length=34,
        description="From Number",
        hint=(
            "The Twilio number messages are sent from, in E.164 form (+ country code and "
            "number, e.g. +15005550006), or a Messaging Service SID (MG...) to let the "
            "service pick the sender."
        ),
        company_scoped=True,
        secret=False,
    )

    async def _is_twilio(self):
        await self.fetch_related("module")
        return bool(self.module and self.module.identifier == IDENTIFIER)

    # -- credentials ------------------------------------------------------------------
    @credential_rules(IDENTIFIER)
    def _twilio_credential_problems(self):
        """{field: sentence} for what is wrong in the typed credentials (no network)."""
        problems = {}
        sid = (self.twilio_account_sid or "").strip()
        if not sid:
            problems["twilio_account_sid"] = "Please enter your Twilio Account SID before enabling."
        elif sid.startswith("SK"):
            problems["twilio_account_sid"] = (
                "That is an API Key SID (SK...), not the Account SID: enter the Account SID "
                f"(AC...) and its Auth Token ({_CONSOLE})."
            )
        elif not _ACCOUNT_SID.fullmatch(sid):
            problems["twilio_account_sid"] = (
                "The Twilio Account SID is AC followed by 32 hexadecimal characters (34 in all); "
                f"copy it from the {_CONSOLE}."
            )
        token = (self.twilio_auth_token or "").strip()
        if not token:
            problems["twilio_auth_token"] = "Please enter your Twilio Auth Token before enabling."
        elif not _AUTH_TOKEN.fullmatch(token):
            problems["twilio_auth_token"] = (
                "The Twilio Auth Token is 32 hexadecimal characters; copy it again from the "
                f"{_CONSOLE}."
            )
        sender = (self.twilio_from_number or "").strip()
        if not sender:
            problems["twilio_from_number"] = (
                "Please enter the Twilio From Number (E.164, e.g. +15005550006) or a Messaging "
                "Service SID (MG...) before enabling."
            )
        elif not (_E164.fullmatch(_number(sender)) or _SERVICE_SID.fullmatch(sender)):
            problems["twilio_from_number"] = (
                "The From Number must be a phone number in E.164 form (+ country code and "
                "number, e.g. +15005550006) or a Messaging Service SID (MG followed by 32 "
                "hexadecimal characters)."
            )
        return problems

    def _twilio_sender(self):
        sender = (self.twilio_from_number or "").strip()
        return sender if sender.startswith("MG") else _number(sender)

    def _twilio_client(self):
        sid = (self.twilio_account_sid or "").strip()
        token = (self.twilio_auth_token or "").strip()
        return ProviderClient(
            provider=PROVIDER,
            base_url=api_base(IDENTIFIER, DEFAULT_BASE),
            auth=(sid, token),
            headers={"Accept": "application/json"},
            secrets=[token],
            max_concurrency=CONCURRENCY,
            rate_limit=rate_limit_for(IDENTIFIER, RATE_LIMIT),
            credential_label=CREDENTIAL_LABEL,
        )

    def _twilio_path(self, tail):
        return f"{API}/Accounts/{self.twilio_account_sid.strip()}{tail}"

    async def check_connection(self):
        if not await self._is_twilio():
            return await super().check_connection()
        problem = credential_problem(self)
        if problem:
            return ConnectionResult("rejected", problem)
        try:
            async with self._twilio_client() as api:
                account = _account(await api.get(self._twilio_path(".json")))
        except CredentialsRejected as exc:
            if _is_test_credentials(exc):
                return ConnectionResult(
                    "ok",
                    "Connected with Twilio test credentials: messages are accepted but never "
                    "delivered, and their statuses cannot be read.",
                )
            return ConnectionResult("rejected", str(exc))
        except ProviderRequestError as exc:
            return ConnectionResult("rejected", str(exc))
        except ProviderError as exc:
            return ConnectionResult("unreachable", str(exc))
        refused = _account_refusal(account)
        if refused:
            return ConnectionResult("rejected", refused)
        name = account.get("friendly_name") or account.get("sid") or "?"
        status = account.get("status") or "active"
        note = ""
        if account.get("type") == "Trial":
            note = " Trial account: messages go only to verified numbers."
        return ConnectionResult("ok", f"Connected to Twilio account {name!r} ({status}).{note}")

    # -- sync -------------------------------------------------------------------------
    async def sync_capability(self):
        if not await self._is_twilio():
            return await super().sync_capability()
        return SyncCapability(True)

    async def sync_sms_twilio(cls):
        """Cron job: sync every enabled Twilio integration."""
        return await sync_enabled(IDENTIFIER)

    async def sync_integration(self, run):
        if not await self._is_twilio():
            return await super().sync_integration(run)
        problem = credential_problem(self)
        if problem:
            raise UserError(problem)
        async with self._twilio_client() as api:
            test_credentials = await self._twilio_preflight(api)
            if run.dry_run:
                await self._twilio_preview(run, test_credentials)
                return
            if run.only is not None:
                # "Send now" of one queued message; a sent one is never sent again.
                with run.pushing():  # messages sent are the run's pushed records
                    await self._send_only(api, run)
                return
            with run.pushing():
                await self._settle_interrupted(api, run, test_credentials)
                await self._send_queued(api, run)
            if test_credentials:
                run.log(
                    "Twilio test credentials: messages are accepted but never delivered, and "
                    "statuses cannot be read with them."
                )
            else:
                await self._pull_statuses(api, run)

    async def _twilio_preflight(self, api):
        """Check the credentials before touching any message; True for test credentials."""
        try:
            account = _account(await api.get(self._twilio_path(".json")))
        except CredentialsRejected as exc:
            if _is_test_credentials(exc):
                return True
            raise
        refused = _account_refusal(account)
        if refused:
            raise UserError(refused)
        return False

    async def _get_page(self, api, path, params):
        return _json_object(await api.get(path, params=params))

    # (1) messages an interrupted run left `sending` --------------------------------------
    async def _settle_interrupted(self, api, run, test_credentials):
        Message = get_model("Message")
        leftovers = (
            await Message.filter(integration=self.id, status="sending", remote_id__isnull=True)
            .order_by("id")
            .all()
        )
        for message in leftovers:
            run.checkpoint()
            found = None
            if not test_credentials:
                since = message.status_updated or message.date_sent or datetime.now()
                found = await self._find_remote(api, message, since)
            if found is not None:
                await self._store_sent(message, found, run, "updated")
                run.log(
                    f"message #{message.id} to {message.to}: an interrupted run had sent it; "
                    f"Twilio knows it as {found['sid']}"
                )
                continue
            error = INTERRUPTED_TEST if test_credentials else INTERRUPTED
            await self._mark_failed(message, error)
            run.record_failure(f"message #{message.id} to {message.to}", error)

    async def _twilio_preview(self, run, test_credentials):
        """What a sync would do, without sending a message or saving a status."""
        Message = get_model("Message")
        leftovers = await Message.filter(
            integration=self.id, status="sending", remote_id__isnull=True
        ).count()
        if leftovers:
            run.would(f"look up {leftovers} message(s) an interrupted run may have sent, at Twilio")
        queued = Message.filter(
            Q(integration__isnull=True) | Q(integration=self.id),
            company=self.company_id,
            direction="outbound",
            status="queued",
            remote_id__isnull=True,
        )
        for message in await queued.order_by("id").all():
            run.would(f"push: would send message #{message.id} to {message.to}")
            run.count("created")
        if not test_credentials:
            waiting = await Message.filter(
                integration=self.id,
                remote_id__isnull=False,
                status__in=PENDING,
                date_sent__gte=datetime.now() - LOOKBACK,
            ).count()
            if waiting:
                run.would(f"pull: ask Twilio for the status of {waiting} sent message(s)")

    async def _find_remote(self, api, message, since):
        """The message Twilio created for `message` at or after `since`, or None.

        Searches the recipient's newest messages for one with the same body that no local
        message claims yet; the oldest such one is the answer.
        """
        Message = get_model("Message")
        sender = _number(message.sender) if message.sender else self._twilio_sender()
        params = {"To": _number(message.to), "PageSize": LOOKUP_PAGE_SIZE}
        if not sender.startswith("MG"):
            params["From"] = sender
        cutoff = since - CLOCK_SKEW
        path = self._twilio_path("/Messages.json")
        found = None
        for _ in range(LOOKUP_PAGES):
            page = _json_object(await api.get(path, params=params), {"messages": list})
            older = False
            for item in page.get("messages") or []:
                if not isinstance(item, dict) or not item.get("sid"):
                    continue
                created = _parse_date(item.get("date_created"))
                if created is not None and created < cutoff:
                    older = True
                    continue
                body = item.get("body") or ""
                # A trial account puts a notice in front of every body.
                if body != message.body and body != _TRIAL_PREFIX + (message.body or ""):
                    continue
                if not str(item.get("direction") or "").startswith("outbound"):
                    continue
                if await Message.filter(remote_id=item["sid"]).exists():
                    continue
                found = item  # newest first: keep going to end on the oldest match
            next_uri = page.get("next_page_uri")
            if older or not next_uri or not isinstance(next_uri, str) or next_uri == path:
                break
            path, params = next_uri, None
        return found

    # (2) queued messages -----------------------------------------------------------------
    async def _send_queued(self, api, run):
        Message = get_model("Message")
        queued = Message.filter(
            Q(integration__isnull=True) | Q(integration=self.id),
            company=self.company_id,
            direction="outbound",
            status="queued",
            remote_id__isnull=True,
        )
        total = await queued.count()
        run.set_total(total)
        if not total:
            return
        # One queue per worker, chosen by recipient: two messages to one number go in order.
        queues = [asyncio.Queue(maxsize=BATCH) for _ in range(CONCURRENCY)]
        fatal = []
        workers = [
            asyncio.ensure_future(self._send_worker(api, run, queue, fatal)) for queue in queues
        ]
        try:
            last_id = 0
            while not run.cancel_requested and not fatal:
                batch = await queued.filter(id__gt=last_id).order_by("id").limit(BATCH).all()
                if not batch:
                    break
                last_id = batch[-1].id
                for message in batch:
                    await queues[hash(_number(message.to)) % CONCURRENCY].put(message)
        except asyncio.CancelledError:
            # The task was cancelled (window closing): the workers are separate tasks, so stop
            # them at the next message too, or they would send everything already queued.
            run.cancel()
            raise
        finally:
            for queue in queues:
                await queue.put(None)
            results = await asyncio.gather(*workers, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        if fatal:
            raise fatal[0]
        run.checkpoint()

    async def _send_only(self, api, run):
        """Send the one message a resync names, if it is this company's and still queued."""
        only = run.only
        if only.model != "Message" or not only.local_id.isdigit():
            return  # the runner says it cannot resync that record
        Message = get_model("Message")
        message = await Message.filter(
            Q(integration__isnull=True) | Q(integration=self.id),
            id=int(only.local_id),
            company=self.company_id,
            direction="outbound",
        ).first()
        if message is None:
            return
        run.is_target("Message", message.id)
        if message.status != "queued" or message.remote_id:
            run.log(
                f"message #{message.id} to {message.to} is {message.status}: a message is sent "
                "once, never again"
            )
            run.count("skipped")
            return
        run.set_total(1)
        await self._send_one(api, run, message)  # its later statuses come with the next sync

    async def _send_worker(self, api, run, queue, fatal):
        # Workers never stop early: the producer may be waiting for room in their queue.
        while True:
            message = await queue.get()
            if message is None:
                return
            if run.cancel_requested or fatal:
                continue  # drain: stop at the record boundary, keep what is done
            try:
                await self._send_one(api, run, message)
            except (CredentialsRejected, RateLimited, ProviderUnavailable, UserError) as exc:
                fatal.append(exc)  # no point going on; the run fails with this error
            except ProviderError as exc:
                run.record_failure(f"message #{message.id} to {message.to}", exc)
            except ValidationError as exc:
                run.record_failure(f"message #{message.id} to {message.to}", exc)
            except Exception as exc:  # a bug: fail the run with it, but keep draining
                fatal.append(exc)

    async def _send_one(self, api, run, message):
        sender = _number(message.sender) if message.sender else self._twilio_sender()
        form = {"To": _number(message.to), "Body": message.body or ""}
        if sender.startswith("MG"):
            form["MessagingServiceSid"] = sender
        else:
            form["From"] = sender
        started = datetime.now()
        # Committed before the POST: if this process dies while Twilio is answering, the next
        # run finds the message `sending` and looks it up instead of sending it again.
        async with env_ctx.get().db.transaction():
            current = await type(message).filter(id=message.id).first()
            if current is None or current.status != "queued" or current.remote_id:
                run.count("skipped")  # deleted or changed since this run read it
                return
            message = current
            message.status = "sending"
            message.integration = self.id
            message.status_updated = started
            message.error = None
            message.error_code = None
            await message.save()
        path = self._twilio_path("/Messages.json")
        policy = api.retry_policy
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await api.post(path, data=form, retry=False)
                break
            except RateLimited as exc:
                # Twilio turned the request away before creating anything: safe to send again.
                if attempt >= policy.max_attempts:
                    await self._requeue(message)
                    raise
                await asyncio.sleep(policy.delay(attempt - 1, exc.retry_after))
            except ProviderUnavailable:
                # The answer was lost or was a 5xx: Twilio may have the message. Look first;
                # if this lookup fails too, the message stays `sending` for the next run.
                found = await self._find_remote(api, message, started)
                if found is not None:
                    run.log(
                        f"message #{message.id} to {message.to}: Twilio's answer was lost but "
                        f"it has the message as {found['sid']}"
                    )
                    response = found
                    break
                if attempt >= policy.max_attempts:
                    await self._requeue(message)
                    raise
                await asyncio.sleep(policy.delay(attempt - 1))
            except CredentialsRejected:
                await self._requeue(message)
                raise
            except ProviderRequestError as exc:
                # Twilio refused this message (invalid number, unsubscribed recipient, ...).
                reason = f"Twilio refused the message: {exc.detail}" if exc.detail else str(exc)
                await self._mark_failed(message, reason, code=exc.code)
                run.record_failure(f"message #{message.id} to {message.to}", exc)
                return
        if isinstance(response, dict):
            resource = response  # found by the lookup
        else:
            try:
                resource = _json_object(response, {"sid": str})
                object_id(resource["sid"], PROVIDER, "message", ("SM", "MM"))
            except (UnexpectedAnswer, BadRecord):
                # Twilio took the message (2xx) but its answer cannot be read: it must never be
                # sent again, nor shown as not sent. Find it at Twilio, else keep it as sent.
                resource = await self._find_remote(api, message, started)
                if resource is None:
                    await self._mark_unfollowed(message, run, ANSWER_UNREADABLE)
                    return
        message.date_sent = started  # when it was handed over; Twilio's own date replaces it
        await self._store_sent(message, resource, run, "created")

    async def _requeue(self, message):
        """Twilio certainly has no copy of this message: it may be sent by a later run."""
        message.status = "queued"
        message.status_updated = datetime.now()
        await message.save()

    async def _mark_unfollowed(self, message, run, reason):
        """Twilio accepted `message` but it cannot be linked: sent, never again, with why."""
        message.status = "sent"
        message.error = reason
        message.error_code = None
        message.status_updated = datetime.now()
        if not message.date_sent:
            message.date_sent = datetime.now()
        await message.save()
        run.record_failure(f"message #{message.id} to {message.to}", reason)

    async def _mark_failed(self, message, error, code=None):
        message.status = "failed"
        message.error = error
        message.error_code = code
        message.status_updated = datetime.now()
        await message.save()

    async def _store_sent(self, message, resource, run, kind):
        """Record Twilio's message for `message`, with its mapping, in one transaction."""
        sid = resource["sid"]
        Mapper = get_model("IntegrationMapper")
        taken = await owner_of(self, "Message", sid)
        if taken is not None and taken.local_id != str(message.id):
            # Twilio answered with a message id already linked to another local message: this
            # one was accepted all the same, so it is kept as sent and never sent again.
            problem = conflict(PROVIDER, "Message", message.id, sid, taken.local_id, "message")
            await self._mark_unfollowed(message, run, f"{problem}.")
            return
        async with env_ctx.get().db.transaction():
            message.remote_id = sid
            message.integration = self.id
            _apply(message, resource)
            if message.status == "sending" and not resource.get("status"):
                message.status = "queued"
            if not message.date_sent:
                message.date_sent = datetime.now()
            await message.save()
            mapping = await Mapper.filter(
                integration=self.id, model="Message", local_id=str(message.id)
            ).first()
            if mapping is None:
                await Mapper.create(
                    integration=self.id,
                    model="Message",
                    local_id=str(message.id),
                    remote_id=sid,
                    synced_at=datetime.now(),
                )
            else:
                mapping.remote_id = sid
                mapping.synced_at = datetime.now()
                await mapping.save()
        run.count(kind)

    # (3) statuses ------------------------------------------------------------------------
    async def _pull_statuses(self, api, run):
        """Read Twilio's messages sent since the oldest one still waiting for a final status."""
        Message = get_model("Message")
        floor = datetime.now() - LOOKBACK
        pending = Message.filter(
            integration=self.id,
            remote_id__isnull=False,
            status__in=PENDING,
            date_sent__gte=floor,
        )
        oldest = await pending.order_by("date_sent").first()
        if oldest is None:
            run.log("no sent message is waiting for a status")
            return
        run.set_total(None)
        # Twilio filters on the (UTC) day a message was sent; a queued message has no send date
        # yet and shows up once Twilio sends it, in a later run.
        params = {"PageSize": PAGE_SIZE, "DateSent>": _utc_date(oldest.date_sent - CLOCK_SKEW)}
        path = self._twilio_path("/Messages.json")
        pages = Pages(PROVIDER)
        while True:
            run.checkpoint()
            page = _json_object(await api.get(path, params=params), {"messages": list})
            items = [i for i in page["messages"] if _sid_of(i)]
            pages.check(path if params is None else None, [i["sid"] for i in items])
            if items:
                known = await Message.filter(
                    integration=self.id, remote_id__in=[i["sid"] for i in items]
                ).all()
                by_sid = {m.remote_id: m for m in known}
                # One short transaction per page (no network inside): one commit, not a hundred.
                async with env_ctx.get().db.transaction():
                    for item in items:
                        message = by_sid.get(item["sid"])
                        if message is None:
                            continue  # sent by something else, or received: not ours
                        try:
                            known_state(item.get("status"), STATUSES, PROVIDER)
                        except BadRecord as exc:
                            run.record_failure(f"message #{message.id} to {message.to}", exc)
                            continue
                        if _apply(message, item):
                            await message.save()
                            run.count("updated")
                        else:
                            run.count("skipped")
            next_uri = page.get("next_page_uri")
            if not next_uri or not items:
                break
            if not isinstance(next_uri, str):
                raise UnexpectedAnswer(
                    "Twilio answered with a next page that is not an address; stopped.",
                    provider=PROVIDER,
                )
            pages.more(next_uri)
            path, params = next_uri, None


def _account_refusal(account):
    status = account.get("status")
    if status in ("suspended", "closed"):
        name = account.get("friendly_name") or account.get("sid") or "?"
        return (
            f"The Twilio account {name!r} is {status}: it cannot send messages. "
            "Reactivate it in the Twilio Console or use another account."
        )
    return None


def _apply(message, item):
    """Copy Twilio's view of a message onto `message`; True if anything changed."""
    values = {}
    status = STATUSES.get(item.get("status"))
    if status is not None:
        values["status"] = status
    code = item.get("error_code")
    if code not in (None, "", 0, "0"):
        values["error_code"] = str(code)
        values["error"] = _twilio_error(code, item.get("error_message"))
    elif status in ("queued", "sending", "sent", "delivered", "received"):
        values["error_code"] = None
        values["error"] = None
    price = item.get("price")
    if isinstance(price, (str, int)) and not isinstance(price, bool) and price != "":
        try:
            # Twilio gives the charge as a negative amount, as text ("-0.00750"): exact.
            values["price"] = abs(Decimal(str(price)))
        except InvalidOperation:
            pass
    if item.get("price_unit"):
        values["price_unit"] = str(item["price_unit"])[:8]
    sent = _parse_date(item.get("date_sent"))
    if sent is not None:
        values["date_sent"] = sent
    sender = item.get("from")
    if sender and not message.sender:
        values["sender"] = str(sender)[:64]
    changed = False
    for name, value in values.items():
        if getattr(message, name) != value:
            setattr(message, name, value)
            changed = True
    if changed:
        message.status_updated = _parse_date(item.get("date_updated")) or datetime.now()
    return changed
