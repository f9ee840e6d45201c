"""The window notices what another administrator or the command line changed (issue 11.5),
without losing the user's unsaved edits; saving over their change is refused."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ffdesk.engine.system import System
from ffdesk.ui.main_window import MainWindow
from tests.helpers.env import open_test_system
from tests.ui.helpers import open_integration, type_into


def test_changes_made_elsewhere_appear_and_unsaved_edits_stay(
    qtbot: Any, window: MainWindow, system: System, arun: Any, tmp_path: Any
) -> None:
    arun(system.install_module("payment_stripe"), timeout=20000)
    arun(window.refresh())
    open_integration(qtbot, window, "payment_stripe")
    arun(window.notice_changes())  # the first look only takes the fingerprint
    type_into(qtbot, window, "publishable_key", "pk_test_typed_not_saved")
    assert window.pane.dirty

    # Another program (a second System on the same database, in a thread of its own, as the
    # command line would be) changes the integration.
    def elsewhere() -> None:
        other = open_test_system(tmp_path / "ffdesk.db", (), entry_points=False)
        try:
            theirs = other.integration("payment_stripe")
            theirs.sandbox_mode = False
            other.run(theirs.save())
        finally:
            other.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(elsewhere).result(timeout=60)

    qtbot.waitUntil(lambda: window.pane.activity_page.model.rowCount() == 1, timeout=10000)
    assert window.pane.dirty  # the typed value is still there
    assert window.pane.form.editor("publishable_key").widget.text() == "pk_test_typed_not_saved"
