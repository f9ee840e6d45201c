"""The window's Database menu: a full check and an online backup, as `ffdesk db` gives them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from ffdesk.ui.tasks import spawn

if TYPE_CHECKING:
    from ffdesk.engine.db import Database


class DatabaseMenu(QMenu):
    """Check ffdesk's database or back it up; results are reported as one sentence each."""

    # kind ("info" or "error") and the sentence to show.
    result_reported = Signal(str, str)
    # an exception the window shows as an error.
    failed = Signal(object)

    def __init__(self, database: Database, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("&Database"), parent)
        self.setObjectName("databaseMenu")
        self.database = database
        self.check_action = self.addAction(self.tr("&Check the database"))
        self.check_action.setObjectName("checkDatabaseAction")
        self.backup_action = self.addAction(self.tr("&Back up the database…"))
        self.backup_action.setObjectName("backupDatabaseAction")
        self.check_action.triggered.connect(self._on_check_action_triggered)
        self.backup_action.triggered.connect(self._on_backup_action_triggered)
        self.backup_dialog: QFileDialog | None = None
        self.busy: asyncio.Task[None] | None = None

    @Slot()
    def _on_check_action_triggered(self) -> None:
        self.busy = spawn(self._check())

    async def _check(self) -> None:
        from ffdesk.services import database as service

        try:
            result = await asyncio.to_thread(service.check, self.database)
        except Exception as exc:
            self.failed.emit(exc)
            return
        self.result_reported.emit("info" if result.healthy else "error", result.sentence)

    @Slot()
    def _on_backup_action_triggered(self) -> None:
        dialog = QFileDialog(self.parentWidget(), self.tr("Back up ffdesk's database"))
        dialog.setObjectName("backupDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(self.tr("SQLite database (*.db *.sqlite)"))
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        # A backup never replaces a file: the service refuses an existing one with a sentence.
        dialog.setOption(QFileDialog.Option.DontConfirmOverwrite)
        dialog.fileSelected.connect(self._on_backup_dialog_file_selected)
        self.backup_dialog = dialog
        dialog.open()  # not exec(): a nested loop would break the asyncio tasks

    @Slot(str)
    def _on_backup_dialog_file_selected(self, name: str) -> None:
        self.busy = spawn(self._backup(Path(name)))

    async def _backup(self, target: Path) -> None:
        from ffdesk.services import database as service

        try:
            sentence = await asyncio.to_thread(service.backup, self.database, target)
        except Exception as exc:
            self.failed.emit(exc)
            return
        self.result_reported.emit("info", sentence)
