"""The selected record's links to its integrations: remote id, last synced, last error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ffdesk.ui.history_tables import format_when


class RecordDetailPanel(QFrame):
    """Shows one record's mapping per integration and offers Resync and the dashboard.

    Emits `resync_requested(str integration)` and `dashboard_requested(str url)`.
    """

    resync_requested = Signal(str)
    dashboard_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordDetail")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._mappings: list[Any] = []
        self.title = QLabel(self.tr("Select a record to see how it is synced."))
        self.title.setObjectName("recordTitle")
        self.title.setWordWrap(True)
        self.chooser = QComboBox()
        self.chooser.setObjectName("recordIntegration")
        self.chooser.setAccessibleName(self.tr("Integration"))
        self.remote_id = self._value("recordRemoteId")
        self.last_synced = self._value("recordLastSynced")
        self.last_error = self._value("recordLastError")
        self.resync_button = QPushButton(self.tr("&Resync"))
        self.resync_button.setObjectName("resyncRecord")
        self.resync_button.setToolTip(self.tr("Send or fetch this record again now"))
        self.dashboard_button = QPushButton(self.tr("Open in provider &dashboard"))
        self.dashboard_button.setObjectName("openDashboard")

        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.integration_label = QLabel(self.tr("Integration"))
        self.form.addRow(self.integration_label, self.chooser)
        self.form.addRow(self.tr("Remote ID"), self.remote_id)
        self.form.addRow(self.tr("Last synced"), self.last_synced)
        self.form.addRow(self.tr("Last error"), self.last_error)
        buttons = QHBoxLayout()
        buttons.addWidget(self.resync_button)
        buttons.addWidget(self.dashboard_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.title)
        layout.addLayout(self.form)
        layout.addLayout(buttons)

        self.chooser.currentIndexChanged.connect(self._on_chooser_current_index_changed)
        self.resync_button.clicked.connect(self._on_resync_button_clicked)
        self.dashboard_button.clicked.connect(self._on_dashboard_button_clicked)
        self.show_mappings(None, [])

    def _value(self, name: str) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    # -- rendering ------------------------------------------------------------------------
    def show_mappings(self, title: str | None, mappings: Sequence[Any]) -> None:
        """Render a record's mappings (`RecordMapping`s); None: nothing is selected."""
        self._mappings = list(mappings)
        self.chooser.blockSignals(True)
        self.chooser.clear()
        for mapping in self._mappings:
            self.chooser.addItem(mapping.integration_name, mapping.integration)
        self.chooser.blockSignals(False)
        if title is None:
            self.title.setText(self.tr("Select a record to see how it is synced."))
        elif not self._mappings:
            self.title.setText(
                self.tr("{title} is not linked to any integration yet.").format(title=title)
            )
        else:
            self.title.setText(title)
        several = len(self._mappings) > 1
        self.chooser.setVisible(several)
        self.integration_label.setVisible(several)
        self._show_current()

    def current(self) -> Any | None:
        index = self.chooser.currentIndex()
        return self._mappings[index] if 0 <= index < len(self._mappings) else None

    def _show_current(self) -> None:
        mapping = self.current()
        none = self.tr("—")
        if mapping is None:
            for label in (self.remote_id, self.last_synced, self.last_error):
                label.setText(none)
            self.resync_button.setEnabled(False)
            self.dashboard_button.setEnabled(False)
            self.dashboard_button.setToolTip("")
            return
        if len(self._mappings) == 1:
            self.title.setText(
                self.tr("{integration}: how this record is synced").format(
                    integration=mapping.integration_name
                )
            )
        self.remote_id.setText(mapping.remote_id or self.tr("not sent yet"))
        self.last_synced.setText(format_when(mapping.last_synced) or self.tr("never"))
        self.last_error.setText(mapping.last_error or self.tr("none"))
        self.resync_button.setEnabled(bool(mapping.can_resync))
        url = mapping.dashboard_url
        self.dashboard_button.setEnabled(bool(url))
        self.dashboard_button.setToolTip(
            url
            or self.tr("{integration} has no page for this record").format(
                integration=mapping.integration_name
            )
        )

    def set_busy(self, busy: bool) -> None:
        mapping = self.current()
        self.resync_button.setEnabled(not busy and bool(mapping and mapping.can_resync))

    # -- slots ------------------------------------------------------------------------------
    @Slot(int)
    def _on_chooser_current_index_changed(self, _index: int) -> None:
        self._show_current()

    @Slot()
    def _on_resync_button_clicked(self) -> None:
        mapping = self.current()
        if mapping is not None:
            self.resync_requested.emit(mapping.integration)

    @Slot()
    def _on_dashboard_button_clicked(self) -> None:
        mapping = self.current()
        if mapping is not None and mapping.dashboard_url:
            self.dashboard_requested.emit(mapping.dashboard_url)
