"""One editor per widget kind of a form field; each reports user edits through a callback.

Programmatic updates (`set_value`) never report: only what the user does is an edit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QDate, QDateTime, Qt, QTime
from PySide6.QtGui import QAction, QDoubleValidator, QIntValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from ffdesk.engine.forms import FormField
from ffdesk.ui.icons import IconCache, glyph
from ffdesk.ui.pane_layout import (
    NEVER,
    NONE_CHOICE,
    SECRET_EMPTY,
    SECRET_REMOVED,
    SECRET_SET,
    editor_text,
    text_area_height,
)
from ffdesk.ui.tab_order import let_tab_leave

# A secret editor's value when the user typed nothing: the stored secret stays as it is.
KEEP = object()
Report = Callable[[str, Any], None]


class FieldEditor:
    """Base: the widget, the field it edits and how a user edit is reported."""

    def __init__(self, item: FormField, report: Report) -> None:
        self.item = item
        self.name = item.name
        self._report = report
        self._loading = False
        self.widget: QWidget = self._build()
        self.widget.setObjectName(f"field_{item.name}")
        self.widget.setAccessibleName(item.label)
        if item.hint:
            self.widget.setToolTip(item.hint)

    def _build(self) -> QWidget:
        raise NotImplementedError

    def _edited(self, value: Any) -> None:
        if not self._loading:
            self._report(self.name, value)

    def set_value(self, value: Any) -> None:
        self._loading = True
        try:
            self._show(value)
        finally:
            self._loading = False

    def _show(self, value: Any) -> None:
        raise NotImplementedError

    def set_readonly(self, readonly: bool) -> None:
        self.widget.setEnabled(not readonly)

    def restyle(self) -> None:
        """Icons again in the current theme's colours (after a light/dark switch)."""

    def set_invalid(self, invalid: bool) -> None:
        self.widget.setProperty("invalid", invalid)
        self.widget.style().unpolish(self.widget)
        self.widget.style().polish(self.widget)


class TextEditor(FieldEditor):
    """A line of text (Char and anything without a better widget)."""

    widget: QLineEdit

    def _build(self) -> QWidget:
        edit = QLineEdit()
        edit.textEdited.connect(self._edited)
        return edit

    def _show(self, value: Any) -> None:
        if value is not None and not isinstance(value, str | int | float):
            value = getattr(value, "name", value)  # a related record: shown by its name
        self.widget.setText("" if value is None else str(value))
        self.widget.setCursorPosition(0)

    def set_readonly(self, readonly: bool) -> None:
        self.widget.setReadOnly(readonly)


class NumberEditor(TextEditor):
    """Integer or Float typed as text; the field parses it."""

    def _build(self) -> QWidget:
        edit = QLineEdit()
        if self.item.type_name == "Integer":
            edit.setValidator(QIntValidator(edit))
        else:
            validator = QDoubleValidator(edit)
            validator.setNotation(QDoubleValidator.Notation.StandardNotation)
            edit.setValidator(validator)
        edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        edit.setMaximumWidth(200)
        edit.textEdited.connect(self._edited)
        return edit

    def _show(self, value: Any) -> None:
        if value is None:
            text = ""
        elif isinstance(value, float):
            text = f"{value:g}"
        else:
            text = str(value)
        self.widget.setText(text)


class SecretEditor(FieldEditor):
    """A company-scoped value: never displayed; "set" shows as a placeholder until replaced.

    Reports the typed text, KEEP when the text is emptied again, or None for "remove".
    """

    widget: QLineEdit

    def _build(self) -> QWidget:
        edit = QLineEdit()
        self._stored = False
        self._removed = False
        self.password = self.item.widget == "Password"
        if self.password:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            self.show_action = QAction(
                glyph("eye"), QCoreApplication.translate("FieldEditor", "Show what you typed"), edit
            )
            self.show_action.setObjectName(f"show_{self.item.name}")
            self.show_action.setCheckable(True)
            self.show_action.toggled.connect(self._on_show_action_toggled)
            edit.addAction(self.show_action, QLineEdit.ActionPosition.TrailingPosition)
        self.remove_action = QAction(
            glyph("clear"),
            QCoreApplication.translate("FieldEditor", "Remove the stored value"),
            edit,
        )
        self.remove_action.setObjectName(f"remove_{self.item.name}")
        self.remove_action.triggered.connect(self._on_remove_action_triggered)
        edit.addAction(self.remove_action, QLineEdit.ActionPosition.TrailingPosition)
        edit.textEdited.connect(self._on_text_edited)
        edit.setClearButtonEnabled(False)
        return edit

    def _show(self, value: Any) -> None:
        # `value` is whether a value is stored; the value itself never reaches the widget.
        self._stored = bool(value)
        self._removed = False
        self.widget.clear()
        self._update_placeholder()

    def _update_placeholder(self) -> None:
        if self._removed:
            text = SECRET_REMOVED
        elif self._stored:
            text = SECRET_SET
        else:
            text = SECRET_EMPTY
        self.widget.setPlaceholderText(editor_text(text))
        self.remove_action.setVisible(
            self._stored and not self._removed and not self.widget.isReadOnly()
        )

    def _on_text_edited(self, text: str) -> None:
        if text:
            self._edited(text)
        else:
            self._edited(None if self._removed else KEEP)

    def _on_remove_action_triggered(self) -> None:
        self._removed = True
        self.widget.clear()
        self._update_placeholder()
        self._edited(None)

    def restyle(self) -> None:
        self.remove_action.setIcon(glyph("clear"))
        if self.password:
            self.show_action.setIcon(glyph("eye-off" if self.show_action.isChecked() else "eye"))

    def _on_show_action_toggled(self, shown: bool) -> None:
        self.widget.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.show_action.setIcon(glyph("eye-off" if shown else "eye"))
        self.show_action.setText(
            QCoreApplication.translate("FieldEditor", "Hide what you typed")
            if shown
            else QCoreApplication.translate("FieldEditor", "Show what you typed")
        )

    def set_readonly(self, readonly: bool) -> None:
        self.widget.setReadOnly(readonly)
        self._update_placeholder()


class TextAreaEditor(FieldEditor):
    """Multi-line text."""

    widget: QPlainTextEdit

    def _build(self) -> QWidget:
        edit = QPlainTextEdit()
        edit.setTabChangesFocus(True)
        self._line = edit.fontMetrics().lineSpacing()
        edit.setFixedHeight(text_area_height(self._line, readonly=False))
        edit.textChanged.connect(lambda: self._edited(edit.toPlainText()))
        return edit

    def _show(self, value: Any) -> None:
        self.widget.setPlainText("" if value is None else str(value))

    def set_readonly(self, readonly: bool) -> None:
        self.widget.setReadOnly(readonly)
        self.widget.setProperty("readOnly", readonly)
        # Read-only text is usually a sentence or two: do not reserve room for typing.
        self.widget.setFixedHeight(text_area_height(self._line, readonly))
        self.set_invalid(bool(self.widget.property("invalid")))


class CheckboxEditor(FieldEditor):
    """A Boolean."""

    widget: QCheckBox

    def _build(self) -> QWidget:
        box = QCheckBox()
        box.clicked.connect(self._edited)
        return box

    def _show(self, value: Any) -> None:
        self.widget.setChecked(bool(value))


class SelectEditor(FieldEditor):
    """One of the field's choices (an empty choice unless the field is required)."""

    widget: QComboBox

    def _build(self) -> QWidget:
        combo = QComboBox()
        self._fill(combo, self.item.required)
        combo.activated.connect(lambda index: self._edited(combo.itemData(index)))
        return combo

    def _fill(self, combo: QComboBox, required: bool) -> None:
        combo.clear()
        if not required:
            combo.addItem(NONE_CHOICE, None)
        for choice in self.item.choices:
            combo.addItem(choice, choice)

    def _show(self, value: Any) -> None:
        index = self.widget.findData(value)
        if index < 0 and value is not None:
            self.widget.addItem(str(value), value)  # a stored value no longer among the choices
            index = self.widget.count() - 1
        self.widget.setCurrentIndex(max(index, 0))


class DatetimeEditor(FieldEditor):
    """A date and time; the lowest date stands for "no value"."""

    NULL = QDateTime(QDate(1900, 1, 1), QTime(0, 0))
    widget: QDateTimeEdit

    def _build(self) -> QWidget:
        edit = QDateTimeEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        edit.setMinimumDateTime(self.NULL)
        edit.setSpecialValueText(editor_text(NEVER) if self.item.readonly else NONE_CHOICE)
        edit.setMaximumWidth(220)
        let_tab_leave(edit)  # its sections take Left/Right; "Never" read-only kept Tab forever
        edit.dateTimeChanged.connect(self._on_changed)
        return edit

    def _on_changed(self, value: QDateTime) -> None:
        self._edited(None if value == self.NULL else value.toPython())

    def _show(self, value: Any) -> None:
        if isinstance(value, dt.datetime):
            self.widget.setDateTime(QDateTime(value))
        else:
            self.widget.setDateTime(self.NULL)

    def set_readonly(self, readonly: bool) -> None:
        self.widget.setReadOnly(readonly)
        self.widget.setButtonSymbols(
            QDateTimeEdit.ButtonSymbols.NoButtons
            if readonly
            else QDateTimeEdit.ButtonSymbols.UpDownArrows
        )
        self.widget.setCalendarPopup(not readonly)


class DateEditor(DatetimeEditor):
    """A calendar date."""

    widget: QDateEdit  # type: ignore[assignment]

    def _build(self) -> QWidget:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(self.NULL.date())
        edit.setSpecialValueText(NONE_CHOICE)
        edit.setMaximumWidth(160)
        let_tab_leave(edit)
        edit.dateChanged.connect(
            lambda value: self._edited(None if value == self.NULL.date() else value.toPython())
        )
        return edit

    def _show(self, value: Any) -> None:
        if isinstance(value, dt.date):
            self.widget.setDate(QDate(value))
        else:
            self.widget.setDate(self.NULL.date())


class ImageEditor(FieldEditor):
    """An image file: a preview, its file name, and Choose… / Remove."""

    icons = IconCache()

    def _build(self) -> QWidget:
        box = QWidget()
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.preview = QLabel()
        self.preview.setFixedSize(40, 40)
        self.file_label = QLabel()
        self.file_label.setObjectName("paneSubtitle")
        self.choose = QPushButton(QCoreApplication.translate("FieldEditor", "Choose…"))
        self.remove = QPushButton(QCoreApplication.translate("FieldEditor", "Remove"))
        layout.addWidget(self.preview)
        layout.addWidget(self.file_label, 1)
        layout.addWidget(self.choose)
        layout.addWidget(self.remove)
        self.choose.clicked.connect(self._on_choose_clicked)
        self.remove.clicked.connect(lambda: self._pick(None))
        return box

    def _show(self, value: Any) -> None:
        path = str(value) if value else None
        self.preview.setPixmap(self.icons.pixmap(path, 40, self.preview.devicePixelRatioF()))
        self.file_label.setText(
            Path(path).name if path else QCoreApplication.translate("FieldEditor", "No image")
        )
        self.remove.setEnabled(bool(path))

    def _pick(self, path: str | None) -> None:
        self._show(path)
        self._edited(path)

    def _on_choose_clicked(self) -> None:
        title = QCoreApplication.translate("FieldEditor", "Choose {label}")
        dialog = QFileDialog(self.widget, title.format(label=self.item.label))
        dialog.setNameFilter(
            QCoreApplication.translate("FieldEditor", "Images ({patterns})").format(
                patterns="*.svg *.png *.jpg *.jpeg"
            )
        )
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self._pick)
        dialog.open()

    def set_readonly(self, readonly: bool) -> None:
        self.choose.setVisible(not readonly)
        self.remove.setVisible(not readonly)


EDITORS: dict[str, type[FieldEditor]] = {
    "Text": TextEditor,
    "Number": NumberEditor,
    "Password": SecretEditor,
    "TextArea": TextAreaEditor,
    "Checkbox": CheckboxEditor,
    "Select": SelectEditor,
    "Datetime": DatetimeEditor,
    "Date": DateEditor,
    "Image": ImageEditor,
}


def make_editor(item: FormField, report: Report) -> FieldEditor:
    """The editor for a field: secrets always get the secret editor, whatever the widget."""
    if item.secret:
        return SecretEditor(item, report)
    if item.type_name == "ManyToOne":
        return TextEditor(item, report)  # shown by name, not edited here
    cls = EDITORS.get(item.widget)
    if cls is None:
        cls = NumberEditor if item.type_name in ("Integer", "Float") else TextEditor
    return cls(item, report)
