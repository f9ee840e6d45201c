"""The HTTP layer under a provider's rate limit and outages, against local misbehaving servers.

A token bucket below the module's default (with and without Retry-After), a record that always
gets a 500, a server that is down, 5xx with and without Stripe-Should-Retry, a body that
drips, a huge body.
"""

from __future__ import annotations

import asyncio
import socket
import time
import tracemalloc
from pathlib import Path
from typing import Any

import httpx
import pytest

from ffdesk.sync.errors import AnswerTooLarge, ProviderRequestError, ProviderUnavailable
from ffdesk.sync.http import PACING, Pacing, ProviderClient, RateLimiter, RetryPolicy
from tests.helpers.hostile_server import Answer, HostileServer, drip, huge, limited
from tests.sync.test_push import counts, open_env

FAST = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.02)


class FakeClock:
    """A clock that only moves when the code under test sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.delays: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        self.now += delay


def client(url: str, **options: Any) -> ProviderClient:
    options.setdefault("provider", "Stripe")
    options.setdefault("retry", FAST)
    return ProviderClient(base_url=url, **options)


# -- the adaptive limiter ----------------------------------------------------------------------


def test_a_429_pauses_every_caller_halves_the_rate_then_it_climbs_back_to_the_default() -> None:
    clock = FakeClock()
    limiter = RateLimiter(20, clock=clock, sleep=clock.sleep)

    async def main() -> None:
        sent = await limiter.acquire()
        wait = limiter.rate_limited(3.0, sent)
        assert wait is not None and 3.0 <= wait <= 3.3  # Retry-After plus jitter
        assert limiter.rate == 10  # multiplicative decrease
        # A second 429 of a request sent before the cut says nothing new: no second cut
        # (its own jitter may lengthen the pause a little, no more).
        again = limiter.rate_limited(3.0, sent - 1)
        assert again is None or again <= 3.3
        assert limiter.rate == 10
        wait = max(wait, again or 0.0)
        # Every caller, not only the one that got the 429, waits for the pause.
        resumed_at = clock.now + wait
        await asyncio.gather(*(limiter.acquire() for _ in range(3)))
        assert clock.now >= resumed_at
        # Then the rate climbs back slowly (ceiling/50 per second), never above the ceiling.
        clock.now += 10
        await limiter.acquire()
        assert limiter.rate == pytest.approx(14, abs=0.5)
        clock.now += 100
        await limiter.acquire()
        assert limiter.rate == 20

    asyncio.run(main())


def test_without_retry_after_the_pause_grows_exponentially_with_jitter() -> None:
    clock = FakeClock()
    limiter = RateLimiter(20, clock=clock, sleep=clock.sleep)
    pauses = []
    for _ in range(4):
        clock.now += 100  # after each pause ended
        pauses.append(limiter.rate_limited(None, clock.now))
    for pause, base in zip(pauses, [1, 2, 4, 8], strict=True):
        assert pause is not None and base <= pause <= base * 1.1 + 0.1
    limiter.answered()  # an answer that is not a 429 starts the backoff over
    clock.now += 100
    pause = limiter.rate_limited(None, clock.now)
    assert pause is not None and pause <= 1.1


@pytest.mark.parametrize("retry_after", [True, False], ids=["retry-after", "no-retry-after"])
def test_a_server_limited_below_the_default_gets_few_429s_and_every_request_through(
    retry_after: bool,
) -> None:
    # The module's default is 100/s; the server allows 30/s (bursts of 10), as a provider
    # that lowered its limit without notice.
    handler, seen = limited(30, burst=10, retry_after=retry_after)

    async def main() -> ProviderClient:
        async with HostileServer(handler) as server, client(server.url, rate_limit=100) as api:
            answers = await asyncio.gather(*(api.post("/v1/customers") for _ in range(120)))
            assert all(a.status_code == 200 for a in answers)
            return api

    api = run(main())
    assert seen["ok"] == 120
    assert api.rate_limited == seen["429"] > 0  # the limit was met, and adapted to
    assert seen["429"] / (seen["ok"] + seen["429"]) < 0.10
    assert api.limiter.rate < 100  # it slowed down, and stays below the default


def test_an_administrator_can_lower_the_default_rate_but_not_raise_it() -> None:
    async def ceiling(cap: float | None) -> float:
        token = PACING.set(Pacing(rate_cap=cap))
        try:
            async with client("http://127.0.0.1:9", rate_limit=25) as api:
                return api.limiter.ceiling
        finally:
            PACING.reset(token)

    assert run(ceiling(5)) == 5
    assert run(ceiling(50)) == 25
    assert run(ceiling(None)) == 25


def test_clients_of_one_account_share_one_limiter_and_other_accounts_do_not() -> None:
    async def main() -> None:
        a = client("http://127.0.0.1:9", rate_limit=25, secrets=["sk_test_account_one"])
        b = client("http://127.0.0.1:9", rate_limit=25, secrets=["sk_test_account_one"])
        c = client("http://127.0.0.1:9", rate_limit=25, secrets=["sk_test_account_two"])
        async with a, b, c:
            assert a.limiter is b.limiter
            assert a.limiter is not c.limiter

    run(main())


# -- retries that fit the failure --------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "header", "attempts", "error"),
    [
        (500, None, 3, ProviderUnavailable),  # 5xx: retried up to the attempts
        (503, "false", 1, ProviderUnavailable),  # Stripe says a retry cannot help
        (409, "true", 3, ProviderRequestError),  # Stripe says a retry may work (lock timeout)
        (409, None, 1, ProviderRequestError),  # other 4xx: never retried
    ],
)
def test_stripe_should_retry_decides_where_present(
    status: int, header: str | None, attempts: int, error: type[Exception]
) -> None:
    keys: list[str] = []

    async def handler(method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        keys.append(headers.get("idempotency-key", ""))
        extra = {"Stripe-Should-Retry": header} if header else {}
        return Answer(status, b'{"error": {"message": "busy"}}', extra)

    async def main() -> None:
        async with HostileServer(handler) as server, client(server.url) as api:
            with pytest.raises(error):
                await api.post("/v1/customers", headers={"Idempotency-Key": "ffdesk-1-2-3"})

    run(main())
    # The same idempotency key on every attempt: a retried create cannot duplicate.
    assert keys == ["ffdesk-1-2-3"] * attempts


def test_429s_do_not_use_up_the_attempts_for_5xx() -> None:
    answers = iter([429, 429, 429, 429, 500, 500, 200])

    async def handler(method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        status = next(answers)
        return Answer(status, b"{}", {"Retry-After": "0"} if status == 429 else {})

    async def main() -> ProviderClient:
        async with HostileServer(handler) as server, client(server.url) as api:
            assert (await api.get("/v1/balance")).status_code == 200
            return api

    api = run(main())
    # Three attempts for 5xx (two 500s, then the success), four 429s on their own budget.
    assert (api.attempts, api.rate_limited) == (7, 4)


# -- a record's failure is the record's; an outage is the run's -------------------------------


def test_a_record_that_always_gets_500_fails_alone_and_the_run_goes_on(tmp_path: Path) -> None:
    async def handler(method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        if target.endswith("/Contact%20003"):
            return Answer(500, b'{"error": {"message": "An unknown error occurred"}}')
        return Answer(200, b'{"id": "cus_1"}')

    async def main() -> None:
        async with (
            HostileServer(handler) as server,
            open_env(tmp_path, contacts=12) as env,
            client(server.url) as api,
        ):

            async def push_one(contact: Any, mapping: Any) -> str:
                await api.post(f"/v1/customers/{contact.name}")
                return "created"

            run_ = env.job()
            await env.push(run_, push_one, concurrency=4)
            assert counts(run_) == (11, 0, 0, 1)
            [line] = run_.lines
            assert line.split(" ", 1)[1] == (
                "contact 'Contact 003': Stripe could not be reached: HTTP 500 Internal "
                "Server Error (An unknown error occurred) after 3 attempts. Try again later."
            )
            # And the client still answers: the pull that follows a push goes on.
            assert (await api.get("/v1/payment_intents")).status_code == 200

    run(main())


def test_a_server_that_is_down_stops_the_run_at_once(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago and has no listener
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def main() -> None:
        async with (
            open_env(tmp_path, contacts=60) as env,
            client(f"http://127.0.0.1:{port}") as api,
        ):

            async def push_one(contact: Any, mapping: Any) -> str:
                await api.post("/v1/customers")
                return "created"

            run_ = env.job()
            with pytest.raises(ProviderUnavailable) as caught:
                await env.push(run_, push_one, concurrency=8)
            assert caught.value.outage
            assert caught.value.message.startswith(
                "Stripe could not be reached: 5 calls in a row failed; the last: could not connect"
            )
            # Stopped at once: far from 60 records times 3 attempts, and no record after.
            assert api.attempts <= (5 + 8) * 3
            assert run_.created == 0 and run_.failed <= 5 + 8

    run(main())


# -- bounded time and memory -------------------------------------------------------------------


def test_a_body_that_drips_ends_at_the_deadline() -> None:
    async def handler(method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        # A byte every 0.2 s: the read timeout (30 s) restarts with each one and never fires.
        return Answer(200, drip(every=0.2), length=1000)

    async def main() -> float:
        async with HostileServer(handler) as server:
            api = client(server.url, deadline=1.0, retry=RetryPolicy(max_attempts=2))
            async with api:
                started = time.monotonic()
                with pytest.raises(ProviderUnavailable) as caught:
                    await api.get("/v1/payment_intents")
                elapsed = time.monotonic() - started
        assert caught.value.message == (
            "Stripe could not be reached: no complete answer within 1 s after 2 attempts. "
            "Try again later."
        )
        return elapsed

    assert run(main()) < 10  # two attempts of a second each (and their backoff), not forever


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_huge_answer_is_refused_with_a_sentence_and_memory_stays_bounded(
    declared: bool,
) -> None:
    size = 200 * 1024 * 1024  # made one chunk at a time by the server, never whole

    async def handler(method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        return Answer(200, huge(size), length=size if declared else None)

    async def main() -> int:
        async with HostileServer(handler) as server, client(server.url) as api:
            tracemalloc.start()
            try:
                with pytest.raises(AnswerTooLarge) as caught:
                    await api.get("/v1/payment_intents")
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
        what = " (200 MB)" if declared else ""
        assert caught.value.message == (
            f"Stripe sent an answer larger than 20 MB{what}; ffdesk stopped reading it and "
            "used none of it."
        )
        assert api.attempts == 1  # not retried: it would be as large again
        return peak

    peak = run(main())
    # At most the ceiling is held (20 MB), never the 200 MB answer.
    assert peak < 24 * 1024 * 1024


def test_an_answer_within_the_ceiling_is_read_whole() -> None:
    async def handler(method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        return Answer(200, huge(1024 * 1024))

    async def main() -> None:
        async with HostileServer(handler) as server, client(server.url) as api:
            answer = await api.get("/v1/payment_intents")
            assert len(answer.content) == 1024 * 1024
            assert answer.text.startswith('{"data": [')

    run(main())


def run(coro: Any) -> Any:
    async def main() -> Any:
        return await coro

    return asyncio.run(main())


def test_transport_errors_still_name_the_reason() -> None:
    # The deadline wraps the attempt; an ordinary timeout keeps its own sentence.
    async def handler(method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        await asyncio.Event().wait()
        return None

    async def main() -> None:
        async with HostileServer(handler) as server:
            api = client(server.url, timeout=httpx.Timeout(0.2), retry=RetryPolicy(1))
            async with api:
                with pytest.raises(ProviderUnavailable) as caught:
                    await api.get("/v1/balance")
        assert caught.value.message == (
            "Stripe could not be reached: no answer within 0.2 s. Try again later."
        )

    run(main())
