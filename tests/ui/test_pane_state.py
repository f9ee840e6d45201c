"""Busy state and messages belong to their integration: a Test or a sync goes on while the
user looks at another integration, and its result waits on its own pane."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ffdesk.ui.catalogue_model import Role
from ffdesk.ui.main_window import MainWindow
from tests.fakes.stripe import FakeStripe
from tests.helpers.held_socket import HeldSocket
from tests.ui.conftest import STRIPE_KEY
from tests.ui.helpers import click, message, open_integration
from tests.ui.test_sync import enabled_stripe


def activity(window: MainWindow, identifier: str) -> str:
    """What the catalogue row of `identifier` says it is doing ("Testing…"), "" when idle."""
    model = window.catalogue.model
    return str(model.data(model.index_of(identifier), Role.ACTIVITY) or "")


@pytest.fixture
def silent_stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldSocket]:
    """Stripe's address accepts connections and answers nothing until released."""
    with HeldSocket(hold=True) as server:
        monkeypatch.setenv("FFDESK_PAYMENT_STRIPE_API_BASE", server.url)
        yield server


def stripe_and_adyen(arun: Any, window: MainWindow) -> None:
    """Stripe (with a key) and Adyen installed, neither enabled."""

    async def setup() -> None:
        system = window.system
        await system.install_module("payment_stripe")
        await system.install_module("payment_adyen")
        record = await system.integration("payment_stripe")
        record.secret_key = STRIPE_KEY
        await record.save()

    arun(setup(), timeout=20000)
    arun(window.refresh())


def assert_idle_and_quiet(window: MainWindow) -> None:
    header = window.pane.header
    assert window.pane.identifier == "payment_adyen"
    assert header.test_button.isEnabled() and header.enable_button.isEnabled()
    assert not header.cancel_button.isVisible()
    assert message(window) == ""  # nothing of Stripe's shows on Adyen


def test_a_test_result_lands_on_its_own_integration(
    qtbot: Any, window: MainWindow, arun: Any, silent_stripe: HeldSocket
) -> None:
    stripe_and_adyen(arun, window)
    open_integration(qtbot, window, "payment_stripe")
    header = window.pane.header

    click(qtbot, header.test_button)
    qtbot.waitUntil(lambda: silent_stripe.accepted == 1, timeout=5000)
    assert activity(window, "payment_stripe") == "Testing…"
    assert not header.test_button.isEnabled()

    open_integration(qtbot, window, "payment_adyen")
    assert_idle_and_quiet(window)
    assert activity(window, "payment_stripe") == "Testing…"  # still at work meanwhile
    assert activity(window, "payment_adyen") == ""

    silent_stripe.release()  # Stripe's answer: the connection closes without one
    qtbot.waitUntil(lambda: activity(window, "payment_stripe") == "", timeout=15000)
    assert_idle_and_quiet(window)

    open_integration(qtbot, window, "payment_stripe")
    qtbot.waitUntil(lambda: "could not be reached" in message(window))
    assert message(window).startswith("Provider unreachable: Stripe could not be reached")
    assert silent_stripe.url in message(window)
    assert header.test_button.isEnabled()


def test_a_sync_goes_on_while_another_integration_is_shown(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: FakeStripe
) -> None:
    enabled_stripe(arun, window, contacts=6)
    arun(window.system.install_module("payment_adyen"), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "payment_stripe")
    header = window.pane.header
    fake_stripe.delay_next(6, 0.25, path_prefix="/v1/customers", method="POST")

    click(qtbot, header.sync_button)
    qtbot.waitUntil(lambda: header.cancel_button.isVisible())
    assert activity(window, "payment_stripe") == "Syncing…"

    open_integration(qtbot, window, "payment_adyen")
    assert_idle_and_quiet(window)
    assert not header.progress.isVisible()
    assert header.badge.text() == "Installed"
    assert activity(window, "payment_stripe") == "Syncing…"

    qtbot.waitUntil(lambda: activity(window, "payment_stripe") == "", timeout=20000)
    assert_idle_and_quiet(window)

    open_integration(qtbot, window, "payment_stripe")
    qtbot.waitUntil(lambda: message(window).startswith("Sync finished"))
    assert message(window) == "Sync finished: 6 created, 0 updated, 0 skipped, 0 failed."
    assert header.sync_button.isVisible() and header.sync_button.isEnabled()


def test_a_dismissed_result_stays_dismissed(
    qtbot: Any, window: MainWindow, arun: Any, silent_stripe: HeldSocket
) -> None:
    stripe_and_adyen(arun, window)
    silent_stripe.release()  # answers at once: the connection closes without an answer
    open_integration(qtbot, window, "payment_stripe")
    click(qtbot, window.pane.header.test_button)
    qtbot.waitUntil(lambda: "could not be reached" in message(window), timeout=10000)

    click(qtbot, window.pane.message.close_button)
    assert message(window) == ""
    open_integration(qtbot, window, "payment_adyen")
    open_integration(qtbot, window, "payment_stripe")
    assert message(window) == ""


def test_a_test_result_stays_with_its_company(
    qtbot: Any, window: MainWindow, arun: Any, silent_stripe: HeldSocket
) -> None:
    stripe_and_adyen(arun, window)
    first = window.system.env.cid
    second = int(arun(window.system.add_company("Second Company")).id)
    open_integration(qtbot, window, "payment_stripe")
    click(qtbot, window.pane.header.test_button)
    qtbot.waitUntil(lambda: silent_stripe.accepted == 1, timeout=5000)

    arun(window.switch_company(second))  # Stripe of the other company: idle, nothing said
    header = window.pane.header
    assert window.pane.identifier == "payment_stripe"
    assert header.test_button.isEnabled() and not header.cancel_button.isVisible()
    assert message(window) == ""
    assert activity(window, "payment_stripe") == ""

    silent_stripe.release()
    qtbot.waitUntil(lambda: not window.pane.states.state((first, "payment_stripe")).busy)
    assert message(window) == ""

    arun(window.switch_company(first))
    qtbot.waitUntil(lambda: "could not be reached" in message(window))
