"""The integration pane as the last run left it, drawn before the database is open.

Laid out from the same measures as `IntegrationPane` (`pane_layout`): header, the message
slot, the form with its legend and Save/Discard row above the history tabs. When the real pane
replaces it, values may change but nothing moves. Read only: nothing can act before the
database is open.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ffdesk.services.catalogue_entry import CatalogueEntry
from ffdesk.ui.catalogue_cache import FormRow, PaneSnapshot
from ffdesk.ui.icons import IconCache, glyph
from ffdesk.ui.integration_header import IntegrationHeader
from ffdesk.ui.pane_layout import (
    CONTENT_MARGINS,
    CONTENT_SPACING,
    FIELD_SPACING,
    FORM_BUTTONS_MARGINS,
    LABEL_ALIGNMENT,
    NEVER,
    NONE_CHOICE,
    SECRET_EMPTY,
    SECRET_SET,
    SPLITTER_HANDLE,
    SPLITTER_SIZES,
    SPLITTER_STRETCH,
    TAB_TITLES,
    align_labels,
    editor_text,
    field_label,
    fitted_sizes,
    form_body,
    form_group,
    message_slot_height,
    required_marker,
    text_area_height,
)

DATETIME_WIDTH = 220  # as the date-time editor


class PanePreview(QWidget):
    """One integration as last shown: header, form and tab titles, read only."""

    def __init__(self, icons: IconCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("integrationPane")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.identifier: str | None = None
        self.header = IntegrationHeader(icons)
        slot = QWidget()
        slot.setObjectName("messageSlot")
        slot.setMinimumHeight(message_slot_height(self.fontMetrics().lineSpacing()))
        self.note = QLabel()
        self.note.setObjectName("scheduleNote")
        self.note.setWordWrap(True)
        self.note.hide()

        self.body, self.body_layout, scroll = form_body()
        form = QWidget()
        form_layout = QVBoxLayout(form)
        form_layout.setContentsMargins(0, 0, 0, 0)
        form_layout.setSpacing(0)
        form_layout.addWidget(scroll, 1)
        form_layout.addLayout(self._buttons())

        self.tabs = QTabWidget()
        self.waiting = QLabel(self.tr("Opening the database…"))
        self.waiting.setObjectName("emptyHint")
        self.waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.tabs.addTab(self.waiting, "")
        for _title in TAB_TITLES[1:]:
            self.tabs.addTab(QWidget(), "")
        self._set_tab_titles(())
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("paneSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(form)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, SPLITTER_STRETCH[0])
        self.splitter.setStretchFactor(1, SPLITTER_STRETCH[1])
        self.splitter.setHandleWidth(SPLITTER_HANDLE)
        self.splitter.setSizes(list(SPLITTER_SIZES))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(*CONTENT_MARGINS)
        layout.setSpacing(CONTENT_SPACING)
        layout.addWidget(self.header)
        layout.addWidget(slot)
        layout.addWidget(self.note)
        layout.addWidget(self.splitter, 1)

    def _buttons(self) -> QHBoxLayout:
        self.legend = QLabel(
            QCoreApplication.translate("FormWidget", "{marker} needed to enable").format(
                marker=required_marker()
            )
        )
        self.legend.setObjectName("requiredLegend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.hide()
        discard = QPushButton(QCoreApplication.translate("FormWidget", "Disc&ard"))
        discard.setObjectName("discardButton")
        save = QPushButton(QCoreApplication.translate("FormWidget", "&Save"))
        save.setObjectName("saveButton")
        save.setProperty("primary", True)
        for button in (discard, save):
            button.setEnabled(False)
        buttons = self.buttons = QHBoxLayout()
        buttons.setContentsMargins(*FORM_BUTTONS_MARGINS)
        buttons.addWidget(self.legend)
        buttons.addStretch(1)
        buttons.addWidget(discard)
        buttons.addWidget(save)
        return buttons

    def _set_tab_titles(self, titles: Sequence[str]) -> None:
        for index, title in enumerate(TAB_TITLES):
            shown = titles[index] if index < len(titles) else ""
            text = shown or QCoreApplication.translate("IntegrationPane", title)
            self.tabs.setTabText(index, text)

    def show_entry(self, entry: CatalogueEntry, snapshot: PaneSnapshot | None) -> None:
        """The header of `entry`; its form, tabs and schedule note too when the last run
        showed it."""
        self.identifier = entry.identifier
        rows: Sequence[FormRow] = ()
        if snapshot is not None and snapshot.identifier == entry.identifier:
            self.header.show_integration(
                snapshot.name, snapshot.image, entry.state, snapshot.description, snapshot.meta
            )
            rows = snapshot.form
            self._set_tab_titles(snapshot.tabs)
            self.note.setText(snapshot.note)
            self.note.setVisible(bool(snapshot.note))
        else:
            self.header.show_integration(
                entry.name, entry.image, entry.state, entry.description, entry.category
            )
            self._set_tab_titles(())
            self.note.hide()
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
        labels: list[QLabel] = []
        for row in rows:
            if layout is None or row.group != current:
                group, layout = form_group(row.group)
                self.body_layout.insertWidget(self.body_layout.count() - 1, group)
                current = row.group
            label = QLabel()
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setAlignment(LABEL_ALIGNMENT)
            label.setText(field_label(row.label, row.required))
            labels.append(label)
            layout.addRow(label, _field(row))
        align_labels(labels, self.fontMetrics())
        self.legend.setVisible(any(row.required for row in rows))
        if self.isVisible():  # else the first resize fits it, with the size it will have
            self._fit_splitter()

    def _fit_splitter(self) -> None:
        """As the real pane: the form gets the height it needs, the tabs the rest."""
        available = sum(self.splitter.sizes())
        if available > 0:
            margins = self.buttons.contentsMargins()
            buttons = self.buttons.sizeHint().height() + margins.top() + margins.bottom()
            self.splitter.setSizes(fitted_sizes(available, self.body.sizeHint().height() + buttons))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_splitter()


def _field(row: FormRow) -> QWidget:
    """The value as the real editor shows it (same kind of widget, same height), read only;
    the hint under it."""
    editor = _value_widget(row)
    if not row.hint:
        return editor
    container = QWidget()
    box = QVBoxLayout(container)
    box.setContentsMargins(0, 0, 0, 0)
    box.setSpacing(FIELD_SPACING)
    box.addWidget(editor)
    hint = QLabel(row.hint)
    hint.setObjectName("fieldHint")
    hint.setWordWrap(True)
    box.addWidget(hint)
    return container


def _value_widget(row: FormRow) -> QWidget:
    if row.widget == "Checkbox":
        box = QCheckBox()
        box.setChecked(row.text == "true")
        box.setEnabled(False)
        return box
    if row.widget == "TextArea":
        area = QPlainTextEdit(row.text)
        area.setReadOnly(True)
        area.setFixedHeight(text_area_height(area.fontMetrics().lineSpacing(), row.readonly))
        return area
    if row.widget in ("Datetime", "Date"):
        return _moment(row)
    line = QLineEdit()
    line.setReadOnly(True)
    if row.widget == "Password":
        line.setPlaceholderText(editor_text(SECRET_SET if row.text == "set" else SECRET_EMPTY))
        line.addAction(glyph("eye"), QLineEdit.ActionPosition.TrailingPosition)
    else:
        line.setText(row.text)
    return line


def _moment(row: FormRow) -> QWidget:
    """A date-time box like the real editor's (its frame is a few pixels taller than a line);
    the text is shown as the box's special value."""
    from PySide6.QtCore import QDateTime

    edit = QDateTimeEdit()
    edit.setReadOnly(True)
    edit.setButtonSymbols(QDateTimeEdit.ButtonSymbols.NoButtons)
    edit.setMaximumWidth(DATETIME_WIDTH)
    moment = QDateTime.currentDateTime()
    edit.setMinimumDateTime(moment)
    edit.setDateTime(moment)
    empty = editor_text(NEVER) if row.readonly else NONE_CHOICE
    edit.setSpecialValueText(row.text[:16] if row.text else empty)
    return edit
