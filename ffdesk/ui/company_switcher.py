"""The toolbar's company combo: the companies, then "New company…" and "Rename…"."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QT_TRANSLATE_NOOP, Signal, Slot
from PySide6.QtWidgets import QComboBox, QWidget

# English sources; the combo shows them translated.
NEW_COMPANY = QT_TRANSLATE_NOOP("CompanySwitcher", "New company…")
RENAME_COMPANY = QT_TRANSLATE_NOOP("CompanySwitcher", "Rename…")
_NEW, _RENAME = "__new__", "__rename__"


class CompanySwitcher(QComboBox):
    """Picks the active company; the choice is only a request until the window switches.

    Emits `company_change_requested(int id)`, `new_company_requested()`, `rename_requested()`.
    """

    company_change_requested = Signal(int)
    new_company_requested = Signal()
    rename_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("companySwitcher")
        self.setAccessibleName(self.tr("Company"))
        self.setToolTip(self.tr("Active company"))
        self.setMinimumContentsLength(16)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._current: int | None = None
        self.activated.connect(self._on_activated)

    def set_companies(self, companies: Sequence[tuple[int, str]], current: int | None) -> None:
        self.blockSignals(True)
        try:
            self.clear()
            for company_id, name in companies:
                self.addItem(name, company_id)
            self.insertSeparator(self.count())
            self.addItem(self.tr(NEW_COMPANY), _NEW)
            self.addItem(self.tr(RENAME_COMPANY), _RENAME)
        finally:
            self.blockSignals(False)
        self.show_company(current)

    def show_company(self, company_id: int | None) -> None:
        """Display the active company (without requesting anything)."""
        self._current = company_id
        index = self.findData(company_id)
        self.blockSignals(True)
        self.setCurrentIndex(max(index, 0))
        self.blockSignals(False)

    def index_of_entry(self, text: str) -> int:
        return self.findText(text)

    @Slot(int)
    def _on_activated(self, index: int) -> None:
        data = self.itemData(index)
        self.show_company(self._current)  # the window moves it once the switch is done
        if data == _NEW:
            self.new_company_requested.emit()
        elif data == _RENAME:
            self.rename_requested.emit()
        elif isinstance(data, int) and data != self._current:
            self.company_change_requested.emit(data)
