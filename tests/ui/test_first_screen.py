"""The window is drawn from what the last run showed, then corrected by the database."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QLabel, QTabWidget

from ffdesk.app import App, parse_args, show_window
from ffdesk.engine.system import System
from ffdesk.services.window import CatalogueEntry
from ffdesk.ui.catalogue_cache import (
    FirstScreen,
    PaneSnapshot,
    cache_file,
    read_first_screen,
    without_password,
    write_first_screen,
)
from ffdesk.ui.main_window import LAST_INTEGRATION_KEY, MainWindow
from tests.ui.conftest import STRIPE_KEY, WINDOW_SIZE
from tests.ui.helpers import open_integration, type_into

GHOST = CatalogueEntry(
    identifier="payment_ghost",
    name="Ghost Pay",
    description="A module that has since been removed.",
    category="Online Payment",
    image=None,
    state="Enabled",
)


@pytest.fixture(autouse=True)
def _no_frozen_garbage() -> Any:
    yield
    gc.unfreeze()  # the start-up freezes what lives at that moment: not across tests


def start(
    qtbot: Any, arun: Any, qapp: QApplication, system: System, settings: QSettings, path: Path
) -> tuple[App, MainWindow]:
    """As `ffdesk` starts: the window from the cache file, then the System fills it."""
    window = show_window(qapp, read_first_screen(path), settings)
    qtbot.addWidget(window)
    window.resize(*WINDOW_SIZE)
    args, _ = parse_args(["--database", system.db.url])
    return App(qapp, args, window, path), window


def finish(arun: Any, runner: App, system: System) -> None:
    runner.system = system
    arun(runner.show_system(system))


def close(window: MainWindow) -> None:
    window._close_confirmed = True
    window.close()


def stale_screen(system: System, entries: list[CatalogueEntry]) -> FirstScreen:
    """What an older run saw: a module since removed, Stripe enabled since disabled."""
    changed = [
        e._replace(state="Enabled") if e.identifier == "payment_stripe" else e for e in entries
    ]
    return FirstScreen(
        database_id=str(system.db.id),
        company="My Company",
        entries=[GHOST, *changed],
        pane=PaneSnapshot(
            identifier="payment_ghost",
            name="Ghost Pay",
            image=None,
            state="Enabled",
            description=GHOST.description,
            meta="Online Payment",
        ),
    )


def test_the_catalogue_and_pane_come_from_the_last_run_then_from_the_database(
    qtbot: Any,
    qapp: QApplication,
    arun: Any,
    tmp_path: Path,
    system: System,
    settings: QSettings,
    make_window: Any,
) -> None:
    # A first run that settles on Stripe with a secret key set, then closes.
    arun(system.install_module("payment_stripe"))
    path = cache_file(system.db.url, tmp_path)
    runner, window = start(qtbot, arun, qapp, system, settings, path)
    assert window.first_screen is None  # no cache yet: "Opening the database…"
    settings.setValue(LAST_INTEGRATION_KEY, "payment_stripe")
    finish(arun, runner, system)
    open_integration(qtbot, window, "payment_stripe")
    type_into(qtbot, window, "secret_key", STRIPE_KEY)
    qtbot.keyClick(window.pane.form.editor("secret_key").widget, Qt.Key.Key_Return)
    arun(window.pane.save())
    runner.save_first_screen()
    close(window)

    # The next start draws the catalogue and Stripe's form before the database is open.
    text = path.read_text()
    # The key, nor any part of it beyond the documented prefix the field's hint names.
    assert STRIPE_KEY not in text and STRIPE_KEY.removeprefix("sk_test_")[:12] not in text
    assert "Starts with sk_test_" in text  # the hint under the field is kept
    again, window = start(qtbot, arun, qapp, system, settings, path)
    window.show()
    assert window.system is None and window.first_screen is not None
    assert window.first_screen.identifier == "payment_stripe"
    assert window.catalogue.model.entry_count() == len(system.integration_modules())
    assert window.catalogue.current_identifier() == "payment_stripe"
    preview = window.first_screen.preview
    assert preview.header.title.text() == "Stripe"
    assert not preview.header.enable_button.isEnabled()  # actions wait for the database
    labels = [label.text() for label in preview.body.findChildren(type(preview.waiting))]
    assert any("Secret Key" in label for label in labels)
    drawn = window.catalogue
    finish(arun, again, system)
    assert window.catalogue is drawn  # the same widget: no flicker, selection kept
    assert window.pane.identifier == "payment_stripe"
    assert window.updatesEnabled()
    close(window)


def test_a_stale_cache_is_corrected_when_the_database_answers(
    qtbot: Any,
    qapp: QApplication,
    arun: Any,
    tmp_path: Path,
    system: System,
    settings: QSettings,
    make_window: Any,
) -> None:
    from ffdesk.services.window import catalogue_entries

    arun(system.install_module("payment_stripe"))
    path = cache_file(system.db.url, tmp_path)
    write_first_screen(path, stale_screen(system, arun(catalogue_entries(system))))
    runner, window = start(qtbot, arun, qapp, system, settings, path)
    window.show()
    # What the old file says, for now.
    assert window.catalogue.model.entry("payment_ghost") is not None
    assert window.catalogue.model.entry("payment_stripe").state == "Enabled"
    assert window.first_screen.identifier == "payment_ghost"

    finish(arun, runner, system)
    assert window.catalogue.model.entry("payment_ghost") is None
    assert window.catalogue.model.entry("payment_stripe").state == "Installed"
    assert window.pane.identifier == window.catalogue.current_identifier() != "payment_ghost"
    # And the file now holds what the database said.
    fresh = read_first_screen(path)
    assert fresh is not None
    assert "payment_ghost" not in [e.identifier for e in fresh.entries]
    close(window)


def test_a_choice_made_before_the_database_is_open_is_kept(
    qtbot: Any,
    qapp: QApplication,
    arun: Any,
    tmp_path: Path,
    system: System,
    settings: QSettings,
    make_window: Any,
) -> None:
    from ffdesk.services.window import catalogue_entries

    path = cache_file(system.db.url, tmp_path)
    entries = arun(catalogue_entries(system))
    write_first_screen(path, FirstScreen(str(system.db.id), "My Company", entries))
    settings.setValue(LAST_INTEGRATION_KEY, "payment_stripe")
    runner, window = start(qtbot, arun, qapp, system, settings, path)
    window.show()
    qtbot.waitExposed(window)
    tree = window.catalogue.tree
    index = window.catalogue.proxy.mapFromSource(window.catalogue.model.index_of("sms_twilio"))
    tree.scrollTo(index)
    qtbot.mouseClick(
        tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualRect(index).center()
    )
    assert window.first_screen.identifier == "sms_twilio"
    assert window.first_screen.preview.header.title.text() == "Twilio SMS"

    finish(arun, runner, system)
    assert window.pane.identifier == "sms_twilio"
    assert window.catalogue.current_identifier() == "sms_twilio"
    close(window)


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{not json",
        '{"version": 1, "database_id": "x", "company": "My Company", "entries": [{"name": 3}]}',
        '{"version": 99, "database_id": "x", "company": "My Company", "entries": []}',
        "[1, 2, 3]",
        '{"version": 1, "database_id": "x", "company": 7, "entries": []}',
    ],
)
def test_a_damaged_cache_is_ignored_and_the_window_still_opens(
    qtbot: Any,
    qapp: QApplication,
    arun: Any,
    tmp_path: Path,
    system: System,
    settings: QSettings,
    content: str,
) -> None:
    path = cache_file(system.db.url, tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(content)
    assert read_first_screen(path) is None
    runner, window = start(qtbot, arun, qapp, system, settings, path)
    assert window.first_screen is None
    finish(arun, runner, system)
    assert window.catalogue.model.entry_count() == len(system.integration_modules())
    assert read_first_screen(path) is not None  # replaced by a good one
    close(window)


def test_another_company_than_the_cached_one_is_not_drawn_from_it(
    qtbot: Any, qapp: QApplication, arun: Any, tmp_path: Path, system: System, settings: QSettings
) -> None:
    path = cache_file(system.db.url, tmp_path)
    write_first_screen(path, FirstScreen(str(system.db.id), "Other Ltd", [GHOST]))
    settings.setValue("company/last", "My Company")
    runner, window = start(qtbot, arun, qapp, system, settings, path)
    assert window.first_screen is None  # "Opening the database…" rather than another's states
    finish(arun, runner, system)
    assert window.catalogue.model.entry("payment_ghost") is None
    close(window)


def test_the_cache_file_is_per_database_and_never_holds_a_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://admin:s3cret@db.example:5432/ffdesk"
    with_password = cache_file(url, tmp_path)
    without = cache_file("postgresql+psycopg://admin@db.example:5432/ffdesk", tmp_path)
    other = cache_file("postgresql+psycopg://admin@db.example:5432/other", tmp_path)
    assert with_password == without != other
    write_first_screen(with_password, FirstScreen("id", "My Company", [GHOST]))
    assert "s3cret" not in with_password.read_text()
    assert json.loads(with_password.read_text())["entries"][0]["identifier"] == "payment_ghost"
    # A file of another database (same name by chance, or copied) is not drawn from.
    other_url = "postgresql+psycopg://admin@db.example:5432/other"
    assert read_first_screen(with_password, other_url) is None
    stored = FirstScreen("id", "My Company", [GHOST], database=without_password(url))
    write_first_screen(with_password, stored)
    assert read_first_screen(with_password, url) == stored


def _frame(window: MainWindow, pane: Any) -> dict[str, Any]:
    """Where the things a user reads are: menus, area tabs, the form's fields and its tabs."""

    def top(widget: Any) -> int:
        return widget.mapTo(window, widget.rect().topLeft()).y()

    body = pane.form.body if hasattr(pane, "form") else pane.body  # real pane or preview
    labels = [
        (label.text(), top(label))
        for label in body.findChildren(QLabel)
        if label.isVisibleTo(window)
    ]
    areas = window.centralWidget().findChild(QTabWidget, "areaTabs")
    return {
        "menus": [action.text() for action in window.menuBar().actions()],
        "areas": [areas.tabText(i) for i in range(areas.count())],
        "areas top": top(areas),
        "pane": pane.mapTo(window, pane.rect().topLeft()),
        "fields": labels,
        "tabs": [pane.tabs.tabText(i) for i in range(pane.tabs.count())],
        "tabs top": top(pane.tabs),
        "catalogue": window.catalogue.mapTo(window, window.catalogue.rect().topLeft()),
        "list scrolled": window.catalogue.tree.verticalScrollBar().value(),
    }


def test_nothing_moves_when_the_database_answers(
    qtbot: Any,
    qapp: QApplication,
    arun: Any,
    tmp_path: Path,
    system: System,
    settings: QSettings,
    make_window: Any,
) -> None:
    """The first paint has the attached window's menus, tabs and form layout: the swap
    changes values and enables actions, it does not jump."""
    arun(system.install_module("payment_stripe"))
    path = cache_file(system.db.url, tmp_path)
    runner, window = start(qtbot, arun, qapp, system, settings, path)
    settings.setValue(LAST_INTEGRATION_KEY, "payment_stripe")
    finish(arun, runner, system)
    window.show()
    open_integration(qtbot, window, "payment_stripe")
    qtbot.waitUntil(lambda: window.pane.tabs.tabText(0) != "Sync history")  # with its count
    qtbot.waitUntil(lambda: bool(_frame(window, window.pane)["fields"]))  # laid out
    settled = _frame(window, window.pane)
    runner.save_first_screen()
    close(window)

    again, window = start(qtbot, arun, qapp, system, settings, path)
    window.show()
    assert window.first_screen is not None
    window.first_screen.shown()
    first = _frame(window, window.first_screen.preview)
    assert first["menus"] == settled["menus"]
    assert first["areas"] == settled["areas"]
    assert first["tabs"] == settled["tabs"]
    assert first["fields"] == settled["fields"], (first["fields"], settled["fields"])
    assert first == settled
    assert window.focusWidget() is window.catalogue.tree  # where the keyboard starts
    # Under X the window is often not active yet when the database answers.
    elsewhere = QLabel("another window")
    qtbot.addWidget(elsewhere)
    elsewhere.show()
    elsewhere.activateWindow()
    qtbot.waitUntil(lambda: not window.isActiveWindow())
    finish(arun, again, system)
    assert window.focusWidget() is window.catalogue.tree  # and stays through the swap
    qtbot.waitUntil(lambda: bool(_frame(window, window.pane)["fields"]))
    assert _frame(window, window.pane) == first
    close(window)
