"""The name of a new (or renamed) company, checked as it is typed: the dialog says why it
cannot be created yet, under the field, and keeps its default button disabled until it can."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)


class CompanyNameDialog(QDialog):
    """Asks for a company name that is not empty and not taken (names compare casefolded,
    as the engine's do). Emits `name_chosen(str name)` when the user confirms."""

    name_chosen = Signal(str)

    def __init__(
        self,
        taken: Iterable[str],
        *,
        title: str,
        label: str,
        accept_label: str,
        text: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(380)
        self._original = text.strip().casefold()
        self._taken = {name.strip().casefold() for name in taken}
        self.edit = QLineEdit(text)
        self.edit.setObjectName("companyName")
        self.edit.selectAll()
        prompt = QLabel(label)
        prompt.setBuddy(self.edit)
        self.problem = QLabel()
        self.problem.setObjectName("fieldError")
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.accept_button = self.buttons.addButton(
            accept_label, QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.accept_button.setObjectName("companyNameAccept")
        self.accept_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(prompt)
        layout.addWidget(self.edit)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.edit.textChanged.connect(self._on_edit_text_changed)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        self._on_edit_text_changed(text)

    def reason(self) -> str:
        """Why the typed name cannot be used yet ("" when it can)."""
        name = self.edit.text().strip()
        if not name:
            return self.tr("Type a name for the company.")
        if name.casefold() in self._taken and name.casefold() != self._original:
            return self.tr("A company named {name} already exists.").format(name=name)
        return ""

    @Slot(str)
    def _on_edit_text_changed(self, _text: str) -> None:
        reason = self.reason()
        self.accept_button.setEnabled(not reason)
        # Nothing typed yet is no mistake: say it in the muted hint colour, not as an error.
        self.problem.setText(reason)
        self.problem.setObjectName("fieldHint" if not self.edit.text().strip() else "fieldError")
        self.problem.style().unpolish(self.problem)
        self.problem.style().polish(self.problem)

    @Slot()
    def _on_buttons_accepted(self) -> None:
        if self.reason():
            return  # Enter on a name that cannot be used: the sentence under the field says why
        self.accept()
        self.name_chosen.emit(self.edit.text().strip())

    def open(self) -> None:
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        super().open()
