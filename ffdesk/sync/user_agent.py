"""How provider requests name the application: `User-Agent: ffdesk/<version> (+python-httpx)`."""

from __future__ import annotations

from ffdesk import __version__

#: The User-Agent of every provider request (providers' API guidelines ask for one).
USER_AGENT = f"ffdesk/{__version__} (+python-httpx)"


def user_agent() -> str:
    """The User-Agent of every provider request."""
    return USER_AGENT
