"""PostgreSQL specifics: the `ff_casefold` SQL function and the schema-change lock.

Python's `str.casefold` (full Unicode case folding: "Straße" matches "STRASSE") has no
PostgreSQL counterpart, and `lower()` follows the server's locale (under the C locale it
changes ASCII only). So ffdesk defines `ff_casefold(text)` in the database, generated from the
running Python's own Unicode tables: one `translate()` for the one-to-one foldings and a
`replace()` for each folding into several characters. Case folding is per character and
idempotent, so the two steps never interfere.
"""

from __future__ import annotations

import functools
import sys
import unicodedata
import zlib

import sqlalchemy as sa

# One number for every ffdesk process: schema changes and the function's creation wait here,
# so two programs starting at the same time on an empty database do not collide.
SCHEMA_LOCK_KEY = zlib.crc32(b"ffdesk schema") - 2**31
CASEFOLD_VERSION_KEY = "casefold_unicode"
# The two-number advisory locks of sync runs: (this space, the integration's id).
SYNC_LOCK_SPACE = zlib.crc32(b"ffdesk sync") % 2**31


def _foldings() -> tuple[str, str, list[tuple[str, str]]]:
    sources, targets, expansions = [], [], []
    for code in range(1, sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue  # surrogates are not text
        char = chr(code)
        folded = char.casefold()
        if folded == char:
            continue
        if len(folded) == 1:
            sources.append(char)
            targets.append(folded)
        else:
            expansions.append((char, folded))
    return "".join(sources), "".join(targets), expansions


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@functools.cache
def casefold_function_sql() -> str:
    """`CREATE OR REPLACE FUNCTION ff_casefold(text)` for the running Python's Unicode."""
    sources, targets, expansions = _foldings()
    body = f"translate($1, {_literal(sources)}, {_literal(targets)})"
    for char, folded in expansions:
        body = f"replace({body}, {_literal(char)}, {_literal(folded)})"
    return (
        "CREATE OR REPLACE FUNCTION ff_casefold(text) RETURNS text "
        f"LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $ff$ SELECT {body} $ff$"
    )


def lock_schema(conn: sa.Connection) -> None:
    """Wait for other ffdesk processes changing the schema (released at the commit)."""
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})


def lock_integration(conn: sa.Connection, integration_id: int | None) -> None:
    """On PostgreSQL, wait for any other process taking the sync lock of this integration.

    The lock is released at the end of the transaction; on SQLite the transaction's write
    lock already serialises every writer, so nothing is done.
    """
    if conn.dialect.name != "postgresql" or integration_id is None:
        return
    conn.execute(
        sa.text("SELECT pg_advisory_xact_lock(:space, :id)"),
        {"space": SYNC_LOCK_SPACE, "id": int(integration_id) % 2**31},
    )


def casefold_ready(conn: sa.Connection, meta_values: dict[str, str]) -> bool:
    """True when `ff_casefold` exists and was made for this Python's Unicode version."""
    if meta_values.get(CASEFOLD_VERSION_KEY) != unicodedata.unidata_version:
        return False
    present = conn.execute(sa.text("SELECT to_regprocedure('ff_casefold(text)')")).scalar()
    return present is not None


def ensure_casefold(conn: sa.Connection, meta: sa.TableClause) -> None:
    """Create (or bring up to this Python's Unicode version) the `ff_casefold` function."""
    version = unicodedata.unidata_version
    present = conn.execute(sa.text("SELECT to_regprocedure('ff_casefold(text)')")).scalar()
    recorded = conn.execute(
        sa.select(meta.c.value).where(meta.c.key == CASEFOLD_VERSION_KEY)
    ).scalar_one_or_none()
    if present is not None and recorded == version:
        return
    conn.exec_driver_sql(casefold_function_sql())  # no % in it: no placeholders
    if recorded is None:
        conn.execute(sa.insert(meta).values(key=CASEFOLD_VERSION_KEY, value=version))
    else:
        conn.execute(
            sa.update(meta).where(meta.c.key == CASEFOLD_VERSION_KEY).values(value=version)
        )
