"""Test connection against a provider that cannot be reached: one attempt, ffdesk's own words
naming the address (and the proxy), Cancel while it runs, the reason said once on Enable."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from ffdesk.sync.runner import RunState
from ffdesk.ui.main_window import MainWindow
from tests.helpers.held_socket import HeldSocket, refused_url
from tests.ui.conftest import STRIPE_KEY, find_dialog
from tests.ui.helpers import click, message, open_integration, type_into


def stripe_with_key(arun: Any, window: MainWindow) -> None:
    async def setup() -> None:
        await window.system.install_module("payment_stripe")
        record = await window.system.integration("payment_stripe")
        record.secret_key = STRIPE_KEY
        await record.save()

    arun(setup(), timeout=20000)
    arun(window.refresh())


def run_test(qtbot: Any, window: MainWindow) -> str:
    """Click Test connection on the shown integration and wait for its answer."""
    header = window.pane.header
    click(qtbot, header.test_button)
    qtbot.waitUntil(
        lambda: bool(message(window)) and not message(window).startswith("Testing"),
        timeout=10000,
    )
    assert header.test_button.isEnabled()
    return message(window)


def test_a_dropped_connection_is_tried_once_and_named(
    qtbot: Any, window: MainWindow, arun: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with HeldSocket(hold=False) as server:  # accepts, then closes without a word
        monkeypatch.setenv("FFDESK_PAYMENT_STRIPE_API_BASE", server.url)
        stripe_with_key(arun, window)
        open_integration(qtbot, window, "payment_stripe")

        text = run_test(qtbot, window)

        assert server.accepted == 1  # a sync would have tried five times
    assert text == (
        "Provider unreachable: Stripe could not be reached: the connection was closed before an "
        f"answer arrived (at {server.url}). Try again later."
    )


def test_a_refused_connection_is_not_retried_and_says_where(
    qtbot: Any,
    window: MainWindow,
    arun: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    address = refused_url()
    monkeypatch.setenv("FFDESK_PAYMENT_STRIPE_API_BASE", address)
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    stripe_with_key(arun, window)
    open_integration(qtbot, window, "payment_stripe")

    with caplog.at_level(logging.WARNING, logger="ffdesk.sync.http"):
        text = run_test(qtbot, window)

    assert text == (
        f"Provider unreachable: Stripe could not be reached: could not connect to {address} "
        "(the connection was refused). Try again later."
    )
    assert "All connection attempts failed" not in text
    assert [r.getMessage() for r in caplog.records if "retry" in r.getMessage()] == []


def test_a_proxy_in_the_way_is_named(
    qtbot: Any, window: MainWindow, arun: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    address, proxy = refused_url(), refused_url()
    monkeypatch.setenv("FFDESK_PAYMENT_STRIPE_API_BASE", address)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    for name in ("NO_PROXY", "no_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    stripe_with_key(arun, window)
    open_integration(qtbot, window, "payment_stripe")

    text = run_test(qtbot, window)

    assert text == (
        f"Provider unreachable: Stripe could not be reached: could not connect to {address} "
        f"through the proxy {proxy} (the proxy refused the connection). Try again later."
    )


def test_a_slow_test_can_be_cancelled(
    qtbot: Any, window: MainWindow, arun: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with HeldSocket(hold=True) as server:  # accepts and never answers
        monkeypatch.setenv("FFDESK_PAYMENT_STRIPE_API_BASE", server.url)
        stripe_with_key(arun, window)
        open_integration(qtbot, window, "payment_stripe")
        header = window.pane.header

        click(qtbot, header.test_button)
        qtbot.waitUntil(lambda: server.accepted == 1, timeout=5000)
        assert not header.test_button.isEnabled()
        click(qtbot, header.cancel_button)

        qtbot.waitUntil(lambda: message(window) == "Connection test cancelled.", timeout=5000)
        assert header.test_button.isEnabled() and header.enable_button.isEnabled()
        assert not header.cancel_button.isVisible()


def test_enable_anyway_says_the_reason_once(
    qtbot: Any, window: MainWindow, arun: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    address = refused_url()
    monkeypatch.setenv("FFDESK_PAYMENT_STRIPE_API_BASE", address)
    arun(window.system.install_module("payment_stripe"), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "payment_stripe")
    type_into(qtbot, window, "secret_key", STRIPE_KEY)

    click(qtbot, window.pane.header.enable_button)
    box = find_dialog(qtbot, window, "enableAnywayDialog")

    said = box.text() + "\n" + box.informativeText()
    assert said.count("could not be reached") == 1
    assert said.count(address) == 1
    assert box.text() == "Enable Stripe anyway?"
    box.close()


def test_a_sync_keeps_retrying_a_dropped_connection(
    qtbot: Any, window: MainWindow, arun: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ffdesk.services import integrations

    with HeldSocket(hold=False) as server:
        monkeypatch.setenv("FFDESK_PAYMENT_STRIPE_API_BASE", server.url)
        stripe_with_key(arun, window)
        record = arun(window.system.integration("payment_stripe"))
        assert arun(integrations.enable(record, anyway=True)) == "Enabled"
        arun(window.refresh())
        open_integration(qtbot, window, "payment_stripe")

        click(qtbot, window.pane.header.sync_button)
        qtbot.waitUntil(lambda: window.pane.runs_model.rowCount() == 1, timeout=5000)
        qtbot.waitUntil(lambda: window.pane.runs_model.rows[0].state != "running", timeout=30000)

        assert server.accepted == 1 + 5  # the Test of Enable once, the sync's call five times
    run = window.pane.runs_model.rows[0]
    assert run.state == RunState.FAILED
    assert "after 5 attempts" in (run.error or "")
