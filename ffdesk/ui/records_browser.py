"""One model's records: search box, Q-expression filter, a lazily paged table, the detail.

Used twice: by the Records area (every model) and by an integration's Data tab (that
integration's records). The records service decides what is listed and what a filter means;
this widget renders it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelection, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ffdesk.engine.errors import UserError
from ffdesk.ui.errors import report_error
from ffdesk.ui.message_bar import MessageBar
from ffdesk.ui.records_detail import RecordDetailPanel
from ffdesk.ui.records_model import RecordsTableModel, read_now
from ffdesk.ui.tasks import spawn

if TYPE_CHECKING:
    from ffdesk.engine.system import System
    from ffdesk.services.records import ModelInfo, RecordsService

log = logging.getLogger(__name__)

#: How long typing pauses before the search or the filter is applied.
TYPING_PAUSE_MS = 350
ROW_HEIGHT = 26
MIN_COLUMN_WIDTH = 70
#: A column's share of the table's width by the type of its field.
COLUMN_WEIGHTS = {
    "Text": 2.0,
    "Datetime": 1.25,
    "Date": 0.9,
    "Char": 1.1,
    "ManyToOne": 1.0,
    "Monetary": 0.8,
    "Float": 0.7,
    "Integer": 0.6,
    "Selection": 0.8,
    "Boolean": 0.5,
}


class RecordsBrowser(QWidget):
    """Lists one model's records of the active company (optionally one integration's).

    Emits `listed(int count)` after each new result and `record_selected(int id)`.
    """

    listed = Signal(int)
    record_selected = Signal(int)

    def __init__(
        self,
        system: System,
        *,
        integration: str | None = None,
        model_choice: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.system = system
        self.integration = integration
        self.info: ModelInfo | None = None
        self._infos: list[ModelInfo] = []
        self._sort: str | None = None
        self._generation = 0
        self._sized_for: str | None = None
        self.listing: Any = None
        #: The filter text of the result shown (the last one that was valid).
        self.applied_filter = ""

        self.model_chooser = QComboBox()
        self.model_chooser.setObjectName("recordModelChooser")
        self.model_chooser.setAccessibleName(self.tr("Record type"))
        self.model_chooser.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.model_chooser.setVisible(model_choice)
        self.search = QLineEdit()
        self.search.setObjectName("recordSearch")
        self.search.setPlaceholderText(self.tr("Search"))
        self.search.setAccessibleName(self.tr("Search records"))
        self.search.setClearButtonEnabled(True)
        self.filter = QLineEdit()
        self.filter.setObjectName("recordFilter")
        self.filter.setPlaceholderText(self.tr("Filter, e.g. Q(state='done') & Q(amount__gt=100)"))
        self.filter.setAccessibleName(self.tr("Filter (Q-expression)"))
        self.filter.setClearButtonEnabled(True)
        self.filter_error = QLabel()
        self.filter_error.setObjectName("fieldError")  # the style sheet colours these
        self.filter_error.setWordWrap(True)
        self.filter_error.hide()
        self.count_label = QLabel()
        self.count_label.setObjectName("recordCount")

        self.new_button = QPushButton(self.tr("&New…"))
        self.new_button.setObjectName("newRecord")
        self.edit_button = QPushButton(self.tr("&Edit…"))
        self.edit_button.setObjectName("editRecord")
        self.import_button = QPushButton(self.tr("&Import CSV…"))
        self.import_button.setObjectName("importContacts")
        self.sms_button = QPushButton(self.tr("Send test &SMS…"))
        self.sms_button.setObjectName("sendTestSms")
        self.track_button = QPushButton(self.tr("&Track a shipment…"))
        self.track_button.setObjectName("trackShipment")
        self.message = MessageBar()

        self.model = RecordsTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("recordsTable")
        self.table.setModel(self.model)
        self.table.setTabKeyNavigation(False)  # one Tab stop: arrows move inside
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.verticalHeader().hide()
        # Fixed row heights: the view never measures rows, so 100,000 of them cost nothing.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        header = self.table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        self.table.setAccessibleName(self.tr("Records"))
        self.detail = RecordDetailPanel()

        tools = QHBoxLayout()
        tools.setSpacing(8)
        tools.addWidget(self.model_chooser)
        tools.addWidget(self.search, 1)
        tools.addWidget(self.filter, 2)
        actions = QHBoxLayout()
        actions.setSpacing(8)
        for button in (
            self.new_button,
            self.edit_button,
            self.import_button,
            self.sms_button,
            self.track_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.count_label)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(tools)
        layout.addWidget(self.filter_error)
        layout.addLayout(actions)
        layout.addWidget(self.message)
        layout.addWidget(self.splitter, 1)
        self._show_actions()

        self.typing = QTimer(self)
        self.typing.setSingleShot(True)
        self.typing.setInterval(TYPING_PAUSE_MS)
        self.typing.timeout.connect(self._on_typing_timeout)
        self.search.textChanged.connect(self._on_text_changed)
        self.filter.textChanged.connect(self._on_text_changed)
        self.search.returnPressed.connect(self._on_typing_timeout)
        self.filter.returnPressed.connect(self._on_typing_timeout)
        self.model_chooser.currentIndexChanged.connect(self._on_model_chooser_current_index_changed)
        header.sectionClicked.connect(self._on_header_section_clicked)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.table.doubleClicked.connect(self._on_edit_button_clicked)
        self.detail.resync_requested.connect(self._on_detail_resync_requested)
        self.detail.dashboard_requested.connect(self._on_detail_dashboard_requested)
        self.new_button.clicked.connect(self._on_new_button_clicked)
        self.edit_button.clicked.connect(self._on_edit_button_clicked)
        self.import_button.clicked.connect(self._on_import_button_clicked)
        self.sms_button.clicked.connect(self._on_sms_button_clicked)
        self.track_button.clicked.connect(self._on_track_button_clicked)
        self.message.details_requested.connect(self._on_message_details_requested)

    # -- the service ---------------------------------------------------------------------
    @property
    def service(self) -> RecordsService:
        from ffdesk.services.records import RecordsService

        return RecordsService(self.system)

    def _bind_env(self) -> None:
        from ffdesk.engine.env import env_ctx

        env_ctx.set(self.system.env)

    # -- loading ---------------------------------------------------------------------------
    async def load_models(self, selected: str | None = None) -> list[ModelInfo]:
        """Offer the models of the installed modules (of the integration, on a Data tab)."""
        self._bind_env()
        try:
            infos = self.service.models(self.integration)
        except UserError as exc:
            infos = []
            self._show_error(exc, "listing record types")
        self._infos = infos
        wanted = selected or (self.info.name if self.info is not None else None)
        self.model_chooser.blockSignals(True)
        self.model_chooser.clear()
        for info in infos:
            self.model_chooser.addItem(info.plural_label, info.name)
        names = [i.name for i in infos]
        self.model_chooser.setCurrentIndex(names.index(wanted) if wanted in names else 0)
        self.model_chooser.blockSignals(False)
        current = self.model_chooser.currentData()
        await self.show_model(current if isinstance(current, str) else None)
        return infos

    async def show_model(self, name: str | None) -> None:
        """List `name`'s records (none: an empty table)."""
        info = next((i for i in self._infos if i.name == name), None)
        if info is None and name is not None:
            self._bind_env()
            try:
                info = self.service.model_info(name)
            except UserError as exc:
                self._show_error(exc, "opening a record type")
                info = None
        changed = info is None or self.info is None or info.name != self.info.name
        self.info = info
        if changed:
            self._sort = None
            self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        index = self.model_chooser.findData(info.name if info else None)
        if index >= 0 and index != self.model_chooser.currentIndex():
            self.model_chooser.blockSignals(True)
            self.model_chooser.setCurrentIndex(index)
            self.model_chooser.blockSignals(False)
        self._show_actions()
        if info is None:
            self.model.clear()
            self.detail.show_mappings(None, [])
            self.count_label.setText("")
            return
        await self.relist(keep_selection=not changed)

    async def relist(self, *, keep_selection: bool = True) -> bool:
        """List again with the search, filter and sort typed; False if the filter is invalid.

        A filter that is not valid leaves the last good result in the table and says why
        beside the field.
        """
        if self.info is None:
            return False
        self._generation += 1
        generation = self._generation
        self._bind_env()
        filter_text = self.filter.text().strip()
        selected = self.selected_id() if keep_selection else None
        try:
            listing = self.service.listing(
                self.info.name,
                filter=filter_text or None,
                search=self.search.text().strip() or None,
                sort=self._sort,
                integration=self.integration,
            )
            ids = await listing.ids()
        except UserError as exc:
            if getattr(exc, "field", None) == "filter":
                self._show_filter_error(str(exc))
            else:
                self._show_error(exc, "listing records")
            return False
        except Exception as exc:
            self._show_error(exc, "listing records")
            return False
        if generation != self._generation:
            return False  # a newer search or filter is being listed
        self._show_filter_error(None)
        self.applied_filter = filter_text
        self.listing = listing
        self.model.set_listing(listing.columns, ids, lambda page: read_now(listing.rows(page)))
        self._size_columns()
        self.count_label.setText(self.tr("%n record(s)", "", len(ids)))
        if selected is not None and (row := self.model.row_of(selected)) is not None:
            self.select_row(row)
        else:
            self.detail.show_mappings(None, [])
        self._show_actions()
        self.listed.emit(len(ids))
        return True

    async def reload(self) -> None:
        """Read the model list and the records again (after a sync, a company switch)."""
        await self.load_models()

    def _size_columns(self) -> None:
        """Share the table's width among the columns by what they hold (once per model, so
        a width the user dragged stays while they filter and sort)."""
        name = self.info.name if self.info is not None else None
        if name == self._sized_for:
            return
        self._sized_for = name
        columns = self.model.columns
        weights = [COLUMN_WEIGHTS.get(c.type_name, 1.0) for c in columns]
        width = max(self.table.viewport().width(), 600)
        total = sum(weights) or 1.0
        header = self.table.horizontalHeader()
        for section, weight in enumerate(weights[:-1]):
            header.resizeSection(section, max(MIN_COLUMN_WIDTH, int(width * weight / total)))

    # -- selection ----------------------------------------------------------------------------
    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record_id(rows[0].row()) if rows else None

    def select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index)

    async def show_detail(self, record_id: int | None) -> None:
        if record_id is None or self.info is None:
            self.detail.show_mappings(None, [])
            return
        self._bind_env()
        try:
            detail = await self.service.detail(self.info.name, record_id)
        except Exception as exc:
            self._show_error(exc, "reading a record")
            return
        if record_id == self.selected_id():
            self.detail.show_mappings(detail.title, detail.mappings)

    # -- actions --------------------------------------------------------------------------
    def _show_actions(self) -> None:
        info = self.info
        name = info.name if info is not None else None
        self.new_button.setVisible(bool(info and info.can_create) and name not in SPECIAL_NEW)
        self.edit_button.setVisible(bool(info and info.can_edit))
        self.edit_button.setEnabled(self.selected_id() is not None)
        self.import_button.setVisible(name == "Contact")
        self.sms_button.setVisible(name == "Message" and self._installed("sms_twilio"))
        self.track_button.setVisible(name == "Shipment" and self._installed("shipping_ups"))

    def _installed(self, identifier: str) -> bool:
        if self.integration is not None and self.integration != identifier:
            return False
        return identifier in self.system.installed

    async def resync(self, integration: str) -> None:
        """Send or fetch the selected record again through `integration`."""
        record_id = self.selected_id()
        if record_id is None or self.info is None:
            return
        self.detail.set_busy(True)
        self._bind_env()
        try:
            outcome = await self.service.resync(self.info.name, record_id, integration)
        except Exception as exc:
            self._show_error(exc, "resyncing a record")
            return
        finally:
            self.detail.set_busy(False)
        from ffdesk.ui.integration_pane import describe_outcome

        kind, text = describe_outcome(outcome)
        self.message.show_message(kind, text)
        self.model.refresh_rows()
        await self.show_detail(record_id)

    def _show_error(self, exc: BaseException, action: str) -> None:
        report = report_error(exc, action)
        self.message.show_message("error", report.message, report.details)

    def _show_filter_error(self, text: str | None) -> None:
        if text is None:
            self.filter_error.clear()
            self.filter_error.hide()
            self.filter.setProperty("invalid", False)
        else:
            self.filter_error.setText(text)
            self.filter_error.show()
            self.filter.setProperty("invalid", True)
        self.filter.style().unpolish(self.filter)
        self.filter.style().polish(self.filter)

    def show_result(self, kind: str, text: str) -> None:
        """A sentence about what an action did, above the table."""
        self.message.show_message(kind, text)

    async def after_change(self, record_id: int | None = None) -> None:
        """A record was created or changed: list again and select it."""
        await self.relist()
        if record_id is not None and (row := self.model.row_of(record_id)) is not None:
            self.select_row(row)

    # -- slots ------------------------------------------------------------------------------
    @Slot()
    def _on_text_changed(self) -> None:
        self.typing.start()

    @Slot()
    def _on_typing_timeout(self) -> None:
        self.typing.stop()
        spawn(self.relist())

    @Slot(int)
    def _on_model_chooser_current_index_changed(self, _index: int) -> None:
        name = self.model_chooser.currentData()
        spawn(self.show_model(name if isinstance(name, str) else None))

    @Slot(int)
    def _on_header_section_clicked(self, section: int) -> None:
        columns = self.model.columns
        if not 0 <= section < len(columns) or not columns[section].sortable:
            return
        name = columns[section].name
        descending = self._sort == name  # a second click on the same column turns it round
        self._sort = f"-{name}" if descending else name
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        self.table.horizontalHeader().setSortIndicator(section, order)
        spawn(self.relist())

    @Slot(QItemSelection, QItemSelection)
    def _on_table_selection_changed(self, _new: QItemSelection, _old: QItemSelection) -> None:
        record_id = self.selected_id()
        self.edit_button.setEnabled(record_id is not None)
        if record_id is not None:
            self.record_selected.emit(record_id)
        spawn(self.show_detail(record_id))

    @Slot(str)
    def _on_detail_resync_requested(self, integration: str) -> None:
        spawn(self.resync(integration))

    @Slot(str)
    def _on_detail_dashboard_requested(self, url: str) -> None:
        QDesktopServices.openUrl(QUrl(url))

    @Slot()
    def _on_new_button_clicked(self) -> None:
        from ffdesk.ui.records_dialogs import open_record_form

        if self.info is not None and self.info.can_create:
            open_record_form(self, self.info, None)

    @Slot()
    def _on_edit_button_clicked(self) -> None:
        from ffdesk.ui.records_dialogs import open_record_form

        record_id = self.selected_id()
        if self.info is not None and self.info.can_edit and record_id is not None:
            open_record_form(self, self.info, record_id)

    @Slot()
    def _on_import_button_clicked(self) -> None:
        from ffdesk.ui.records_dialogs import import_contacts

        import_contacts(self)

    @Slot()
    def _on_sms_button_clicked(self) -> None:
        from ffdesk.ui.records_dialogs import SendSmsDialog

        SendSmsDialog(self).open()

    @Slot()
    def _on_track_button_clicked(self) -> None:
        from ffdesk.ui.records_dialogs import TrackShipmentDialog

        TrackShipmentDialog(self).open()

    @Slot(str, str)
    def _on_message_details_requested(self, message: str, details: str) -> None:
        from ffdesk.ui import dialogs

        dialogs.show_details(self, message, details)


#: Models created through their own dialog rather than the generic form.
SPECIAL_NEW = frozenset({"Message", "Shipment"})
