"""Every user-visible string of the window goes through Qt's translation functions.

An AST scan of ffdesk/ui/ and ffdesk/app.py: a literal sentence (or a literal-backed constant,
f-string, concatenation or `"...".format()`) handed straight to a call that shows text to the
user fails the test. Text passed through `self.tr()` / `QCoreApplication.translate()` (with
`.format()` applied afterwards), or computed elsewhere, passes.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [*sorted((ROOT / "ffdesk" / "ui").rglob("*.py")), ROOT / "ffdesk" / "app.py"]

ALL = None  # every positional argument is text
#: call name -> (positions of text arguments, or ALL; keyword arguments that are text)
SINKS: dict[str, tuple[tuple[int, ...] | None, tuple[str, ...]]] = {
    # Qt setters
    **{
        name: ((0,), ())
        for name in (
            "setText",
            "setToolTip",
            "setStatusTip",
            "setWhatsThis",
            "setPlaceholderText",
            "setWindowTitle",
            "setWindowIconText",
            "setInformativeText",
            "setLabelText",
            "setOkButtonText",
            "setCancelButtonText",
            "setAccessibleName",
            "setAccessibleDescription",
            "setSpecialValueText",
            "setNameFilter",
            "setTitle",
            "setFormat",
            "setPrefix",
            "setSuffix",
            "showMessage",
            "addButton",
            "addSection",
            "setHorizontalHeaderLabels",
            "setVerticalHeaderLabels",
        )
    },
    "addItem": ((0,), ()),
    "insertItem": ((1,), ()),
    "setItemText": ((1,), ()),
    "addTab": ((1, 2), ()),
    "insertTab": ((2, 3), ()),
    "setTabText": ((1,), ()),
    "setTabToolTip": ((1,), ()),
    "addAction": (ALL, ()),
    "addMenu": (ALL, ()),
    # Qt constructors whose string arguments are shown
    **{
        name: (ALL, ("text", "title"))
        for name in (
            "QLabel",
            "QPushButton",
            "QToolButton",
            "QCheckBox",
            "QRadioButton",
            "QGroupBox",
            "QAction",
            "QMenu",
            "QToolBar",
            "QDockWidget",
            "QStandardItem",
            "QTableWidgetItem",
            "QListWidgetItem",
            "QTreeWidgetItem",
            "QMessageBox",
        )
    },
    "QFileDialog": ((1,), ("caption",)),
    "information": ((1, 2), ()),
    "warning": ((1, 2), ()),
    "critical": ((1, 2), ()),
    "question": ((1, 2), ()),
    "getText": ((1, 2), ()),
    # ffdesk's own helpers that put their arguments on screen
    "show_message": ((1,), ("text",)),
    "ErrorReport": ((0,), ("message",)),
    "confirm": ((1, 2, 3), ("title", "text", "confirm_label", "informative")),
    "ask_text": ((1, 2), ("title", "label", "ok_label")),
    "TablePage": ((1,), ("empty_text",)),
    "_button": ((0,), ("text",)),
    "StartupErrorWindow": ((1,), ("hint",)),
}
#: Static dialogs, recognised only when called on their class (log.warning is no dialog).
STATIC_DIALOGS = {"information", "warning", "critical", "question", "getText"}
TRANSLATORS = {"tr", "translate", "_tr"}
NOOP = {"QT_TRANSLATE_NOOP", "QT_TR_NOOP", "QT_TRANSLATE_NOOP3"}
#: Literals that are names, not words of a language.
UNTRANSLATED = {"ffdesk"}


@dataclass(frozen=True)
class Bypass:
    """A literal user-visible string that reaches the screen untranslated."""

    path: str
    line: int
    call: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.call}() shows {self.text!r} untranslated"


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _on_dialog_class(node: ast.Call) -> bool:
    func = node.func
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in ("QMessageBox", "QInputDialog")
    )


def _is_words(text: str) -> bool:
    for name in UNTRANSLATED:
        text = text.replace(name, "")
    return any(ch.isalpha() for ch in text)


def _literal_constants(tree: ast.Module) -> set[str]:
    """Module- and class-level names bound to text that is shown only if translated later."""
    names: set[str] = set()
    bodies = [tree.body] + [n.body for n in tree.body if isinstance(n, ast.ClassDef)]
    for body in bodies:
        for node in body:
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            else:
                continue
            if _holds_words(value):
                names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _holds_words(node: ast.AST) -> bool:
    """A literal sentence, or a container / NOOP marker holding one."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and _is_words(node.value)
    if isinstance(node, ast.Call) and _call_name(node) in NOOP:
        return True
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_holds_words(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return any(_holds_words(v) for v in node.values)
    return False


def _untranslated(node: ast.AST, constants: set[str]) -> str | None:
    """The literal text `node` would show without translation, or None."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) and _is_words(node.value) else None
    if isinstance(node, ast.JoinedStr):
        literal = "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
        if _is_words(literal):
            return literal
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                found = _untranslated(value.value, constants)
                if found:
                    return found
        return None
    if isinstance(node, ast.BinOp):
        return _untranslated(node.left, constants) or _untranslated(node.right, constants)
    if isinstance(node, ast.IfExp):
        return _untranslated(node.body, constants) or _untranslated(node.orelse, constants)
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            found = _untranslated(value, constants)
            if found:
                return found
        return None
    if isinstance(node, (ast.List, ast.Tuple)):
        for element in node.elts:
            found = _untranslated(element, constants)
            if found:
                return found
        return None
    if isinstance(node, ast.Name) and node.id in constants:
        return node.id
    if isinstance(node, ast.Attribute) and node.attr in constants:
        return node.attr  # self.HEADERS and the like
    if isinstance(node, ast.Subscript):
        return _untranslated(node.value, constants)
    if isinstance(node, ast.Call):
        name = _call_name(node)
        if name in TRANSLATORS:
            return None
        if name in ("format", "join", "strip", "upper", "capitalize", "title") and isinstance(
            node.func, ast.Attribute
        ):
            return _untranslated(node.func.value, constants)  # "Sentence {x}".format(...)
        if name in NOOP:
            return "QT_TRANSLATE_NOOP(...)"  # marked, yet never translated
    return None


def find_bypasses(source: str, path: str = "<source>") -> list[Bypass]:
    """Every literal user-visible string of `source` that bypasses translation."""
    tree = ast.parse(source)
    constants = _literal_constants(tree)
    found: list[Bypass] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        sink = SINKS.get(name)
        if sink is None or (name in STATIC_DIALOGS and not _on_dialog_class(node)):
            continue
        positions, keywords = sink
        arguments = [
            arg
            for position, arg in enumerate(node.args)
            if positions is ALL or position in positions
        ]
        arguments += [kw.value for kw in node.keywords if kw.arg in keywords]
        for argument in arguments:
            text = _untranslated(argument, constants)
            if text:
                found.append(Bypass(path, node.lineno, name, text))
    return found


def test_every_user_visible_string_of_the_window_is_translated() -> None:
    bypasses = [
        bypass
        for path in SOURCES
        for bypass in find_bypasses(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not bypasses, "\n".join(map(str, bypasses))


def test_the_scan_catches_each_way_a_string_bypasses_translation() -> None:
    source = """
from PySide6.QtCore import QT_TRANSLATE_NOOP
LABEL = "New company"
MARKED = QT_TRANSLATE_NOOP("Ctx", "Rename")
TITLES = {"ok": "Connection ok"}

class Window(QMainWindow):
    HEADERS = ("Model", "Local ID")

    def build(self, count, name):
        QLabel("Company")                                     # 11
        self.button.setToolTip(f"Sync {name} now")            # 12
        self.status.setText("Synced {n} records".format(n=count))  # 13
        self.combo.addItem(LABEL, 1)                          # 14
        self.combo.addItem(MARKED, 2)                         # 15
        self.bar.show_message("info", TITLES["ok"] + ".")     # 16
        self.setWindowTitle("Opening" if count else name)     # 17
        QAction(icon, "Refresh", self)                        # 18
        self.model.setHorizontalHeaderLabels(["Module", name])  # 19
        confirm(self, "Uninstall", name, "Uninstall", cb)     # 20
        ask_text(self, name, name, cb, ok_label="Create")     # 21
        self.tabs.setTabText(0, name + " history")            # 22
        QMessageBox.warning(self, "Stop", name)               # 23
        log.warning("syncing %s: %s", "Stripe", name)
        return self.HEADERS

    def fine(self, count, name):
        QLabel(self.tr("Company"))
        self.status.setText(self.tr("Synced {n} records").format(n=count))
        self.combo.addItem(self.tr(LABEL), 1)
        self.bar.show_message("error", name)
        self.setWindowTitle(f"ffdesk — {name}")
        self.progress.setFormat(f"{count} / {count}")
        self.setObjectName("mainWindow")
        self.search.addAction(glyph("search", "#94A3B8"), position)
        QCoreApplication.translate("Ctx", MARKED)
"""
    lines = sorted({bypass.line for bypass in find_bypasses(source)})
    assert lines == list(range(11, 24))
