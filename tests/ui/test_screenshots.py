"""Renders the main states of the window offscreen (1280x800) into PNG files.

They go to a temporary folder; set FFDESK_SCREENSHOTS=docs/screenshots to refresh the ones in
the documentation.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from ffdesk.engine.system import System
from ffdesk.services import integrations
from ffdesk.ui.main_window import MainWindow
from tests.fakes.stripe import FakeStripe
from tests.ui.conftest import STRIPE_KEY
from tests.ui.helpers import click, message, open_integration, type_into
from tests.ui.test_problems import BROKEN


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("FFDESK_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save(qtbot: Any, window: MainWindow, path: Path) -> None:
    qtbot.wait(50)  # let queued paints and layout passes land
    QApplication.processEvents()
    image = window.grab()
    assert image.width() == 1280 and image.height() == 800
    assert image.save(str(path))


async def configure_stripe(system: System, contacts: int = 0, enable: bool = False) -> None:
    await system.install_module("payment_stripe")
    record = await system.integration("payment_stripe")
    record.secret_key = STRIPE_KEY
    record.publishable_key = "pk_test_ffdeskUiTests0000000000"
    await record.save()
    if enable:
        await integrations.enable(record)
    Contact = system.registry["Contact"]
    for i in range(contacts):
        await Contact.create(
            name=f"Customer {i}", email=f"c{i}@example.org", company=system.env.cid
        )


def test_screenshot_stripe_form(
    qtbot: Any, window: MainWindow, arun: Any, shots: Path, fake_stripe: FakeStripe
) -> None:
    arun(configure_stripe(window.system), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "payment_stripe")
    click(qtbot, window.pane.header.test_button)
    qtbot.waitUntil(lambda: message(window).startswith("Connection ok"), timeout=10000)
    save(qtbot, window, shots / "catalogue-stripe-form.png")


def test_screenshot_sync_history(
    qtbot: Any, window: MainWindow, arun: Any, shots: Path, fake_stripe: FakeStripe
) -> None:
    for amount in (1999, 4500, 12000, 800):
        fake_stripe.add_payment_intent(amount=amount)
    arun(configure_stripe(window.system, contacts=25, enable=True), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "payment_stripe")
    header = window.pane.header
    for runs in (1, 2):
        if runs == 2:  # a contact changed since: the second run updates it, skips the rest
            contact = arun(window.system.registry["Contact"].get(3))
            contact.phone = "+44 20 7946 0018"
            arun(contact.save())
        click(qtbot, header.sync_button)
        qtbot.waitUntil(
            lambda runs=runs: (
                window.pane.runs_model.rowCount() == runs
                and not window.controller.is_running(window.pane.record.id)
            ),
            timeout=15000,
        )
    save(qtbot, window, shots / "sync-history.png")
    window.pane.tabs.setCurrentIndex(1)
    save(qtbot, window, shots / "mapped-records.png")
    window.pane.tabs.setCurrentIndex(0)
    fake_stripe.delay_next(30, 0.4, path_prefix="/v1/customers", method="POST")
    contacts = window.system.registry["Contact"]
    for i in range(30):
        arun(
            contacts.create(
                name=f"New {i}", email=f"n{i}@example.org", company=window.system.env.cid
            )
        )
    click(qtbot, header.sync_button)
    qtbot.waitUntil(
        lambda: header.progress.isVisible() and header.progress.maximum() > 0, timeout=10000
    )
    qtbot.waitUntil(lambda: header.progress.value() >= 8, timeout=10000)
    save(qtbot, window, shots / "sync-running.png")
    click(qtbot, header.cancel_button)
    qtbot.waitUntil(lambda: not window.controller.is_running(window.pane.record.id), timeout=15000)


@pytest.fixture
def broken_system(tmp_path: Path, arun: Any, modules_path: list[Path]) -> None:
    modules_path.append(BROKEN)


def test_screenshot_problems(
    qtbot: Any,
    broken_system: None,
    system: System,
    make_window: Callable[[System], MainWindow],
    shots: Path,
) -> None:
    window = make_window(system)
    window.problems_action.trigger()
    open_integration(qtbot, window, "self_dependency")
    save(qtbot, window, shots / "problems.png")


def test_screenshot_error_message(qtbot: Any, window: MainWindow, arun: Any, shots: Path) -> None:
    arun(window.system.install_module("payment_stripe"), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "payment_stripe")
    type_into(qtbot, window, "secret_key", "sk_live_0123456789abcdef")
    click(qtbot, window.pane.form.save_button)
    qtbot.waitUntil(lambda: not window.pane.dirty)
    click(qtbot, window.pane.header.enable_button)
    qtbot.waitUntil(lambda: "Sandbox Mode is on" in message(window), timeout=10000)
    save(qtbot, window, shots / "error-message.png")
