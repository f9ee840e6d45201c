"""shipping_ups against the local fake UPS: install, form, enable, test, tracking, tokens."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ffdesk.api import open_system
from ffdesk.engine.errors import UserError, ValidationError
from ffdesk.engine.system import System
from ffdesk.services import integrations as actions
from ffdesk.sync import TOKEN_CACHE, RecordRef, RetryPolicy, run_sync
from tests.fakes.harness import FakeServer
from tests.fakes.ups import DEFAULT_ACCOUNT, DEFAULT_CLIENT_ID, DEFAULT_SECRET, FakeUps
from tests.helpers.database import database_url

ID = "shipping_ups"
FAST = {"Retry-After": "0"}  # injected 429/5xx answers ask for an immediate retry
TRACK = "/api/track/v1/details/"


@pytest.fixture
def ups(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeUps]:
    with FakeUps(seed=5) as fake:
        monkeypatch.setenv("FFDESK_SHIPPING_UPS_API_BASE", fake.url)
        monkeypatch.setenv("FFDESK_SHIPPING_UPS_RATE_LIMIT", "0")
        yield fake


async def opened(tmp_path: Path, *modules: str) -> System:
    system = await open_system(database_url(tmp_path / "x.db"))
    for identifier in modules:
        await system.install_module(identifier)
    return system


async def configured(system: System, *, enable: bool = True, **values: Any) -> Any:
    record = await system.integration(ID)
    record.ups_client_id = values.pop("client_id", DEFAULT_CLIENT_ID)
    record.ups_client_secret = values.pop("secret", DEFAULT_SECRET)
    record.ups_account_number = values.pop("account", DEFAULT_ACCOUNT)
    for name, value in values.items():
        setattr(record, name, value)
    await record.save()
    if enable:
        assert await actions.enable(record) == "Enabled"
    return record


async def shipments(system: System, *numbers: str) -> list[Any]:
    Shipment = system.get_model("Shipment")
    return [await Shipment.create(tracking_number=n, company=system.env.cid) for n in numbers]


async def by_number(system: System) -> dict[str, Any]:
    Shipment = system.get_model("Shipment")
    return {s.tracking_number: s for s in await Shipment.all().all()}


def tracked(fake: FakeUps) -> list[str]:
    with fake.lock:
        return [p[len(TRACK) :] for m, p in fake.log if p.startswith(TRACK)]


# -- install and form ----------------------------------------------------------------------


def test_installs_with_only_its_dependencies(tmp_path: Path) -> None:
    async def scenario() -> None:
        system = await opened(tmp_path)
        try:
            assert await system.install_module(ID) == [ID]
            for other in ("online_payment", "contacts", "messaging", "payment_paypal"):
                assert not system.is_installed(other)
            record = await system.integration(ID)
            assert record.integration_category == "Shipping"
            assert record.cron_sync_method == "sync_shipping_ups"
            job = await system.get_model("CronJob").filter(identifier="shipping_ups_sync").get()
            assert (job.model, job.method) == ("Integration", "sync_shipping_ups")
            Shipment = system.get_model("Shipment")
            shipment = await Shipment.create(tracking_number="1Z999AA10123456784")
            assert (shipment.carrier, shipment.status) == ("UPS", "Unknown")
            UiView = system.get_model("UiView")
            views = {v.identifier for v in await UiView.filter(model="Shipment").all()}
            assert views == {"shipment_list_view", "shipment_form_view"}
        finally:
            await system.close()

    asyncio.run(scenario())


def test_form_shows_only_ups_fields(tmp_path: Path) -> None:
    async def scenario() -> None:
        system = await opened(tmp_path, ID, "payment_paypal", "payment_stripe")
        try:
            record = await system.integration(ID)
            visible = [f.name for f in system.env.form(record) if f.visible]
            assert visible == [
                "name",
                "integration_category",
                "description",
                "enabled",
                "ups_client_id",
                "ups_client_secret",
                "ups_account_number",
                "sandbox_mode",
                "last_synced_date",
                "max_request_rate",
                "rate_limit_patience",
                "max_run_minutes",
            ]
            form = {f.name: f for f in system.env.form(record) if f.visible}
            assert form["ups_client_secret"].widget == "Password"
            assert all(form[n].required for n in visible if n.startswith("ups_"))
            for other in ("payment_paypal", "payment_stripe"):
                rec = await system.integration(other)
                names = {f.name for f in system.env.form(rec) if f.visible}
                assert not {n for n in names if n.startswith("ups_")}
        finally:
            await system.close()

    asyncio.run(scenario())


def test_tracking_numbers_are_normalised_and_unique_per_company(tmp_path: Path) -> None:
    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            (shipment,) = await shipments(system, " 1z 999 aa1 01 2345 6784 ")
            assert shipment.tracking_number == "1Z999AA10123456784"
            with pytest.raises(ValidationError):
                await shipments(system, "1Z999AA10123456784")
            other = await system.add_company("Other Ltd")
            Shipment = system.get_model("Shipment")
            await Shipment.create(tracking_number="1Z999AA10123456784", company=other.id)
        finally:
            await system.close()

    asyncio.run(scenario())


# -- enable validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"client_id": "", "secret": "", "account": ""}, "Please enter your UPS Client ID"),
        ({"secret": ""}, "Please enter your UPS Client Secret before enabling."),
        ({"account": ""}, "Please enter your UPS account number before enabling."),
        ({"client_id": "abc"}, "The UPS Client ID looks incomplete"),
        ({"secret": "abc def ghi jkl mno pqr"}, "The UPS Client Secret looks incomplete"),
        ({"secret": DEFAULT_CLIENT_ID}, "The UPS Client ID and Client Secret are the same"),
        ({"account": "12345"}, "The UPS account number is the 6-character shipper number"),
        ({"account": "A1-B2C"}, "The UPS account number is the 6-character shipper number"),
    ],
)
def test_enable_validates_credentials(
    tmp_path: Path, ups: FakeUps, values: dict[str, Any], message: str
) -> None:
    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            record = await configured(system, enable=False, **values)
            with pytest.raises(UserError) as caught:
                await actions.enable(record)
            assert message in str(caught.value)
            assert await record.get_state() == "Installed"
            assert ups.token_requests == 0
        finally:
            await system.close()

    asyncio.run(scenario())


# -- connection test -------------------------------------------------------------------------


def test_check_connection_ok_rejected_unreachable(
    tmp_path: Path, ups: FakeUps, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "WrongButPlausibleSecret000000000000000000"

    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            record = await configured(system, enable=False)
            result = await actions.test_connection(record)
            assert result.outcome == "ok"
            assert result.message == "Connected to UPS (the CIE test environment)."
            assert ups.merchant_ids == [DEFAULT_ACCOUNT]

            record.ups_client_id = "SomeOtherClientId00000000000000"
            await record.save()
            result = await actions.test_connection(record)
            assert result.outcome == "rejected"
            assert "UPS rejected the credentials: ClientId is Invalid" in result.message

            record.ups_client_id = DEFAULT_CLIENT_ID
            record.ups_client_secret = wrong
            await record.save()
            result = await actions.test_connection(record)
            assert result.outcome == "rejected" and wrong not in result.message

            record.ups_client_secret = DEFAULT_SECRET
            record.ups_account_number = "Z9Z9Z9"
            await record.save()
            result = await actions.test_connection(record)
            assert result.outcome == "rejected"
            assert "Blocked Merchant" in result.message

            record.ups_account_number = DEFAULT_ACCOUNT
            await record.save()
            ups.fail_next(5, 500, headers=FAST, path_prefix="/security")
            result = await actions.test_connection(record)
            assert result.outcome == "unreachable" and "HTTP 500" in result.message

            monkeypatch.setattr(RetryPolicy, "backoff", lambda self, retry, rng=None: 0.0)
            closed = FakeServer().start()
            url = closed.url
            closed.stop()
            monkeypatch.setenv("FFDESK_SHIPPING_UPS_API_BASE", url)
            result = await actions.test_connection(record)
            assert result.outcome == "unreachable" and "could not connect" in result.message
        finally:
            await system.close()

    asyncio.run(scenario())


# -- tracking --------------------------------------------------------------------------------


def test_sync_refreshes_tracking_and_maps_shipments(tmp_path: Path, ups: FakeUps) -> None:
    ups.add_package("1Z0000000000000001", ("label",))
    ups.add_package("1Z0000000000000002", ("label", "pickup", "transit"), city="LOUISVILLE",
                    state="KY")  # fmt: skip
    ups.add_package("1Z0000000000000003", ("label", "transit", "out_for_delivery"))
    ups.add_package("1Z0000000000000004", ("label", "transit", "exception"))
    delivered = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    ups.add_package("1Z0000000000000005", ("label", "transit", "delivered"),
                    start=delivered - timedelta(hours=2))  # fmt: skip

    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            numbers = [f"1Z000000000000000{i}" for i in range(1, 7)]  # the 6th is unknown
            await shipments(system, *numbers)
            record = await configured(system)
            outcome = await run_sync(record)
            assert outcome.state == "done", outcome.error
            assert (outcome.created, outcome.updated, outcome.failed) == (0, 5, 1)
            run = await system.get_model("SyncRun").get(outcome.run_id)
            assert any(
                "1Z0000000000000006: Tracking Information Not Found" in line for line in run.log
            )
            await record.refresh()
            assert record.last_synced_date is None  # a failed shipment: not a clean run

            found = await by_number(system)
            statuses = {n: s.status for n, s in found.items()}
            assert statuses == {
                numbers[0]: "Label Created",
                numbers[1]: "In Transit",
                numbers[2]: "Out for Delivery",
                numbers[3]: "Exception",
                numbers[4]: "Delivered",
                numbers[5]: "Unknown",
            }
            transit = found[numbers[1]]
            assert transit.last_event == "Departed from Facility"
            assert transit.status_description == "Departed from Facility"
            assert transit.last_location == "LOUISVILLE, KY, US"
            assert transit.service == "UPS Ground"
            assert transit.last_event_date is not None and transit.tracked_at is not None
            assert transit.integration_id == record.id
            done = found[numbers[4]]
            local = delivered.astimezone().replace(tzinfo=None)
            assert done.delivered_date == local and done.last_event_date == local
            assert found[numbers[0]].delivered_date is None
            assert found[numbers[5]].integration_id is None

            Mapper = system.get_model("IntegrationMapper")
            mappings = await Mapper.filter(integration=record.id, model="Shipment").all()
            assert {m.remote_id: int(m.local_id) for m in mappings} == {
                n: found[n].id for n in numbers[:5]
            }
            with ups.lock:
                requests = [r for r in ups.requests if r.path.startswith(TRACK)]
            assert {r.headers.get("transactionsrc") for r in requests} == {"ffdesk"}
            trans_ids = [r.headers.get("transid") for r in requests]
            assert len(set(trans_ids)) == len(trans_ids) == 6
            assert all(len(t) <= 32 for t in trans_ids)
            assert {r.arg("locale") for r in requests} == {"en_US"}
        finally:
            await system.close()

    asyncio.run(scenario())


def test_second_run_skips_delivered_and_unchanged(tmp_path: Path, ups: FakeUps) -> None:
    ups.add_package("1Z0000000000000001", ("label", "transit"))
    ups.add_package("1Z0000000000000002", ("label", "transit", "delivered"))
    ups.add_package("1Z0000000000000003", ("label",))

    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            numbers = ["1Z0000000000000001", "1Z0000000000000002", "1Z0000000000000003"]
            await shipments(system, *numbers)
            record = await configured(system)
            first = await run_sync(record)
            assert (first.updated, first.failed) == (3, 0)
            await record.refresh()
            assert record.last_synced_date is not None

            ups.clear_log()
            second = await run_sync(record)
            assert second.state == "done"
            assert (second.created, second.updated, second.skipped) == (0, 0, 2)
            assert sorted(tracked(ups)) == [numbers[0], numbers[2]]  # not the delivered one

            ups.scan(numbers[0], "out_for_delivery")
            third = await run_sync(record)
            assert (third.updated, third.skipped) == (1, 1)
            assert (await by_number(system))[numbers[0]].status == "Out for Delivery"
            Mapper = system.get_model("IntegrationMapper")
            assert await Mapper.filter(integration=record.id).count() == 3
        finally:
            await system.close()

    asyncio.run(scenario())


# -- tokens ----------------------------------------------------------------------------------


def test_token_is_cached_and_renewed_once_for_concurrent_calls(
    tmp_path: Path, ups: FakeUps, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = [f"1Z00000000000001{i:02d}" for i in range(12)]
    for number in numbers:
        ups.add_package(number, ("label", "transit"))

    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            await shipments(system, *numbers)
            record = await configured(system)
            TOKEN_CACHE.clear()
            clock = [5000.0]
            monkeypatch.setattr(TOKEN_CACHE, "clock", lambda: clock[0])
            before = ups.token_requests

            outcome = await run_sync(record)  # 12 tracking calls, one token
            assert (outcome.state, outcome.updated) == ("done", 12)
            assert ups.token_requests == before + 1
            assert len(tracked(ups)) == 12

            await run_sync(record)
            assert ups.token_requests == before + 1  # still cached

            ups.expire_tokens()  # every concurrent call gets 401; one renewal serves them all
            outcome = await run_sync(record)
            assert (outcome.state, outcome.skipped, outcome.failed) == ("done", 12, 0)
            assert ups.token_requests == before + 2

            clock[0] += ups.token_lifetime  # past its lifetime here: renewed before use
            mark = len(ups.log)
            outcome = await run_sync(record)
            assert outcome.state == "done"
            assert ups.token_requests == before + 3
            assert ups.log[mark][1] == "/security/v1/oauth/token"
            assert all(m == DEFAULT_ACCOUNT for m in ups.merchant_ids)
        finally:
            await system.close()

    asyncio.run(scenario())


# -- resilience ------------------------------------------------------------------------------


def test_rate_limits_and_server_errors_are_retried(tmp_path: Path, ups: FakeUps) -> None:
    ups.add_package("1Z0000000000000001", ("label", "transit"))
    ups.add_package("1Z0000000000000002", ("label",))

    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            await shipments(system, "1Z0000000000000001", "1Z0000000000000002")
            record = await configured(system)
            TOKEN_CACHE.clear()
            ups.fail_next(1, 503, headers=FAST, path_prefix="/security")
            ups.fail_next(2, 429, headers=FAST, path_prefix=TRACK)
            ups.fail_next(2, 500, headers=FAST, path_prefix=TRACK)
            outcome = await run_sync(record)
            assert (outcome.state, outcome.updated, outcome.failed) == ("done", 2, 0)
            assert ups.pending_faults == 0
        finally:
            await system.close()

    asyncio.run(scenario())


def test_provider_down_fails_the_run(tmp_path: Path, ups: FakeUps) -> None:
    ups.add_package("1Z0000000000000001", ("label",))

    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            await shipments(system, "1Z0000000000000001")
            record = await configured(system)
            ups.fail_next(5, 503, headers=FAST, path_prefix=TRACK)
            outcome = await run_sync(record)
            assert outcome.state == "failed"
            assert outcome.error.startswith("UPS could not be reached: HTTP 503")
        finally:
            await system.close()

    asyncio.run(scenario())


def test_rejected_credentials_fail_the_run_without_the_secret(tmp_path: Path, ups: FakeUps) -> None:
    wrong = "WrongButPlausibleSecret000000000000000000"
    ups.add_package("1Z0000000000000001", ("label",))

    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            await shipments(system, "1Z0000000000000001")
            record = await configured(system)
            record.ups_client_secret = wrong
            await record.save()
            outcome = await run_sync(record)
            assert outcome.state == "failed"
            assert outcome.error == (
                "UPS rejected the credentials: Invalid Credentials. "
                "Check the UPS Client ID, Client Secret and account number."
            )
            run = await system.get_model("SyncRun").get(outcome.run_id)
            for text in [run.error, *run.log]:
                assert wrong not in text and DEFAULT_SECRET not in text
            assert (await by_number(system))["1Z0000000000000001"].status == "Unknown"
        finally:
            await system.close()

    asyncio.run(scenario())


def test_cron_method_syncs_enabled_integrations(tmp_path: Path, ups: FakeUps) -> None:
    ups.add_package("1Z0000000000000001", ("label", "delivered"))

    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            await shipments(system, "1Z0000000000000001")
            Integration = system.get_model("Integration")
            assert await Integration.sync_shipping_ups() == []
            await configured(system)
            (outcome,) = await Integration.sync_shipping_ups()
            assert (outcome.state, outcome.updated) == ("done", 1)
            assert (await by_number(system))["1Z0000000000000001"].status == "Delivered"
        finally:
            await system.close()

    asyncio.run(scenario())


def test_preview_and_resync_of_one_shipment(tmp_path: Path, ups: FakeUps) -> None:
    numbers = ["1Z0000000000000001", "1Z0000000000000002"]
    ups.add_package(numbers[0], ("label", "transit", "delivered"))
    ups.add_package(numbers[1], ("label",))

    async def scenario() -> None:
        system = await opened(tmp_path, ID)
        try:
            first, second = await shipments(system, *numbers)
            record = await configured(system)
            # A preview reads the tracking and says what it would change; it stores nothing.
            preview = await run_sync(record, dry_run=True)
            assert preview.dry_run and preview.updated == 2
            assert any(
                line.startswith(f"pull: would update shipment {numbers[0]} (")
                and "Delivered" in line
                for line in preview.preview
            )
            assert (await by_number(system))[numbers[0]].status != "Delivered"
            assert await system.get_model("SyncRun").count() == 0
            assert await system.get_model("IntegrationMapper").count() == 0

            assert (await run_sync(record)).updated == 2
            # Delivered: no longer tracked by a sync, but a resync of it asks UPS again.
            ups.clear_log()
            again = await run_sync(record, only=RecordRef("Shipment", str(first.id)))
            assert again.succeeded and again.skipped == 1
            assert tracked(ups) == [numbers[0]]
            assert second.id != first.id
        finally:
            await system.close()

    asyncio.run(scenario())
