"""Value objects that integrations return to the UI and the command line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ffdesk.engine.errors import UserError

Outcome = Literal["ok", "rejected", "unreachable"]


@dataclass(frozen=True)
class ConnectionResult:
    """The answer of "Test connection": ok, rejected (credentials refused) or unreachable."""

    outcome: Outcome
    message: str

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


@dataclass(frozen=True)
class SyncCapability:
    """Whether "Sync now" is available for an integration, and why not when it is not."""

    available: bool
    reason: str = ""


class ConnectionUnreachable(UserError):
    """Enabling found the provider unreachable; the user may choose to enable anyway."""

    def __init__(self, result: ConnectionResult) -> None:
        super().__init__(f"{result.message} Enable anyway?")
        self.result = result
