"""Issue 9.1: every provider's paging ends, even against a server whose cursor never moves."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest

from ffdesk.sync import Pages, PagingStuck, RunState
from tests.fakes.stripe import FakeStripe
from tests.helpers.env import Subprocess, ffdesk_process_fixture  # noqa: F401
from tests.helpers.provider_env import provider_env
from tests.helpers.providers import PAGED, STRIPE_KEY, Scenario, enabled, ids

CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z]+(Error|Exception|Stuck|Answer)\b|Traceback")


@pytest.mark.parametrize("scenario", PAGED, ids=ids(PAGED))
def test_a_listing_that_never_moves_ends_the_run_with_one_sentence(
    scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def run() -> None:
        with scenario.make_fake() as fake:
            async with provider_env(tmp_path, scenario.identifier, monkeypatch, fake.url) as env:
                await enabled(env, scenario)
                assert scenario.listing is not None
                before = fake.count("GET", scenario.listing)  # Test connection may list too
                more = scenario.page_size + 20  # more than one page: the server says "more"
                if scenario.seed is not None:
                    scenario.seed(fake, more)
                await scenario.local(env, fake, more)
                fake.freeze_listing(scenario.listing)
                outcome = await asyncio.wait_for(env.sync(), timeout=60)
                asked = fake.count("GET", scenario.listing) - before
        assert outcome.state == RunState.FAILED
        assert outcome.error == (
            f"{scenario.provider} returned the same page twice; stopped after 2 pages."
        )
        assert asked == 2  # the first page and its repetition, nothing more
        assert not CLASS_NAME.search(outcome.error)

    asyncio.run(run())


@pytest.mark.parametrize("scenario", PAGED, ids=ids(PAGED))
def test_the_page_ceiling_stops_a_listing_that_is_too_long(
    scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FFDESK_SYNC_MAX_PAGES", "2")

    async def run() -> None:
        with scenario.make_fake() as fake:
            async with provider_env(tmp_path, scenario.identifier, monkeypatch, fake.url) as env:
                await enabled(env, scenario)
                assert scenario.listing is not None
                before = fake.count("GET", scenario.listing)  # Test connection may list too
                three_pages = scenario.page_size * 2 + 5
                if scenario.seed is not None:
                    scenario.seed(fake, three_pages)
                await scenario.local(env, fake, three_pages)
                outcome = await env.sync()
                asked = fake.count("GET", scenario.listing) - before
        assert outcome.state == RunState.FAILED
        assert outcome.error == (
            f"{scenario.provider} had more than 2 pages to list, the most one sync reads "
            "(setting FFDESK_SYNC_MAX_PAGES); stopped after 2 pages."
        )
        assert asked == 2

    asyncio.run(run())


def test_pages_notices_a_page_with_nothing_new() -> None:
    pages = Pages("Acme", ceiling=10)
    pages.check(None, ["a", "b"])
    pages.more(2)
    with pytest.raises(PagingStuck, match=r"^Acme returned a page with nothing new on it; stopped"):
        pages.check(2, ["b", "a"])


def test_pages_lets_a_listing_end_on_its_last_allowed_page() -> None:
    pages = Pages("Acme", ceiling=2)
    pages.check(None, ["a"])
    pages.more("c1")
    pages.check("c1", ["b"])  # the last page: no more() after it, so no ceiling error
    with pytest.raises(PagingStuck, match="more than 2 pages"):
        pages.more("c2")


def test_ffdesk_sync_against_a_stuck_server_exits_1_within_seconds(
    ffdesk_process: Subprocess,
) -> None:
    with FakeStripe(secret_key=STRIPE_KEY, seed=2) as fake:
        env = {"FFDESK_PAYMENT_STRIPE_API_BASE": fake.url, "FFDESK_PAYMENT_STRIPE_RATE_LIMIT": "0"}
        for n in range(130):
            fake.add_payment_intent(amount=100 + n)
        done = ffdesk_process("modules", "install", "payment_stripe", **env)
        assert done.returncode == 0, done.stderr
        done = ffdesk_process(
            "integrations", "set", "payment_stripe", "secret_key=-", stdin=f"{STRIPE_KEY}\n", **env
        )
        assert done.returncode == 0, done.stderr
        done = ffdesk_process("integrations", "enable", "payment_stripe", **env)
        assert done.returncode == 0, done.stderr
        fake.freeze_listing("/v1/payment_intents")
        started = time.monotonic()
        result = ffdesk_process("sync", "payment_stripe", **env)
        elapsed = time.monotonic() - started
        asked = fake.count("GET", "/v1/payment_intents")
    assert result.returncode == 1
    assert elapsed < 30
    assert asked == 2
    output = result.stdout + result.stderr
    assert "Stripe returned the same page twice; stopped after 2 pages." in output
    assert not CLASS_NAME.search(output)
