"""The integration's merged form: editors by field, live visible/readonly/required, Save/Discard.

Every edit is put on the record at once and the engine re-evaluates the form against it
(`env.form(record)`), so visibility rules see the unsaved edits; Discard reloads the record.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ffdesk.engine.errors import ValidationError
from ffdesk.engine.field_checks import field_problems
from ffdesk.engine.forms import FormField
from ffdesk.engine.model import Model
from ffdesk.engine.system import System
from ffdesk.services.window import apply_edits, convert_edit, original_values, reset_record
from ffdesk.ui.context import system_env
from ffdesk.ui.field_editors import KEEP, FieldEditor, make_editor
from ffdesk.ui.pane_layout import (
    FIELD_SPACING,
    FORM_BUTTONS_MARGINS,
    LABEL_ALIGNMENT,
    align_labels,
    field_label,
    form_body,
    form_group,
    required_marker,
)
from ffdesk.ui.style import theme_signals

_MISSING = object()


class FieldRow:
    """An editor with its label, its hint under it and the line that shows a wrong value."""

    def __init__(self, item: FormField, editor: FieldEditor) -> None:
        self.item = item
        self.editor = editor
        self.group = 0
        self._shown: tuple[bool, bool, str] | None = None
        self.label = QLabel()
        self.label.setObjectName(f"label_{item.name}")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setAlignment(LABEL_ALIGNMENT)
        self.label.setBuddy(editor.widget)
        if item.hint:
            self.label.setToolTip(item.hint)
        # The hint stays readable under an editable field, not only in a tooltip.
        self.hint = QLabel(item.hint or "")
        self.hint.setObjectName("fieldHint")
        self.hint.setWordWrap(True)
        self.hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint.hide()
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.container = QWidget()
        box = QVBoxLayout(self.container)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(FIELD_SPACING)
        box.addWidget(editor.widget)
        box.addWidget(self.error)
        box.addWidget(self.hint)
        self.apply(item)

    def apply(self, item: FormField) -> None:
        """Show the label, required marker and read-only state the engine decided."""
        self.item = item
        required = item.required and not item.readonly
        readonly = item.readonly or item.type_name == "ManyToOne"
        if (required, readonly, item.label) == self._shown:
            return
        self._shown = (required, readonly, item.label)
        self.hint.setVisible(bool(item.hint) and not readonly)
        self.label.setText(field_label(item.label, required))
        self.label.setAccessibleName(
            QCoreApplication.translate("FormWidget", "{label} (required)").format(label=item.label)
            if required
            else item.label
        )
        self.editor.set_readonly(readonly)

    def restyle(self) -> None:
        """Draw the label and the editor's icons again in the current theme's colours."""
        self._shown = None
        self.apply(self.item)
        self.editor.restyle()

    @property
    def error_text(self) -> str:
        return self.error.text() if not self.error.isHidden() else ""

    def show_error(self, message: str | None) -> None:
        if (message or "") == self.error.text():
            return  # unchanged: re-polishing the editor's style costs a frame per switch
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
        self.editor.set_invalid(bool(message))


class FormWidget(QWidget):
    """Edits one record through its merged form.

    Emits `dirty_changed(bool)`, `edited(str field)`, `save_requested()`, `discard_requested()`.
    """

    dirty_changed = Signal(bool)
    edited = Signal(str)
    save_requested = Signal()
    discard_requested = Signal()

    def __init__(self, system: System, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.system = system
        self.record: Model | None = None
        self.rows: dict[str, FieldRow] = {}
        self.edits: dict[str, Any] = {}
        self.invalid: dict[str, str] = {}
        #: The module's checks of what is typed, as the user types (they do not stop Save).
        self.checks: dict[str, str] = {}
        #: What Enable or Test found wrong, shown until the field is changed.
        self.marked: dict[str, str] = {}
        self._originals: dict[str, Any] = {}
        self._signature: tuple[tuple[str, str, str, tuple[str, ...]], ...] | None = None
        self._groups: list[tuple[QGroupBox, QFormLayout]] = []
        self._was_dirty = False

        self.body, self.body_layout, self.scroll = form_body()

        self.required_legend = QLabel(
            self.tr("{marker} needed to enable").format(marker=required_marker())
        )
        self.required_legend.setObjectName("requiredLegend")
        self.required_legend.setTextFormat(Qt.TextFormat.RichText)
        self.required_legend.hide()
        self.dirty_label = QLabel(self.tr("Unsaved changes"))
        self.dirty_label.setObjectName("paneSubtitle")
        self.dirty_label.hide()
        self.save_button = QPushButton(self.tr("&Save"))
        self.save_button.setObjectName("saveButton")
        self.save_button.setProperty("primary", True)
        self.save_button.setToolTip(self.tr("Save the changes (Ctrl+S)"))
        self.discard_button = QPushButton(self.tr("Disc&ard"))
        self.discard_button.setObjectName("discardButton")
        buttons = self.buttons = QHBoxLayout()
        buttons.setContentsMargins(*FORM_BUTTONS_MARGINS)
        buttons.addWidget(self.required_legend)
        buttons.addSpacing(16)
        buttons.addWidget(self.dirty_label)
        buttons.addStretch(1)
        buttons.addWidget(self.discard_button)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(buttons)
        self.save_button.clicked.connect(self.save_requested)
        self.discard_button.clicked.connect(self.discard_requested)
        theme_signals.changed.connect(self._on_theme_changed)
        self._update_buttons()

    @Slot()
    def _on_theme_changed(self) -> None:
        """The system switched light/dark: required markers and editor icons follow."""
        for row in self.rows.values():
            row.restyle()

    def buttons_height(self) -> int:
        margins = self.buttons.contentsMargins()
        return self.buttons.sizeHint().height() + margins.top() + margins.bottom()

    # -- state -------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return bool(self.edits) or bool(self.invalid)

    def editor(self, name: str) -> FieldEditor:
        return self.rows[name].editor

    # -- loading -----------------------------------------------------------------------
    def set_record(self, record: Model | None) -> None:
        """Show `record` with its stored values; forgets any unsaved edit."""
        with system_env(self.system):
            self._set_record(record)

    def _set_record(self, record: Model | None) -> None:
        self.record = record
        self.edits.clear()
        self.invalid.clear()
        self.checks.clear()
        self.marked.clear()
        if record is None:
            self._rebuild(())
            self._update_buttons()
            return
        form = self.system.env.form(record)
        self._originals = original_values(record, form)
        signature = tuple((f.name, f.widget, f.type_name, f.path) for f in form)
        if signature != self._signature:
            self._rebuild(form)
            self._signature = signature
        for item in form:
            row = self.rows[item.name]
            row.show_error(None)
            value = item.display_value(record) if item.secret else getattr(record, item.name)
            row.editor.set_value(value)
        self._apply_form(form)
        self._run_checks(form)
        self._update_buttons()

    def reload(self) -> None:
        """Show the record's values again (after a save or an action that saved it)."""
        self.set_record(self.record)

    def refresh_stored(self) -> None:
        """Read the stored values again under the unsaved edits: what the program changed
        meanwhile (a sync's Last Synced On) shows in its read-only fields."""
        with system_env(self.system):
            record = self.record
            if record is None or record.id is None:
                return
            reset_record(record)
            apply_edits(record, self.edits)
            for item in self.system.env.form(record):
                row = self.rows.get(item.name)
                stored = item.readonly and not item.secret and item.name not in self.edits
                if row is not None and stored:
                    row.editor.set_value(getattr(record, item.name))

    def discard(self) -> None:
        """Drop unsaved edits: the record is read again from the database and the keyring."""
        with system_env(self.system):
            if self.record is not None:
                reset_record(self.record)
            self._set_record(self.record)

    def _rebuild(self, form: list[FormField] | tuple[()]) -> None:
        for group, _layout in self._groups:
            group.setParent(None)
            group.deleteLater()
        self._groups.clear()
        self.rows.clear()
        self._signature = None
        current: str | None = None
        layout: QFormLayout | None = None
        for item in form:
            title = item.path[0] if item.path else ""
            if layout is None or title != current:
                group, layout = form_group(title)
                self._groups.append((group, layout))
                self.body_layout.insertWidget(self.body_layout.count() - 1, group)
                current = title
            row = FieldRow(item, make_editor(item, self._on_editor_edited))
            self._save_on_enter(row.editor.widget)
            row.group = len(self._groups) - 1
            self.rows[item.name] = row
            layout.addRow(row.label, row.container)
        self._align_labels()

    def _save_on_enter(self, widget: QWidget) -> None:
        if isinstance(widget, QLineEdit):  # Enter in a one-line field saves, as in a dialog
            widget.returnPressed.connect(self._on_field_return_pressed)

    @Slot()
    def _on_field_return_pressed(self) -> None:
        if self.dirty:
            self.save_requested.emit()

    def _align_labels(self) -> None:
        align_labels([row.label for row in self.rows.values()], self.fontMetrics())

    def _apply_form(self, form: list[FormField]) -> None:
        visible_groups: dict[int, bool] = {}
        for item in form:
            row = self.rows.get(item.name)
            if row is None:
                continue
            row.apply(item)
            self._groups[row.group][1].setRowVisible(row.container, item.visible)
            visible_groups[row.group] = visible_groups.get(row.group, False) or item.visible
        for position, (group, _layout) in enumerate(self._groups):
            group.setVisible(visible_groups.get(position, False))
        editable = any(item.visible and not item.readonly for item in form)
        self.required_legend.setVisible(
            any(item.visible and item.required and not item.readonly for item in form)
        )
        self.save_button.setVisible(editable)
        self.discard_button.setVisible(editable)

    # -- editing -------------------------------------------------------------------------
    def _on_editor_edited(self, name: str, value: Any) -> None:
        with system_env(self.system):
            self._edit(name, value)

    def _edit(self, name: str, value: Any) -> None:
        record = self.record
        if record is None:
            return
        row = self.rows[name]
        if value is KEEP:
            self.invalid.pop(name, None)
            self._drop_edit(name)
        else:
            try:
                converted = convert_edit(record, name, value)
            except ValidationError as exc:
                self.invalid[name] = str(exc)
                row.show_error(str(exc))
                self._changed(name)
                return
            self.invalid.pop(name, None)
            original = self._originals.get(name, _MISSING)
            if not row.item.secret and converted == original:
                self._drop_edit(name)
            else:
                self.edits[name] = converted
                setattr(record, name, converted)
        self.marked.pop(name, None)
        form = self.system.env.form(record)
        self._apply_form(form)
        self._run_checks(form)
        self._changed(name)

    def _run_checks(self, form: list[FormField]) -> None:
        """The module's checks of the values as they stand, under their fields (an empty
        field is not wrong yet: Enable says what is missing)."""
        assert self.record is not None
        self.checks = field_problems(self.record, form, typed_only=True)
        self._show_errors()

    def _show_errors(self) -> None:
        for name, row in self.rows.items():
            row.show_error(self.invalid.get(name) or self.checks.get(name) or self.marked.get(name))

    def mark_problems(self, problems: dict[str, str]) -> list[str]:
        """Show what Enable or Test found under each field and focus the first one; returns
        the labels of the fields marked, in form order."""
        with system_env(self.system):
            self.marked = {
                name: text
                for name, row in self.rows.items()
                if (text := problems.get(name)) and row.item.visible
            }
            self._show_errors()
        marked = [self.rows[name] for name in self.marked]
        editable = [row for row in marked if not row.item.readonly]
        first = (editable or marked or [None])[0]
        if first is not None:
            self.scroll.ensureWidgetVisible(first.container)
            first.editor.widget.setFocus(Qt.FocusReason.OtherFocusReason)
        return [row.item.label for row in marked]

    def _drop_edit(self, name: str) -> None:
        """Forget one edit: reload the stored values and put the other edits back."""
        if self.edits.pop(name, _MISSING) is _MISSING or self.record is None:
            return
        reset_record(self.record)
        apply_edits(self.record, self.edits)

    def _changed(self, name: str) -> None:
        self._update_buttons()
        self.edited.emit(name)

    def _update_buttons(self) -> None:
        dirty = self.dirty
        self.save_button.setEnabled(bool(self.edits) and not self.invalid)
        self.discard_button.setEnabled(dirty)
        self.dirty_label.setVisible(dirty)
        self.dirty_label.setText(
            self.tr("Fix the highlighted fields to save")
            if self.invalid
            else self.tr("Unsaved changes")
        )
        if dirty != self._was_dirty:
            self._was_dirty = dirty
            self.dirty_changed.emit(dirty)

    @Slot()
    def mark_saved(self) -> None:
        """The record was saved by an action: its edits are now the stored values."""
        self.reload()
