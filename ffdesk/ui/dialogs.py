"""Non-blocking questions: every dialog is opened with open() and answers through a callback.

Never exec(): a nested event loop inside an asyncio task breaks qasync (RUNTIME.md).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QPushButton, QWidget

SAVE, DISCARD, CANCEL = "save", "discard", "cancel"
Button = QMessageBox.StandardButton


def _answer_of(box: QMessageBox, answers: dict[Button, str], default: str) -> str:
    clicked = box.clickedButton()
    if clicked is None:
        return default
    return answers.get(box.standardButton(clicked), default)


def ask_unsaved_changes(
    parent: QWidget, name: str, on_answer: Callable[[str], None]
) -> QMessageBox:
    """Save / Discard / Cancel for unsaved edits of `name`; answers "save", "discard", "cancel"."""
    box = QMessageBox(parent)
    box.setObjectName("unsavedChangesDialog")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(QCoreApplication.translate("Dialogs", "Unsaved changes"))
    box.setText(
        QCoreApplication.translate("Dialogs", "{name} has unsaved changes.").format(name=name)
    )
    box.setInformativeText(QCoreApplication.translate("Dialogs", "Save them before you go on?"))
    box.setStandardButtons(Button.Save | Button.Discard | Button.Cancel)
    box.setDefaultButton(Button.Save)
    box.setEscapeButton(Button.Cancel)
    mark_destructive(box.button(Button.Discard))
    _plain_buttons(box)
    answers = {Button.Save: SAVE, Button.Discard: DISCARD, Button.Cancel: CANCEL}
    box.finished.connect(lambda _result: on_answer(_answer_of(box, answers, CANCEL)))
    _open(box)
    return box


def confirm(
    parent: QWidget,
    title: str,
    text: str,
    confirm_label: str,
    on_confirmed: Callable[[], None],
    *,
    informative: str = "",
    name: str = "confirmDialog",
    destructive: bool = False,
) -> QMessageBox:
    """A question with `confirm_label` and Cancel; calls `on_confirmed` only on confirmation.

    `destructive`: confirming removes or stops something, and its button says so by its look.
    """
    box = QMessageBox(parent)
    box.setObjectName(name)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(text)
    if informative:
        box.setInformativeText(informative)
    yes = box.addButton(confirm_label, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(Button.Cancel)
    box.setDefaultButton(Button.Cancel)
    box.setEscapeButton(Button.Cancel)
    if destructive:
        mark_destructive(yes)
    _plain_buttons(box)

    def finished(_result: int) -> None:
        if box.clickedButton() is yes:
            on_confirmed()

    box.finished.connect(finished)
    _open(box)
    return box


def ask_text(
    parent: QWidget,
    title: str,
    label: str,
    on_accepted: Callable[[str], None],
    *,
    text: str = "",
    ok_label: str | None = None,
    name: str = "textDialog",
) -> QInputDialog:
    """One line of text; `on_accepted(text)` when the user presses OK (or `ok_label`)."""
    dialog = QInputDialog(parent)
    dialog.setObjectName(name)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
    dialog.setTextValue(text)
    dialog.setOkButtonText(ok_label or QCoreApplication.translate("Dialogs", "OK"))
    dialog.textValueSelected.connect(on_accepted)
    _open(dialog)
    return dialog


def show_details(parent: QWidget, message: str, details: str) -> QMessageBox:
    """The "Details" of an unexpected error: the message, with the redacted traceback."""
    box = QMessageBox(parent)
    box.setObjectName("errorDetailsDialog")
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(QCoreApplication.translate("Dialogs", "Error details"))
    box.setText(message)
    box.setDetailedText(details)
    box.setStandardButtons(Button.Close)
    _open(box)
    return box


def mark_destructive(button: QPushButton) -> None:
    """The style of a button that removes or stops something (style.py: destructive)."""
    button.setProperty("destructive", True)
    button.style().unpolish(button)
    button.style().polish(button)


def _plain_buttons(box: QMessageBox) -> None:
    """No stock icons on the answers (some themes put a red X on Cancel): the words say it."""
    for button in box.buttons():
        button.setIcon(QIcon())


def _open(dialog: QMessageBox | QInputDialog) -> None:
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
