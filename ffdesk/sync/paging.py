"""Bounded paging: a provider whose cursor does not move ends the run instead of looping forever.

    pages = Pages("Stripe")
    while True:
        page = ...                              # asked at `cursor`
        pages.check(cursor, [item ids])         # PagingStuck if it repeats itself
        ...store the items...
        if no more: break
        cursor = next cursor
        pages.more(cursor)                      # PagingStuck if seen or past the ceiling

A page asked with a cursor already used, a page that brings no object not seen before, or more
pages than the ceiling (env `FFDESK_SYNC_MAX_PAGES`, default 10,000) ends the run as failed
with one sentence.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterable

from ffdesk.sync.errors import ProviderError

__all__ = ["DEFAULT_MAX_PAGES", "Pages", "PagingStuck", "max_pages"]

DEFAULT_MAX_PAGES = 10_000


class PagingStuck(ProviderError):
    """A provider's paging went round in circles, or past the page ceiling; the run stops."""


def max_pages() -> int:
    """The page ceiling of one listing: env `FFDESK_SYNC_MAX_PAGES`, else 10,000."""
    configured = os.environ.get("FFDESK_SYNC_MAX_PAGES", "").strip()
    try:
        value = int(configured) if configured else DEFAULT_MAX_PAGES
    except ValueError:
        value = DEFAULT_MAX_PAGES
    return value if value > 0 else DEFAULT_MAX_PAGES


class Pages:
    """The pages of one listing read so far, to notice a provider repeating itself."""

    def __init__(self, provider: str, *, ceiling: int | None = None) -> None:
        self.provider = provider
        self.ceiling = ceiling if ceiling is not None else max_pages()
        self.count = 0
        self._cursors: set[Hashable] = set()
        self._ids: set[Hashable] = set()
        self._last: tuple[Hashable, ...] = ()

    def _stop(self, why: str) -> PagingStuck:
        pages = f"{self.count} page{'s' if self.count != 1 else ''}"
        return PagingStuck(f"{self.provider} {why}; stopped after {pages}.", provider=self.provider)

    def check(self, cursor: Hashable, ids: Iterable[Hashable]) -> None:
        """Record one page, asked with `cursor`, holding objects `ids`; PagingStuck if it
        repeats the cursor or the page before, or brings nothing new."""
        ids = tuple(ids)
        if cursor is not None and cursor in self._cursors:
            raise self._stop("returned the same page twice")
        self._cursors.add(cursor)
        self.count += 1
        if ids and ids == self._last:
            raise self._stop("returned the same page twice")
        self._last = ids
        fresh = [i for i in ids if i not in self._ids]
        if ids and not fresh:
            raise self._stop("returned a page with nothing new on it")
        self._ids.update(fresh)

    def more(self, cursor: Hashable) -> None:
        """Before asking for the next page, at `cursor`: PagingStuck if that cursor was used
        already, or if the listing already took as many pages as one sync reads."""
        if cursor in self._cursors:
            raise self._stop("returned the same page twice")
        if self.count >= self.ceiling:
            raise self._stop(
                f"had more than {self.ceiling} pages to list, the most one sync reads "
                "(setting FFDESK_SYNC_MAX_PAGES)"
            )
