"""Help > Keyboard Shortcuts: every shortcut of the window, read from its actions when the
dialog opens (so the list cannot drift from what the keys do), then the keys fields and lists
answer to."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

# Keys the widgets answer to themselves (no action holds them): English sources.
WIDGET_KEYS = (
    (QT_TRANSLATE_NOOP("ShortcutsDialog", "Next or previous control"), "Tab, Shift+Tab"),
    (QT_TRANSLATE_NOOP("ShortcutsDialog", "Press the button or menu with that letter"), "Alt+…"),
    (QT_TRANSLATE_NOOP("ShortcutsDialog", "Next or previous tab"), "Ctrl+Tab, Ctrl+Shift+Tab"),
    (QT_TRANSLATE_NOOP("ShortcutsDialog", "Open the company list"), "Down"),
    (QT_TRANSLATE_NOOP("ShortcutsDialog", "Switch to the company typed"), "Enter"),
    (QT_TRANSLATE_NOOP("ShortcutsDialog", "Save the form (in a field)"), "Enter"),
)


#: An action whose text changes with the state (a count) names itself for this list here.
NAME_PROPERTY = "shortcutName"


def action_name(action: QAction) -> str:
    """What an action does, as its menu or tooltip says it (mnemonic marks dropped)."""
    text = str(action.property(NAME_PROPERTY) or "") or action.text() or action.toolTip()
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").strip()


def action_shortcuts(window: QWidget) -> list[tuple[str, str]]:
    """(what, keys) for every action of `window` that has a shortcut, sorted by name."""
    rows: set[tuple[str, str]] = set()
    for action in window.findChildren(QAction):
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        keys = [k for k in keys if k]
        if keys:
            rows.add((action_name(action), ", ".join(keys)))
    return sorted(rows, key=lambda row: row[0].casefold())


class ShortcutsDialog(QDialog):
    """Lists the window's shortcuts (from its actions) and the widgets' own keys."""

    def __init__(self, window: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle(self.tr("Keyboard Shortcuts"))
        self.resize(520, 520)
        self.tree = QTreeWidget()
        self.tree.setObjectName("shortcutsList")
        self.tree.setHeaderLabels([self.tr("Action"), self.tr("Keys")])
        self.tree.setRootIsDecorated(False)
        self.tree.setTabKeyNavigation(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        groups = (
            (self.tr("Window"), action_shortcuts(window)),
            (
                self.tr("In fields and lists"),
                [(QCoreApplication.translate("ShortcutsDialog", w), k) for w, k in WIDGET_KEYS],
            ),
        )
        for title, rows in groups:
            header = QTreeWidgetItem([title, ""])
            font = header.font(0)
            font.setBold(True)
            header.setFont(0, font)
            header.addChildren([QTreeWidgetItem([what, keys]) for what, keys in rows])
            self.tree.addTopLevelItem(header)
        self.tree.expandAll()
        self.tree.setItemsExpandable(False)
        hint = QLabel(self.tr("Underlined letters in buttons and menus work with Alt."))
        hint.setObjectName("paneSubtitle")
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addWidget(hint)
        layout.addWidget(buttons)

    def rows(self) -> list[tuple[str, str]]:
        """The listed (what, keys) pairs, group titles left out."""
        rows = []
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            rows += [
                (group.child(j).text(0), group.child(j).text(1)) for j in range(group.childCount())
            ]
        return rows
