"""The window before its database is open: the catalogue and the pane as the last run left them.

Drawn from `catalogue_cache` right after the QApplication exists, while the engine is imported
and the database is opened and checked; `MainWindow.attach` then takes the catalogue over (the
same widget, so the selection and the scroll position stay) and the real pane replaces the
preview. Actions wait for the database: the header's buttons are disabled until then.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QByteArray, QCoreApplication, Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ffdesk.services.catalogue_entry import CatalogueEntry
from ffdesk.ui.catalogue_cache import FirstScreen, FormRow, PaneSnapshot, without_password
from ffdesk.ui.catalogue_view import CatalogueView
from ffdesk.ui.icons import IconCache
from ffdesk.ui.integration_header import IntegrationHeader
from ffdesk.ui.style import theme

if TYPE_CHECKING:
    from ffdesk.ui.main_window import MainWindow

CATALOGUE_WIDTH = 420  # as MainWindow.attach lays it out
# The secret editor's own placeholders (ffdesk.ui.field_editors imports the engine).
SECRET_SET = QT_TRANSLATE_NOOP("FieldEditor", "set — type to replace")
SECRET_EMPTY = QT_TRANSLATE_NOOP("FieldEditor", "not set")
SPLITTER_KEY = "window/splitter"


class PanePreview(QWidget):
    """One integration as last shown: header and form, read only until the database is open."""

    def __init__(self, icons: IconCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("integrationPane")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.identifier: str | None = None
        self.header = IntegrationHeader(icons)
        self.body = QWidget()
        self.body.setObjectName("formBody")
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 0, 8, 0)
        self.body_layout.setSpacing(4)
        self.body_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.body)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.waiting = QLabel(self.tr("Opening the database…"))
        self.waiting.setObjectName("emptyHint")
        self.waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.setSpacing(12)
        layout.addWidget(self.header)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.waiting, 1)
        self._scroll = scroll

    def show_entry(self, entry: CatalogueEntry, snapshot: PaneSnapshot | None) -> None:
        """The header of `entry`; its form too when the last run showed it."""
        self.identifier = entry.identifier
        if snapshot is not None and snapshot.identifier == entry.identifier:
            self.header.show_integration(
                snapshot.name, snapshot.image, entry.state, snapshot.description, snapshot.meta
            )
            rows = snapshot.form
        else:
            self.header.show_integration(
                entry.name, entry.image, entry.state, entry.description, entry.category
            )
            rows = ()
        self.header.set_actions(
            state=entry.state,
            running=False,
            busy=True,  # nothing can act before the database is open
            can_install=True,
            install_reason="",
            can_sync=False,
            sync_reason="",
        )
        self._show_form(rows)

    def _show_form(self, rows: Sequence[FormRow]) -> None:
        while self.body_layout.count() > 1:
            item = self.body_layout.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()  # type: ignore[union-attr]
        current: str | None = None
        layout: QFormLayout | None = None
        for row in rows:
            if layout is None or row.group != current:
                group = QGroupBox(row.group)
                layout = QFormLayout(group)
                layout.setLabelAlignment(
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                )
                layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
                layout.setHorizontalSpacing(14)
                layout.setVerticalSpacing(8)
                self.body_layout.insertWidget(self.body_layout.count() - 1, group)
                current = row.group
            label = QLabel()
            label.setTextFormat(Qt.TextFormat.RichText)
            marker = f' <span style="color:{theme().danger}">*</span>' if row.required else ""
            label.setText(_escape(row.label) + marker)
            layout.addRow(label, _value_widget(row))
        self._scroll.setVisible(bool(rows))
        self.waiting.setVisible(not rows)


def _value_widget(row: FormRow) -> QWidget:
    if row.widget == "Checkbox":
        box = QCheckBox()
        box.setChecked(row.text == "true")
        box.setEnabled(False)
        return box
    line = QLineEdit()
    line.setReadOnly(True)
    if row.widget == "Password":
        line.setPlaceholderText(_tr(SECRET_SET if row.text == "set" else SECRET_EMPTY))
    else:
        line.setText(row.text)
    return line


def _tr(text: str) -> str:
    return QCoreApplication.translate("FieldEditor", text)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class CachedFirstScreen:
    """Draws a `FirstScreen` in a window not yet attached to its System."""

    def __init__(self, window: MainWindow, screen: FirstScreen, remembered: str | None) -> None:
        self.window = window
        self.screen = screen
        self.catalogue = CatalogueView(window.icons)
        self.catalogue.setMinimumWidth(300)
        self.preview = PanePreview(window.icons)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("mainSplitter")
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.catalogue)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        state = window.settings.value(SPLITTER_KEY)
        if not (isinstance(state, QByteArray) and splitter.restoreState(state)):
            width = max(window.width(), 1280)
            splitter.setSizes([CATALOGUE_WIDTH, width - CATALOGUE_WIDTH])
        window.setCentralWidget(splitter)  # replaces "Opening the database…"
        # Filled once in place: each reparenting above lays the tree out again, row by row
        # through Python (9,000 calls of the model's index() for 1,000 modules).
        self.catalogue.set_entries(screen.entries)
        window.catalogue = self.catalogue
        window.setWindowTitle(f"{window.windowTitle()} — {screen.company}")
        window.company_status.setText(
            QCoreApplication.translate("MainWindow", "Company: {name}").format(name=screen.company)
        )
        window.switcher.blockSignals(True)  # switching waits for the database
        window.switcher.addItem(screen.company)
        window.search.textChanged.connect(self.catalogue.set_search_text)
        self.catalogue.integration_selected.connect(self._on_catalogue_integration_selected)
        wanted = [remembered, screen.pane.identifier if screen.pane else None]
        identifier = next(
            (i for i in wanted if i and self.catalogue.model.entry(i) is not None),
            self.catalogue.first_identifier(),
        )
        if identifier is not None:
            self.catalogue.select(identifier, notify=False)
            self._show(identifier)

    @property
    def identifier(self) -> str | None:
        """The integration the preview shows."""
        return self.preview.identifier

    def _show(self, identifier: str) -> None:
        entry = self.catalogue.model.entry(identifier)
        if entry is not None:
            self.preview.show_entry(entry, self.screen.pane)

    @Slot(str)
    def _on_catalogue_integration_selected(self, identifier: str) -> None:
        self._show(identifier)

    def release(self) -> CatalogueView:
        """Hand the catalogue (with its selection) to the attached window; the preview goes."""
        self.catalogue.integration_selected.disconnect(self._on_catalogue_integration_selected)
        self.window.search.textChanged.disconnect(self.catalogue.set_search_text)
        self.window.switcher.clear()
        self.window.switcher.blockSignals(False)
        return self.catalogue


def snapshot(window: MainWindow) -> FirstScreen | None:
    """What the attached window shows now, for the next start (None if it shows nothing)."""
    system, pane = window.system, window.pane
    if system is None or pane is None or system.env.company is None:
        return None
    entries = window.catalogue.model.entries()
    shown: PaneSnapshot | None = None
    details = pane.details
    if details is not None and pane.identifier == details.identifier:
        header = pane.header
        shown = PaneSnapshot(
            identifier=details.identifier,
            name=header.title.text(),
            image=details.image,
            state=details.state,
            description=header.description.text(),
            meta=header.meta.text(),
            form=_form_rows(pane),
        )
    return FirstScreen(
        database_id=str(system.db.id),
        company=str(system.env.company.name),
        entries=entries,
        pane=shown,
        database=without_password(system.db.url),
    )


def _form_rows(pane: Any) -> tuple[FormRow, ...]:
    from ffdesk.ui.context import system_env

    record = pane.form.record
    if record is None:
        return ()
    rows = []
    with system_env(pane.system):
        for row in pane.form.rows.values():
            item = row.item
            if not item.visible:
                continue
            rows.append(
                FormRow(
                    name=item.name,
                    label=item.label,
                    widget=item.widget,
                    text=_as_text(item.display_value(record)),
                    required=item.required and not item.readonly,
                    group=item.path[0] if item.path else "",
                )
            )
    return tuple(rows)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
