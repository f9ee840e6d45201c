"""payment_adyen against the fake Adyen: form, enabling, connection test, and no sync."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from ffdesk.api import open_system
from ffdesk.engine.errors import UserError
from ffdesk.services import integrations as act
from ffdesk.sync import RetryPolicy, run_sync
from ffdesk.sync.results import ConnectionUnreachable
from tests.fakes.adyen import DEFAULT_API_KEY as KEY
from tests.fakes.adyen import DEFAULT_MERCHANT as MERCHANT
from tests.fakes.adyen import FakeAdyen
from tests.helpers.database import database_url

REASON = (
    "Adyen reports payments through webhooks; there is nothing to pull, "
    "so Sync now is not available."
)
PREFIX = "1797a841fbb37ca7-AdyenDemo"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # Retries wait 0 s: the tests exercise what is retried, not how long it waits.
    monkeypatch.setattr(RetryPolicy, "backoff", lambda self, retry, rng=None: 0.0)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAdyen]:
    with FakeAdyen(seed=5) as server:
        monkeypatch.setenv("FFDESK_PAYMENT_ADYEN_API_BASE", server.url)
        yield server


@asynccontextmanager
async def adyen(tmp_path: Path) -> AsyncIterator[tuple[Any, Any]]:
    system = await open_system(database_url(tmp_path / "x.db"))
    try:
        await system.install_module("payment_adyen")
        yield system, await system.integration("payment_adyen")
    finally:
        await system.close()


async def configure(
    record: Any,
    *,
    key: str = KEY,
    merchant: str = MERCHANT,
    sandbox: bool = True,
    prefix: str | None = None,
) -> None:
    record.adyen_api_key = key
    record.adyen_merchant_account = merchant
    record.sandbox_mode = sandbox
    record.adyen_live_url_prefix = prefix
    await record.save()


def test_installs_on_its_own_without_a_cron_job(tmp_path: Path) -> None:
    async def main() -> None:
        system = await open_system(database_url(tmp_path / "x.db"))
        try:
            installed = await system.install_module("payment_adyen")
            assert "payment_adyen" in installed and "online_payment" in installed
            assert not system.is_installed("payment_stripe")
            record = await system.integration("payment_adyen")
            assert await record.get_state() == "Installed"
            assert record.integration_category == "Online Payment"
            assert not record.cron_sync_method
            CronJob = system.get_model("CronJob")
            assert not await CronJob.filter(method__icontains="adyen").exists()
            assert system.image_path("payment_adyen").endswith("adyen_logo.svg")
        finally:
            await system.close()

    asyncio.run(main())


def test_form_shows_only_adyen_fields(tmp_path: Path) -> None:
    async def main() -> None:
        async with adyen(tmp_path) as (system, record):
            await system.install_module("payment_stripe")
            form = [f for f in system.env.form(record) if f.visible]
            names = [f.name for f in form]
            assert names == [
                "name",
                "integration_category",
                "description",
                "enabled",
                "adyen_api_key",
                "adyen_merchant_account",
                "sandbox_mode",
                "adyen_live_url_prefix",
                "last_synced_date",
                "max_request_rate",
                "rate_limit_patience",
                "max_run_minutes",
            ]
            by_name = {f.name: f for f in form}
            assert by_name["adyen_api_key"].widget == "Password"
            assert by_name["adyen_api_key"].required and by_name["adyen_merchant_account"].required
            # The live prefix is required only with Sandbox Mode off.
            assert not by_name["adyen_live_url_prefix"].required
            record.sandbox_mode = False
            live = {f.name: f for f in system.env.form(record) if f.visible}
            assert live["adyen_live_url_prefix"].required
            stripe = await system.integration("payment_stripe")
            assert not any(
                f.visible and f.name.startswith("adyen_") for f in system.env.form(stripe)
            )

    asyncio.run(main())


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"key": ""}, "Please enter your Adyen API Key"),
        ({"key": "test_ABCDEF1234567890"}, "client key"),
        ({"key": "AQE abc"}, "spaces or line breaks"),
        ({"merchant": ""}, "Please enter your Adyen Merchant Account"),
        ({"merchant": "Ffdesk ECOM"}, "without spaces"),
        ({"sandbox": False}, "Live payments need the Adyen Live URL Prefix"),
        (
            {"sandbox": False, "prefix": f"https://{PREFIX}-checkout-live.adyenpayments.com/"},
            f"Enter only the Live URL Prefix \\({PREFIX}\\)",
        ),
        ({"sandbox": False, "prefix": "checkout live"}, "looks like 1797a841fbb37ca7-AdyenDemo"),
    ],
)
def test_enable_checks_the_credentials(
    tmp_path: Path, fake: FakeAdyen, values: dict[str, Any], expected: str
) -> None:
    async def main() -> None:
        async with adyen(tmp_path) as (_system, record):
            await configure(record, **values)
            with pytest.raises(UserError, match=expected):
                await act.enable(record)
            assert await record.get_state() == "Installed"
            assert (await act.test_connection(record)).outcome == "rejected"

    asyncio.run(main())
    assert fake.log == []  # refused before asking Adyen


def test_check_ok_lists_payment_methods(tmp_path: Path, fake: FakeAdyen) -> None:
    async def main() -> None:
        async with adyen(tmp_path) as (_system, record):
            await configure(record)
            result = await act.test_connection(record)
            assert result.outcome == "ok"
            assert result.message == (
                "Connected to Adyen (test platform) for merchant account FfdeskECOM: "
                "3 payment methods (Cards, iDEAL, PayPal)."
            )

    asyncio.run(main())
    (request,) = fake.requests
    assert (request.method, request.path) == ("POST", "/v71/paymentMethods")
    assert request.headers["x-api-key"] == KEY
    assert request.json == {"merchantAccount": MERCHANT}


def test_check_rejects_a_wrong_key_without_showing_it(tmp_path: Path, fake: FakeAdyen) -> None:
    wrong = "AQEwrongKey000000000000000000000000000000000000"

    async def main() -> None:
        async with adyen(tmp_path) as (_system, record):
            await configure(record, key=wrong)
            result = await act.test_connection(record)
            assert result.outcome == "rejected"
            assert "HTTP Status Response - Unauthorized" in result.message
            assert "Sandbox Mode is on" in result.message
            assert wrong not in result.message
            with pytest.raises(UserError, match="Adyen refused the API key"):
                await act.enable(record)
            assert not record.enabled

    asyncio.run(main())
    assert fake.count("POST") == 2  # a 401 is not retried


def test_check_rejects_a_merchant_account_the_key_cannot_use(
    tmp_path: Path, fake: FakeAdyen
) -> None:
    async def main() -> None:
        async with adyen(tmp_path) as (_system, record):
            await configure(record, merchant="SomeoneElseECOM")
            result = await act.test_connection(record)
            assert result.outcome == "rejected"
            assert "merchant account 'SomeoneElseECOM'" in result.message
            assert "Invalid Merchant Account" in result.message

    asyncio.run(main())


def test_check_rejects_a_credential_without_the_checkout_role(
    tmp_path: Path, fake: FakeAdyen
) -> None:
    fake.checkout_role = False

    async def main() -> None:
        async with adyen(tmp_path) as (_system, record):
            await configure(record)
            result = await act.test_connection(record)
            assert result.outcome == "rejected" and "Checkout webservice role" in result.message

    asyncio.run(main())


def test_check_unreachable_and_enable_anyway(tmp_path: Path, fake: FakeAdyen) -> None:
    fake.stop()

    async def main() -> None:
        async with adyen(tmp_path) as (_system, record):
            await configure(record)
            result = await act.test_connection(record)
            assert result.outcome == "unreachable"
            assert "Adyen could not be reached" in result.message
            with pytest.raises(ConnectionUnreachable):
                await act.enable(record)
            assert await act.enable(record, anyway=True) == "Enabled"

    asyncio.run(main())


def test_check_live_unreachable_points_at_the_prefix(tmp_path: Path, fake: FakeAdyen) -> None:
    fake.stop()

    async def main() -> None:
        async with adyen(tmp_path) as (_system, record):
            await configure(record, sandbox=False, prefix=PREFIX)
            result = await act.test_connection(record)
            assert result.outcome == "unreachable" and "Check the Live URL Prefix" in result.message

    asyncio.run(main())


def test_429_and_5xx_bursts_end_ok(tmp_path: Path, fake: FakeAdyen) -> None:
    fake.fail_next(2, 429, headers={"Retry-After": "0"})
    fake.fail_next(2, 503)

    async def main() -> None:
        async with adyen(tmp_path) as (_system, record):
            await configure(record)
            assert (await act.test_connection(record)).outcome == "ok"

    asyncio.run(main())
    assert fake.count("POST") == 5


def test_live_mode_uses_the_prefix_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FFDESK_PAYMENT_ADYEN_API_BASE", raising=False)

    async def main() -> None:
        async with adyen(tmp_path) as (_system, record):
            await configure(record)
            assert record._adyen_base_url() == "https://checkout-test.adyen.com"
            await configure(record, sandbox=False, prefix=PREFIX)
            assert record._adyen_base_url() == (
                f"https://{PREFIX}-checkout-live.adyenpayments.com/checkout"
            )

    asyncio.run(main())


def test_live_check_with_a_test_key_says_which_to_change(tmp_path: Path, fake: FakeAdyen) -> None:
    fake.api_key = "AQElive000000000000000000000000000000000000"

    async def main() -> None:
        async with adyen(tmp_path) as (_system, record):
            await configure(record, sandbox=False, prefix=PREFIX)
            result = await act.test_connection(record)
            assert result.outcome == "rejected"
            assert "Sandbox Mode is off" in result.message
            assert "test Customer Area does not work live" in result.message

    asyncio.run(main())


def test_sync_now_is_unavailable_with_the_reason(tmp_path: Path, fake: FakeAdyen) -> None:
    async def main() -> None:
        async with adyen(tmp_path) as (system, record):
            await configure(record)
            assert await act.enable(record) == "Enabled"
            capability = await record.sync_capability()
            assert not capability.available and capability.reason == REASON
            with pytest.raises(UserError) as raised:
                await run_sync(record)
            assert str(raised.value) == REASON
            assert not await system.get_model("SyncRun").filter(integration=record.id).exists()
            assert record.last_synced_date is None

    asyncio.run(main())


def test_fake_speaks_adyen_shapes(fake: FakeAdyen) -> None:
    with httpx.Client(base_url=fake.url, timeout=5) as client:
        denied = client.post("/v71/paymentMethods", json={"merchantAccount": MERCHANT})
        assert denied.status_code == 401
        assert {k: v for k, v in denied.json().items() if k != "pspReference"} == {
            "status": 401,
            "errorCode": "000",
            "message": "HTTP Status Response - Unauthorized",
            "errorType": "security",
        }
        headers = {"X-API-Key": KEY}
        missing = client.post("/v71/paymentMethods", json={}, headers=headers)
        assert missing.status_code == 422 and missing.json()["errorCode"] == "901"
        live = client.post(
            "/checkout/v70/paymentMethods",
            json={"merchantAccount": MERCHANT, "countryCode": "DE"},
            headers=headers,
        )
        assert live.status_code == 200
        assert [m["type"] for m in live.json()["paymentMethods"]] == ["scheme", "paypal"]
        unknown = client.post(
            "/v71/paymentMethods", json={"merchantAccount": MERCHANT, "foo": 1}, headers=headers
        )
        assert unknown.status_code == 422 and "foo" in unknown.json()["message"]
