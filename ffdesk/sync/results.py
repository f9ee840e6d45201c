"""Value objects that integrations return to the UI and the command line."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from ffdesk.engine.errors import UserError
from ffdesk.sync.errors import CredentialsRejected, ProviderError, ProviderRequestError

Outcome = Literal["ok", "rejected", "unreachable"]


@dataclass(frozen=True)
class ConnectionResult:
    """The answer of "Test connection": ok, rejected (credentials refused) or unreachable."""

    outcome: Outcome
    message: str
    #: Fields found wrong before anything was sent ({field: sentence}); empty when the
    #: provider was asked. A "rejected" with problems is the typed settings, not the provider.
    problems: Mapping[str, str] = field(default_factory=dict)

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


def connection_result(
    provider: str,
    exc: Exception,
    *,
    rejected: Callable[[CredentialsRejected], str] = str,
) -> ConnectionResult:
    """The answer of "Test connection" when its call to `provider` failed with `exc`.

    For `except (ProviderError, ValueError) as exc` around the call and the reading of its JSON:
    credentials refused (CredentialsRejected, its message from `rejected`) or the request refused
    (ProviderRequestError) is "rejected"; any other ProviderError, or an answer that is not JSON
    (ValueError), is "unreachable". Any other exception is raised again.
    """
    if isinstance(exc, CredentialsRejected):
        return ConnectionResult("rejected", rejected(exc))
    if isinstance(exc, ProviderRequestError):
        return ConnectionResult("rejected", str(exc))
    if isinstance(exc, ProviderError):
        return ConnectionResult("unreachable", str(exc))
    if isinstance(exc, ValueError):
        return ConnectionResult(
            "unreachable", f"{provider} answered with something that is not JSON."
        )
    raise exc
