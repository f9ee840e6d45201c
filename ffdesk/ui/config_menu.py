"""The window's Configuration menu: Export… and Import… with the same preview as the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from ffdesk.ui.tasks import spawn

if TYPE_CHECKING:
    from ffdesk.engine.system import System


class ConfigMenu(QMenu):
    """Export the configuration to YAML (no secrets) or import one after a preview."""

    # kind ("info" or "error") and the sentence to show.
    result_reported = Signal(str, str)
    failed = Signal(object)
    # the configuration changed (the window reads everything again).
    imported = Signal()

    def __init__(self, system: System, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Confi&guration"), parent)
        self.setObjectName("configMenu")
        self.system = system
        self.export_action = self.addAction(self.tr("&Export…"))
        self.export_action.setObjectName("exportConfigAction")
        self.import_action = self.addAction(self.tr("&Import…"))
        self.import_action.setObjectName("importConfigAction")
        self.export_action.triggered.connect(self._on_export_action_triggered)
        self.import_action.triggered.connect(self._on_import_action_triggered)
        self.dialog: QFileDialog | None = None
        self.preview: QMessageBox | None = None
        self._source: Path | None = None

    def _file_dialog(self, title: str, save: bool) -> QFileDialog:
        dialog = QFileDialog(self.parentWidget(), title)
        dialog.setObjectName("configFileDialog")
        dialog.setAcceptMode(
            QFileDialog.AcceptMode.AcceptSave if save else QFileDialog.AcceptMode.AcceptOpen
        )
        dialog.setNameFilter(self.tr("Configuration (*.yaml *.yml)"))
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        self.dialog = dialog
        return dialog

    @Slot()
    def _on_export_action_triggered(self) -> None:
        dialog = self._file_dialog(self.tr("Export the configuration"), save=True)
        dialog.fileSelected.connect(lambda name: spawn(self._export(Path(name))))
        dialog.open()  # not exec(): a nested loop would break the asyncio tasks

    async def _export(self, target: Path) -> None:
        from ffdesk.services import config_transfer as transfer

        try:
            transfer.write_config(await transfer.export_config(self.system), target)
        except Exception as exc:
            self.failed.emit(exc)
            return
        self.result_reported.emit(
            "info",
            self.tr("Exported the configuration to {path} (no secrets).").format(path=str(target)),
        )

    @Slot()
    def _on_import_action_triggered(self) -> None:
        dialog = self._file_dialog(self.tr("Import a configuration"), save=False)
        dialog.fileSelected.connect(lambda name: spawn(self._preview(Path(name))))
        dialog.open()

    async def _preview(self, source: Path) -> None:
        from ffdesk.services import config_transfer as transfer

        try:
            plan = await transfer.import_config(
                self.system, transfer.read_config(source), apply=False
            )
        except Exception as exc:
            self.failed.emit(exc)
            return
        if not plan.changes:
            self.result_reported.emit("info", self.tr("The configuration is already the same."))
            return
        self._source = source
        box = QMessageBox(self.parentWidget())
        box.setObjectName("importPreview")
        box.setWindowTitle(self.tr("Import the configuration?"))
        box.setText(self.tr("Importing {path} would make these changes:").format(path=str(source)))
        box.setInformativeText("\n".join(plan.changes[:30]))
        box.setStandardButtons(QMessageBox.StandardButton.Apply | QMessageBox.StandardButton.Cancel)
        box.accepted.connect(self._on_preview_accepted)
        box.buttonClicked.connect(self._on_preview_button_clicked)
        self.preview = box
        box.open()

    @Slot(object)
    def _on_preview_button_clicked(self, button: object) -> None:
        box = self.preview
        if box is not None and box.standardButton(button) == QMessageBox.StandardButton.Apply:
            self._on_preview_accepted()

    @Slot()
    def _on_preview_accepted(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            spawn(self._apply(source))

    async def _apply(self, source: Path) -> None:
        from ffdesk.services import config_transfer as transfer

        try:
            plan = await transfer.import_config(
                self.system, transfer.read_config(source), apply=True
            )
        except Exception as exc:
            self.failed.emit(exc)
            return
        self.imported.emit()
        text = self.tr("Imported {count} changes from {path}.").format(
            count=len(plan.changes), path=str(source)
        )
        if plan.missing_secrets:
            needed = ", ".join(f"{i} {n}" for _c, i, n in plan.missing_secrets)
            text += " " + self.tr("Secrets to enter: {needed}.").format(needed=needed)
        self.result_reported.emit("info", text)
