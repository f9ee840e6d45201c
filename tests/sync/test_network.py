"""Provider requests on a corporate network: proxies from the environment, a custom CA bundle,
and TLS failures explained with the host and the setting to check."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from ffdesk.sync.errors import ProviderUnavailable
from ffdesk.sync.http import ProviderClient, RetryPolicy
from tests.fakes.stripe import DEFAULT_SECRET_KEY, FakeStripe
from tests.helpers.env import CliRunner, cli_fixture  # noqa: F401
from tests.helpers.proxy import LocalProxy
from tests.helpers.stripe_env import stripe_vars
from tests.helpers.tls import LocalCA, make_local_ca

NETWORK_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE")


def run(coro: Awaitable[Any]) -> Any:
    async def main() -> Any:
        return await coro

    return asyncio.run(main())


@pytest.fixture(autouse=True)
def clean_network_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NETWORK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.delenv("FFDESK_CA_BUNDLE", raising=False)


@pytest.fixture(scope="module")
def local_ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return make_local_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def tls_server(local_ca: LocalCA) -> Iterator[HTTPServer]:
    """An HTTPS server for localhost whose certificate only the test CA vouches for."""
    server = HTTPServer(host="localhost", port=0, ssl_context=local_ca.server_context())
    server.start()
    server.expect_request("/v1/balance").respond_with_json({"object": "balance"})
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def proxy() -> Iterator[LocalProxy]:
    with LocalProxy() as running:
        yield running


def balance(base_url: str) -> Any:
    async def main() -> Any:
        client = ProviderClient(
            provider="Stripe", base_url=base_url, retry=RetryPolicy(max_attempts=1)
        )
        async with client:
            return (await client.get("/v1/balance")).json()

    return run(main())


def test_https_goes_through_the_proxy_and_trusts_the_ca_bundle_setting(
    tls_server: HTTPServer,
    proxy: LocalProxy,
    local_ca: LocalCA,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("FFDESK_CA_BUNDLE", str(local_ca.ca_file))
    assert balance(f"https://localhost:{tls_server.port}") == {"object": "balance"}
    assert proxy.log == [f"CONNECT localhost:{tls_server.port} HTTP/1.1"]


def test_no_proxy_sends_the_request_directly(
    tls_server: HTTPServer,
    proxy: LocalProxy,
    local_ca: LocalCA,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "localhost")
    monkeypatch.setenv("SSL_CERT_FILE", str(local_ca.ca_file))  # the standard variable works too
    assert balance(f"https://localhost:{tls_server.port}") == {"object": "balance"}
    assert proxy.log == []


def test_an_untrusted_certificate_names_the_host_and_the_setting(
    tls_server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ProviderUnavailable) as caught:
        balance(f"https://localhost:{tls_server.port}")
    message = str(caught.value)
    assert message.startswith("Stripe could not be reached: the TLS certificate of localhost")
    assert "could not be verified" in message
    assert "FFDESK_CA_BUNDLE (or SSL_CERT_FILE)" in message
    assert "SSLCertVerificationError" not in message and "ConnectError" not in message


def test_an_untrusted_certificate_is_not_tried_again(
    local_ca: LocalCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It fails the same way every time: one handshake, then the sentence (a sync's retry
    policy used to try it five times, with backoff, before saying anything)."""
    context = local_ca.server_context()
    hellos: list[str | None] = []
    context.set_servername_callback(lambda _socket, name, _context: hellos.append(name))
    server = HTTPServer(host="localhost", port=0, ssl_context=context)
    server.start()
    server.expect_request("/v1/balance").respond_with_json({"object": "balance"})

    async def main() -> Any:
        policy = RetryPolicy(max_attempts=5, backoff_base=0.01, jitter=False)
        async with ProviderClient(
            provider="Stripe", base_url=f"https://localhost:{server.port}", retry=policy
        ) as client:
            return await client.get("/v1/balance")

    try:
        with pytest.raises(ProviderUnavailable, match="could not be verified"):
            run(main())
    finally:
        server.stop()
    assert hellos == ["localhost"]


def test_a_provider_module_reaches_its_api_through_the_http_proxy(
    cli: CliRunner, proxy: LocalProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeStripe(secret_key=DEFAULT_SECRET_KEY) as fake:
        base = fake.url
        for name, value in stripe_vars(base).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        assert cli("modules", "install", "payment_stripe").code == 0
        key = DEFAULT_SECRET_KEY + "\n"
        assert cli("integrations", "set", "payment_stripe", "secret_key=-", stdin=key).code == 0
        tested = cli("integrations", "test", "payment_stripe")
        assert tested.code == 0, tested.err
    assert [line.split()[:2] for line in proxy.log] == [["GET", f"{base}/v1/balance"]]


def test_a_ca_bundle_that_does_not_exist_keeps_the_default_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ffdesk.sync.network import client_options

    monkeypatch.setenv("FFDESK_CA_BUNDLE", str(tmp_path / "missing.pem"))
    assert client_options() == {"trust_env": True}  # verified against the default bundle


def test_the_proxy_a_request_goes_through_is_named_as_httpx_picks_it() -> None:
    from ffdesk.sync.network import proxy_for

    env = {"HTTPS_PROXY": "http://user:secret@proxy.example:3128", "NO_PROXY": ".internal,10.0.0.1"}
    assert proxy_for("https://api.stripe.com/v1", env) == "http://proxy.example:3128"
    assert proxy_for("http://api.stripe.com/v1", env) is None  # HTTPS_PROXY is for https only
    assert proxy_for("https://erp.internal/x", env) is None
    assert proxy_for("https://10.0.0.1:8443/x", env) is None
    assert proxy_for("https://api.stripe.com", {"all_proxy": "proxy:8080"}) == ("http://proxy:8080")
    assert (
        proxy_for("https://api.stripe.com", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"}) is None
    )
