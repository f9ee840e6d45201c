"""The window's Activity: the integration's tab and the global dock show the audit trail."""

from __future__ import annotations

from typing import Any

from ffdesk.engine.system import System
from ffdesk.ui.main_window import MainWindow


def cell(table: Any, row: int, column: int) -> str:
    return str(table.model().index(row, column).data())


def test_activity_shows_who_changed_what_and_never_a_secret(
    qtbot: Any, window: MainWindow, system: System, arun: Any
) -> None:
    arun(system.install_module("payment_stripe"))
    record = arun(system.integration("payment_stripe"))
    record.secret_key = "sk_test_activity_secret_42"
    record.sandbox_mode = False
    arun(record.save())
    arun(system.add_company("Acme"))

    arun(window.refresh())
    window.catalogue.select("payment_stripe")
    qtbot.waitUntil(lambda: window.pane.identifier == "payment_stripe", timeout=5000)
    arun(window.pane.reload())
    table = window.pane.activity_page.table
    qtbot.waitUntil(lambda: table.model().rowCount() == 1, timeout=5000)
    change = cell(table, 0, 3)
    assert "Secret Key: changed" in change and "Sandbox Mode: True → False" in change
    assert "sk_test_activity_secret_42" not in change
    assert cell(table, 0, 2) == "Stripe (changed)"

    window.activity_action.trigger()
    everything = window.activity_dock.page.table
    qtbot.waitUntil(lambda: everything.model().rowCount() >= 3, timeout=5000)
    assert cell(everything, 0, 2) == "Acme (created)"
    assert any(
        cell(everything, r, 2) == "Stripe (changed)" for r in range(everything.model().rowCount())
    )
