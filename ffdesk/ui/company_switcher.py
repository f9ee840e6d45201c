"""The toolbar's company combo (companies only, most recently used first; type to filter, Enter
to switch) and the button beside it with "New company…" and "Rename company…"."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QFocusEvent, QKeyEvent, QKeySequence, QWheelEvent
from PySide6.QtWidgets import QComboBox, QCompleter, QToolButton, QWidget

# English sources of the actions (shown translated).
NEW_COMPANY = QT_TRANSLATE_NOOP("CompanySwitcher", "&New company…")
RENAME_COMPANY = QT_TRANSLATE_NOOP("CompanySwitcher", "&Rename company…")
NEW_COMPANY_KEYS = "Ctrl+Shift+N"
RENAME_COMPANY_KEYS = "F2"
# Keys that would step to another company on a closed combo: they open the list instead.
_LIST_KEYS = (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp)


class CompanySwitcher(QComboBox):
    """Picks the active company; the choice is only a request until the window switches.

    Typing filters the list and switches nothing until Enter (or a click on a name). Emits
    `company_change_requested(int id)`, `new_company_requested()`, `rename_requested()` (from
    `actions_button`'s menu or the actions' shortcuts).
    """

    company_change_requested = Signal(int)
    new_company_requested = Signal()
    rename_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("companySwitcher")
        self.setAccessibleName(self.tr("Company"))
        self.setToolTip(self.tr("Active company: type part of a name, then Enter"))
        self.setMinimumContentsLength(16)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._current: int | None = None
        self._requested: int | None = None
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
        self.lineEdit().returnPressed.connect(self._on_line_edit_return_pressed)

        self.new_action = QAction(self.tr(NEW_COMPANY), self)
        self.new_action.setObjectName("newCompanyAction")
        self.new_action.setShortcut(QKeySequence(NEW_COMPANY_KEYS))
        self.new_action.triggered.connect(self.new_company_requested)
        self.rename_action = QAction(self.tr(RENAME_COMPANY), self)
        self.rename_action.setObjectName("renameCompanyAction")
        self.rename_action.setShortcut(QKeySequence(RENAME_COMPANY_KEYS))
        self.rename_action.triggered.connect(self.rename_requested)
        self.actions_button = QToolButton()
        self.actions_button.setObjectName("companyActions")
        self.actions_button.setText(self.tr("&Manage"))
        self.actions_button.setToolTip(self.tr("New company or rename this one"))
        self.actions_button.setAccessibleName(self.tr("Manage companies"))
        self.actions_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.actions_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.actions_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # toolbars take it away
        self.actions_button.addActions([self.new_action, self.rename_action])

    def company_actions(self) -> list[QAction]:
        """The company actions, for the window to make their shortcuts work everywhere."""
        return [self.new_action, self.rename_action]

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
        finally:
            self.blockSignals(False)
        self.show_company(current)

    def show_company(self, company_id: int | None) -> None:
        """Display the active company (without requesting anything)."""
        self._current = company_id
        index = self.findData(company_id)
        self.blockSignals(True)
        self.setCurrentIndex(max(index, 0))
        self.setEditText(self.itemText(max(index, 0)))
        self.blockSignals(False)

    def index_of_entry(self, text: str) -> int:
        return self.findText(text)

    def company_names(self) -> list[str]:
        return [self.itemText(i) for i in range(self.count())]

    # -- keyboard and wheel ----------------------------------------------------------------
    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        if event.reason() != Qt.FocusReason.MouseFocusReason:
            self.lineEdit().selectAll()  # reached by the keyboard: typing replaces the name

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in _LIST_KEYS and not self.view().isVisible():
            self.showPopup()  # a closed combo never steps to another company by itself
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape and self.lineEdit().isModified():
            self.show_company(self._current)  # typed, then changed one's mind
            self.lineEdit().setModified(False)
            event.accept()
            return
        super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        event.ignore()  # scrolling over the toolbar must not switch company

    # -- slots ---------------------------------------------------------------------------
    @Slot()
    def _on_line_edit_editing_finished(self) -> None:
        if not self.completer().popup().isVisible():
            self.show_company(self._current)  # typed but not chosen: show the active one again

    @Slot()
    def _on_line_edit_return_pressed(self) -> None:
        """Enter on typed text: the company of that name, else the first one the list shows."""
        text = self.lineEdit().text().strip()
        index = self.findText(text, Qt.MatchFlag.MatchFixedString)
        if index < 0 and text:
            completer = self.completer()
            completer.setCompletionPrefix(text)
            if completer.completionCount():
                completer.setCurrentRow(0)
                index = self.findText(completer.currentCompletion())
        if index >= 0:
            self._on_activated(index)

    @Slot(int)
    def _on_activated(self, index: int) -> None:
        data = self.itemData(index)
        self.show_company(self._current)  # the window moves it once the switch is done
        if not isinstance(data, int) or data == self._current or data == self._requested:
            return
        # Enter is also seen by QComboBox itself: one request per key press.
        self._requested = data
        QTimer.singleShot(0, self._forget_request)
        self.company_change_requested.emit(data)

    @Slot()
    def _forget_request(self) -> None:
        self._requested = None
