"""Dialogs of the Records area: a record's form, a test SMS, a shipment to track, CSV import.

Each validates through the engine (the records service) and shows the sentence under the
field it is about; the dialog stays open until the record is saved. Dialogs are opened with
open(), never exec(), so the asyncio loop keeps running.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ffdesk.engine.errors import UserError
from ffdesk.ui.errors import report_error
from ffdesk.ui.tasks import spawn

if TYPE_CHECKING:
    from ffdesk.services.records import ModelInfo
    from ffdesk.ui.records_browser import RecordsBrowser

TWILIO = "sms_twilio"
UPS = "shipping_ups"


def field_of_error(exc: BaseException, names: Sequence[str]) -> str | None:
    """The field an engine error is about: its `field`, or the `Model.field` it names."""
    named = getattr(exc, "field", None)
    if isinstance(named, str) and named in names:
        return named
    text = str(exc)
    for name in sorted(names, key=len, reverse=True):
        if re.search(rf"\.{re.escape(name)}\b", text) or re.search(rf"\b{name}\b[:=]", text):
            return name
    return None


class FieldEditor:
    """One field's label, editor and the error sentence shown under it."""

    def __init__(self, field: Any, value: Any, parent: QWidget) -> None:
        self.name: str = field.name
        self.field = field
        self.widget: QWidget
        self.error = QLabel(parent)
        self.error.setObjectName("fieldError")  # the style sheet colours these
        self.error.setWordWrap(True)
        self.error.hide()
        text = "" if value is None else str(value)
        choices = tuple(getattr(field, "choices", ()) or ())
        if field.type_name == "Boolean":
            box = QCheckBox(parent)
            box.setChecked(bool(value))
            self.widget = box
        elif choices:
            combo = QComboBox(parent)
            if not field.required:
                combo.addItem("", "")
            for choice in choices:
                combo.addItem(str(choice), str(choice))
            index = combo.findData(text)
            combo.setCurrentIndex(max(index, 0))
            self.widget = combo
        elif field.type_name == "Text" or field.widget == "TextArea":
            area = QPlainTextEdit(parent)
            area.setTabChangesFocus(True)  # Tab leaves the field, as in every other one
            area.setPlainText(text)
            area.setFixedHeight(80)
            self.widget = area
        else:
            line = QLineEdit(parent)
            # No maxLength on the editor: the engine says what is too long, under the field,
            # instead of the editor silently cutting what was pasted.
            line.setText(text)
            self.widget = line
        self.widget.setObjectName(f"field_{field.name}")
        if field.hint:
            self.widget.setToolTip(field.hint)
        self.widget.setAccessibleName(field.label)

    def text(self) -> str:
        widget = self.widget
        if isinstance(widget, QCheckBox):
            return "true" if widget.isChecked() else "false"
        if isinstance(widget, QComboBox):
            return str(widget.currentData() or "")
        if isinstance(widget, QPlainTextEdit):
            return widget.toPlainText()
        assert isinstance(widget, QLineEdit)
        return widget.text()

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))


class RecordFormDialog(QDialog):
    """Create or edit one record with the fields of its merged Form view.

    Emits `saved(int id)` once the engine accepted the values.
    """

    saved = Signal(int)

    def __init__(
        self,
        browser: RecordsBrowser,
        info: ModelInfo,
        record_id: int | None,
        fields: Sequence[Any],
        values: dict[str, Any],
    ) -> None:
        super().__init__(browser)
        self.setObjectName("recordFormDialog")
        self.browser = browser
        self.info = info
        self.record_id = record_id
        self.setWindowTitle(
            self.tr("New {record}").format(record=info.label)
            if record_id is None
            else self.tr("Edit {record}").format(record=info.label)
        )
        self.problem = QLabel()
        self.problem.setObjectName("fieldError")
        self.problem.setWordWrap(True)
        self.problem.hide()
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.editors: dict[str, FieldEditor] = {}
        for field in fields:
            if not field.visible or field.readonly or field.type_name in ("ManyToOne", "OneToMany"):
                continue
            editor = FieldEditor(field, values.get(field.name), self)
            self.editors[field.name] = editor
            label = field.label + (" *" if field.required else "")
            holder = QWidget(self)
            column = QVBoxLayout(holder)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            column.addWidget(editor.widget)
            column.addWidget(editor.error)
            caption = QLabel(label, self)
            caption.setBuddy(editor.widget)
            form.addRow(caption, holder)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveRecord")
        if record_id is None:
            self.save_button.setText(self.tr("&Create"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.problem)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        self.resize(460, self.sizeHint().height())

    def values(self) -> dict[str, str]:
        return {name: editor.text() for name, editor in self.editors.items()}

    async def save(self) -> bool:
        """Hand the typed values to the engine; its sentence goes under the field it names."""
        for editor in self.editors.values():
            editor.show_error(None)
        self.problem.hide()
        self.save_button.setEnabled(False)
        self.browser._bind_env()
        service = self.browser.service
        try:
            if self.record_id is None:
                record = await service.create(self.info.name, self.values())
            else:
                record = await service.update(self.info.name, self.record_id, self.values())
        except Exception as exc:
            self.show_problem(exc)
            return False
        finally:
            self.save_button.setEnabled(True)
        record_id = int(record.id)
        self.saved.emit(record_id)
        self.accept()
        await self.browser.after_change(record_id)
        return True

    def show_problem(self, exc: BaseException) -> None:
        report = report_error(exc, "saving a record")
        name = field_of_error(exc, list(self.editors)) if isinstance(exc, UserError) else None
        if name is not None:
            self.editors[name].show_error(report.message)
            self.editors[name].widget.setFocus()
        else:
            self.problem.setText(report.message)
            self.problem.show()

    @Slot()
    def _on_buttons_accepted(self) -> None:
        spawn(self.save())


def open_record_form(browser: RecordsBrowser, info: ModelInfo, record_id: int | None) -> None:
    """Open the form of a new record (None) or of `record_id`."""
    spawn(_open_record_form(browser, info, record_id))


async def _open_record_form(
    browser: RecordsBrowser, info: ModelInfo, record_id: int | None
) -> None:
    browser._bind_env()
    service = browser.service
    try:
        if record_id is None:
            cls = browser.system.registry[info.name]
            fields: Sequence[Any] = service.form_fields(info.name, cls.new())
            values: dict[str, Any] = {}
        else:
            detail = await service.detail(info.name, record_id)
            fields = detail.fields
            values = {f.name: f.value for f in detail.fields}
    except Exception as exc:
        browser._show_error(exc, "opening a record")
        return
    dialog = RecordFormDialog(browser, info, record_id, fields, values)
    dialog.open()


class SendSmsDialog(QDialog):
    """Twilio's "Send test SMS…": to and body; queued for the next sync, or sent now."""

    def __init__(self, browser: RecordsBrowser) -> None:
        super().__init__(browser)
        self.setObjectName("sendSmsDialog")
        self.browser = browser
        self.setWindowTitle(self.tr("Send test SMS"))
        intro = QLabel(
            self.tr(
                "The message is queued and sent by Twilio's next sync, or at once with Send now."
            )
        )
        intro.setWordWrap(True)
        self.to = QLineEdit()
        self.to.setObjectName("smsTo")
        self.to.setPlaceholderText(self.tr("+14155550100"))
        self.to.setAccessibleName(self.tr("To"))
        self.body = QPlainTextEdit()
        self.body.setObjectName("smsBody")
        self.body.setTabChangesFocus(True)
        self.body.setAccessibleName(self.tr("Message"))
        self.body.setFixedHeight(90)
        self.to_error = self._error()
        self.body_error = self._error()
        self.problem = self._error()
        form = QFormLayout()
        to_label = QLabel(self.tr("&To"))
        to_label.setBuddy(self.to)
        body_label = QLabel(self.tr("&Message"))
        body_label.setBuddy(self.body)
        form.addRow(to_label, self._with_error(self.to, self.to_error))
        form.addRow(body_label, self._with_error(self.body, self.body_error))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.queue_button = QPushButton(self.tr("&Queue"))
        self.queue_button.setObjectName("queueSms")
        self.queue_button.setDefault(True)
        self.send_now_button = QPushButton(self.tr("Send &now"))
        self.send_now_button.setObjectName("sendSmsNow")
        self.buttons.addButton(self.queue_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.send_now_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.problem)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.queue_button.clicked.connect(self._on_queue_button_clicked)
        self.send_now_button.clicked.connect(self._on_send_now_button_clicked)
        self.buttons.rejected.connect(self.reject)
        self.resize(460, self.sizeHint().height())

    def _error(self) -> QLabel:
        label = QLabel()
        label.setObjectName("fieldError")  # the style sheet colours these
        label.setWordWrap(True)
        label.hide()
        return label

    def _with_error(self, widget: QWidget, error: QLabel) -> QWidget:
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        column.addWidget(error)
        return holder

    async def send(self, *, now: bool) -> bool:
        for label in (self.to_error, self.body_error, self.problem):
            label.hide()
        self.queue_button.setEnabled(False)
        self.send_now_button.setEnabled(False)
        self.browser._bind_env()
        try:
            message = await queue_test_sms(
                self.browser, self.to.text().strip(), self.body.toPlainText(), now=now
            )
        except Exception as exc:
            report = report_error(exc, "sending a test SMS")
            name = field_of_error(exc, ["to", "body"]) if isinstance(exc, UserError) else None
            label = {"to": self.to_error, "body": self.body_error}.get(name or "", self.problem)
            label.setText(report.message)
            label.show()
            return False
        finally:
            self.queue_button.setEnabled(True)
            self.send_now_button.setEnabled(True)
        self.accept()
        self.browser.show_result(
            "success",
            self.tr("Test SMS to {to}: {status}.").format(to=message.to, status=message.status)
            if now
            else self.tr("Test SMS to {to} queued; the next sync sends it.").format(to=message.to),
        )
        await self.browser.after_change(int(message.id))
        return True

    @Slot()
    def _on_queue_button_clicked(self) -> None:
        spawn(self.send(now=False))

    @Slot()
    def _on_send_now_button_clicked(self) -> None:
        spawn(self.send(now=True))


async def queue_test_sms(browser: RecordsBrowser, to: str, body: str, *, now: bool) -> Any:
    """A message of the company's Twilio integration: queued, or sent at once (its status
    then as Twilio answered)."""
    service = browser.service
    message = await service.create("Message", {"to": to, "body": body}, integration=TWILIO)
    if now:
        await service.send_now("Message", int(message.id))
        message = await service.record("Message", int(message.id))
    return message


class TrackShipmentDialog(QDialog):
    """UPS's "Track a shipment…": a tracking number; the next UPS sync fetches its status."""

    def __init__(self, browser: RecordsBrowser) -> None:
        super().__init__(browser)
        self.setObjectName("trackShipmentDialog")
        self.browser = browser
        self.setWindowTitle(self.tr("Track a shipment"))
        self.number = QLineEdit()
        self.number.setObjectName("trackingNumber")
        self.number.setPlaceholderText(self.tr("1Z999AA10123456784"))
        self.number.setAccessibleName(self.tr("Tracking number"))
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        label = QLabel(self.tr("Tracking &number"))
        label.setBuddy(self.number)
        hint = QLabel(self.tr("UPS's next sync fetches its status."))
        hint.setWordWrap(True)
        form = QFormLayout()
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.number)
        column.addWidget(self.error)
        form.addRow(label, holder)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.add_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.add_button.setText(self.tr("&Add"))
        self.add_button.setObjectName("addShipment")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)

    async def add(self) -> bool:
        self.error.hide()
        self.browser._bind_env()
        try:
            shipment = await self.browser.service.create(
                "Shipment", {"tracking_number": self.number.text()}, integration=UPS
            )
        except Exception as exc:
            self.error.setText(report_error(exc, "adding a shipment").message)
            self.error.show()
            return False
        self.accept()
        self.browser.show_result(
            "success",
            self.tr("Shipment {number} added; UPS's next sync fetches its status.").format(
                number=shipment.tracking_number
            ),
        )
        await self.browser.after_change(int(shipment.id))
        return True

    @Slot()
    def _on_buttons_accepted(self) -> None:
        spawn(self.add())


class ImportReportDialog(QDialog):
    """What a CSV import did: counts, and each bad row by its line number."""

    def __init__(self, parent: QWidget, path: Path, report: Any) -> None:
        super().__init__(parent)
        self.setObjectName("importReportDialog")
        self.setWindowTitle(self.tr("Contacts imported"))
        summary = self.tr(
            "{file}: {created} created, {updated} updated, {unchanged} unchanged, "
            "{bad} bad row(s) skipped."
        ).format(
            file=path.name,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            bad=len(report.errors),
        )
        self.summary = QLabel(summary)
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        self.bad_rows = QPlainTextEdit()
        self.bad_rows.setObjectName("importBadRows")
        self.bad_rows.setReadOnly(True)
        self.bad_rows.setTabChangesFocus(True)
        self.bad_rows.setPlainText("\n".join(report.errors))
        self.bad_rows.setVisible(bool(report.errors))
        self.bad_rows.setAccessibleName(self.tr("Bad rows"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        if report.errors:
            caption = QLabel(self.tr("Rows not imported:"))
            caption.setBuddy(self.bad_rows)
            layout.addWidget(caption)
        layout.addWidget(self.bad_rows)
        layout.addWidget(buttons)
        self.resize(520, 320 if report.errors else 120)


def import_contacts(browser: RecordsBrowser) -> QFileDialog:
    """Ask for a CSV file (name, email, phone) and import it into the active company."""
    title = QCoreApplication.translate("RecordsBrowser", "Import contacts from CSV")
    chooser = QFileDialog(browser, title)
    chooser.setObjectName("importContactsFile")
    chooser.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    chooser.setFileMode(QFileDialog.FileMode.ExistingFile)
    chooser.setNameFilter(
        QCoreApplication.translate("RecordsBrowser", "CSV files (*.csv);;All files (*)")
    )
    chooser.fileSelected.connect(lambda path: spawn(_import(browser, Path(path))))
    chooser.open()
    return chooser


async def _import(browser: RecordsBrowser, path: Path) -> None:
    browser._bind_env()
    try:
        report = await browser.service.import_contacts(path)
    except Exception as exc:
        browser._show_error(exc, "importing contacts")
        return
    ImportReportDialog(browser, path, report).open()
    await browser.after_change()


__all__ = [
    "ImportReportDialog",
    "RecordFormDialog",
    "SendSmsDialog",
    "TrackShipmentDialog",
    "field_of_error",
    "import_contacts",
    "open_record_form",
]
