"""Stripe syncs under rate limits and failures, against the local fake Stripe.

A rate limit is waited out visibly (window callback, run log, `ffdesk sync` output) and summed
up; one customer that always gets a 500 fails alone and the pull still runs; a run longer than
its Maximum Run Time stops with a sentence.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ffdesk.sync import RunState, run_sync
from ffdesk.sync.runner import describe
from tests.fakes.harness import Request
from tests.fakes.stripe import FakeStripe
from tests.helpers.stripe_env import (
    KEY,
    db_url,
    fast_retries,
    isolated_logging,
    mappings,
    open_stripe,
    runs,
    stripe_vars,
)
from tests.test_stripe import ffdesk_cli

WAITING = re.compile(r"waiting for Stripe's rate limit, resumes in (\d+) s")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    with FakeStripe(secret_key=KEY, seed=11) as server:
        for name, value in stripe_vars(server.url).items():
            monkeypatch.setenv(name, value)
        yield server


@pytest.fixture
def url(tmp_path: Path) -> str:
    return db_url(tmp_path)


def test_a_rate_limit_pause_is_shown_while_it_lasts_and_summed_up(
    fake: FakeStripe, url: str
) -> None:
    fake.fail_next(3, 429, headers={"Retry-After": "1"}, path_prefix="/v1/customers")
    heard: list[tuple[str, float]] = []

    async def main() -> None:
        async with open_stripe(url, contacts=5) as (system, record):
            outcome = await run_sync(record, on_wait=lambda p, s: heard.append((p, s)))
            assert outcome.succeeded and outcome.created == 5
            assert outcome.rate_limited == 3
            assert outcome.waited >= 1.0  # the whole client paused for the Retry-After
            summary = describe(outcome)
            assert (summary["rate_limited"], summary["waited_seconds"]) == (3, outcome.waited)
            [row] = await runs(system, record)
            waits = [m for line in row.log if (m := WAITING.search(line))]
            assert waits and all(int(m.group(1)) >= 1 for m in waits)
            assert any(
                re.search(r"Stripe answered 429 \(rate limit\) 3 times; the run waited \d+ s", x)
                for x in row.log
            )

    asyncio.run(main())
    assert heard and all(p == "Stripe" and 1.0 <= s <= 1.2 for p, s in heard)
    assert len(fake.customers) == 5


def test_ffdesk_sync_says_it_waits_and_reports_the_429s(
    fake: FakeStripe,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FFDESK_DATABASE_URL", db_url(tmp_path))
    monkeypatch.setenv("FFDESK_LOG_DIR", str(tmp_path / "logs"))

    async def seed() -> None:
        async with open_stripe(db_url(tmp_path), contacts=4):
            pass

    asyncio.run(seed())
    with isolated_logging():
        fake.fail_next(2, 429, headers={"Retry-After": "1"}, path_prefix="/v1/customers")
        code, out, err = ffdesk_cli(capsys, monkeypatch, "sync", "payment_stripe")
        assert code == 0, err
        assert WAITING.search(err)
        assert re.search(r"Stripe: rate limit: answered 429 2 times, waited \d+ s in all\.", err)

        fake.fail_next(1, 429, headers={"Retry-After": "1"}, path_prefix="/v1/payment_intents")
        code, out, err = ffdesk_cli(capsys, monkeypatch, "sync", "--json")
        assert code == 0, err
        [done] = json.loads(out)["runs"]  # stdout stays the result: progress went to stderr
        assert done["rate_limited"] == 1 and done["waited_seconds"] >= 1.0
        assert WAITING.search(err)


def test_a_customer_that_always_gets_500_fails_alone_and_the_pull_still_runs(
    fake: FakeStripe, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_retries(monkeypatch)
    for _ in range(3):
        fake.add_payment_intent(amount=2500)

    def create(request: Request) -> Any:
        if request.form.get("name") == "Contact 3":
            return 500, {}, {"error": {"message": "An unknown error occurred", "type": "api_error"}}
        return fake.create_customer(request)

    fake.add_route("POST", r"/v1/customers", create)

    async def main() -> None:
        async with open_stripe(url, contacts=10) as (system, record):
            outcome = await run_sync(record)
            assert outcome.state is RunState.DONE
            assert (outcome.created, outcome.failed) == (9 + 3, 1)  # 9 customers, 3 payments
            assert outcome.error is None
            [row] = await runs(system, record)
            assert any(
                "contact 'Contact 3': Stripe could not be reached: HTTP 500 Internal Server "
                "Error (An unknown error occurred) after 5 attempts" in line
                for line in row.log
            )
            payments = await system.get_model("PaymentTransaction").filter().count()
            assert payments == 3
            assert len(await mappings(system, record)) == 9

    asyncio.run(main())
    # Five attempts for the failing one (its retries), once for each of the others.
    assert fake.count("POST", "/v1/customers") == 9 + 5


def test_a_run_longer_than_its_maximum_run_time_stops_and_keeps_what_it_did(
    fake: FakeStripe, url: str
) -> None:
    fake.delay_next(1000, 0.1, path_prefix="/v1/customers")

    async def main() -> None:
        async with open_stripe(url, contacts=60) as (system, record):
            record.max_run_minutes = 0.01  # 0.6 s
            await record.save()
            outcome = await run_sync(record)
            assert outcome.state is RunState.FAILED
            assert outcome.error == (
                "The sync stopped after 0.6 seconds, the Maximum Run Time of this integration; "
                "what was done by then is kept. Raise the Maximum Run Time if a sync needs "
                "longer."
            )
            assert 0 < outcome.created < 60
            assert len(await mappings(system, record)) == outcome.created
            record.max_run_minutes = 240
            await record.save()
            again = await run_sync(record)
            assert again.succeeded and again.created == 60 - outcome.created

    asyncio.run(main())
    assert len(fake.customers) == 60
