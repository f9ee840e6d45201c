"""The shared OAuth2 client-credentials session against a local token endpoint and API."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from ffdesk.redaction import redact
from ffdesk.sync import (
    TOKEN_CACHE,
    ClientCredentialsSession,
    CredentialsRejected,
    ProviderUnavailable,
    RetryPolicy,
    TokenCache,
    TokenKey,
)
from tests.fakes.harness import FakeServer, HttpError, Request, Response, route

CLIENT_ID = "ffdesk-oauth-client-0000000000"
SECRET = "ffdesk-oauth-secret-1111111111111111"
TOKEN_PATH = "/oauth2/token"
API = "/v1/things"
FAST = {"Retry-After": "0"}


class FakeOAuth(FakeServer):
    """A token endpoint (HTTP Basic client credentials) and one API needing its bearer token.

    `tokens` are the ones the API accepts; `revoke` empties it as a provider revoking tokens
    early would, `refuse_all` refuses even new ones. A refused bearer token is echoed in the
    401 body, as careless APIs do, so the tests can see that it is masked.
    """

    def __init__(self) -> None:
        super().__init__()
        self.expires_in: Any = 3600
        self.refuse_all = False
        self.tokens: set[str] = set()
        self.issued: list[str] = []
        self.token_bodies: list[dict[str, str]] = []
        self.bearers: list[str] = []  # the token of every API call, in order

    @property
    def token_requests(self) -> int:
        with self.lock:
            return len(self.token_bodies)

    def revoke(self) -> None:
        with self.lock:
            self.tokens.clear()

    @route("POST", TOKEN_PATH)
    def token(self, request: Request) -> Response:
        self.token_bodies.append(dict(request.form_pairs))
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        decoded = base64.b64decode(encoded).decode() if scheme.lower() == "basic" else ""
        if decoded != f"{CLIENT_ID}:{SECRET}":
            raise HttpError(
                401,
                {"error": "invalid_client", "error_description": "Client Authentication failed"},
            )
        if dict(request.form_pairs).get("grant_type") != "client_credentials":
            raise HttpError(400, {"error": "unsupported_grant_type"})
        token = f"tok{len(self.issued):03d}-" + "x" * 40
        self.issued.append(token)
        self.tokens.add(token)
        return (
            200,
            {},
            {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in},
        )

    @route("GET", API)
    def things(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        self.bearers.append(token)
        if scheme != "Bearer" or token not in self.tokens or self.refuse_all:
            raise HttpError(
                401,
                {"error": "invalid_token", "error_description": f"Token {token} is not valid"},
            )
        return 200, {}, {"things": [request.arg("n")]}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def no_sleep(delay: float) -> None:
    await asyncio.sleep(0)


def assert_hidden(caplog: pytest.LogCaptureFixture, fake: FakeOAuth) -> None:
    """No token and not the secret in any captured log record."""
    assert fake.issued
    for record in caplog.records:
        for value in [*fake.issued, SECRET]:
            assert value not in record.getMessage()
    for value in [*fake.issued, SECRET]:
        assert value not in caplog.text


@pytest.fixture
def fake() -> Iterator[FakeOAuth]:
    with FakeOAuth() as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(clock: Clock) -> TokenCache:
    return TokenCache(clock=clock)


def session(fake: FakeOAuth, cache: TokenCache, **kwargs: Any) -> ClientCredentialsSession:
    options: dict[str, Any] = {
        "provider": "Acme",
        "base_url": fake.url,
        "token_path": TOKEN_PATH,
        "client_id": CLIENT_ID,
        "secret": SECRET,
        "credential_label": "Acme Client ID and Secret",
        "retry": RetryPolicy(max_attempts=3),
        "sleep": no_sleep,
        "cache": cache,
    }
    return ClientCredentialsSession(**{**options, **kwargs})


def test_token_is_reused_until_it_expires_then_renewed(
    fake: FakeOAuth, cache: TokenCache, clock: Clock
) -> None:
    async def scenario() -> None:
        async with session(fake, cache) as api:
            for n in range(3):
                assert await api.get_json(API, {"n": n}) == {"things": [str(n)]}
            assert fake.token_requests == 1
            assert fake.token_bodies == [{"grant_type": "client_credentials"}]
            assert fake.bearers == [fake.issued[0]] * 3

            # expires_in 3600 less the 60 s margin: still used just before, renewed at 3540 s.
            clock.now += 3539
            await api.get_json(API)
            assert fake.token_requests == 1
            clock.now += 1
            await api.get_json(API)
            assert fake.token_requests == 2
            assert fake.bearers[-1] == fake.issued[1]
            assert len(fake.bearers) == 5  # no 401 on the way: renewed before use

        # A new session with the same credentials finds the token in the cache.
        async with session(fake, cache) as again:
            await again.get_json(API)
        assert fake.token_requests == 2

    asyncio.run(scenario())


def test_lifetime_margin_and_odd_expires_in(cache: TokenCache) -> None:
    assert cache.lifetime(3600) == 3540
    assert cache.lifetime("14399") == 14339  # UPS sends a string
    assert cache.lifetime(300) == 270  # short-lived: a tenth, not the full margin
    for odd in (None, "soon", -5, float("nan"), float("inf")):
        assert cache.lifetime(odd) == 0.0


def test_a_401_drops_the_token_and_retries_once(
    fake: FakeOAuth, cache: TokenCache, clock: Clock
) -> None:
    async def scenario() -> None:
        async with session(fake, cache) as api:
            await api.get_json(API)
            first = fake.issued[0]
            fake.revoke()  # revoked before its time
            assert await api.get_json(API, {"n": 7}) == {"things": ["7"]}
            assert fake.token_requests == 2
            assert fake.bearers == [first, first, fake.issued[1]]
            assert cache.valid(api.key) == fake.issued[1]

    asyncio.run(scenario())


def test_a_second_401_after_renewal_is_credentials_rejected(
    fake: FakeOAuth, cache: TokenCache, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async def scenario() -> None:
        async with session(fake, cache) as api:
            fake.fail_next(
                2,
                401,
                {"error": "invalid_token", "error_description": "Token signature failed"},
                path_prefix=API,
            )
            with pytest.raises(CredentialsRejected) as caught:
                await api.get_json(API)
            assert caught.value.status == 401
            assert str(caught.value) == (
                "Acme rejected the credentials: Token signature failed. "
                "Check the Acme Client ID and Secret."
            )
            assert fake.token_requests == 2  # the first token and one renewal, no more
            assert fake.count("GET", API) == 2

            # A token the API keeps refusing (here it is echoed back): masked in the error.
            fake.refuse_all = True
            with pytest.raises(CredentialsRejected) as caught:
                await api.get_json(API)
            assert fake.token_requests == 3
            text = str(caught.value)
            assert "Token *** is not valid" in text
            for token in fake.issued:
                assert token not in text and token not in (caught.value.detail or "")

        assert_hidden(caplog, fake)

    asyncio.run(scenario())


def test_a_403_is_not_retried(fake: FakeOAuth, cache: TokenCache) -> None:
    async def scenario() -> None:
        async with session(fake, cache) as api:
            fake.fail_next(1, 403, {"message": "Not allowed"}, path_prefix=API)
            with pytest.raises(CredentialsRejected) as caught:
                await api.get_json(API)
            assert caught.value.status == 403
            assert fake.token_requests == 1 and fake.count("GET", API) == 1
            assert cache.valid(api.key) == fake.issued[0]  # the token was not to blame

    asyncio.run(scenario())


def test_concurrent_callers_share_one_token_request_and_one_renewal(
    fake: FakeOAuth, cache: TokenCache
) -> None:
    async def scenario() -> None:
        async with session(fake, cache) as api:
            answers = await asyncio.gather(*(api.get_json(API, {"n": n}) for n in range(10)))
            assert [a["things"] for a in answers] == [[str(n)] for n in range(10)]
            assert fake.token_requests == 1

            fake.revoke()  # every concurrent call gets a 401; one renewal serves them all
            answers = await asyncio.gather(*(api.get_json(API) for _ in range(10)))
            assert len(answers) == 10
            assert fake.token_requests == 2
            assert fake.count("GET", API) == 30

        # Two sessions of the same credentials at once share the cache's token request too.
        cache.clear()
        first, second = session(fake, cache), session(fake, cache)
        await asyncio.gather(first.get_json(API), second.get_json(API))
        await asyncio.gather(first.aclose(), second.aclose())
        assert fake.token_requests == 3

    async def on_another_loop() -> None:
        cache.clear()
        async with session(fake, cache) as api:
            await asyncio.gather(*(api.get_json(API) for _ in range(5)))
        assert fake.token_requests == 4

    asyncio.run(scenario())
    asyncio.run(on_another_loop())  # the cache's renewal locks follow the event loop


def test_token_stays_out_of_logs_and_errors_through_retries(
    fake: FakeOAuth, cache: TokenCache, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async def scenario() -> None:
        async with session(fake, cache) as api:
            fake.fail_next(1, 503, headers=FAST, path_prefix=TOKEN_PATH)
            fake.fail_next(1, 500, headers=FAST, path_prefix=API)
            await api.get_json(API)
            token = fake.issued[0]
            assert redact(f"token={token};") == "token=***;"  # registered as a secret
            assert token not in repr(cache) and token not in repr(cache.items())
            assert SECRET not in repr(cache.items())

            fake.fail_next(3, 503, headers=FAST, path_prefix=API)
            with pytest.raises(ProviderUnavailable) as caught:
                await api.get_json(API)
            assert "HTTP 503" in str(caught.value) and token not in str(caught.value)

        retries = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(retries) == 4  # the logging did happen
        assert [r for r in caplog.records if r.levelno == logging.DEBUG]
        assert_hidden(caplog, fake)

    asyncio.run(scenario())


def test_token_request_errors(fake: FakeOAuth, cache: TokenCache) -> None:
    async def scenario() -> None:
        hint = "Sandbox Mode is on: use the Sandbox credentials."
        wrong = "wrong-secret-2222222222222222222"
        async with session(fake, cache, secret=wrong, rejected_hint=hint) as api:
            with pytest.raises(CredentialsRejected) as caught:
                await api.token()
        assert str(caught.value) == (
            "Acme rejected the credentials: Client Authentication failed. "
            f"Check the Acme Client ID and Secret. {hint}"
        )
        assert wrong not in str(caught.value) and not len(cache)

        fake.add_route("POST", TOKEN_PATH, lambda request: (200, {}, {"token_type": "Bearer"}))
        async with session(fake, cache) as api:
            with pytest.raises(ProviderUnavailable, match="without an access token"):
                await api.get_json(API)
        fake.add_route("POST", TOKEN_PATH, lambda request: (200, {}, "<html>login</html>"))
        async with session(fake, cache) as api:
            with pytest.raises(ProviderUnavailable, match="Acme answered with something that"):
                await api.token()
        assert fake.count("GET", API) == 0 and not len(cache)

    asyncio.run(scenario())


def test_fresh_token_and_keys(fake: FakeOAuth, cache: TokenCache) -> None:
    async def scenario() -> None:
        async with session(fake, cache, token_data={"scope": "read"}) as api:
            first = await api.token()
            assert await api.token() == first
            assert await api.token(fresh=True) != first  # a connection test asks anew
            assert fake.token_requests == 2
            assert fake.token_bodies[0] == {"grant_type": "client_credentials", "scope": "read"}
            assert api.key.token_url == f"{fake.url}{TOKEN_PATH}"
            assert list(cache) == [api.key]

    asyncio.run(scenario())
    key = TokenKey.of("https://x/token", CLIENT_ID, SECRET)
    assert key == TokenKey.of("https://x/token", CLIENT_ID, SECRET)
    assert key != TokenKey.of("https://x/token", CLIENT_ID, SECRET + "2")
    assert key != TokenKey.of("https://x/token", CLIENT_ID, SECRET, "A1B2C3")
    assert SECRET not in repr(key)


def test_sessions_use_the_process_cache_by_default(fake: FakeOAuth) -> None:
    async def scenario() -> None:
        async with session(fake, None) as api:
            assert api.cache is TOKEN_CACHE
            await api.token()
            assert TOKEN_CACHE.valid(api.key) == fake.issued[0]
            TOKEN_CACHE.drop(api.key)

    asyncio.run(scenario())
