"""Modules in the catalogue: Refresh reads the folders again, unreadable modules are listed as
Unavailable, one state word everywhere, a problem leads to its module, the state filter and the
Problems button at start."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt

from ffdesk.api import open_system
from ffdesk.engine.system import System
from ffdesk.services import integrations
from ffdesk.ui.catalogue_model import Role
from ffdesk.ui.icons import glyph
from ffdesk.ui.main_window import MainWindow
from ffdesk.ui.style import theme
from tests.helpers.database import database_url
from tests.ui.conftest import STRIPE_KEY
from tests.ui.helpers import click_entry

BROKEN = Path(__file__).resolve().parent.parent / "fixtures" / "broken_modules"


@pytest.fixture
def module_folder(tmp_path: Path) -> Path:
    """A folder of modules the test edits: one with bad YAML, one healthy (for now), and one
    readable integration that depends on a module nobody has (it cannot be installed)."""
    folder = tmp_path / "modules"
    folder.mkdir()
    shutil.copytree(BROKEN / "bad_yaml", folder / "bad_yaml")
    shutil.copytree(BROKEN / "unknown_dependency", folder / "unknown_dependency")
    healthy = folder / "gateway_ok"
    shutil.copytree(BROKEN / "bad_yaml", healthy)
    (healthy / "manifest.yaml").write_text(fixed_manifest("gateway_ok", "Gateway OK"))
    return folder


@pytest.fixture
def modules_path(module_folder: Path) -> list[Path]:
    return [module_folder]


def fixed_manifest(identifier: str, name: str) -> str:
    text = (BROKEN / "bad_yaml" / "manifest.yaml").read_text()
    text = text.replace(
        "description: the colon in this line: is not quoted, so YAML stops here",
        "description: 'a fixed manifest'",
    )
    return text.replace("identifier: bad_yaml", f"identifier: {identifier}").replace(
        "name: Bad YAML (fixture)", f"name: {name}"
    )


def shown_word(window: MainWindow, identifier: str) -> str:
    """The state word the catalogue row says (its accessible text is "name, state")."""
    model = window.catalogue.model
    text = str(model.data(model.index_of(identifier), Qt.ItemDataRole.AccessibleTextRole))
    return text.rsplit(", ", 1)[1]


def visible_identifiers(window: MainWindow) -> set[str]:
    proxy = window.catalogue.proxy
    found = set()
    for group in range(proxy.rowCount()):
        parent = proxy.index(group, 0)
        for row in range(proxy.rowCount(parent)):
            found.add(proxy.index(row, 0, parent).data(Role.IDENTIFIER))
    return found


def press_f5(qtbot: Any, window: MainWindow) -> None:
    window.activateWindow()
    window.catalogue.tree.setFocus()
    with qtbot.waitSignal(window.statusBar().messageChanged, timeout=10000):
        qtbot.keyClick(window.catalogue.tree, Qt.Key.Key_F5)


def test_refresh_reads_the_module_folders_again(
    qtbot: Any, window: MainWindow, module_folder: Path
) -> None:
    assert "bad_yaml" in window.problems.reasons()
    assert "gateway_ok" not in window.problems.reasons()

    # The administrator fixes one manifest and breaks the other, then presses F5.
    (module_folder / "bad_yaml" / "manifest.yaml").write_text(fixed_manifest("bad_yaml", "Mended"))
    (module_folder / "gateway_ok" / "manifest.yaml").write_text("name: [unclosed\n")
    press_f5(qtbot, window)

    qtbot.waitUntil(lambda: "bad_yaml" not in window.problems.reasons())
    assert window.problems.reasons()["gateway_ok"].startswith("gateway_ok (manifest.yaml")
    entry = window.catalogue.model.entry("bad_yaml")
    assert entry is not None and entry.name == "Mended"
    assert shown_word(window, "bad_yaml") == "Not Installed"
    assert shown_word(window, "gateway_ok") == "Unavailable"


def test_an_unreadable_module_is_listed_and_found_as_unavailable(
    qtbot: Any, window: MainWindow
) -> None:
    assert window.catalogue.model.entry("bad_yaml") is not None
    assert shown_word(window, "bad_yaml") == "Unavailable"
    window.search.setFocus()
    qtbot.keyClicks(window.search, "bad_yaml")
    qtbot.waitUntil(lambda: visible_identifiers(window) == {"bad_yaml"})

    click_entry(qtbot, window, "bad_yaml")
    pane = window.pane
    qtbot.waitUntil(lambda: pane.stack.currentWidget() is pane.placeholder)
    text = pane.placeholder.text()
    assert text.startswith("bad_yaml is unavailable: bad_yaml (manifest.yaml, line 4): bad YAML")
    assert pane.form.record is None  # nothing to edit


def test_a_problem_module_says_unavailable_in_the_catalogue_and_in_its_pane(
    qtbot: Any, window: MainWindow, module_folder: Path
) -> None:
    assert shown_word(window, "unknown_dependency") == "Unavailable"
    click_entry(qtbot, window, "unknown_dependency")
    qtbot.waitUntil(
        lambda: (
            window.pane.details is not None
            and window.pane.details.identifier == "unknown_dependency"
        )
    )
    assert window.pane.header.badge.text() == "Unavailable"


def test_double_click_or_enter_on_a_problem_selects_its_module(
    qtbot: Any, window: MainWindow, module_folder: Path
) -> None:
    window.problems_action.trigger()
    table = window.problems.table
    rows = [p.identifier for p in window.problems.problems]
    row = rows.index("unknown_dependency")
    rect = table.visualRect(window.problems.model.index(row, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.catalogue.current_identifier() == "unknown_dependency")
    qtbot.waitUntil(
        lambda: (
            window.pane.details is not None
            and window.pane.details.identifier == "unknown_dependency"
        )
    )

    # Enter on another problem does the same, even past a search that hides it.
    window.search.setText("stripe")
    table.setFocus()
    table.setCurrentIndex(window.problems.model.index(rows.index("bad_yaml"), 0))
    qtbot.keyClick(table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.catalogue.current_identifier() == "bad_yaml")
    assert window.search.text() == ""


def test_show_installed_lists_enabled_integrations_too(
    qtbot: Any, window: MainWindow, arun: Any, fake_stripe: Any
) -> None:
    async def setup() -> None:
        await window.system.install_module("payment_stripe")
        record = await window.system.integration("payment_stripe")
        record.secret_key = STRIPE_KEY
        await record.save()
        await integrations.enable(record)

    arun(setup(), timeout=20000)
    arun(window.refresh())
    combo = window.catalogue.state_filter
    combo.setFocus()
    combo.setCurrentIndex(0)
    # Down from "All": "Not installed", then "Installed".
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText() == "Installed"
    qtbot.waitUntil(lambda: "payment_stripe" in visible_identifiers(window))
    assert shown_word(window, "payment_stripe") == "Enabled"
    assert "payment_paypal" not in visible_identifiers(window)


def test_no_orange_problems_button_while_starting_without_problems(
    qtbot: Any, arun: Any, settings: QSettings, tmp_path: Path
) -> None:
    system = arun(open_system(database_url(tmp_path / "clean.db"), [], entry_points=False))
    warning = glyph("warning", theme().warning_icon).cacheKey()
    window = MainWindow(system, settings=settings)
    qtbot.addWidget(window)
    action = window.problems_action
    shown = [action.icon().cacheKey()]  # what the toolbar shows before the modules are read
    action.changed.connect(lambda: shown.append(action.icon().cacheKey()))
    window.show()
    arun(window.refresh())
    assert warning not in shown
    assert action.icon().cacheKey() == glyph("ok", theme().ok_icon).cacheKey()
    assert action.text() == "No problems"
    window._close_confirmed = True
    window.close()
    arun(system.close())


def test_the_problems_button_turns_orange_once_problems_are_read(
    qtbot: Any, arun: Any, system: System, settings: QSettings
) -> None:
    window = MainWindow(system, settings=settings)
    qtbot.addWidget(window)
    warning = glyph("warning", theme().warning_icon).cacheKey()
    assert window.problems_action.icon().cacheKey() != warning
    arun(window.refresh())
    assert window.problems_action.icon().cacheKey() == warning
    assert window.problems_action.text() == "Problems (2)"
    window._close_confirmed = True
