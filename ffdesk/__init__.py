"""ffdesk: desktop administration of Fullfinity ERP integrations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ffdesk.api import open_env as open_env

__all__ = ["__version__", "open_env"]

# The one place the version is written; pyproject.toml reads it (tool.setuptools.dynamic).
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Lazy, so that `import ffdesk.engine` does not pull in keyring through the composition root.
    if name == "open_env":
        from ffdesk.api import open_env

        return open_env
    raise AttributeError(name)
