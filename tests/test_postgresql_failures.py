"""PostgreSQL's own failures reach the user as ffdesk's sentences (issue 16, the server side).

A server lost in the middle of a change, a row held by another program past the server's
`lock_timeout`, and a full disk under the server's tables: each gives one plain sentence (no
SQL, no class name), exit code 3 or 1, and loses nothing that was saved before. These run in
the PostgreSQL pass of the suite (`scripts/with-postgresql scripts/check`).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

import ffdesk
from ffdesk.engine.db_errors import DatabaseProblem
from tests.helpers.database import postgresql_only
from tests.helpers.env import FFDESK_SCRIPT, Subprocess, ffdesk_process_fixture  # noqa: F401
from tests.test_database_failures import RAW, company_names, fill

pytestmark = postgresql_only


def place(url: str) -> str:
    """How the sentences name the database: host:port/name (never a password)."""
    parsed = sa.make_url(url)
    return f"{parsed.host}:{parsed.port}/{parsed.database}"


def wait_for(condition: Callable[[], object], timeout: float = 20.0) -> object:
    """Poll `condition` (a query of another connection) until it holds or the time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("the condition never held")


@pytest.fixture
def admin(ffdesk_process: Subprocess) -> Iterator[sa.Engine]:
    """A second program on the same server (a superuser, as the test server's only user)."""
    engine = sa.create_engine(ffdesk_process.url, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


def waiting_backend(admin: sa.Engine, statement: str) -> int | None:
    """The server process of a session waiting for a lock in `statement`, if one is."""
    with admin.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE :statement AND pid <> pg_backend_pid()"
            ),
            {"statement": f"{statement}%"},
        ).scalar()


def said(done: subprocess.CompletedProcess[str] | tuple[int, str], code: int) -> str:
    returncode, stderr = done if isinstance(done, tuple) else (done.returncode, done.stderr)
    message = stderr.strip()
    assert returncode == code, message
    assert not RAW.search(message), message
    assert "sqlstate" not in message.lower() and "psycopg" not in message, message
    return message


def test_a_server_lost_during_a_change_is_said_and_nothing_is_half_saved(
    ffdesk_process: Subprocess, admin: sa.Engine
) -> None:
    assert ffdesk_process("companies", "add", "Acme").returncode == 0
    with admin.connect() as other:
        # Another program holds Acme's row: ffdesk's rename waits on the server for it ...
        other.execute(sa.text("SELECT id FROM company WHERE name = 'Acme' FOR UPDATE"))
        renaming = subprocess.Popen(
            [str(FFDESK_SCRIPT), "companies", "rename", "Acme", "Acme Ltd"],
            env=ffdesk_process.env,
            cwd=ffdesk_process.database.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            pid = wait_for(lambda: waiting_backend(admin, "UPDATE company"))
            # ... when its connection ends as if the server had gone (an administrator's
            # pg_terminate_backend: the server closes it with FATAL 57P01).
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            _out, err = renaming.communicate(timeout=60)
        finally:
            renaming.kill()
        other.rollback()
    message = said((renaming.returncode, err), 3)
    assert message == (
        f"ffdesk lost its connection to its database server ({place(ffdesk_process.url)}): "
        "check that it is running and reachable from this computer, then try again; nothing "
        "was changed."
    )
    assert company_names(ffdesk_process.url) == ["My Company", "Acme"]
    again = ffdesk_process("companies", "rename", "Acme", "Acme Ltd")
    assert again.returncode == 0, again.stderr
    assert company_names(ffdesk_process.url) == ["My Company", "Acme Ltd"]


def test_a_row_held_past_the_lock_timeout_is_said_and_nothing_is_changed(
    ffdesk_process: Subprocess, admin: sa.Engine
) -> None:
    assert ffdesk_process("companies", "add", "Acme").returncode == 0
    # The server's lock_timeout as an administrator would set it for ffdesk's sessions.
    impatient = ffdesk_process.url + quote(" -clock_timeout=300")
    with admin.connect() as other:
        other.execute(sa.text("SELECT id FROM company WHERE name = 'Acme' FOR UPDATE"))
        done = ffdesk_process(
            "companies", "rename", "Acme", "Acme Ltd", FFDESK_DATABASE_URL=impatient
        )
        other.rollback()
    message = said(done, 1)
    assert message == (
        f"ffdesk's database is busy with another program's change ({place(impatient)}): try "
        "again in a moment, nothing was changed."
    )
    assert company_names(ffdesk_process.url) == ["My Company", "Acme"]


@pytest.fixture
def tiny_tablespace(admin: sa.Engine) -> Iterator[tuple[str, Path]]:
    """A PostgreSQL tablespace on a 2 MB disk of its own (tmpfs: needs root, as the SQLite
    full-disk tests), dropped and unmounted at the end."""
    with admin.connect() as conn:
        data = Path(conn.execute(sa.text("SHOW data_directory")).scalar_one())
    owner = data.stat().st_uid  # the server's own user: it must own the tablespace folder
    mount = Path(tempfile.mkdtemp(prefix="ffdesk-tablespace-"))
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size=2m,uid={owner},mode=0700", "tmpfs", str(mount)],
        capture_output=True,
    )
    if done.returncode != 0:
        mount.rmdir()
        pytest.skip("a tiny disk needs root (mount -t tmpfs)")
    name = f"tiny_{os.getpid()}_{mount.name.rsplit('-', 1)[-1].lower()}"
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f"CREATE TABLESPACE {name} LOCATION '{mount}'"))
        yield name, mount
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(
                sa.text("ALTER TABLE IF EXISTS integration_mapper SET TABLESPACE pg_default")
            )
            conn.execute(sa.text(f"DROP TABLESPACE IF EXISTS {name}"))
        subprocess.run(["umount", "-l", str(mount)], check=False)
        mount.rmdir()


def test_a_full_disk_on_the_server_refuses_a_row_with_a_sentence_and_keeps_the_rest(
    ffdesk_process: Subprocess, admin: sa.Engine, tiny_tablespace: tuple[str, Path]
) -> None:
    name, disk = tiny_tablespace
    url = ffdesk_process.url

    async def main() -> None:
        async with ffdesk.open_env(url) as system:
            await system.install_module("payment_stripe")
            integration = await system.integration("payment_stripe")
            Mapper = system.get_model("IntegrationMapper")
            with admin.connect() as conn, conn.begin():
                conn.execute(sa.text(f"ALTER TABLE integration_mapper SET TABLESPACE {name}"))

            async def link(n: int) -> None:
                await Mapper.create(
                    integration=integration.id, model="Contact", local_id=str(n), remote_id=f"c{n}"
                )

            await link(0)
            fill(disk, leave=0)
            with pytest.raises(DatabaseProblem) as refused:
                for n in range(1, 100_000):  # until the table needs a page the disk lacks
                    await link(n)
            message = str(refused.value)
            assert not RAW.search(message), message
            assert message == (
                f"The disk of ffdesk's database server is full ({place(url)}): free some "
                "space there, nothing was changed."
            )
            assert not system.db.in_transaction()
            (disk / "filler").unlink()
            kept = await Mapper.count()
            await link(100_000)  # the refusal left nothing open
            assert await Mapper.count() == kept + 1

    asyncio.run(main())
    with admin.connect() as conn:
        local_ids = {r[0] for r in conn.execute(sa.text("SELECT local_id FROM integration_mapper"))}
    # Every row before the refused one was committed; the refused one is not there.
    assert local_ids == {str(n) for n in range(len(local_ids) - 1)} | {"100000"}
