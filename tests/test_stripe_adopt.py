"""A customer Stripe created in a run that never heard back is adopted, not duplicated.

The case: the answer to a create is lost (killed process, network cut), the run fails, then
the contact is edited. The rerun's create carries the same Idempotency-Key with other
parameters, which Stripe refuses; ffdesk finds the customer by its metadata and updates it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.stripe import FakeStripe
from tests.helpers.stripe_env import KEY, db_url, fast_retries, mappings, open_stripe, stripe_vars


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    with FakeStripe(secret_key=KEY, seed=11) as server:
        for name, value in stripe_vars(server.url).items():
            monkeypatch.setenv(name, value)
        yield server


def test_lost_create_then_edit_adopts_the_customer(
    fake: FakeStripe, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_retries(monkeypatch)

    async def main() -> None:
        from ffdesk.sync import run_sync

        async with open_stripe(db_url(tmp_path), contacts=0) as (system, record):
            Contact = system.get_model("Contact")
            contact = await Contact.create(
                name="Ada Lovelace", email="ada@example.org", company=system.env.cid
            )
            # Every attempt is handled by Stripe but its answer is lost: the contact fails.
            fake.drop_next(20, after=True, method="POST", path_prefix="/v1/customers")
            first = await run_sync(record)
            assert (first.state.value, first.created, first.failed) == ("done", 0, 1)
            assert fake.creates == 1 and await mappings(system, record) == []
            fake.clear_faults()

            contact.name = "Ada King"
            await contact.save()
            second = await run_sync(record)
            assert second.succeeded, second
            assert (second.created, second.failed) == (1, 0)
            assert fake.creates == 1  # adopted, not created again
            [customer] = fake.customers.values()
            assert customer["name"] == "Ada King"
            [mapping] = await mappings(system, record)
            assert mapping.remote_id == customer["id"]

            third = await run_sync(record)  # nothing changed since
            assert (third.created, third.updated, fake.creates) == (0, 0, 1)

    asyncio.run(main())


def test_a_refused_create_without_a_customer_to_adopt_fails_only_that_contact(
    fake: FakeStripe, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_retries(monkeypatch)

    async def main() -> None:
        from ffdesk.sync import run_sync

        async with open_stripe(db_url(tmp_path), contacts=2) as (_system, record):
            # Stripe refuses the first create outright (bad parameters): nothing to adopt.
            fake.fail_next(
                1,
                400,
                {"error": {"type": "invalid_request_error", "message": "Invalid email address"}},
                method="POST",
                path_prefix="/v1/customers",
            )
            outcome = await run_sync(record)
            assert (outcome.created, outcome.failed) == (1, 1)
            assert fake.count("GET", "/v1/customers/search") == 0

    asyncio.run(main())
