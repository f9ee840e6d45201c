"""How provider requests name the application: `User-Agent: ffdesk/<version> (+python-httpx)`."""

from __future__ import annotations

import functools
from importlib.metadata import PackageNotFoundError, version

UNKNOWN_VERSION = "0+unknown"


@functools.cache
def user_agent() -> str:
    """The User-Agent of every provider request (providers' API guidelines ask for one)."""
    try:
        installed = version("ffdesk")
    except PackageNotFoundError:  # run from a source tree that was never installed
        installed = UNKNOWN_VERSION
    return f"ffdesk/{installed} (+python-httpx)"
