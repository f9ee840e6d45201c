"""Exit code 3 means "could not reach": a provider that does not answer, or the database."""

from __future__ import annotations

import json
import socket

import pytest

from tests.fakes.stripe import DEFAULT_SECRET_KEY
from tests.helpers.env import CliRunner, cli_fixture  # noqa: F401


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_sync_whose_provider_cannot_be_reached_exits_3(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FFDESK_PAYMENT_STRIPE_API_BASE", f"http://127.0.0.1:{closed_port()}")
    assert cli("modules", "install", "payment_stripe").code == 0
    key = DEFAULT_SECRET_KEY + "\n"
    assert cli("integrations", "set", "payment_stripe", "secret_key=-", stdin=key).code == 0
    refused = cli("integrations", "enable", "payment_stripe")
    assert refused.code == 3
    assert refused.err.startswith("Stripe could not be reached: could not connect")
    assert refused.err.endswith("Use --anyway to enable it all the same.\n")
    assert cli("integrations", "enable", "payment_stripe", "--anyway").code == 0
    synced = cli("sync", "--json")
    assert synced.code == 3, synced.err
    [run] = json.loads(synced.out)["runs"]
    assert run["state"] == "failed"
    assert run["error"].startswith("Stripe could not be reached")
