"""UPS fields, credential checks, connection test (OAuth2 token) and shipment tracking."""

import asyncio
import os
import uuid
from datetime import UTC
from urllib.parse import quote

from ffdesk.engine.base import *
from ffdesk.sync import (
    ClientCredentialsSession,
    ConnectionResult,
    CredentialsRejected,
    ProviderError,
    ProviderRequestError,
    RateLimiter,
    SyncCapability,
    api_base,
    credential_problem,
    credential_rules,
    sync_enabled,
    unexpected,
)

IDENTIFIER = "shipping_ups"
PROVIDER = "UPS"
TEST_BASE = "https://wwwcie.ups.com"  # Customer Integration Environment
LIVE_BASE = "https://onlinetools.ups.com"
TOKEN_PATH = "/security/v1/oauth/token"
TRACK_PATH = "/api/track/v1/details/"
TRANSACTION_SRC = "ffdesk"
CREDENTIAL_LABEL = "UPS Client ID, Client Secret and account number"
CARRIER = "UPS"
# Requests per second. UPS publishes no figure for its OAuth APIs (developer.ups.com/api/
# reference, Tracking API: none given): stay modest; 429s lower it at once.
RATE_LIMIT = 10.0
CONCURRENCY = 8
BATCH = 32  # shipments tracked concurrently before their results are stored
MIN_ID_LENGTH = 20
# UPS activity status types: M manifest (label created), MV manifest voided, P pickup,
# I in transit, O out for delivery, W warehousing, DO/DD delivered to an origin/destination
# freight station, D delivered, X exception, RS returned to shipper, NA not available.
STATUS_TYPES = {
    "M": "Label Created",
    "MV": "Exception",
    "P": "In Transit",
    "I": "In Transit",
    "W": "In Transit",
    "DO": "In Transit",
    "DD": "In Transit",
    "O": "Out for Delivery",
    "D": "Delivered",
    "X": "Exception",
    "RS": "Exception",
    "NA": "Unknown",
}


class _NotTracked(Exception):
    """UPS has no tracking for this number (yet); the shipment fails, the run goes on."""


def _rate_limit():
    configured = os.environ.get("FFDESK_SHIPPING_UPS_RATE_LIMIT")
    rate = float(configured) if configured else RATE_LIMIT
    return RateLimiter(rate) if rate > 0 else None


class _UpsApi(ClientCredentialsSession):
    """One sync's (or test's) connection: the shared OAuth2 token and the Track API calls.

    A call answered 401 gets a new token and is sent once more; concurrent calls share one
    renewal. A second 401 is the error.
    """

    async def track(self, number):
        """The first package of UPS's tracking answer for `number`."""
        headers = {"transId": uuid.uuid4().hex, "transactionSrc": TRANSACTION_SRC}
        params = {
            "locale": "en_US",
            "returnSignature": "false",
            "returnMilestones": "false",
            "returnPOD": "false",
        }
        try:
            body = await self.get_json(TRACK_PATH + quote(number, safe=""), params, headers)
        except ProviderRequestError as exc:
            # 404 "Tracking Information Not Found", 400 invalid inquiry number: this
            # shipment's problem, not the run's.
            raise _NotTracked(exc.detail or str(exc)) from None
        track = body.get("trackResponse")
        shipments = track.get("shipment") if isinstance(track, dict) else None
        if not isinstance(shipments, list):
            raise unexpected(
                PROVIDER, "an object with `trackResponse.shipment`", "no shipment list"
            )
        shipment = shipments[0] if shipments and isinstance(shipments[0], dict) else {}
        packages = shipment.get("package") or []
        if not isinstance(packages, list):
            packages = []
        if not packages or not isinstance(packages[0], dict):
            warnings = [
                _text(w.get("message")) or _text(w.get("code"))
                for w in shipment.get("warnings") or []
                if isinstance(w, dict)
            ]
            raise _NotTracked("; ".join(w for w in warnings if w) or "UPS sent no package")
        package = packages[0]
        asked = _normalized(number)
        answered = _normalized(package.get("trackingNumber") or shipment.get("inquiryNumber"))
        if answered != asked:
            # An answer for another parcel must never be written onto this one.
            raise _NotTracked(
                f"UPS answered with tracking for {answered or 'no tracking number'} instead of "
                f"{asked}, so nothing was stored"
            )
        return package


def _obj(value):
    """`value` if it is an object, else an empty one: a malformed part reads as missing."""
    return value if isinstance(value, dict) else {}


def _normalized(number):
    """A tracking number as shipments store it: no spaces, capitals."""
    return "".join(number.split()).upper() if isinstance(number, str) else None


def _text(value):
    return value.strip() if isinstance(value, str) and value.strip() else None


def _ups_moment(day, clock, offset=None):
    """`20240410` + `132500` (or `13:25:00`) as a datetime; aware when `offset` is given."""
    day = _text(day)
    if not day or len(day) != 8 or not day.isdigit():
        return None
    clock = (_text(clock) or "000000").replace(":", "").zfill(6)[:6]
    if not clock.isdigit():
        clock = "000000"
    try:
        moment = datetime(
            int(day[:4]), int(day[4:6]), int(day[6:]), int(clock[:2]), int(clock[2:4]),
            int(clock[4:]),
        )  # fmt: skip
    except ValueError:
        return None
    if offset is not None:
        moment = moment.replace(tzinfo=offset)
    return moment


def _activity_moment(activity):
    """When an activity happened: from its GMT date and time (as local time), else as UPS
    wrote it in the time zone of the place it happened."""
    utc = _ups_moment(activity.get("gmtDate"), activity.get("gmtTime"), UTC)
    if utc is not None:
        return utc.astimezone().replace(tzinfo=None)
    return _ups_moment(activity.get("date"), activity.get("time"))


def _location(activity):
    address = _obj(_obj(activity.get("location")).get("address"))
    parts = [
        _text(address.get("city")),
        _text(address.get("stateProvince")),
        _text(address.get("countryCode")) or _text(address.get("country")),
    ]
    return ", ".join(p for p in parts if p) or None


def _status(current, latest):
    """Our status from UPS's current status (or latest activity) type and wording."""
    kind = _text(current.get("type")) or _text(_obj(latest.get("status")).get("type"))
    words = " ".join(
        t
        for t in (
            _text(current.get("simplifiedTextDescription")),
            _text(current.get("description")),
            _text(_obj(latest.get("status")).get("description")),
        )
        if t
    ).lower()
    status = STATUS_TYPES.get((kind or "").upper(), "Unknown")
    if status == "In Transit" and "out for delivery" in words:
        status = "Out for Delivery"
    if status == "Unknown" and "delivered" in words and "not delivered" not in words:
        status = "Delivered"
    return status


def _delivered(package, latest, latest_moment):
    """When the package was delivered: the delivery scan, else UPS's delivery date and time
    (written in the time zone of the place of delivery)."""
    if latest_moment is not None and _obj(latest.get("status")).get("type") == "D":
        return latest_moment
    day = None
    dates = package.get("deliveryDate")
    for entry in dates if isinstance(dates, list) else []:
        if isinstance(entry, dict) and entry.get("type") == "DEL":
            day = entry.get("date")
    times = _obj(package.get("deliveryTime"))
    clock = times.get("endTime") if times.get("type") == "DEL" else None
    return _ups_moment(day, clock) or latest_moment


def shipment_values(package):
    """Shipment field values from one package of UPS's tracking answer."""
    found = package.get("activity")
    activities = [a for a in found if isinstance(a, dict)] if isinstance(found, list) else []
    latest = activities[0] if activities else {}  # UPS lists the most recent first
    current = _obj(package.get("currentStatus"))
    status = _status(current, latest)
    latest_moment = _activity_moment(latest) if latest else None
    description = (
        _text(current.get("description"))
        or _text(current.get("simplifiedTextDescription"))
        or _text(_obj(latest.get("status")).get("description"))
    )
    delivered = _delivered(package, latest, latest_moment) if status == "Delivered" else None
    service = _text(_obj(package.get("service")).get("description"))
    return {
        "status": status,
        "status_description": description[:255] if description else None,
        "last_event": _text(_obj(latest.get("status")).get("description")),
        "last_event_date": latest_moment,
        "last_location": _location(latest) if latest else None,
        "delivered_date": delivered,
        "service": service[:100] if service else None,
    }


class UpsIntegration(Model):
    """UPS's credentials (company-scoped) and behaviour on the Integration model."""

    __inherit__ = "Integration"

    ups_client_id = Char(
        max_length=255,
        description="Client ID",
        hint="The Client ID of your app at developer.ups.com > My Apps.",
        company_scoped=True,
    )
    ups_client_secret = Char(
        max_length=255,
        description="Client Secret",
        hint="The Client Secret of the same app.",
        company_scoped=True,
    )
    ups_account_number = Char(
        max_length=32,
        description="Account Number",
        hint="Your 6-character UPS account (shipper) number, linked to the app.",
        company_scoped=True,
        secret=False,
    )
    sandbox_mode = Boolean(
        description="Sandbox Mode",
        hint="On: test keys and test data. Off: live keys and real payments.",
        default=True,
    )

    async def _is_ups(self):
        await self.fetch_related("module")
        return bool(self.module and self.module.identifier == IDENTIFIER)

    # -- credentials ------------------------------------------------------------------
    @credential_rules(IDENTIFIER)
    def _ups_credential_problems(self):
        """{field: sentence} for what is wrong in the typed credentials (no network)."""
        problems = {}
        client_id = (self.ups_client_id or "").strip()
        secret = (self.ups_client_secret or "").strip()
        account = (self.ups_account_number or "").strip()
        where = "developer.ups.com > My Apps"
        if not client_id:
            problems["ups_client_id"] = "Please enter your UPS Client ID before enabling."
        if not secret:
            problems["ups_client_secret"] = "Please enter your UPS Client Secret before enabling."
        if not account:
            problems["ups_account_number"] = "Please enter your UPS account number before enabling."
        if client_id and (len(client_id) < MIN_ID_LENGTH or any(c.isspace() for c in client_id)):
            problems["ups_client_id"] = (
                "The UPS Client ID looks incomplete: it is a long string of letters and digits "
                f"without spaces. Copy it again from {where}."
            )
        if secret and (len(secret) < MIN_ID_LENGTH or any(c.isspace() for c in secret)):
            problems["ups_client_secret"] = (
                "The UPS Client Secret looks incomplete: it is a long string of letters and "
                f"digits without spaces. Copy it again from {where}."
            )
        elif secret and client_id == secret:
            problems["ups_client_secret"] = (
                "The UPS Client ID and Client Secret are the same: paste the Client Secret of "
                f"the app ({where}) into the Client Secret field."
            )
        if account and (len(account) != 6 or not account.isalnum() or not account.isascii()):
            problems["ups_account_number"] = (
                "The UPS account number is the 6-character shipper number (letters and digits, "
                "e.g. A1B2C3) shown on your UPS invoices and at ups.com > Account Summary."
            )
        return problems

    def _ups_api(self):
        account = (self.ups_account_number or "").strip().upper()
        return _UpsApi(
            provider=PROVIDER,
            base_url=api_base(IDENTIFIER, TEST_BASE if self.sandbox_mode else LIVE_BASE),
            token_path=TOKEN_PATH,
            client_id=(self.ups_client_id or "").strip(),
            secret=(self.ups_client_secret or "").strip(),
            key_extra=[account],
            headers={"Accept": "application/json"},
            token_headers={"x-merchant-id": account},
            credential_label=CREDENTIAL_LABEL,
            rate_limit=_rate_limit(),
            max_concurrency=CONCURRENCY,
        )

    def record_dashboard_url(self, record, remote_id):
        if not (self.module and self.module.identifier == IDENTIFIER):
            return super().record_dashboard_url(record, remote_id)
        # UPS's public tracking page takes the number as `tracknum`
        # (https://www.ups.com/track?loc=en_US&tracknum=1Z...), the link UPS prints in its
        # shipment e-mails.
        number = getattr(record, "tracking_number", None) if record._name == "Shipment" else None
        if not number:
            return None
        return f"https://www.ups.com/track?loc=en_US&tracknum={quote(str(number), safe='')}"

    async def check_connection(self):
        if not await self._is_ups():
            return await super().check_connection()
        problem = credential_problem(self)
        if problem:
            return ConnectionResult("rejected", problem)
        where = "the CIE test environment" if self.sandbox_mode else "production"
        try:
            async with self._ups_api() as api:
                # Always a new token: the test is that UPS accepts these credentials now.
                await api.token(fresh=True)
        except CredentialsRejected as exc:
            return ConnectionResult("rejected", str(exc))
        except ProviderRequestError as exc:
            return ConnectionResult("rejected", str(exc))
        except ProviderError as exc:
            return ConnectionResult("unreachable", str(exc))
        return ConnectionResult("ok", f"Connected to UPS ({where}).")

    # -- sync -------------------------------------------------------------------------
    async def sync_capability(self):
        if not await self._is_ups():
            return await super().sync_capability()
        return SyncCapability(True)

    async def sync_shipping_ups(cls):
        """Cron job: refresh the tracking of every enabled UPS integration."""
        return await sync_enabled(IDENTIFIER)

    async def sync_integration(self, run):
        if not await self._is_ups():
            return await super().sync_integration(run)
        problem = credential_problem(self)
        if problem:
            raise UserError(problem)
        async with self._ups_api() as api:
            await self._refresh_ups_tracking(api, run)

    def _ups_shipments(self):
        """This company's UPS shipments not yet delivered (ours, or not yet tracked by anyone)."""
        Shipment = get_model("Shipment")
        return Shipment.filter(
            Q(integration=self.id) | Q(integration__isnull=True),
            company=self.company_id,
            carrier=CARRIER,
            status__neq="Delivered",
        )

    async def _refresh_ups_tracking(self, api, run):
        shipments = self._ups_shipments()
        if not run.wants("Shipment"):
            return
        if run.only is not None:  # resync one shipment, delivered or not
            Shipment = get_model("Shipment")
            local_id = run.only.local_id
            shipments = Shipment.filter(
                Q(integration=self.id) | Q(integration__isnull=True),
                company=self.company_id,
                carrier=CARRIER,
                id=int(local_id) if local_id.isdigit() else -1,
            )
            for shipment in await shipments.all():
                run.is_target("Shipment", shipment.id)
        run.set_total(await shipments.count())
        last_id = 0
        while True:
            run.checkpoint()
            batch = await shipments.filter(id__gt=last_id).order_by("id").limit(BATCH).all()
            if not batch:
                break
            last_id = batch[-1].id
            results = await asyncio.gather(
                *(api.track(s.tracking_number) for s in batch), return_exceptions=True
            )
            fatal = None
            for shipment, result in zip(batch, results, strict=True):
                if isinstance(result, _NotTracked):
                    run.record_failure(
                        f"shipment {shipment.tracking_number}",
                        result,
                        record=("Shipment", shipment.id),
                    )
                elif isinstance(result, BaseException):
                    # Credentials refused, UPS down, rate limit: the run stops with this error
                    # after keeping what the other calls of the batch brought.
                    fatal = fatal or result
                else:
                    run.checkpoint()
                    try:
                        await self._store_ups_tracking(shipment, result, run)
                    except ValidationError as exc:
                        run.record_failure(
                            f"shipment {shipment.tracking_number}",
                            exc,
                            record=("Shipment", shipment.id),
                        )
                    else:
                        run.record_synced("Shipment", shipment.id)
            if fatal is not None:
                raise fatal
        run.checkpoint()

    async def _store_ups_tracking(self, shipment, package, run):
        Mapper = get_model("IntegrationMapper")
        values = shipment_values(package)
        values["integration"] = self.id
        stored = shipment.read_values()
        changed = {k: v for k, v in values.items() if stored.get(k) != v}
        if run.dry_run:
            if changed.keys() - {"integration"}:
                what = ", ".join(f"{k} -> {v!r}" for k, v in changed.items() if k != "integration")
                run.would(f"pull: would update shipment {shipment.tracking_number} ({what})")
                run.count("updated")
            else:
                run.count("skipped")
            return
        mapping = await Mapper.filter(
            integration=self.id, model="Shipment", local_id=str(shipment.id)
        ).first()
        now = datetime.now().replace(microsecond=0)
        async with env_ctx.get().db.transaction():
            for name, value in changed.items():
                setattr(shipment, name, value)
            shipment.tracked_at = now
            await shipment.save()
            if mapping is None:
                await Mapper.create(
                    integration=self.id,
                    model="Shipment",
                    local_id=str(shipment.id),
                    remote_id=shipment.tracking_number,
                    synced_at=now,
                )
            else:
                if mapping.remote_id != shipment.tracking_number:
                    mapping.remote_id = shipment.tracking_number
                mapping.synced_at = now
                await mapping.save()
        if changed.keys() - {"integration"}:
            if "status" in changed:
                run.log(f"{shipment.tracking_number}: {values['status']}")
            run.count("updated")
        else:
            run.count("skipped")
