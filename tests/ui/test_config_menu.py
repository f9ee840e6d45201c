"""Configuration > Export… / Import…: the same YAML and preview as `ffdesk config`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from PySide6.QtWidgets import QMessageBox

from ffdesk.engine.system import System
from ffdesk.ui.main_window import MainWindow
from tests.ui.conftest import find_dialog


def choose(qtbot: Any, window: MainWindow, path: Path) -> None:
    dialog = find_dialog(qtbot, window, "configFileDialog")
    dialog.selectFile(str(path))
    dialog.accept()


def test_export_then_import_with_a_preview_restores_the_configuration(
    qtbot: Any, window: MainWindow, system: System, arun: Any, tmp_path: Path
) -> None:
    arun(system.install_module("payment_stripe"))
    record = arun(system.integration("payment_stripe"))
    record.sandbox_mode = False
    arun(record.save())
    target = tmp_path / "config.yaml"

    window.config_menu.export_action.trigger()
    choose(qtbot, window, target)
    qtbot.waitUntil(target.exists, timeout=10000)
    exported = yaml.safe_load(target.read_text())
    assert exported["companies"][0]["integrations"]["payment_stripe"]["values"]["sandbox_mode"] is (
        False
    )

    record.sandbox_mode = True  # someone changes it afterwards
    arun(record.save())
    window.config_menu.import_action.trigger()
    choose(qtbot, window, target)
    preview = find_dialog(qtbot, window, "importPreview")
    assert "payment_stripe: sandbox_mode True → False" in preview.informativeText()
    assert arun(system.integration("payment_stripe")).sandbox_mode is True  # only a preview
    preview.button(QMessageBox.StandardButton.Apply).click()
    qtbot.waitUntil(
        lambda: window.message.isVisible() and "Imported" in window.message.label.text(),
        timeout=10000,
    )
    assert arun(system.integration("payment_stripe")).sandbox_mode is False
