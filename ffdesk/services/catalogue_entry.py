"""A catalogue entry and the three states: all the window needs to draw its first screen.

Apart from `ffdesk.services.window` so that start-up can draw the catalogue (from the last
run's cache) before anything heavier is imported.
"""

from __future__ import annotations

from typing import NamedTuple

NOT_INSTALLED = "Not Installed"
INSTALLED = "Installed"
ENABLED = "Enabled"
#: Shown (never stored) for a module that cannot be installed: its manifest, code or data is
#: broken, or its manifest cannot be read at all.
UNAVAILABLE = "Unavailable"
STATES = (NOT_INSTALLED, INSTALLED, ENABLED)


def shown_state(state: str, problem: str | None) -> str:
    """The one state word the catalogue and the pane both show: a module that is not installed
    and cannot be (it has a problem) is "Unavailable"."""
    return UNAVAILABLE if problem and state == NOT_INSTALLED else state


class CatalogueEntry(NamedTuple):
    """One integration module as the catalogue lists it, with its state in the active company.

    A NamedTuple rather than a frozen dataclass: the first paint creates this class, and a
    dataclass (with `dataclasses` itself) costs it about 4 ms more.
    """

    identifier: str
    name: str
    description: str
    category: str
    image: str | None
    state: str
    problem: str | None = None
