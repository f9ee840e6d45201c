"""The current environment (`env_ctx`): user, active company, registry, database and secrets.

The bottom layer of the engine beside errors and db: the files above (records, registry,
views, system) import it, so it names their objects only by the shape it uses of them.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from ffdesk.engine.errors import UserError

if TYPE_CHECKING:
    from ffdesk.engine.db import Database


class ModelRegistry(Protocol):
    """What the engine below `registry.py` uses of the Registry (the final model classes)."""

    db: Database

    def __getitem__(self, name: str) -> Any: ...

    def __contains__(self, name: object) -> bool: ...

    def references_to(self, model_name: str) -> list[tuple[Any, Any]]: ...


class SecretStore(Protocol):
    """Where company-scoped values live (implemented over keyring by `ffdesk.secrets`)."""

    def get(self, company_id: int, model: str, record_id: int, field: str) -> str | None: ...

    def set(
        self, company_id: int, model: str, record_id: int, field: str, value: str | None
    ) -> None: ...

    def delete(self, company_id: int, model: str, record_id: int, field: str) -> None: ...


class NoSecretStore:
    """Used when no secret store was configured: reads give None, writes are refused."""

    def get(self, company_id: int, model: str, record_id: int, field: str) -> str | None:
        return None

    def set(
        self, company_id: int, model: str, record_id: int, field: str, value: str | None
    ) -> None:
        raise UserError("No secret store is configured: company-scoped values cannot be saved.")

    def delete(self, company_id: int, model: str, record_id: int, field: str) -> None:
        return None


@dataclass
class Environment:
    """What code runs as: `uid`, the active company `cid`, all company ids `cids`."""

    registry: ModelRegistry
    uid: int = 1
    cid: int | None = None
    cids: list[int] = field(default_factory=list)
    secrets: SecretStore = field(default_factory=NoSecretStore)
    context: dict[str, Any] = field(default_factory=dict)
    #: The System that owns this environment (modules, views); None for a bare registry.
    system: Any = None

    @property
    def db(self) -> Database:
        return self.registry.db

    @property
    def company(self) -> Any:
        """The active company record (loaded on access)."""
        if self.cid is None:
            return None
        return self.registry["Company"]._load_one_sync(self.cid)

    def with_company(self, cid: int | None) -> Environment:
        return replace(self, cid=cid)

    def form(self, record: Any, view: str = "integration_form_view") -> list[Any]:
        """The merged form of `record` with visible / readonly / required evaluated now."""
        if self.system is None:
            raise UserError("Forms need the module system (use ffdesk.open_env).")
        return self.system.views.evaluate_form(record, view)

    def names(self) -> dict[str, Any]:
        """Values of the names a Q-expression may use."""
        return {"uid": self.uid, "cid": self.cid, "company_id": self.cid, "cids": list(self.cids)}


env_ctx: contextvars.ContextVar[Environment] = contextvars.ContextVar("ffdesk_env")


def current_env() -> Environment:
    """The environment of the running code, or a clear error when there is none."""
    try:
        return env_ctx.get()
    except LookupError:
        raise UserError(
            "No ffdesk environment is active: use `async with ffdesk.open_env(...)`."
        ) from None


def get_model(name: str) -> type[Any]:
    """The final class of model `name` in the current environment."""
    return current_env().registry[name]
