from typing import Any
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication


def test_typing(qtbot: Any, system, make_window, arun) -> None:
    async def add():
        Company = system.get_model("Company")
        for i in range(1, 300):
            c = await Company.create(name=f"Company {i:04d}")
            system.env.cids.append(c.id)

    arun(add())
    window = make_window(system)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    changed = []
    window.company_changed.connect(changed.append)
    window.switcher.setFocus()
    qtbot.waitUntil(window.switcher.hasFocus)
    for ch in "Company 0250":
        qtbot.keyClick(QApplication.focusWidget(), ch)
        qtbot.wait(20)
        print(
            repr(ch),
            type(QApplication.focusWidget()).__name__,
            window.switcher.currentText(),
            changed,
            window.switcher.lineEdit().text(),
        )
    qtbot.wait(300)
    print(changed, window.system.env.company.name)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Down)
    qtbot.wait(300)
    print("after down", changed, window.switcher.currentText())
