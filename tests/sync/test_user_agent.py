"""Provider requests name the application: `User-Agent: ffdesk/<version> (+python-httpx)`."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from ffdesk.api import open_system
from ffdesk.services import integrations as actions
from ffdesk.sync import ClientCredentialsSession, TokenCache
from ffdesk.sync.http import ProviderClient
from ffdesk.sync.user_agent import user_agent
from tests.fakes.harness import FakeServer, Request, Response, route
from tests.fakes.ups import DEFAULT_ACCOUNT, DEFAULT_CLIENT_ID, DEFAULT_SECRET, FakeUps


def expected_user_agent() -> str:
    """What the guidelines ask for, with the version the installed package declares."""
    return f"ffdesk/{version('ffdesk')} (+python-httpx)"


def test_the_user_agent_names_ffdesk_and_its_version() -> None:
    assert user_agent() == expected_user_agent()
    assert re.fullmatch(r"ffdesk/\d+\.\d+\.\d+\S* \(\+python-httpx\)", user_agent())


def test_every_provider_client_request_sends_it(httpserver: HTTPServer) -> None:
    agent = expected_user_agent()
    httpserver.expect_request("/v1/balance", headers={"User-Agent": agent}).respond_with_json(
        {"object": "balance"}
    )
    httpserver.expect_request(
        "/v1/customers", method="POST", headers={"User-Agent": agent, "Idempotency-Key": "k-1"}
    ).respond_with_json({"id": "cus_1"})

    async def scenario() -> None:
        # The module's own headers (credentials, API version) go along, not instead.
        async with ProviderClient(
            provider="Stripe",
            base_url=httpserver.url_for("/"),
            headers={"Authorization": "Bearer sk_test_useragent0000"},
        ) as client:
            assert (await client.get("/v1/balance")).json() == {"object": "balance"}
            created = await client.post("/v1/customers", headers={"Idempotency-Key": "k-1"})
            assert created.json() == {"id": "cus_1"}

    asyncio.run(scenario())
    assert len(httpserver.log) == 2
    assert [r.headers["User-Agent"] for r, _ in httpserver.log] == [agent, agent]
    assert all(
        r.headers["Authorization"] == "Bearer sk_test_useragent0000" for r, _ in httpserver.log
    )


class AgentRecorder(FakeServer):
    """A token endpoint and one API call that record the User-Agent of each request."""

    @route("POST", "/oauth/token")
    def token(self, request: Request) -> Response:
        return 200, {}, {"access_token": "tok-" + "x" * 40, "expires_in": 3600}

    @route("GET", "/v1/things")
    def things(self, request: Request) -> Response:
        return 200, {}, {"things": []}


def test_oauth_token_and_api_requests_send_it() -> None:
    async def scenario(url: str) -> None:
        async with ClientCredentialsSession(
            provider="Acme",
            base_url=url,
            token_path="/oauth/token",
            client_id="ffdesk-ua-client-000000000",
            secret="ffdesk-ua-secret-1111111111111",
            cache=TokenCache(),
        ) as api:
            assert await api.get_json("/v1/things") == {"things": []}

    with AgentRecorder() as fake:
        asyncio.run(scenario(fake.url))
        seen = [(r.path, r.headers.get("user-agent")) for r in fake.requests]
    agent = expected_user_agent()
    assert seen == [("/oauth/token", agent), ("/v1/things", agent)]


@pytest.fixture
def ups(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeUps]:
    with FakeUps(seed=5) as fake:
        monkeypatch.setenv("FFDESK_SHIPPING_UPS_API_BASE", fake.url)
        monkeypatch.setenv("FFDESK_SHIPPING_UPS_RATE_LIMIT", "0")
        yield fake


def test_a_provider_modules_connection_test_sends_it(tmp_path: Path, ups: FakeUps) -> None:
    async def scenario() -> None:
        system = await open_system(f"sqlite:///{tmp_path}/x.db")
        try:
            await system.install_module("shipping_ups")
            record = await system.integration("shipping_ups")
            record.ups_client_id = DEFAULT_CLIENT_ID
            record.ups_client_secret = DEFAULT_SECRET
            record.ups_account_number = DEFAULT_ACCOUNT
            await record.save()
            assert (await actions.test_connection(record)).outcome == "ok"
        finally:
            await system.close()

    asyncio.run(scenario())
    assert ups.token_requests >= 1
    assert ups.requests
    assert {r.headers.get("user-agent") for r in ups.requests} == {expected_user_agent()}
