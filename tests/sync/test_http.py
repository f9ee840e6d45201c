"""The shared HTTP layer against real local servers: retries, errors, limits and redaction."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from email.utils import formatdate
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer

from ffdesk.sync.errors import (
    CredentialsRejected,
    ProviderError,
    ProviderRequestError,
    ProviderUnavailable,
    RateLimited,
    provider_message,
)
from ffdesk.sync.http import ProviderClient, RateLimiter, RetryPolicy, api_base, parse_retry_after

STRIPE_404 = {"error": {"message": "No such customer: 'cus_missing'", "type": "invalid_request"}}


class RecordedSleep:
    """An injectable sleep that records each delay and returns at once (no real waiting)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


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


Reply = tuple[int, bytes] | None
Handler = Callable[[str, str, bytes], Awaitable[Reply]]


class RawServer:
    """A tiny HTTP/1.1 server on the test's own loop, for what pytest-httpserver cannot do.

    The handler gets (method, target, body) and returns (status, body), or None to close the
    socket without answering.
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None
        self.url = ""

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                lines = head.split("\r\n")
                method, target, _version = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip()
                    for k, v in (line.split(":", 1) for line in lines[1:] if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                reply = await self.handler(method, target, body)
                if reply is None:
                    break
                status, payload = reply
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client went away, which is what several tests do on purpose
        finally:
            writer.close()
            self._tasks.discard(task)


def make_client(base_url: str, **kwargs: Any) -> ProviderClient:
    kwargs.setdefault("provider", "Stripe")
    kwargs.setdefault("sleep", RecordedSleep())
    return ProviderClient(base_url=base_url, **kwargs)


def run(coro: Awaitable[Any]) -> Any:
    async def main() -> Any:
        return await coro

    return asyncio.run(main())


# --- api_base ---------------------------------------------------------------------------


def test_api_base_default_and_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FFDESK_PAYMENT_STRIPE_API_BASE", raising=False)
    assert api_base("payment_stripe", "https://api.stripe.com/") == "https://api.stripe.com"
    monkeypatch.setenv("FFDESK_PAYMENT_STRIPE_API_BASE", "http://127.0.0.1:8123/")
    assert api_base("payment_stripe", "https://api.stripe.com") == "http://127.0.0.1:8123"
    # An empty value is "not set", not "use an empty URL".
    monkeypatch.setenv("FFDESK_PAYMENT_STRIPE_API_BASE", "  ")
    assert api_base("payment_stripe", "https://api.stripe.com") == "https://api.stripe.com"
    monkeypatch.setenv("FFDESK_SMS_TWILIO_API_BASE", "http://localhost:9")
    assert api_base("sms-twilio", "https://api.twilio.com") == "http://localhost:9"


def test_api_base_points_a_client_at_a_local_server(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FFDESK_PAYMENT_STRIPE_API_BASE", httpserver.url_for("/"))
    httpserver.expect_request("/v1/balance").respond_with_json({"object": "balance"})

    async def main() -> Any:
        async with make_client(api_base("payment_stripe", "https://api.stripe.com")) as client:
            return (await client.get("/v1/balance")).json()

    assert run(main()) == {"object": "balance"}


# --- retries ----------------------------------------------------------------------------


def test_429_with_retry_after_then_success(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/v1/balance").respond_with_json(
        {"error": {"message": "Too many requests"}}, status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_ordered_request("/v1/balance").respond_with_json({"ok": True})
    sleep = RecordedSleep()

    async def main() -> tuple[ProviderClient, httpx.Response]:
        async with make_client(httpserver.url_for("/"), sleep=sleep) as client:
            return client, await client.get("/v1/balance")

    client, response = run(main())
    assert response.json() == {"ok": True}
    # Retry-After wins over backoff, plus a little jitter (up to 10 %) so that clients told
    # the same instant do not all come back at it.
    [delay] = sleep.delays
    assert 7.0 <= delay <= 7.7
    assert (client.attempts, client.retries, client.rate_limited) == (2, 1, 1)
    httpserver.check_assertions()


def test_retry_after_http_date_and_cap(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/x").respond_with_data(
        "", status=503, headers={"Retry-After": formatdate(time.time() + 3600, usegmt=True)}
    )
    httpserver.expect_ordered_request("/x").respond_with_data("", status=429, headers={})
    httpserver.expect_ordered_request("/x").respond_with_json({})
    sleep = RecordedSleep()
    policy = RetryPolicy(retry_after_max=60, jitter=False, backoff_base=0.25)

    async def main() -> None:
        async with make_client(httpserver.url_for("/"), sleep=sleep, retry=policy) as client:
            await client.get("/x")

    run(main())
    # An hour away is capped at retry_after_max; a 429 without Retry-After pauses the
    # account's limiter for its first exponential step (1 s) plus jitter.
    first, second = sleep.delays
    assert first == 60.0
    assert 1.0 <= second <= 1.1


@pytest.mark.parametrize("statuses", [[500], [500, 502], [500, 502, 503], [503, 503, 503, 503]])
def test_5xx_bursts_then_success_exact_attempts(
    httpserver: HTTPServer, statuses: list[int]
) -> None:
    for status in statuses:
        httpserver.expect_ordered_request("/v2/locations").respond_with_json(
            {"errors": [{"detail": "busy"}]}, status=status
        )
    httpserver.expect_ordered_request("/v2/locations").respond_with_json({"locations": []})
    sleep = RecordedSleep()

    async def main() -> ProviderClient:
        async with make_client(httpserver.url_for("/"), provider="Square", sleep=sleep) as client:
            assert (await client.get("/v2/locations")).json() == {"locations": []}
            return client

    client = run(main())
    assert client.attempts == len(statuses) + 1
    assert client.retries == len(statuses)
    assert len(httpserver.log) == len(statuses) + 1
    # Full jitter: retry n waits somewhere in [0, 0.5 * 2**n].
    for n, delay in enumerate(sleep.delays):
        assert 0.0 <= delay <= 0.5 * 2**n
    httpserver.check_assertions()


def test_backoff_without_jitter_is_exponential_and_capped(httpserver: HTTPServer) -> None:
    for _ in range(5):
        httpserver.expect_ordered_request("/x").respond_with_data("", status=500)
    httpserver.expect_ordered_request("/x").respond_with_data("ok")
    sleep = RecordedSleep()
    policy = RetryPolicy(max_attempts=6, backoff_base=0.5, backoff_max=3.0, jitter=False)

    async def main() -> None:
        async with make_client(httpserver.url_for("/"), sleep=sleep, retry=policy) as client:
            await client.get("/x")

    run(main())
    assert sleep.delays == [0.5, 1.0, 2.0, 3.0, 3.0]


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_no_retry_on_other_4xx_and_provider_message_kept(
    httpserver: HTTPServer, status: int
) -> None:
    httpserver.expect_request("/v1/customers/cus_missing").respond_with_json(
        STRIPE_404, status=status
    )
    sleep = RecordedSleep()

    async def main() -> ProviderClient:
        async with make_client(httpserver.url_for("/"), sleep=sleep) as client:
            with pytest.raises(ProviderRequestError) as caught:
                await client.get("/v1/customers/cus_missing")
            err = caught.value
            assert err.status == status
            assert err.provider == "Stripe"
            assert err.detail == "No such customer: 'cus_missing'"
            assert err.message.startswith(f"Stripe refused the request (HTTP {status} ")
            assert err.message.endswith(": No such customer: 'cus_missing'.")
            return client

    client = run(main())
    assert client.attempts == 1 and client.retries == 0
    assert sleep.delays == []
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_401_403_credentials_rejected(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_request("/v1/balance").respond_with_json(
        {"error": {"message": "Invalid API Key provided: sk_test_****abcd"}}, status=status
    )

    async def main() -> ProviderClient:
        client = make_client(httpserver.url_for("/"), credential_label="secret key")
        async with client:
            with pytest.raises(CredentialsRejected) as caught:
                await client.get("/v1/balance")
        assert caught.value.message == (
            "Stripe rejected the credentials: Invalid API Key provided: sk_test_****abcd. "
            "Check the secret key."
        )
        assert caught.value.status == status
        return client

    assert run(main()).attempts == 1


def test_exhausted_429_raises_rate_limited_after_the_patience(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/payment_intents").respond_with_json(
        {"error": {"message": "Too many requests"}}, status=429, headers={"Retry-After": "2"}
    )
    clock = FakeClock()
    # Five attempts for 5xx, but 429s are retried on their own budget: 10 s of patience.
    policy = RetryPolicy(max_attempts=5, rate_limit_patience=10)

    async def main() -> ProviderClient:
        client = make_client(httpserver.url_for("/"), sleep=clock.sleep, clock=clock, retry=policy)
        async with client:
            with pytest.raises(RateLimited) as caught:
                await client.get("/v1/payment_intents")
        err = caught.value
        assert err.retry_after == 2.0
        assert err.status == 429
        assert err.message == (
            "Stripe kept limiting the request rate (HTTP 429) for more than 10 seconds, so "
            "ffdesk stopped. Try again later, or lower the request rate of this integration "
            "if other programs use the same account."
        )
        return client

    client = run(main())
    # Each pause is the Retry-After plus jitter; they went on until 10 s had passed.
    assert all(2.0 <= d <= 2.2 for d in clock.delays)
    assert sum(clock.delays[:-1]) < 10 <= sum(clock.delays)
    assert client.attempts == client.rate_limited == len(clock.delays) + 1 > 5


def test_exhausted_5xx_raises_provider_unavailable(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v2/methods").respond_with_json(
        {"status": 503, "title": "Service Unavailable", "detail": "Maintenance"}, status=503
    )

    async def main() -> ProviderClient:
        client = make_client(httpserver.url_for("/"), provider="Mollie")
        async with client:
            with pytest.raises(ProviderUnavailable) as caught:
                await client.get("/v2/methods")
        assert caught.value.message == (
            "Mollie could not be reached: HTTP 503 Service Unavailable (Maintenance) "
            "after 5 attempts. Try again later."
        )
        return client

    assert run(main()).attempts == 5
    assert len(httpserver.log) == 5


def test_retry_false_makes_one_attempt(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/customers", method="POST").respond_with_data("", status=502)
    sleep = RecordedSleep()

    async def main() -> ProviderClient:
        async with make_client(httpserver.url_for("/"), sleep=sleep) as client:
            with pytest.raises(ProviderUnavailable) as caught:
                await client.post("/v1/customers", data={"name": "Ada"}, retry=False)
            assert "HTTP 502 Bad Gateway." in caught.value.message
            return client

    assert run(main()).attempts == 1
    assert sleep.delays == []


def test_post_body_and_headers_survive_a_retry(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/v1/customers", method="POST").respond_with_data(
        "", status=500
    )
    httpserver.expect_ordered_request(
        "/v1/customers",
        method="POST",
        data="name=Ada&email=ada%40example.com",
        headers={"Idempotency-Key": "k-1", "Authorization": "Bearer sk_test_retrybody"},
    ).respond_with_json({"id": "cus_1"})

    async def main() -> Any:
        async with make_client(
            httpserver.url_for("/"), headers={"Authorization": "Bearer sk_test_retrybody"}
        ) as client:
            response = await client.post(
                "/v1/customers",
                data={"name": "Ada", "email": "ada@example.com"},
                headers={"Idempotency-Key": "k-1"},
            )
            return response.json()

    assert run(main()) == {"id": "cus_1"}
    httpserver.check_assertions()


# --- connections that fail ----------------------------------------------------------------


def test_dropped_connection_is_retried_then_succeeds() -> None:
    seen: list[str] = []

    async def handler(method: str, target: str, body: bytes) -> Reply:
        seen.append(target)
        if len(seen) <= 2:
            return None  # close the socket without a byte of answer
        return 200, b'{"ok": true}'

    async def main() -> ProviderClient:
        async with RawServer(handler) as server, make_client(server.url) as client:
            assert (await client.get("/v1/balance")).json() == {"ok": True}
            return client

    client = run(main())
    assert (client.attempts, client.retries) == (3, 2)
    assert seen == ["/v1/balance"] * 3


def test_dropped_connection_every_time_is_unavailable() -> None:
    async def handler(method: str, target: str, body: bytes) -> Reply:
        return None

    async def main() -> None:
        async with RawServer(handler) as server:
            client = make_client(server.url, retry=RetryPolicy(max_attempts=3))
            async with client:
                with pytest.raises(ProviderUnavailable) as caught:
                    await client.get("/v1/balance")
            assert caught.value.message == (
                "Stripe could not be reached: the connection was closed before an answer "
                "arrived after 3 attempts. Try again later."
            )
            assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)
            assert caught.value.status is None

    run(main())


def test_timeout_is_provider_unavailable() -> None:
    async def handler(method: str, target: str, body: bytes) -> Reply:
        await asyncio.Event().wait()  # never answers; cancelled when the server closes
        return None

    async def main() -> ProviderClient:
        async with RawServer(handler) as server:
            client = make_client(
                server.url, timeout=httpx.Timeout(0.2), retry=RetryPolicy(max_attempts=2)
            )
            async with client:
                with pytest.raises(ProviderUnavailable) as caught:
                    await client.get("/v1/balance")
            assert caught.value.message == (
                "Stripe could not be reached: no answer within 0.2 s after 2 attempts. "
                "Try again later."
            )
            return client

    assert run(main()).attempts == 2


def test_connection_refused_is_provider_unavailable() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago and has no listener
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def main() -> ProviderClient:
        client = make_client(f"http://127.0.0.1:{port}", retry=RetryPolicy(max_attempts=2))
        async with client:
            with pytest.raises(ProviderUnavailable) as caught:
                await client.get("/v1/balance")
        assert caught.value.message.startswith("Stripe could not be reached: could not connect")
        assert caught.value.message.endswith("after 2 attempts. Try again later.")
        return client

    assert run(main()).attempts == 2


# --- concurrency and rate ----------------------------------------------------------------


def test_concurrency_bound_is_respected() -> None:
    in_flight = 0
    peak = 0

    async def handler(method: str, target: str, body: bytes) -> Reply:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        return 200, b"{}"

    async def main() -> ProviderClient:
        async with RawServer(handler) as server:
            async with make_client(server.url, max_concurrency=3) as client:
                await asyncio.gather(*(client.get(f"/item/{i}") for i in range(24)))
            assert server.connections <= 3  # the pool matches the bound, connections reused
            return client

    client = run(main())
    assert peak == 3
    assert client.attempts == 24


def test_rate_limiter_spacing_with_injected_clock() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, burst=1, clock=clock, sleep=clock.sleep)
    starts: list[float] = []

    async def one() -> None:
        async with limiter:
            starts.append(clock.now)

    async def main() -> None:
        for _ in range(5):
            await one()

    run(main())
    assert clock.delays == pytest.approx([0.1] * 4)
    assert [round(b - a, 9) for a, b in itertools.pairwise(starts)] == [0.1] * 4


def test_rate_limiter_burst_then_steady_and_fifo_when_concurrent() -> None:
    sleep = RecordedSleep()
    # A frozen clock: all six callers arrive at the same instant.
    limiter = RateLimiter(4, burst=3, clock=lambda: 50.0, sleep=sleep)

    async def main() -> None:
        await asyncio.gather(*(limiter.acquire() for _ in range(6)))

    run(main())
    # Three go at once from the full bucket; the rest reserve in arrival order, 0.25 s apart.
    assert sleep.delays == pytest.approx([0.25, 0.5, 0.75])


def test_rate_limiter_refills_when_idle_and_refunds_cancelled_waits() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, burst=2, clock=clock, sleep=clock.sleep)

    async def main() -> None:
        await limiter.acquire()
        await limiter.acquire()
        clock.now += 10  # idle for long: refills to burst, never beyond
        await limiter.acquire()
        await limiter.acquire()
        assert clock.delays == []
        await limiter.acquire()
        assert clock.delays == [0.5]

    run(main())

    async def cancelled() -> None:
        real = RateLimiter(1, burst=1)
        await real.acquire()
        waiter = asyncio.ensure_future(real.acquire())
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        # The cancelled reservation was given back: the next wait is ~1 s, not ~2 s.
        assert real._tokens == pytest.approx(0.0, abs=0.05)

    run(cancelled())


def test_rate_limiter_never_blocks_the_loop() -> None:
    async def main() -> tuple[float, int]:
        limiter = RateLimiter(50, burst=1)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.005)

        tick_task = asyncio.ensure_future(ticker())
        started = time.perf_counter()
        await asyncio.gather(*(limiter.acquire() for _ in range(6)))
        elapsed = time.perf_counter() - started
        tick_task.cancel()
        return elapsed, ticks

    elapsed, ticks = run(main())
    assert elapsed >= 5 * 0.02 - 0.005  # six tokens at 50/s with burst 1: five gaps of 20 ms
    assert ticks >= 5  # the loop kept running other tasks while callers waited


def test_client_rate_limit_spaces_requests(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_json({})

    async def main() -> float:
        # Real sleep here: the limiter must actually hold requests back.
        async with make_client(httpserver.url_for("/"), rate_limit=20, sleep=asyncio.sleep) as c:
            started = time.perf_counter()
            await asyncio.gather(*(c.get("/x") for _ in range(5)))
            return time.perf_counter() - started

    assert run(main()) >= 4 * 0.05 - 0.005


def test_shared_rate_limiter_across_clients(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_json({})
    clock = FakeClock()
    limiter = RateLimiter(5, clock=clock, sleep=clock.sleep)

    async def main() -> None:
        async with (
            make_client(httpserver.url_for("/"), rate_limit=limiter) as a,
            make_client(httpserver.url_for("/"), rate_limit=limiter) as b,
        ):
            await a.get("/x")
            await b.get("/x")
            await a.get("/x")

    run(main())
    assert clock.delays == pytest.approx([0.2, 0.2])


# --- secrets and logging -------------------------------------------------------------------


def test_secrets_never_reach_logs_or_errors(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    secret = f"sk_test_{uuid.uuid4().hex}"
    header_token = f"tok_{uuid.uuid4().hex}"
    echo = {"error": {"message": f"Invalid API Key provided: {secret} / Bearer {header_token}"}}
    path = f"/v1/echo/{secret}"
    httpserver.expect_ordered_request(path).respond_with_json(echo, status=500)
    httpserver.expect_ordered_request(path).respond_with_json(echo, status=400)
    caplog.set_level(logging.DEBUG, logger="ffdesk.sync.http")

    async def main() -> ProviderError:
        async with make_client(
            httpserver.url_for("/"),
            secrets=[secret],
            headers={"Authorization": f"Bearer {header_token}"},
        ) as client:
            with pytest.raises(ProviderError) as caught:
                await client.get(path, params={"api_key": secret, "q": "visible-query"})
            return caught.value

    err = run(main())
    assert isinstance(err, ProviderRequestError)
    texts = [err.message, str(err), repr(err), err.detail or ""]
    ours = [r for r in caplog.records if r.name == "ffdesk.sync.http"]
    texts += [r.getMessage() for r in ours]
    assert len(ours) == 3  # two DEBUG attempt lines and one WARNING for the retry
    for text in texts:
        assert secret not in text
        assert header_token not in text
        assert "visible-query" not in text  # query strings are never logged
    assert "Invalid API Key provided: *** / ***." in err.message
    assert "/v1/echo/***" in ours[0].getMessage()


def test_debug_line_format_and_warning_on_retry(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_ordered_request("/v1/balance").respond_with_data("", status=503)
    httpserver.expect_ordered_request("/v1/balance").respond_with_json({})
    caplog.set_level(logging.DEBUG, logger="ffdesk.sync.http")

    async def main() -> None:
        async with make_client(httpserver.url_for("/")) as client:
            await client.get("/v1/balance", params={"limit": 1})

    run(main())
    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "ffdesk.sync.http"]
    base = httpserver.url_for("/v1/balance")
    assert re.fullmatch(rf"GET {re.escape(base)} -> 503 \(\d+ ms\)", lines[0][1])
    assert lines[1][0] == logging.WARNING
    assert re.fullmatch(
        rf"Stripe: GET {re.escape(base)} -> 503; retry 1 of 4 in \d+\.\d\d s", lines[1][1]
    )
    assert re.fullmatch(rf"GET {re.escape(base)} -> 200 \(\d+ ms\)", lines[2][1])


def test_no_debug_formatting_when_debug_is_off(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request("/x").respond_with_json({})
    quiet = logging.getLogger("ffdesk.sync.http.quiet-test")
    quiet.setLevel(logging.INFO)

    def boom(*args: Any) -> None:
        raise AssertionError("debug line built while DEBUG is off")

    monkeypatch.setattr(ProviderClient, "_log_attempt", boom)

    async def main() -> None:
        async with make_client(httpserver.url_for("/"), logger=quiet) as client:
            await client.get("/x")

    run(main())


def test_context_manager_closes_the_client(httpserver: HTTPServer) -> None:
    async def main() -> ProviderClient:
        async with make_client(httpserver.url_for("/")) as client:
            assert not client.is_closed
        return client

    assert run(main()).is_closed


# --- pieces ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {"error": {"message": "No such customer", "type": "invalid_request_error"}},
            "No such customer",
            id="stripe",
        ),
        pytest.param(
            {"name": "INVALID_REQUEST", "message": "Request is not well-formed"},
            "Request is not well-formed",
            id="paypal",
        ),
        pytest.param(
            {
                "name": "UNPROCESSABLE_ENTITY",
                "message": "The requested action could not be performed",
                "details": [{"issue": "INSTRUMENT_DECLINED", "description": "Declined"}],
            },
            "The requested action could not be performed (Declined)",
            id="paypal-details",
        ),
        pytest.param(
            {"error": "invalid_client", "error_description": "Client Authentication failed"},
            "Client Authentication failed",
            id="oauth",
        ),
        pytest.param(
            {"error": {"code": "BAD_REQUEST_ERROR", "description": "The id is invalid"}},
            "The id is invalid",
            id="razorpay",
        ),
        pytest.param(
            {"status": 422, "title": "Unprocessable Entity", "detail": "Amount too low"},
            "Amount too low",
            id="mollie",
        ),
        pytest.param(
            {"errors": [{"category": "X", "code": "UNAUTHORIZED", "detail": "Not authorized"}]},
            "Not authorized",
            id="square",
        ),
        pytest.param(
            {"code": 20404, "message": "The requested resource was not found", "status": 404},
            "The requested resource was not found",
            id="twilio",
        ),
        pytest.param(
            {"response": {"errors": [{"code": "250002", "message": "Invalid Authentication"}]}},
            "Invalid Authentication",
            id="ups",
        ),
        pytest.param(
            {"status": 401, "errorCode": "000", "message": "HTTP Status Response - Unauthorized"},
            "HTTP Status Response - Unauthorized",
            id="adyen",
        ),
        pytest.param({"error": "invalid_token"}, "invalid_token", id="bare-error-string"),
    ],
)
def test_provider_message_shapes(body: dict[str, Any], expected: str) -> None:
    assert provider_message(json.dumps(body)) == expected


def test_provider_message_fallbacks() -> None:
    assert provider_message(None) is None
    assert provider_message(b"   ") is None
    assert provider_message("Bad Gateway") == "Bad Gateway"
    assert provider_message("<html><body><h1>502 Bad Gateway</h1></body></html>") == (
        "502 Bad Gateway"
    )
    assert provider_message("{not json") == "{not json"
    long = provider_message("x" * 1000)
    assert long is not None and len(long) == 300 and long.endswith("…")


def test_parse_retry_after() -> None:
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("nan") is None
    now = 1_700_000_000.0
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30)
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now=now) == 0.0


def test_retry_policy_validation() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RateLimiter(0)


@given(retry=st.integers(min_value=0, max_value=10_000), seed=st.integers())
def test_backoff_stays_within_full_jitter_bounds(retry: int, seed: int) -> None:
    import random

    policy = RetryPolicy()
    delay = policy.backoff(retry, random.Random(seed))
    assert 0.0 <= delay <= min(policy.backoff_max, policy.backoff_base * 2 ** min(retry, 64))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["error", "errors", "message", "detail", "title", "response", "description", "x"]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@given(value=json_values)
def test_provider_message_never_raises(value: Any) -> None:
    found = provider_message(json.dumps(value))
    assert found is None or (0 < len(found) <= 300)
