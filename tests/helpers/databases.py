"""The database a test runs on: FFDESK_TEST_DATABASE_URL (emptied first) or a SQLite file."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

TEST_DATABASE_VARIABLE = "FFDESK_TEST_DATABASE_URL"


def fresh_database_url(tmp_path: Path, name: str = "ffdesk.db") -> str:
    """An empty database: the server named by FFDESK_TEST_DATABASE_URL with every table
    dropped, or a new SQLite file under `tmp_path`."""
    url = os.environ.get(TEST_DATABASE_VARIABLE)
    if not url:
        return f"sqlite:///{tmp_path / name}"
    engine = sa.create_engine(url)
    try:
        metadata = sa.MetaData()
        metadata.reflect(engine)
        metadata.drop_all(engine)
    finally:
        engine.dispose()
    return url
