"""The catalogue: categories, badges, search and state filter, installing from it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from ffdesk.services.window import CatalogueEntry
from ffdesk.ui.catalogue_model import CatalogueFilter, CatalogueModel, Role
from ffdesk.ui.main_window import MainWindow
from tests.ui.helpers import badge, click, click_entry, open_integration


def headers(window: MainWindow) -> list[str]:
    proxy = window.catalogue.proxy
    return [proxy.index(row, 0).data() for row in range(proxy.rowCount())]


def listed(window: MainWindow) -> list[str]:
    proxy = window.catalogue.proxy
    names = []
    for row in range(proxy.rowCount()):
        header = proxy.index(row, 0)
        names += [
            proxy.index(r, 0, header).data(Role.IDENTIFIER) for r in range(proxy.rowCount(header))
        ]
    return names


def test_catalogue_is_grouped_by_category_with_states(window: MainWindow) -> None:
    assert headers(window)[0] == "Online Payment"
    assert "payment_stripe" in listed(window)
    assert badge(window, "payment_stripe") == "Not Installed"
    # Online Payment, Messaging, Shipping come in that order whatever else is shipped.
    order = [h for h in headers(window) if h in ("Online Payment", "Messaging", "Shipping")]
    assert order == sorted(order, key=["Online Payment", "Messaging", "Shipping"].index)


def test_install_stripe_from_the_catalogue(qtbot: Any, window: MainWindow) -> None:
    open_integration(qtbot, window, "payment_stripe")
    header = window.pane.header
    assert header.title.text() == "Stripe"
    assert header.badge.text() == "Not Installed"
    assert not header.enable_button.isVisible()

    click(qtbot, header.install_button)

    qtbot.waitUntil(lambda: badge(window, "payment_stripe") == "Installed", timeout=10000)
    qtbot.waitUntil(lambda: header.badge.text() == "Installed")
    assert "Stripe installed" in window.pane.message.text
    assert header.enable_button.isVisible() and not header.install_button.isVisible()
    assert "secret_key" in window.pane.form.rows  # the module's fields joined the form


def test_search_and_state_filter(qtbot: Any, window: MainWindow, arun: Any) -> None:
    arun(window.system.install_module("payment_stripe"))
    arun(window.refresh())
    qtbot.keyClicks(window.search, "strip")
    assert listed(window) == ["payment_stripe"]
    assert window.catalogue.count_label.text().startswith("1 of ")

    window.search.clear()
    window.catalogue.set_state_filter("Installed")
    assert listed(window) == ["payment_stripe"]
    window.catalogue.set_state_filter("Not Installed")
    assert "payment_stripe" not in listed(window) and listed(window)

    qtbot.keyClicks(window.search, "no such provider")
    assert listed(window) == []
    assert window.catalogue.stack.currentWidget() is window.catalogue.empty
    assert headers(window) == []  # empty categories disappear with their entries


def test_clicking_a_header_selects_nothing(qtbot: Any, window: MainWindow) -> None:
    tree = window.catalogue.tree
    header = window.catalogue.proxy.index(0, 0)
    qtbot.mouseClick(
        tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualRect(header).center()
    )
    assert window.catalogue.current_identifier() != header.data()


def test_keyboard_moves_through_entries(qtbot: Any, window: MainWindow) -> None:
    click_entry(qtbot, window, listed(window)[0])
    first = window.catalogue.current_identifier()
    qtbot.keyClick(window.catalogue.tree, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: window.pane.identifier == listed(window)[1])
    assert window.catalogue.current_identifier() != first


def synthetic(n: int) -> list[CatalogueEntry]:
    categories = ["Online Payment", "Messaging", "Shipping"]
    return [
        CatalogueEntry(
            identifier=f"payment_{i:04d}",
            name=f"Provider {i:04d}",
            description=f"Synthetic provider number {i}",
            category=categories[i % 3],
            image=None,
            state=("Not Installed", "Installed", "Enabled")[i % 3],
        )
        for i in range(n)
    ]


def test_a_thousand_entries_filter_in_the_model(qtbot: Any) -> None:
    model = CatalogueModel()
    proxy = CatalogueFilter()
    proxy.setSourceModel(model)
    model.set_entries(sorted(synthetic(1000), key=lambda e: e.category))
    assert proxy.entry_count() == 1000
    proxy.set_search_text("0999")
    assert proxy.entry_count() == 1
    proxy.set_search_text("")
    proxy.set_state("Enabled")
    assert proxy.entry_count() == 333
    model.update_entry("payment_0000", state="Enabled")
    assert proxy.entry_count() == 334
