"""The one HTTP client every provider module uses: timeouts, concurrency, rate limit, retries.

What a run sees of it:
- One adaptive limiter per provider account (`limiter_for`): a 429 pauses every request of the
  account (Retry-After, or an exponential backoff, plus jitter), then the rate is halved and
  climbs back slowly towards the module's documented default (AIMD, as TCP does).
- 429s are retried for a time budget (`RetryPolicy.rate_limit_patience`), 5xx and network
  errors for a number of attempts; a `Stripe-Should-Retry`-style header decides where present.
- A call that fails for good fails its record; after `breaker_after` calls in a row failed
  with 5xx or connection errors the client stops (circuit breaker): the provider is down.
- Each attempt has an overall deadline and each answer a size ceiling, read as a stream.
"""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import errno
import hashlib
import logging
import math
import os
import random
import re
import socket
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC
from types import TracebackType
from typing import Any

import httpx

from ffdesk.redaction import redact, register_basic_auth, register_secret
from ffdesk.sync.errors import (
    AnswerTooLarge,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    error_for_status,
    unreachable,
)
from ffdesk.sync.network import client_options, proxy_for, tls_reason, untrusted_certificate
from ffdesk.sync.probe import PROBE
from ffdesk.sync.user_agent import user_agent

_UNREACHABLE_ERRNOS = frozenset(
    {getattr(errno, name) for name in ("ENETUNREACH", "EHOSTUNREACH") if hasattr(errno, name)}
)

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_TIMEOUT",
    "MAX_ANSWER_BYTES",
    "PACING",
    "Pacing",
    "ProviderClient",
    "RateLimiter",
    "RetryPolicy",
    "api_base",
    "forget_limiters",
    "limiter_for",
    "parse_retry_after",
    "rate_limit_for",
]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
#: Seconds one attempt may take as a whole, answer included: the read timeout alone restarts
#: with every byte, so a server dripping one byte a second would hold a sync forever.
DEFAULT_DEADLINE = 120.0
#: The largest answer read; past it the answer is refused (no provider page comes near it).
MAX_ANSWER_BYTES = 20 * 1024 * 1024
#: Calls in a row that fail with 5xx or connection errors before the provider counts as down.
BREAKER_AFTER = 5
#: Headers by which a provider says whether a failed call may be retried ("true"/"false").
SHOULD_RETRY_HEADERS = ("stripe-should-retry", "x-should-retry")

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


def rate_limit_for(identifier: str, default: float) -> float | None:
    """Requests/s for module `identifier`: env `FFDESK_<IDENTIFIER>_RATE_LIMIT` (0: no pacing,
    only the pauses 429s ask for), else its documented `default`."""
    name = f"FFDESK_{_NOT_IDENTIFIER.sub('_', identifier).upper()}_RATE_LIMIT"
    value = os.environ.get(name, "").strip()
    rate = float(value) if value else default
    return rate if rate > 0 else None


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
    unless the server sent `Retry-After`, which wins (capped at `retry_after_max`) and gets a
    little jitter on top, so that clients told the same instant do not all come back at it.
    `max_attempts` counts attempts that ended in a 5xx or a network error; 429s are retried
    instead until `rate_limit_patience` seconds have passed since the first one.
    """

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    jitter: bool = True
    respect_retry_after: bool = True
    retry_after_max: float = 60.0
    rate_limit_patience: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.backoff_base < 0 or self.backoff_max < 0 or self.retry_after_max < 0:
            raise ValueError("delays must not be negative")
        if self.rate_limit_patience < 0:
            raise ValueError("rate_limit_patience must not be negative")

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
            return self.spread(min(retry_after, self.retry_after_max), rng)
        return self.backoff(retry, rng)

    def spread(self, delay: float, rng: random.Random | None = None) -> float:
        """`delay` plus up to 10 % (at least 0.1 s) of jitter, unless jitter is off."""
        if not self.jitter:
            return delay
        return delay + (rng or _RNG).uniform(0.0, max(0.1, delay * 0.1))


class RateLimiter:
    """An adaptive asyncio token bucket: at most `rate` acquisitions per second, `burst` at once.

    Each caller reserves the next token at once (the count may go negative) and then sleeps
    until it is due, so waiters are served in arrival order and the loop is never blocked.

    `rate_limited` (a 429) pauses every caller until the pause ends and halves the rate (once
    per reaction: the 429s of requests sent before the last cut say nothing about the new
    rate); the rate then climbs back by `ceiling / 50` per second, to `ceiling` (the module's
    documented default) and never above it. A limiter without a rate paces nothing and only
    pauses.
    """

    #: How much of the ceiling the rate regains per second after a cut: half the ceiling back
    #: in 25 s, slow enough that a server limited below the default sees few 429s.
    RECOVERY = 1 / 50
    #: The rate never falls below this share of the ceiling.
    FLOOR = 1 / 64

    def __init__(
        self,
        rate: float | None,
        burst: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if rate is not None and not rate > 0:
            raise ValueError("rate must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.ceiling = math.inf if rate is None else float(rate)
        self.rate = self.ceiling
        self.burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or _RNG
        self._tokens = self.burst
        self._updated = clock()
        self._grown = self._updated
        self._paused_until = -math.inf
        self._pause = 0  # the number of the latest pause; each caller waits for each one once
        self._cut_at = -math.inf
        self._streak = 0  # 429s since the last answer that was not one, for the backoff
        #: 429s seen and seconds paused over the limiter's life.
        self.throttled = 0
        self.paused = 0.0

    def cap(self, ceiling: float | None) -> None:
        """Set the most the rate may climb back to (an administrator's lower limit)."""
        if ceiling is None or not ceiling > 0:
            return
        self.ceiling = float(ceiling)
        self.rate = min(self.rate, self.ceiling)

    @property
    def paused_for(self) -> float:
        """Seconds until the current pause ends (0 when not paused)."""
        return max(0.0, self._paused_until - self._clock())

    async def acquire(self, sleep: Sleep | None = None) -> float:
        """Wait until one more request may start; returns the clock time it starts at.

        `sleep` replaces the limiter's own for this call (each client brings its own).
        """
        sleep = sleep or self._sleep
        waited_for = 0
        while True:
            now = self._clock()
            if self._pause != waited_for and self._paused_until > now:
                waited_for = self._pause
                await sleep(self._paused_until - now)
                continue
            waited_for = self._pause
            if math.isinf(self.rate):
                return now
            self._refill(now)
            self._tokens -= 1.0
            if self._tokens >= 0:
                return now
            try:
                await sleep(-self._tokens / self.rate)
            except asyncio.CancelledError:
                # Give the reserved slot back so a cancelled caller does not slow the others.
                self._tokens += 1.0
                raise
            if self._pause == waited_for:
                return self._clock()
            # A 429 paused everyone while this caller slept: its slot is void, queue again.

    def _refill(self, now: float) -> None:
        # No await between reading and writing the bucket, so concurrent callers cannot race.
        if self.rate < self.ceiling and now > self._paused_until:
            step = self.ceiling * self.RECOVERY * max(0.0, now - max(self._grown, self._cut_at))
            self.rate = min(self.ceiling, self.rate + step)
        self._grown = now
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        self._updated = max(self._updated, now)

    def rate_limited(self, retry_after: float | None, sent_at: float) -> float | None:
        """A request sent at `sent_at` got a 429: pause everyone and slow down.

        The pause is Retry-After (or 1, 2, 4 ... s, at most 60, when there is none) plus
        jitter. Returns its length when this 429 started or lengthened a pause, else None.
        """
        now = self._clock()
        self.throttled += 1
        self._streak += 1
        if sent_at >= self._cut_at:
            if not math.isinf(self.rate):
                self.rate = max(self.ceiling * self.FLOOR, self.rate / 2)
            self._cut_at = now
        if retry_after is None:
            retry_after = min(60.0, 2.0 ** min(self._streak - 1, 6))
        wait = retry_after + self._rng.uniform(0.0, max(0.1, retry_after * 0.1))
        until = now + wait
        if until <= self._paused_until:
            return None
        self.paused += until - max(now, self._paused_until)
        self._paused_until = until
        self._pause += 1
        # Reservations made before the pause are void; the bucket starts empty after it.
        self._tokens = 0.0
        self._updated = until
        return wait

    def answered(self) -> None:
        """A request got an answer other than 429: the exponential pause starts over."""
        self._streak = 0

    async def __aenter__(self) -> RateLimiter:
        await self.acquire()
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


_LIMITERS: OrderedDict[str, RateLimiter] = OrderedDict()
_MAX_LIMITERS = 256


def limiter_for(
    account: str,
    rate: float | None,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> RateLimiter:
    """The one limiter of a provider account (`account`: a key that names it, no secret).

    Every client of the account in this process shares it, so what it learnt (a lower rate
    after 429s) outlives one run; `rate` (the module's default, or lower) is its ceiling.
    """
    limiter = _LIMITERS.get(account)
    if limiter is None:
        limiter = _LIMITERS[account] = RateLimiter(rate, clock=clock, sleep=sleep)
        while len(_LIMITERS) > _MAX_LIMITERS:
            _LIMITERS.popitem(last=False)
    else:
        _LIMITERS.move_to_end(account)
        if rate is not None:
            # The ceiling follows the latest setting, up or down; the learnt rate stays below.
            limiter.ceiling = float(rate)
            limiter.rate = min(limiter.rate, limiter.ceiling)
    return limiter


def forget_limiters() -> None:
    """Forget every account's limiter and what it learnt (tests start from a clean slate)."""
    _LIMITERS.clear()


def account_key(provider: str, base_url: str, credentials: Iterable[str | None]) -> str:
    """A key naming one provider account: a hash, so no secret is kept in clear."""
    digest = hashlib.sha256()
    for part in (provider, base_url, *sorted(c for c in credentials if c)):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


@dataclass(eq=False)
class Pacing:
    """What the run in progress asks of the clients it opens, and what they tell it back.

    The runner sets one in `PACING` for the run; every `ProviderClient` made inside reads it:
    `rate_cap` lowers the module's default rate, `patience` is the 429 budget in seconds, and
    `on_wait(provider, seconds)` hears of each pause. `rate_limited` counts the 429s and
    `waited` the seconds paused.
    """

    rate_cap: float | None = None
    patience: float | None = None
    on_wait: Callable[[str, float], None] | None = None
    rate_limited: int = 0
    waited: float = 0.0
    providers: set[str] = field(default_factory=set)

    def paused(self, provider: str, seconds: float, added: float) -> None:
        self.waited += added
        self.providers.add(provider)
        if self.on_wait is not None:
            self.on_wait(provider, seconds)


PACING: contextvars.ContextVar[Pacing | None] = contextvars.ContextVar(
    "ffdesk_pacing", default=None
)


def _duration(seconds: float) -> str:
    if seconds >= 90:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"


def _loggable_url(url: httpx.URL) -> str:
    # Scheme, host and path only: query strings and user info can carry keys and personal data.
    return f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}{url.path}"


def _origin(url: httpx.URL) -> str:
    """Scheme, host and port: the address tried, without path, query or user info."""
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


def _at_most(value: float | None, limit: float) -> float:
    return limit if value is None else min(value, limit)


def _transport_reason(exc: httpx.RequestError, timeout: httpx.Timeout, url: httpx.URL) -> str:
    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError):
        return _connect_reason(exc, timeout, url)
    if isinstance(exc, httpx.ReadTimeout):
        return f"no answer within {timeout.read:g} s"
    if isinstance(exc, httpx.WriteTimeout):
        return "sending the request timed out"
    if isinstance(exc, httpx.PoolTimeout):
        return "no free connection in time"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        # Closed (FIN) or reset (RST): which one the client sees is a matter of timing.
        return "the connection was closed before an answer arrived"
    return str(exc).strip() or "the connection failed"


def _connect_reason(exc: httpx.RequestError, timeout: httpx.Timeout, url: httpx.URL) -> str:
    """Where ffdesk tried to connect (and through which proxy) and why it failed, in our words:
    the library's own ("All connection attempts failed") says neither."""
    address = _origin(url)
    proxy = proxy_for(str(url))
    where = f"{address} through the proxy {proxy}" if proxy else address
    if isinstance(exc, httpx.ConnectTimeout):
        why = f"no answer to the connection within {timeout.connect:g} s"
    else:
        why = _socket_failure(exc, url.host, proxy)
    return f"could not connect to {where} ({why})"


def _socket_failure(exc: BaseException, host: str, proxy: str | None) -> str:
    """The operating system's reason for a failed connection, in plain words."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ConnectionRefusedError):
            return "the proxy refused the connection" if proxy else "the connection was refused"
        if isinstance(cause, socket.gaierror):
            name = httpx.URL(proxy).host if proxy else host
            return f"the name {name} could not be found"
        if isinstance(cause, OSError) and cause.errno in _UNREACHABLE_ERRNOS:
            return "the network or the host is unreachable"
        cause = cause.__cause__ or cause.__context__
    if "refused" in str(exc).lower():
        return "the proxy refused the connection" if proxy else "the connection was refused"
    return "the connection failed"


def _retryable(exc: httpx.RequestError) -> bool:
    # A bad URL scheme, a malformed request or a certificate this computer does not trust
    # fails the same way every time: say so at once instead of after a round of backoff.
    if not isinstance(exc, httpx.TransportError):
        return False
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        return False
    return not untrusted_certificate(exc)


class _DeadlinePassed(Exception):
    """One attempt took longer than the client's deadline, answer included."""


def _should_retry(headers: httpx.Headers) -> bool | None:
    """What the provider says about retrying this answer (Stripe-Should-Retry), if anything."""
    for name in SHOULD_RETRY_HEADERS:
        value = headers.get(name)
        if value is not None:
            value = value.strip().lower()
            if value in ("true", "1", "yes"):
                return True
            if value in ("false", "0", "no"):
                return False
    return None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


class ProviderClient:
    """An `httpx.AsyncClient` for one provider with its timeouts, limits, retries and errors.

    `request` returns the 2xx response (its body read, at most `max_answer_bytes`) or raises a
    `ProviderError` subclass whose message is fit for the user. `attempts` and `retries` count
    HTTP attempts over the client's life, `rate_limited` the 429s among them.
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
        deadline: float = DEFAULT_DEADLINE,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
        breaker_after: int = BREAKER_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if deadline <= 0 or max_answer_bytes < 1 or breaker_after < 1:
            raise ValueError("deadline, max_answer_bytes and breaker_after must be positive")
        secrets = [s for s in secrets if s]
        for secret in secrets:
            register_secret(secret)
        credentials = list(secrets)
        for name, value in (headers or {}).items():
            if name.lower() in _SECRET_HEADERS:
                register_secret(value)
                # "Bearer sk_..." : the token alone may be echoed back in an error body.
                register_secret(value.partition(" ")[2])
                credentials.append(value)
        if isinstance(auth, tuple):
            # "Basic base64(user:secret)" decodes to the secret: mask that form too.
            register_basic_auth(auth[0], auth[1])
            credentials.extend(auth)
        pacing = PACING.get()
        self._pacing = pacing
        policy = retry or RetryPolicy()
        if pacing is not None and pacing.patience is not None:
            policy = replace(policy, rate_limit_patience=max(0.0, float(pacing.patience)))
        probe = PROBE.get()
        self._probe = probe
        if probe is not None:
            # Someone is waiting for "Test connection": a failure without any answer is final
            # (see `request`), a 5xx is retried after short pauses only.
            policy = replace(
                policy,
                backoff_max=min(policy.backoff_max, probe.backoff_max),
                retry_after_max=min(policy.retry_after_max, probe.backoff_max),
                rate_limit_patience=min(policy.rate_limit_patience, probe.rate_limit_patience),
            )
            timeout = httpx.Timeout(
                connect=_at_most(timeout.connect, probe.connect),
                read=_at_most(timeout.read, probe.read),
                write=_at_most(timeout.write, probe.read),
                pool=_at_most(timeout.pool, probe.connect),
            )
            deadline = min(float(deadline), probe.deadline)
        self.provider = provider
        self.credential_label = credential_label
        self.retry_policy = policy
        self.timeout = timeout
        self.deadline = float(deadline)
        self.max_answer_bytes = int(max_answer_bytes)
        self.breaker_after = int(breaker_after)
        self.attempts = 0
        self.retries = 0
        self.rate_limited = 0
        self._failed_in_a_row = 0
        self._outage: ProviderUnavailable | None = None
        self._logger = logger or logging.getLogger("ffdesk.sync.http")
        self._sleep = sleep
        self._clock = clock
        self._semaphore = asyncio.Semaphore(max_concurrency)
        cap = pacing.rate_cap if pacing is not None and pacing.rate_cap else None
        if isinstance(rate_limit, RateLimiter):
            # A shared limiter lets several clients of one provider share its quota.
            self._limiter = rate_limit
            self._limiter_sleep: Sleep | None = None  # it waits with its own sleep
            if cap is not None and cap < rate_limit.ceiling:
                rate_limit.cap(cap)
        else:
            # An administrator may only lower the module's documented default, never raise it.
            rate = rate_limit if rate_limit else None
            if cap is not None:
                rate = min(rate, cap) if rate is not None else cap
            self._limiter_sleep = sleep
            if clock is time.monotonic:
                key = account_key(provider, base_url, credentials)
                self._limiter = limiter_for(key, rate, clock=clock, sleep=sleep)
            else:  # a test's own clock: a limiter of its own, never one shared with others
                self._limiter = RateLimiter(rate, clock=clock, sleep=sleep)
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

    @property
    def limiter(self) -> RateLimiter:
        """The rate limiter of this client's provider account."""
        return self._limiter

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
        """Send one call, retried unless `retry=False`; the 2xx response or a ProviderError.

        The same request (its Idempotency-Key header included) is sent again on each retry.
        """
        if self._outage is not None:
            raise self._outage
        request = self._client.build_request(
            method, path, params=params, data=data, json=json, headers=headers
        )
        policy = self.retry_policy
        max_attempts = policy.max_attempts if retry else 1
        logger = self._logger
        debug = logger.isEnabledFor(logging.DEBUG)
        failures = 0  # attempts that ended in a 5xx or a network error
        first_429: float | None = None
        attempt = 0
        while True:
            attempt += 1
            self.attempts += 1
            async with self._semaphore:
                sent_at = await self._limiter.acquire(self._limiter_sleep)
                if self._outage is not None:
                    raise self._outage  # the breaker opened while this call waited
                started = time.perf_counter() if debug else 0.0
                try:
                    response = await self._send(request)
                except (httpx.RequestError, _DeadlinePassed) as exc:
                    if debug:
                        self._log_attempt(request, type(exc).__name__, started)
                    failures += 1
                    # In a Test, no answer at all (refused, dropped, silent) is the answer.
                    if (
                        failures >= max_attempts
                        or not self._retryable(exc)
                        or self._probe is not None
                    ):
                        reason = self._reason(exc, request)
                        raise self._failed(
                            unreachable(self.provider, reason, attempts=attempt)
                        ) from exc
                    outcome = type(exc).__name__
                    delay = policy.delay(failures - 1)
                else:
                    status = response.status_code
                    if debug:
                        self._log_attempt(request, str(status), started)
                    if status != 429:
                        self._limiter.answered()
                    if 200 <= status < 300:
                        self._failed_in_a_row = 0
                        return response
                    should_retry = _should_retry(response.headers)
                    retry_after = (
                        parse_retry_after(response.headers.get("retry-after"))
                        if status == 429 or status >= 500
                        else None
                    )
                    if status == 429:
                        self._failed_in_a_row = 0
                        self._throttled(retry_after, sent_at)
                        now = self._clock()
                        first_429 = now if first_429 is None else first_429
                        if not retry or should_retry is False:
                            raise self._error(response, attempt, retry_after)
                        if now - first_429 >= policy.rate_limit_patience:
                            raise self._out_of_patience(response, attempt, retry_after)
                        outcome = "429"
                        delay = 0.0  # the limiter holds this call, and every other, for the pause
                    elif status >= 500 or should_retry:
                        failures += 1
                        if failures >= max_attempts or should_retry is False:
                            raise self._failed(self._error(response, attempt, retry_after))
                        outcome = str(status)
                        delay = policy.delay(failures - 1, retry_after)
                    else:
                        # The provider answered: it is up, whatever it thought of the request.
                        self._failed_in_a_row = 0
                        raise self._error(response, attempt, retry_after)
            # Back off outside the semaphore so waiting calls do not hold a slot.
            self.retries += 1
            if logger.isEnabledFor(logging.WARNING):
                if outcome == "429":
                    then = f"retried after the rate limit pause ({self._limiter.rate:.1f}/s)"
                else:
                    then = f"retry {failures} of {max_attempts - 1} in {delay:.2f} s"
                logger.warning(
                    redact(
                        f"{self.provider}: {request.method} {_loggable_url(request.url)} -> "
                        f"{outcome}; {then}"
                    )
                )
            if delay:
                await self._sleep(delay)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        """One attempt within the deadline; the body read as a stream, up to the ceiling."""
        try:
            async with asyncio.timeout(self.deadline):
                response = await self._client.send(request, stream=True)
                try:
                    await self._read_bounded(response)
                finally:
                    await response.aclose()
        except TimeoutError as exc:
            raise _DeadlinePassed() from exc
        return response

    async def _read_bounded(self, response: httpx.Response) -> None:
        limit = self.max_answer_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise self._too_large(int(declared))
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise self._too_large(None)
            chunks.append(chunk)
        # What Response.aread() stores: `.content`, `.text` and `.json()` work as usual.
        response._content = b"".join(chunks)

    def _too_large(self, size: int | None) -> AnswerTooLarge:
        what = f" ({_megabytes(size)})" if size is not None else ""
        return AnswerTooLarge(
            f"{self.provider} sent an answer larger than {_megabytes(self.max_answer_bytes)}"
            f"{what}; ffdesk stopped reading it and used none of it.",
            provider=self.provider,
        )

    def _retryable(self, exc: Exception) -> bool:
        return isinstance(exc, _DeadlinePassed) or (
            isinstance(exc, httpx.RequestError) and _retryable(exc)
        )

    def _reason(self, exc: Exception, request: httpx.Request) -> str:
        if isinstance(exc, _DeadlinePassed):
            return f"no complete answer within {self.deadline:g} s"
        assert isinstance(exc, httpx.RequestError)
        tls = tls_reason(exc, request.url.host)  # names the host itself
        if tls is not None:
            return tls
        reason = _transport_reason(exc, self.timeout, request.url)
        if self._probe is not None and not reason.startswith("could not connect to "):
            # Someone tests the connection: say which address answered that way.
            reason = f"{reason} (at {_origin(request.url)})"
        return reason

    def _throttled(self, retry_after: float | None, sent_at: float) -> None:
        self.rate_limited += 1
        limiter = self._limiter
        before = limiter.paused
        wait = limiter.rate_limited(retry_after, sent_at)
        pacing = self._pacing
        if pacing is not None:
            pacing.rate_limited += 1
            if wait is not None:
                pacing.paused(self.provider, wait, limiter.paused - before)
        if wait is not None and self._logger.isEnabledFor(logging.INFO):
            self._logger.info(
                "%s: rate limited (HTTP 429); every request waits %.1f s, then %.1f/s",
                self.provider,
                wait,
                limiter.rate,
            )

    def _failed(self, error: ProviderError) -> ProviderError:
        """Count a call that failed for good; open the breaker after too many in a row."""
        if not isinstance(error, ProviderUnavailable):
            return error
        self._failed_in_a_row += 1
        if self._failed_in_a_row < self.breaker_after or self._outage is not None:
            return self._outage or error
        reason = error.message.removeprefix(f"{self.provider} could not be reached: ")
        outage = ProviderUnavailable(
            f"{self.provider} could not be reached: {self._failed_in_a_row} calls in a row "
            f"failed; the last: {reason}",
            provider=self.provider,
            status=error.status,
            detail=error.detail,
            code=error.code,
        )
        outage.outage = True
        self._outage = outage
        return outage

    def _out_of_patience(
        self, response: httpx.Response, attempts: int, retry_after: float | None
    ) -> RateLimited:
        base = self._error(response, attempts, retry_after)
        patience = self.retry_policy.rate_limit_patience
        return RateLimited(
            f"{self.provider} kept limiting the request rate (HTTP 429) for more than "
            f"{_duration(patience)}, so ffdesk stopped. Try again later, or lower the request "
            "rate of this integration if other programs use the same account.",
            provider=self.provider,
            detail=base.detail,
            retry_after=retry_after,
            code=base.code,
        )

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
