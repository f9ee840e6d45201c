"""Issue 9.3: each pulled object is checked; a bad one fails with its reason, and is not stored."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ffdesk.sync import RunState
from tests.fakes import paypal, stripe, ups
from tests.fakes.mollie import FakeMollie
from tests.helpers.provider_env import ProviderEnv, provider_env
from tests.helpers.providers import SCENARIOS, STRIPE_KEY, enabled

BY_ID = {s.identifier: s for s in SCENARIOS}


async def log_of(env: ProviderEnv, run_id: int) -> str:
    run = await env.model("SyncRun").get(run_id)
    return "\n".join(run.log or [])


def test_stripe_intents_with_junk_values_fail_one_by_one_and_are_not_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def run() -> None:
        with stripe.FakeStripe(secret_key=STRIPE_KEY, seed=4) as fake:
            good = fake.add_payment_intent(amount=1999, currency="usd")
            yen = fake.add_payment_intent(amount=1999, currency="jpy")
            bad: dict[str, tuple[dict[str, Any], str]] = {}
            for change, reason in [
                ({"currency": "string"}, "Stripe sent the currency 'string', which is not an ISO"),
                ({"amount": "1000"}, "Stripe sent the amount '1000', which is not a whole number"),
                ({"amount": None}, "Stripe sent the amount None"),
                ({"livemode": True}, "Stripe sent a live payment in answer to a test key"),
                ({"status": "teleported"}, "Stripe sent the status 'teleported', which it does"),
                ({"created": "yesterday"}, "Stripe sent the creation time 'yesterday'"),
                ({"customer": "nobody"}, "Stripe sent 'nobody' as the customer id"),
            ]:
                intent = fake.add_payment_intent(amount=500)
                intent.update(change)
                bad[intent["id"]] = (change, reason)
            async with provider_env(tmp_path, "payment_stripe", monkeypatch, fake.url) as env:
                await enabled(env, BY_ID["payment_stripe"])
                outcome = await env.sync()
                log = await log_of(env, outcome.run_id)
                Transaction = env.model("PaymentTransaction")
                stored = {t.reference: t for t in await Transaction.all()}
        assert outcome.state == RunState.DONE
        assert (outcome.created, outcome.failed) == (2, len(bad))
        assert set(stored) == {good["id"], yen["id"]}
        assert (stored[good["id"]].amount, stored[good["id"]].currency) == (Decimal("19.99"), "USD")
        assert (stored[yen["id"]].amount, stored[yen["id"]].currency) == (Decimal("1999"), "JPY")
        for remote_id, (_change, reason) in bad.items():
            assert f"payment {remote_id}: {reason}" in log, (reason, log)

    asyncio.run(run())


def test_stripe_answering_live_mode_to_a_test_key_is_a_mismatch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def run() -> None:
        with stripe.FakeStripe(secret_key=STRIPE_KEY, seed=4) as fake:
            async with provider_env(tmp_path, "payment_stripe", monkeypatch, fake.url) as env:
                await enabled(env, BY_ID["payment_stripe"])
                fake.livemode = True
                result = await env.test()
        assert result.outcome == "rejected"
        assert result.message.startswith("Stripe answered in live mode to a test key")
        assert "live mode)" not in result.message

    asyncio.run(run())


def test_a_mollie_live_payment_under_a_test_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def run() -> None:
        with FakeMollie(seed=4) as fake:
            fine = fake.add_payment(value="12.50")
            live = fake.add_payment(value="99.00")
            fake.payments[live["id"]]["mode"] = "live"
            odd = fake.add_payment(value="1.234")  # EUR has 2 decimals
            async with provider_env(tmp_path, "payment_mollie", monkeypatch, fake.url) as env:
                await enabled(env, BY_ID["payment_mollie"])
                outcome = await env.sync()
                log = await log_of(env, outcome.run_id)
                refs = {t.reference for t in await env.model("PaymentTransaction").all()}
        assert (outcome.created, outcome.failed) == (1, 2)
        assert refs == {fine["id"]}
        assert f"payment {live['id']}: Mollie sent a live payment in answer to a test key" in log
        assert f"payment {odd['id']}: Mollie sent the amount 1.234 EUR, with more decimals" in log

    asyncio.run(run())


def test_a_paypal_amount_that_is_not_a_number_stores_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def run() -> None:
        with paypal.FakePayPal(seed=4) as fake:
            fine = fake.add_transaction(value="25.00")
            junk = fake.add_transaction(value="25.00")
            junk["transaction_info"]["transaction_amount"]["value"] = "twenty-five"
            code = fake.add_transaction(value="3.00", currency="XXY")
            async with provider_env(tmp_path, "payment_paypal", monkeypatch, fake.url) as env:
                await enabled(env, BY_ID["payment_paypal"])
                outcome = await env.sync()
                log = await log_of(env, outcome.run_id)
                rows = await env.model("PaymentTransaction").all()
        assert (outcome.created, outcome.failed) == (1, 2)
        assert [(r.reference, r.amount, r.date is not None) for r in rows] == [
            (fine["transaction_info"]["transaction_id"], Decimal("25.00"), True)
        ]
        junk_id = junk["transaction_info"]["transaction_id"]
        code_id = code["transaction_info"]["transaction_id"]
        assert f"transaction {junk_id}: PayPal sent the amount 'twenty-five'" in log
        assert f"transaction {code_id}: PayPal sent the currency 'XXY'" in log

    asyncio.run(run())


def test_ups_tracking_for_another_number_is_never_written_onto_a_shipment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked, other = "1Z999AA10123456784", "1Z999AA10999999999"

    async def run() -> None:
        with ups.FakeUps(seed=4) as fake:
            fake.add_package(asked, ("label", "pickup"))
            fake.add_package(other, ("label", "pickup", "transit", "delivered"))
            original = fake.handle

            def swapped(request: Any) -> Any:  # every answer is the other parcel's
                if request.path.startswith("/api/track/v1/details/"):
                    request.path = "/api/track/v1/details/" + other
                return original(request)

            fake.handle = swapped  # type: ignore[method-assign]
            async with provider_env(tmp_path, "shipping_ups", monkeypatch, fake.url) as env:
                await enabled(env, BY_ID["shipping_ups"])
                Shipment = env.model("Shipment")
                shipment = await Shipment.create(tracking_number=asked, company=env.system.env.cid)
                outcome = await env.sync()
                log = await log_of(env, outcome.run_id)
                after = await Shipment.get(shipment.id)
        assert outcome.failed == 1
        assert (
            f"shipment {asked}: UPS answered with tracking for {other} instead of {asked}, "
            "so nothing was stored"
        ) in log
        assert (after.status, after.delivered_date, after.tracked_at) == ("Unknown", None, None)

    asyncio.run(run())


def test_a_customer_nobody_created_or_whose_contact_is_gone_links_no_contact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def run() -> None:
        with stripe.FakeStripe(secret_key=STRIPE_KEY, seed=4) as fake:
            async with provider_env(tmp_path, "payment_stripe", monkeypatch, fake.url) as env:
                await enabled(env, BY_ID["payment_stripe"])
                [kept, gone] = await env.add_contacts(2)
                assert (await env.sync()).created == 2  # both pushed as customers
                links = await env.mappings("Contact")
                gone_customer = links[str(gone.id)]
                await gone.delete()
                assert gone_customer in (await env.mappings("Contact")).values()  # link kept
                mine = fake.add_payment_intent(customer=links[str(kept.id)])
                orphan = fake.add_payment_intent(customer=gone_customer)
                stranger = fake.add_payment_intent(customer="cus_NobodyMadeThis01")
                outcome = await env.sync()
                Transaction = env.model("PaymentTransaction")
                contact_of = {t.reference: t.contact_id for t in await Transaction.all()}
        assert outcome.failed == 0
        assert contact_of == {mine["id"]: kept.id, orphan["id"]: None, stranger["id"]: None}

    asyncio.run(run())
