"""A catalogue entry and the three states: all the window needs to draw its first screen.

Apart from `ffdesk.services.window` so that start-up can draw the catalogue (from the last
run's cache) before anything heavier is imported.
"""

from __future__ import annotations

from dataclasses import dataclass

NOT_INSTALLED = "Not Installed"
INSTALLED = "Installed"
ENABLED = "Enabled"
STATES = (NOT_INSTALLED, INSTALLED, ENABLED)


@dataclass(frozen=True)
class CatalogueEntry:
    """One integration module as the catalogue lists it, with its state in the active company."""

    identifier: str
    name: str
    description: str
    category: str
    image: str | None
    state: str
    problem: str | None = None
