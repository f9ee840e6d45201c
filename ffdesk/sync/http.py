"""The one HTTP client every provider module uses: timeouts, concurrency, rate limit, retries."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import os
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from types import TracebackType
from typing import Any

import httpx

from ffdesk.redaction import redact, register_secret
from ffdesk.sync.errors import ProviderError, error_for_status, unreachable
from ffdesk.sync.network import client_options, tls_reason
from ffdesk.sync.user_agent import user_agent

__all__ = [
    "DEFAULT_TIMEOUT",
    "ProviderClient",
    "RateLimiter",
    "RetryPolicy",
    "api_base",
    "parse_retry_after",
]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)

Sleep = Callable[[float], Awaitable[Any]]
QueryParams = Mapping[str, Any] | Sequence[tuple[str, Any]]

_NOT_IDENTIFIER = re.compile(r"[^0-9A-Za-z]+")
# Header values that are credentials in themselves; masked even if the caller forgot `secrets`.
_SECRET_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "x-auth-token"})
_RNG = random.Random()


def api_base(identifier: str, default: str) -> str:
    """The API root for module `identifier`: env `FFDESK_<IDENTIFIER>_API_BASE`, else `default`.

    Tests and staging point a module at a local server this way without touching its code.
    """
    name = f"FFDESK_{_NOT_IDENTIFIER.sub('_', identifier).upper()}_API_BASE"
    value = os.environ.get(name, "").strip()
    return (value or default).rstrip("/")


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` value (delta seconds or HTTP-date); None if unusable."""
    if not value or not (value := value.strip()):
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a failed call is tried again.

    Delay before retry n (0-based) is full jitter: uniform(0, min(backoff_max, backoff_base*2**n)),
    unless the server sent `Retry-After`, which wins (capped at `retry_after_max`).
    """

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    jitter: bool = True
    respect_retry_after: bool = True
    retry_after_max: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.backoff_base < 0 or self.backoff_max < 0 or self.retry_after_max < 0:
            raise ValueError("delays must not be negative")

    def backoff(self, retry: int, rng: random.Random | None = None) -> float:
        """The delay before retry number `retry` (0 for the first retry) when no Retry-After."""
        # min() on the exponent keeps 2**n from growing without bound on absurd retry counts.
        cap = min(self.backoff_max, self.backoff_base * 2 ** min(retry, 64))
        return (rng or _RNG).uniform(0.0, cap) if self.jitter else cap

    def delay(
        self, retry: int, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        """The delay before retry number `retry`, honouring the server's `Retry-After`."""
        if retry_after is not None and self.respect_retry_after:
            return min(retry_after, self.retry_after_max)
        return self.backoff(retry, rng)


class RateLimiter:
    """An asyncio token bucket: at most `rate` acquisitions per second, `burst` at once.

    Each caller reserves the next token at once (the count may go negative) and then sleeps
    until it is due, so waiters are served in arrival order and the loop is never blocked.
    """

    def __init__(
        self,
        rate: float,
        burst: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._updated = clock()

    async def acquire(self) -> None:
        """Wait until one more request may start."""
        # No await between reading and writing the bucket, so concurrent callers cannot race.
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        self._tokens -= 1.0
        if self._tokens < 0:
            try:
                await self._sleep(-self._tokens / self.rate)
            except asyncio.CancelledError:
                # Give the reserved slot back so a cancelled caller does not slow the others.
                self._tokens += 1.0
                raise

    async def __aenter__(self) -> RateLimiter:
        await self.acquire()
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


def _loggable_url(url: httpx.URL) -> str:
    # Scheme, host and path only: query strings and user info can carry keys and personal data.
    return f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}{url.path}"


def _transport_reason(exc: httpx.RequestError, timeout: httpx.Timeout) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connecting timed out after {timeout.connect:g} s"
    if isinstance(exc, httpx.ReadTimeout):
        return f"no answer within {timeout.read:g} s"
    if isinstance(exc, httpx.WriteTimeout):
        return "sending the request timed out"
    if isinstance(exc, httpx.PoolTimeout):
        return "no free connection in time"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the connection was closed before an answer arrived"
    text = str(exc).strip()
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect ({text})" if text else "could not connect"
    return text or type(exc).__name__


def _retryable(exc: httpx.RequestError) -> bool:
    # A bad URL scheme or a malformed request will fail the same way every time.
    return isinstance(exc, httpx.TransportError) and not isinstance(
        exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError
    )


class ProviderClient:
    """An `httpx.AsyncClient` for one provider with its timeouts, limits, retries and errors.

    `request` returns the 2xx response or raises a `ProviderError` subclass whose message is
    fit for the user. `attempts` and `retries` count HTTP attempts over the client's life.
    """

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_concurrency: int = 8,
        rate_limit: float | RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        secrets: Iterable[str | None] = (),
        transport: httpx.AsyncBaseTransport | None = None,
        logger: logging.Logger | None = None,
        sleep: Sleep = asyncio.sleep,
        credential_label: str = "credentials",
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        for secret in secrets:
            register_secret(secret)
        for name, value in (headers or {}).items():
            if name.lower() in _SECRET_HEADERS:
                register_secret(value)
                # "Bearer sk_..." : the token alone may be echoed back in an error body.
                register_secret(value.partition(" ")[2])
        if isinstance(auth, tuple):
            register_secret(auth[1])
        self.provider = provider
        self.credential_label = credential_label
        self.retry_policy = retry or RetryPolicy()
        self.timeout = timeout
        self.attempts = 0
        self.retries = 0
        self._logger = logger or logging.getLogger("ffdesk.sync.http")
        self._sleep = sleep
        self._semaphore = asyncio.Semaphore(max_concurrency)
        if isinstance(rate_limit, RateLimiter):
            # A shared limiter lets several clients of one provider share its quota.
            self._limiter: RateLimiter | None = rate_limit
        elif rate_limit is not None:
            self._limiter = RateLimiter(rate_limit, sleep=sleep)
        else:
            self._limiter = None
        self._client = httpx.AsyncClient(
            base_url=base_url,
            headers={"User-Agent": user_agent(), **(headers or {})},
            auth=auth,
            timeout=timeout,
            transport=transport,
            # The semaphore already bounds in-flight requests; a pool of the same size keeps
            # every connection reusable without opening ones that would sit idle.
            limits=httpx.Limits(
                max_connections=max_concurrency, max_keepalive_connections=max_concurrency
            ),
            **client_options(),  # proxies and CA bundle of a corporate network
        )

    @property
    def base_url(self) -> httpx.URL:
        """The root every relative path is resolved against."""
        return self._client.base_url

    @property
    def is_closed(self) -> bool:
        """True once `aclose` has run."""
        return self._client.is_closed

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        data: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        retry: bool = True,
    ) -> httpx.Response:
        """Send one call, retried unless `retry=False`; the 2xx response or a ProviderError."""
        request = self._client.build_request(
            method, path, params=params, data=data, json=json, headers=headers
        )
        policy = self.retry_policy
        max_attempts = policy.max_attempts if retry else 1
        logger = self._logger
        debug = logger.isEnabledFor(logging.DEBUG)
        attempt = 0
        while True:
            attempt += 1
            self.attempts += 1
            async with self._semaphore:
                if self._limiter is not None:
                    await self._limiter.acquire()
                started = time.perf_counter() if debug else 0.0
                try:
                    response = await self._client.send(request)
                except httpx.RequestError as exc:
                    if debug:
                        self._log_attempt(request, type(exc).__name__, started)
                    if attempt >= max_attempts or not _retryable(exc):
                        raise unreachable(
                            self.provider,
                            tls_reason(exc, request.url.host)
                            or _transport_reason(exc, self.timeout),
                            attempts=attempt,
                        ) from exc
                    outcome = type(exc).__name__
                    delay = policy.delay(attempt - 1)
                else:
                    status = response.status_code
                    if debug:
                        self._log_attempt(request, str(status), started)
                    if 200 <= status < 300:
                        return response
                    retry_after = (
                        parse_retry_after(response.headers.get("retry-after"))
                        if status == 429 or status >= 500
                        else None
                    )
                    if attempt >= max_attempts or (status != 429 and status < 500):
                        raise self._error(response, attempt, retry_after)
                    outcome = str(status)
                    delay = policy.delay(attempt - 1, retry_after)
            # Back off outside the semaphore so waiting calls do not hold a slot.
            self.retries += 1
            if logger.isEnabledFor(logging.WARNING):
                logger.warning(
                    redact(
                        f"{self.provider}: {request.method} {_loggable_url(request.url)} -> "
                        f"{outcome}; retry {attempt} of {max_attempts - 1} in {delay:.2f} s"
                    )
                )
            await self._sleep(delay)

    def _log_attempt(self, request: httpx.Request, outcome: str, started: float) -> None:
        elapsed = (time.perf_counter() - started) * 1000.0
        self._logger.debug(
            redact(f"{request.method} {_loggable_url(request.url)} -> {outcome} ({elapsed:.0f} ms)")
        )

    def _error(
        self, response: httpx.Response, attempts: int, retry_after: float | None
    ) -> ProviderError:
        return error_for_status(
            self.provider,
            response.status_code,
            response.content,
            attempts=attempts,
            retry_after=retry_after,
            credential_label=self.credential_label,
        )

    async def get(
        self,
        path: str,
        *,
        params: QueryParams | None = None,
        headers: Mapping[str, str] | None = None,
        retry: bool = True,
    ) -> httpx.Response:
        """`request("GET", ...)`."""
        return await self.request("GET", path, params=params, headers=headers, retry=retry)

    async def post(
        self,
        path: str,
        *,
        params: QueryParams | None = None,
        data: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        retry: bool = True,
    ) -> httpx.Response:
        """`request("POST", ...)`."""
        return await self.request(
            "POST", path, params=params, data=data, json=json, headers=headers, retry=retry
        )

    async def delete(
        self,
        path: str,
        *,
        params: QueryParams | None = None,
        headers: Mapping[str, str] | None = None,
        retry: bool = True,
    ) -> httpx.Response:
        """`request("DELETE", ...)`."""
        return await self.request("DELETE", path, params=params, headers=headers, retry=retry)

    async def aclose(self) -> None:
        """Close the connections; the client cannot be used afterwards."""
        await self._client.aclose()

    async def __aenter__(self) -> ProviderClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
