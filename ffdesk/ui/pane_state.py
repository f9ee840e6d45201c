"""What each integration of each company is doing and last said, kept apart from the pane.

The pane shows one integration at a time, but a Test, an Enable, a Preview or a Sync goes on
while the user looks at another one. Each keeps its busy state, progress and last message
here, under (company id, module identifier); the pane renders the state of the integration it
shows, and the catalogue marks the rows at work ("Testing…", "Syncing…").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, Signal, Slot

from ffdesk.ui.message_bar import MessageBar

if TYPE_CHECKING:
    from ffdesk.sync.runner import RunOutcome
    from ffdesk.ui.catalogue_model import CatalogueModel
    from ffdesk.ui.sync_controller import SyncController

# (company id, module identifier) of one integration.
Key = tuple[int, str]

# What the catalogue row says while a task runs (tasks not listed say nothing there).
TASK_LABELS = {
    "test": QT_TRANSLATE_NOOP("PaneStates", "Testing…"),
    "enable": QT_TRANSLATE_NOOP("PaneStates", "Enabling…"),
    "sync": QT_TRANSLATE_NOOP("PaneStates", "Syncing…"),
    "preview": QT_TRANSLATE_NOOP("PaneStates", "Previewing…"),
}


@dataclass(frozen=True)
class Message:
    """One message of the pane's message bar."""

    kind: str
    text: str
    details: str | None = None


@dataclass
class PaneState:
    """The running task of one integration (None when idle), its progress and last message."""

    task: str | None = None
    progress: tuple[int, int | None] = (0, None)
    message: Message | None = None
    cancel: Callable[[], object] | None = field(default=None, repr=False)

    @property
    def busy(self) -> bool:
        return self.task is not None


class PaneStates(QObject):
    """The busy state and last message of every integration touched in this window.

    Listens to the sync controller, so a sync's progress and result are kept for its own
    integration whatever the pane shows. Emits `changed(int company_id, str identifier)`.
    """

    changed = Signal(int, str)

    def __init__(
        self, controller: SyncController | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._states: dict[Key, PaneState] = {}
        self._controller = controller
        if controller is not None:
            controller.sync_started.connect(self._on_controller_sync_started)
            controller.sync_progressed.connect(self._on_controller_sync_progressed)
            controller.sync_waited.connect(self._on_controller_sync_waited)
            controller.sync_finished.connect(self._on_controller_sync_finished)
            controller.sync_failed.connect(self._on_controller_sync_failed)

    # -- reading ---------------------------------------------------------------------------
    def state(self, key: Key) -> PaneState:
        """The state of `key` (a fresh idle one when nothing happened to it yet)."""
        return self._states.get(key) or PaneState()

    def activity(self, key: Key) -> str:
        """What the catalogue row of `key` says ("Testing…"), or "" when idle."""
        label = TASK_LABELS.get(self.state(key).task or "")
        return QCoreApplication.translate("PaneStates", label) if label else ""

    def activities(self, company_id: int) -> dict[str, str]:
        """The catalogue words of the integrations of `company_id` at work, by identifier."""
        found = {}
        for key in self._states:
            if key[0] == company_id and (text := self.activity(key)):
                found[key[1]] = text
        return found

    # -- changing ----------------------------------------------------------------------------
    def begin(self, key: Key, task: str, cancel: Callable[[], object] | None = None) -> None:
        """`task` ("test", "enable", "sync", ...) starts on `key`."""
        state = self._states.setdefault(key, PaneState())
        state.task, state.progress, state.cancel = task, (0, None), cancel
        self.changed.emit(*key)

    def end(self, key: Key) -> None:
        state = self._states.get(key)
        if state is not None and state.task is not None:
            state.task, state.cancel = None, None
            self.changed.emit(*key)

    def set_progress(self, key: Key, done: int, total: int | None) -> None:
        self._states.setdefault(key, PaneState()).progress = (done, total)

    def say(self, key: Key, kind: str, text: str, details: str | None = None) -> None:
        """Keep `text` as the last message of `key` (shown when its pane is)."""
        message = Message(kind, text, details)
        state = self._states.setdefault(key, PaneState())
        if state.message != message:
            state.message = message
            self.changed.emit(*key)

    def forget_message(self, key: Key) -> None:
        state = self._states.get(key)
        if state is not None and state.message is not None:
            state.message = None
            self.changed.emit(*key)

    def cancel(self, key: Key) -> bool:
        """Ask the running task of `key` to stop; False when it cannot be cancelled."""
        state = self._states.get(key)
        if state is None or state.cancel is None:
            return False
        state.cancel()
        return True

    # -- syncs started from the window ---------------------------------------------------------
    def _sync_key(self, integration_id: int) -> Key | None:
        return self._controller.key_of(integration_id) if self._controller else None

    @Slot(int)
    def _on_controller_sync_started(self, integration_id: int) -> None:
        key = self._sync_key(integration_id)
        if key is not None:
            controller = self._controller
            assert controller is not None
            self.begin(key, "sync", lambda: controller.cancel(integration_id))

    @Slot(int, int, int)
    def _on_controller_sync_progressed(self, integration_id: int, done: int, total: int) -> None:
        key = self._sync_key(integration_id)
        if key is not None:
            self.set_progress(key, done, None if total < 0 else total)

    @Slot(int, str, float)
    def _on_controller_sync_waited(
        self, integration_id: int, provider: str, seconds: float
    ) -> None:
        key = self._sync_key(integration_id)
        if key is not None:
            text = QCoreApplication.translate(
                "IntegrationPane", "Waiting for {provider}'s rate limit, resumes in {seconds} s."
            ).format(provider=provider, seconds=max(1, math.ceil(seconds)))
            self.say(key, "info", text)

    @Slot(int, object)
    def _on_controller_sync_finished(self, integration_id: int, outcome: RunOutcome) -> None:
        from ffdesk.ui.integration_pane import describe_outcome

        key = self._sync_key(integration_id)
        if key is not None:
            self.end(key)
            self.say(key, *describe_outcome(outcome))

    @Slot(int, str, str)
    def _on_controller_sync_failed(self, integration_id: int, message: str, details: str) -> None:
        key = self._sync_key(integration_id)
        if key is not None:
            self.end(key)
            self.say(key, "error", message, details or None)


class StateMessageBar(MessageBar):
    """The pane's message bar: what it shows is also kept as the shown integration's message,
    so it is still there when the user comes back to that integration."""

    def __init__(self, states: PaneStates, current: Callable[[], Key | None]) -> None:
        super().__init__()
        self._states = states
        self._current = current

    def show_message(self, kind: str, text: str, details: str | None = None) -> None:
        key = self._current()
        if key is not None:
            self._states.say(key, kind, text, details)
        super().show_message(kind, text, details)

    @Slot()
    def clear(self) -> None:
        """Hide the message and forget it (dismissed, or made stale by a new action)."""
        key = self._current()
        if key is not None:
            self._states.forget_message(key)
        super().clear()

    def blank(self) -> None:
        """Hide the message but keep it for its integration (another one is being shown)."""
        super().clear()

    def show_state(self, state: PaneState) -> None:
        """Show the kept message of the integration now shown, or nothing."""
        message = state.message
        if message is None:
            super().clear()
        elif message.text != self.label.text() or not self.isVisibleTo(self.parentWidget()):
            super().show_message(message.kind, message.text, message.details)


def show_activities_in(
    model: CatalogueModel, states: PaneStates, company: Callable[[], int | None]
) -> None:
    """Keep the catalogue's "Testing…"/"Syncing…" words in step with `states` for the
    company shown (after every change and every reload of the catalogue)."""

    def apply(*_args: object) -> None:
        company_id = company()
        model.set_activities({} if company_id is None else states.activities(company_id))

    states.changed.connect(apply)
    model.modelReset.connect(apply)
    apply()
