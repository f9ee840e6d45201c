"""The toolbar's company combo: the companies (most recently used first; type to filter),
then "New company…" and "Rename…"."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QCompleter, QWidget

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
        # Hundreds of companies: type part of a name, pick it from the filtered list.
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(20)
        self.lineEdit().setPlaceholderText(self.tr("Type to find a company"))
        completer = QCompleter(self.model(), self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setMaxVisibleItems(20)
        self.setCompleter(completer)
        # Choosing a completion makes the combo emit `activated` for that row itself.
        self.activated.connect(self._on_activated)
        self.lineEdit().editingFinished.connect(self._on_line_edit_editing_finished)

    def set_companies(
        self,
        companies: Sequence[tuple[int, str]],
        current: int | None,
        recent: Sequence[str] = (),
    ) -> None:
        """Fill the list: the companies named in `recent` first (in that order), then the rest."""
        rank = {name: i for i, name in enumerate(recent)}
        ordered = sorted(companies, key=lambda c: (rank.get(c[1], len(rank)), c[1].casefold()))
        self.blockSignals(True)
        try:
            self.clear()
            for company_id, name in ordered:
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

    def company_names(self) -> list[str]:
        return [self.itemText(i) for i in range(self.count()) if isinstance(self.itemData(i), int)]

    @Slot()
    def _on_line_edit_editing_finished(self) -> None:
        if not self.completer().popup().isVisible():
            self.show_company(self._current)  # typed but not chosen: show the active one again

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
