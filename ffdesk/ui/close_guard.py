"""The one question asked when the window is closed while a sync runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from ffdesk.ui import dialogs

KEEP_IN_TRAY = "tray"
STOP_AND_QUIT = "stop"
KEEP_OPEN = "open"


def running_sentence(names: Sequence[str], *, tray: bool) -> str:
    """The question: "A Stripe sync is running: stop it and quit, or keep the window open?"
    (with the tray's choice when there is a tray); whole sentences, so each translates well."""
    if len(names) == 1:
        if tray:
            text = QCoreApplication.translate(
                "CloseGuard",
                "A {name} sync is running: stop it and quit, keep syncing in the tray, "
                "or keep the window open?",
            )
        else:
            text = QCoreApplication.translate(
                "CloseGuard", "A {name} sync is running: stop it and quit, or keep the window open?"
            )
        return text.format(name=names[0])
    if tray:
        text = QCoreApplication.translate(
            "CloseGuard",
            "{count} syncs are running ({names}): stop them and quit, keep syncing in the "
            "tray, or keep the window open?",
        )
    else:
        text = QCoreApplication.translate(
            "CloseGuard",
            "{count} syncs are running ({names}): stop them and quit, or keep the window open?",
        )
    return text.format(count=len(names), names=", ".join(names))


def ask_close_during_sync(
    parent: QWidget, names: Sequence[str], *, tray: bool, answered: Callable[[str], None]
) -> QMessageBox:
    """Ask whether to stop the running syncs and quit, keep them going in the tray (when
    there is one) or keep the window open; `answered` gets STOP_AND_QUIT, KEEP_IN_TRAY or
    KEEP_OPEN. Opened with open(), never exec() (qasync)."""
    box = QMessageBox(parent)
    box.setObjectName("keepSyncingDialog")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(QCoreApplication.translate("CloseGuard", "A sync is running"))
    box.setText(running_sentence(names, tray=tray))
    box.setInformativeText(
        QCoreApplication.translate(
            "CloseGuard",
            "Stopping keeps what was synced so far; the history says it stopped because ffdesk "
            "was closed.",
        )
    )
    keep_tray = (
        box.addButton(
            QCoreApplication.translate("CloseGuard", "Keep syncing in the tray"),
            QMessageBox.ButtonRole.AcceptRole,
        )
        if tray
        else None
    )
    stop = box.addButton(
        QCoreApplication.translate("CloseGuard", "Stop the sync and quit"),
        QMessageBox.ButtonRole.DestructiveRole,
    )
    keep_open = box.addButton(
        QCoreApplication.translate("CloseGuard", "Keep the window open"),
        QMessageBox.ButtonRole.RejectRole,
    )
    box.setDefaultButton(keep_tray or keep_open)
    box.setEscapeButton(keep_open)

    def finished(_result: int) -> None:
        clicked = box.clickedButton()
        if keep_tray is not None and clicked is keep_tray:
            answered(KEEP_IN_TRAY)
        elif clicked is stop:
            answered(STOP_AND_QUIT)
        else:
            answered(KEEP_OPEN)

    box.finished.connect(finished)
    dialogs._open(box)
    return box
