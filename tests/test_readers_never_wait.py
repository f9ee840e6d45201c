"""Readers never wait for a writer: `modules list` and `runs` answer while another program
holds a write transaction open (SQLite in WAL mode reads a snapshot; so does PostgreSQL)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager

import sqlalchemy as sa

from tests.helpers.database import ON_POSTGRESQL
from tests.helpers.env import Subprocess, ffdesk_process_fixture  # noqa: F401


@contextmanager
def writer_holding_the_lock(ffdesk_process: Subprocess) -> Iterator[None]:
    """Another program in the middle of a write transaction (not committed)."""
    if ON_POSTGRESQL:
        engine = sa.create_engine(ffdesk_process.url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn, conn.begin():
                conn.execute(sa.text("UPDATE company SET name = name || ' (busy)'"))
                yield
        finally:
            engine.dispose()
        return
    with closing(sqlite3.connect(ffdesk_process.database, isolation_level=None)) as conn:
        conn.execute("BEGIN IMMEDIATE")  # the write lock, held until the rollback below
        conn.execute("UPDATE company SET name = name || ' (busy)'")
        yield
        conn.execute("ROLLBACK")


def test_listing_commands_answer_while_another_program_writes(
    ffdesk_process: Subprocess,
) -> None:
    assert ffdesk_process("companies", "add", "Acme").returncode == 0
    with writer_holding_the_lock(ffdesk_process):
        listed = ffdesk_process("modules", "list")
        runs = ffdesk_process("runs", "--json")
        companies = ffdesk_process("companies", "list")
    assert listed.returncode == 0, listed.stderr
    assert "payment_stripe" in listed.stdout
    assert runs.returncode == 0, runs.stderr
    assert json.loads(runs.stdout)["runs"] == []
    # What readers see is the last committed state, not the writer's unfinished change.
    assert companies.returncode == 0, companies.stderr
    assert "Acme" in companies.stdout and "(busy)" not in companies.stdout
