"""OAuth2 client-credentials tokens for provider modules: one cache, one renewal, one retry.

A provider module opens a `ClientCredentialsSession` per sync (or connection test) and sends
its API calls through it. The session takes the access token from a `TokenCache` shared by all
sessions with the same token URL and credentials, asks the token endpoint for a new one only
when it is missing or about to expire, and sends each call with `Authorization: Bearer`. A call
answered 401 (the token expired or was revoked early) drops the token, gets a new one and is
sent once more; a second 401 is the error. Tokens live in memory only and are registered as
secrets, so no log record or error text can show them.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from ffdesk.redaction import register_secret
from ffdesk.sync.answers import answer_object
from ffdesk.sync.errors import CredentialsRejected, ProviderUnavailable
from ffdesk.sync.http import DEFAULT_TIMEOUT, ProviderClient, RateLimiter, RetryPolicy, Sleep

__all__ = [
    "DEFAULT_MARGIN",
    "TOKEN_CACHE",
    "CachedToken",
    "ClientCredentialsSession",
    "TokenCache",
    "TokenKey",
    "json_object",
]

T = TypeVar("T")

DEFAULT_MARGIN = 60.0  # renew this many seconds before the provider says a token expires


def json_object(response: httpx.Response, provider: str) -> dict[str, Any]:
    """The JSON object `response` carries, read through the checked path (`answer_object`)."""
    return answer_object(response, provider)


@dataclass(frozen=True, slots=True)
class TokenKey:
    """What a token is cached under; the secret enters only through a truncated hash."""

    token_url: str
    client_id: str
    fingerprint: str

    @classmethod
    def of(cls, token_url: str, client_id: str, secret: str, *extra: str) -> TokenKey:
        """The key for these credentials; `extra` (an account number, say) joins the hash."""
        material = "\0".join((client_id, secret, *extra))
        return cls(token_url, client_id, hashlib.sha256(material.encode()).hexdigest()[:16])


@dataclass(frozen=True, slots=True)
class CachedToken:
    """An access token and when it stops being used, on its cache's clock."""

    value: str = field(repr=False)
    expires_at: float


class TokenCache:
    """Access tokens by `TokenKey`, in memory only: never persisted, never in a repr.

    A token is used until the provider's `expires_in` less `margin` (at most a tenth of the
    lifetime, so short-lived tokens stay usable). `clock` gives monotonic seconds; tests replace
    it to move time forward. `lock(key)` is the lock under which one caller renews the token
    while the others wait for it (one lock per key and event loop).
    """

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, margin: float = DEFAULT_MARGIN
    ) -> None:
        self.clock = clock
        self.margin = margin
        self._entries: dict[TokenKey, CachedToken] = {}
        self._locks: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[TokenKey, asyncio.Lock]
        ] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"<TokenCache: {len(self._entries)} token(s)>"

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[TokenKey]:
        return iter(list(self._entries))

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def entry(self, key: TokenKey) -> CachedToken | None:
        """The cached token of `key`, expired or not."""
        return self._entries.get(key)

    def items(self) -> list[tuple[TokenKey, CachedToken]]:
        return list(self._entries.items())

    def lifetime(self, expires_in: Any) -> float:
        """Seconds a token may be used: `expires_in` (number or string) less the margin."""
        try:
            seconds = float(expires_in)
        except (TypeError, ValueError):
            seconds = 0.0
        if not math.isfinite(seconds):
            seconds = 0.0
        return max(0.0, seconds - min(self.margin, seconds / 10))

    def valid(self, key: TokenKey, *, not_this: str | None = None) -> str | None:
        """The token of `key` while it is still valid (and is not `not_this`), else None."""
        cached = self._entries.get(key)
        if cached is None or cached.value == not_this or cached.expires_at <= self.clock():
            return None
        return cached.value

    def put(self, key: TokenKey, token: str, expires_in: Any) -> CachedToken:
        """Keep `token` for `key` (registered as a secret) for its lifetime."""
        register_secret(token)
        cached = CachedToken(token, self.clock() + self.lifetime(expires_in))
        self._entries[key] = cached
        return cached

    def drop(self, key: TokenKey, token: str | None = None) -> None:
        """Forget the token of `key`; with `token`, only if it is still that one."""
        cached = self._entries.get(key)
        if cached is not None and (token is None or cached.value == token):
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()

    def lock(self, key: TokenKey) -> asyncio.Lock:
        """The lock renewals of `key` take on the running event loop."""
        locks = self._locks.setdefault(asyncio.get_running_loop(), {})
        return locks.setdefault(key, asyncio.Lock())


# The process-wide cache: every session uses it unless given another one.
TOKEN_CACHE = TokenCache()


class ClientCredentialsSession:
    """One sync's (or connection test's) OAuth2 client-credentials token and API calls.

    The token request is `POST {base_url}{token_path}` with `grant_type=client_credentials`
    (plus `token_data`) and the client id and secret as HTTP Basic auth, through a
    ProviderClient: its retries, rate limit, error messages and redaction apply. `headers` go
    with every request, `token_headers` with the token request only. A token the endpoint
    refuses (401/403) is CredentialsRejected, with `rejected_hint` appended when given.

    Each token gets its own ProviderClient with the bearer token in a constructor header, so
    the client masks it in every log; all clients share one rate limiter and are closed by
    `aclose` (or leaving `async with`).
    """

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        token_path: str,
        client_id: str,
        secret: str,
        key_extra: Iterable[str] = (),
        headers: Mapping[str, str] | None = None,
        token_headers: Mapping[str, str] | None = None,
        token_data: Mapping[str, str] | None = None,
        credential_label: str = "credentials",
        rejected_hint: str | None = None,
        rate_limit: float | RateLimiter | None = None,
        max_concurrency: int = 8,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        sleep: Sleep = asyncio.sleep,
        cache: TokenCache | None = None,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.token_path = token_path
        self.key = TokenKey.of(
            f"{self.base_url}/{token_path.lstrip('/')}", client_id, secret, *key_extra
        )
        self.cache = TOKEN_CACHE if cache is None else cache
        self._headers = dict(headers or {})
        self._token_data = {"grant_type": "client_credentials", **(token_data or {})}
        self._credential_label = credential_label
        self._rejected_hint = rejected_hint
        self._max_concurrency = max_concurrency
        self._retry = retry
        self._timeout = timeout
        self._sleep = sleep
        # One limiter for the token and the API calls: they draw on the same quota.
        if rate_limit is not None and not isinstance(rate_limit, RateLimiter):
            rate_limit = RateLimiter(rate_limit, sleep=sleep)
        self._limiter = rate_limit
        self._auth = self._new_client(
            {**self._headers, **(token_headers or {})},
            auth=(client_id, secret),
            secrets=[secret],
        )
        self._clients: dict[str, ProviderClient] = {}  # token -> the client sending it

    def _new_client(self, headers: Mapping[str, str], **extra: Any) -> ProviderClient:
        return ProviderClient(
            provider=self.provider,
            base_url=self.base_url,
            headers=headers,
            credential_label=self._credential_label,
            max_concurrency=self._max_concurrency,
            rate_limit=self._limiter,
            retry=self._retry,
            timeout=self._timeout,
            sleep=self._sleep,
            **extra,
        )

    async def __aenter__(self) -> ClientCredentialsSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for client in [self._auth, *self._clients.values()]:
            await client.aclose()
        self._clients.clear()

    # -- the token ---------------------------------------------------------------------------

    async def token(self, *, fresh: bool = False) -> str:
        """A valid access token: the cached one unless `fresh` or expired, else a new one.

        Concurrent callers that find none wait for the one that fetches it.
        """
        if not fresh and (token := self.cache.valid(self.key)):
            return token
        async with self.cache.lock(self.key):
            if not fresh and (token := self.cache.valid(self.key)):
                return token  # another caller fetched one meanwhile
            return await self._fetch()

    async def renew(self, stale: str) -> str:
        """A token other than `stale` (refused by the provider): fetched once for all callers."""
        async with self.cache.lock(self.key):
            if token := self.cache.valid(self.key, not_this=stale):
                return token  # another caller already renewed it
            self.cache.drop(self.key, stale)
            return await self._fetch()

    async def _fetch(self) -> str:
        try:
            response = await self._auth.post(self.token_path, data=self._token_data)
        except CredentialsRejected as exc:
            if not self._rejected_hint:
                raise
            raise CredentialsRejected(
                f"{exc.message} {self._rejected_hint}",
                provider=self.provider,
                status=exc.status,
                detail=exc.detail,
            ) from None
        body = json_object(response, self.provider)
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise ProviderUnavailable(
                f"{self.provider} answered the token request without an access token. "
                "Try again later.",
                provider=self.provider,
            )
        self.cache.put(self.key, token, body.get("expires_in"))
        return token

    def client(self, token: str) -> ProviderClient:
        """The ProviderClient that sends `token` as `Authorization: Bearer`."""
        client = self._clients.get(token)
        if client is None:
            # The token travels in a constructor header, so the client masks it in any log.
            client = self._new_client({"Authorization": f"Bearer {token}", **self._headers})
            self._clients[token] = client
        return client

    # -- API calls ---------------------------------------------------------------------------

    async def call(self, send: Callable[[ProviderClient], Awaitable[T]]) -> T:
        """`send(client)` with the current token; on a 401, once more with a renewed token.

        Any other error, and a 401 after the renewal, reaches the caller.
        """
        token = await self.token()
        try:
            return await send(self.client(token))
        except CredentialsRejected as exc:
            if exc.status != 401:
                raise
        # Expired or revoked before its time: one new token, one more try.
        token = await self.renew(token)
        return await send(self.client(token))

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """`ProviderClient.request(method, path, **kwargs)` through `call`."""
        return await self.call(lambda client: client.request(method, path, **kwargs))

    async def get_json(
        self,
        path: str,
        params: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """GET `path` through `call` and return the JSON object it answers."""
        response = await self.request("GET", path, params=params, headers=headers)
        return json_object(response, self.provider)
