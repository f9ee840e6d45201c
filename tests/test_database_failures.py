"""The database's own failures reach the user as sentences that say what to do (issue 16).

A read-only database, a full disk, a lock held by another program and a damaged file each give
one plain sentence on standard error, exit code 1, and change nothing; a save whose commit is
refused leaves the keyring as it was; a damaged file is refused for writing, checked with
`ffdesk db check` and copied out with `ffdesk db backup FILE`.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa

import ffdesk
from ffdesk.engine.db_errors import DatabaseProblem
from ffdesk.engine.model import references_checked_once
from tests.helpers.database import ON_POSTGRESQL, postgresql_only, sqlite_only
from tests.helpers.env import Subprocess, ffdesk_process_fixture  # noqa: F401

# What must never reach the user: a Python class name, SQL, SQLAlchemy's link.
RAW = re.compile(r"Error\b|Exception|\[SQL|sqlalche\.me|Traceback|SELECT |INSERT |UPDATE ")
STRIPE = "payment_stripe"


def refused(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.stdout, done.stderr)
    message = done.stderr.strip()
    assert not RAW.search(message), message
    return message


def company_names(url: str) -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(sa.text("SELECT name FROM company ORDER BY id"))]
    finally:
        engine.dispose()


def damage(path: Path) -> None:
    """Random bytes over the middle of the file, where the tables' pages are."""
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.seek(size // 2)
        f.write(os.urandom(16384))


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB disk of its own (tmpfs; needs root), unmounted at the end."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("a tiny disk needs root (mount -t tmpfs)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int) -> None:
    """Fill the disk up to `leave` bytes of free space."""
    with (disk / "filler").open("wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    filler = disk / "filler"
    with filler.open("r+b") as f:
        f.truncate(max(0, filler.stat().st_size - leave))


@sqlite_only
def test_a_read_only_database_is_said_in_a_sentence(ffdesk_process: Subprocess) -> None:
    assert ffdesk_process("companies", "add", "Acme").returncode == 0
    read_only = f"sqlite:///file:{ffdesk_process.database}?mode=ro&uri=true"
    message = refused(ffdesk_process("--database", read_only, "companies", "add", "Other"))
    assert message == (
        f"ffdesk's database cannot be written ({ffdesk_process.database}): the file or its "
        "folder is read-only; give your user write permission there, nothing was changed."
    )
    listed = ffdesk_process("--database", read_only, "companies", "list")
    assert listed.returncode == 0 and "Acme" in listed.stdout  # reading still works
    assert company_names(ffdesk_process.url) == ["My Company", "Acme"]


@sqlite_only
def test_a_folder_that_does_not_exist_is_said_in_a_sentence(
    ffdesk_process: Subprocess, tmp_path: Path
) -> None:
    missing = tmp_path / "no" / "such" / "folder" / "x.db"
    done = ffdesk_process("--database", f"sqlite:///{missing}", "companies", "list")
    assert done.returncode == 3  # the command line's "cannot reach it" code
    message = done.stderr.strip()
    assert not RAW.search(message), message
    assert message == (
        f"ffdesk's database cannot be opened ({missing}): its folder does not exist or cannot "
        "be written; check the path and its permissions."
    )


@sqlite_only
def test_a_full_disk_is_said_in_a_sentence_and_the_keyring_is_left_as_it_was(
    ffdesk_process: Subprocess, tiny_disk: Path
) -> None:
    database = tiny_disk / "ffdesk.db"
    url = f"sqlite:///{database}"

    def ffdesk(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return ffdesk_process("--database", url, *argv, stdin=stdin)

    assert ffdesk("modules", "install", STRIPE).returncode == 0
    done = ffdesk("integrations", "set", STRIPE, "secret_key=-", "sandbox_mode=true", stdin="old")
    assert done.returncode == 0, done.stderr
    before = ffdesk_process.keyring()
    assert list(before.values()) == ["old"]
    # Room for the lock file (32 KB) but not for the change: the commit is refused.
    fill(tiny_disk, leave=36 * 1024)
    message = refused(
        ffdesk("integrations", "set", STRIPE, "secret_key=-", "sandbox_mode=0", stdin="new")
    )
    assert message == (
        f"The disk holding ffdesk's database is full ({database}): free some space, nothing "
        "was changed."
    )
    assert ffdesk_process.keyring() == before  # the new key was put back: all or nothing
    (tiny_disk / "filler").unlink()
    form = ffdesk("integrations", "form", STRIPE, "--json")
    fields = {f["name"]: f["value"] for f in json.loads(form.stdout)["fields"]}
    assert (fields["sandbox_mode"], fields["secret_key"]) == ("true", "set")
    with closing(sqlite3.connect(database)) as conn:
        assert conn.execute(
            "SELECT i.sandbox_mode FROM integration i JOIN module m ON m.id = i.module_id"
            " WHERE m.identifier = ?",
            (STRIPE,),
        ).fetchall() == [(1,)]


@sqlite_only
def test_a_full_disk_refuses_a_synced_row_with_a_sentence_and_keeps_nothing(
    tiny_disk: Path,
) -> None:
    """A sync's mapper rows take the short way to SQLite: a refused commit there is said too."""
    database = tiny_disk / "ffdesk.db"

    async def main() -> None:
        async with ffdesk.open_env(f"sqlite:///{database}") as system:
            await system.install_module(STRIPE)
            integration = await system.integration(STRIPE)
            Mapper = system.get_model("IntegrationMapper")

            async def link(n: int) -> None:
                await Mapper.create(
                    integration=integration.id, model="Contact", local_id=str(n), remote_id=f"c{n}"
                )

            with references_checked_once():
                await link(0)  # the integration is looked up once; the rows after go short
                fill(tiny_disk, leave=0)
                with pytest.raises(DatabaseProblem) as refused:
                    for n in range(1, 1000):  # until the WAL needs a page the disk lacks
                        await link(n)
                assert str(refused.value) == (
                    f"The disk holding ffdesk's database is full ({database}): free some space, "
                    "nothing was changed."
                )
                assert not system.db.in_transaction()
                (tiny_disk / "filler").unlink()
                kept = await Mapper.count()
                await link(1000)  # the refusal left nothing open
            assert await Mapper.count() == kept + 1

    asyncio.run(main())
    with closing(sqlite3.connect(database)) as conn:
        local_ids = {r[0] for r in conn.execute("SELECT local_id FROM integration_mapper")}
    # Every row before the refused one was committed; the refused one is not there.
    assert local_ids == {str(n) for n in range(len(local_ids) - 1)} | {"1000"}


@postgresql_only
def test_a_refused_commit_leaves_the_keyring_as_it_was(ffdesk_process: Subprocess) -> None:
    def ffdesk(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return ffdesk_process(*argv, stdin=stdin)

    assert ffdesk("modules", "install", STRIPE).returncode == 0
    done = ffdesk("integrations", "set", STRIPE, "secret_key=-", "sandbox_mode=true", stdin="old")
    assert done.returncode == 0, done.stderr
    before = ffdesk_process.keyring()
    # A check the server makes only at COMMIT (a deferred constraint trigger): every
    # statement of the save succeeds, then the commit is refused.
    engine = sa.create_engine(ffdesk_process.url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$"
            )
        )
        conn.execute(
            sa.text(
                "CREATE CONSTRAINT TRIGGER refuse_commit AFTER UPDATE ON integration "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
        )
    engine.dispose()
    failed = ffdesk(
        "integrations", "set", STRIPE, "secret_key=-", "sandbox_mode=false", stdin="new"
    )
    assert failed.returncode == 1
    assert ffdesk_process.keyring() == before  # the new key was put back: all or nothing


@sqlite_only
def test_another_program_holding_the_lock_is_said_in_a_sentence(
    ffdesk_process: Subprocess,
) -> None:
    assert ffdesk_process("companies", "add", "Acme").returncode == 0
    with closing(sqlite3.connect(ffdesk_process.database, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # held past ffdesk's 10 s wait
        message = refused(ffdesk_process("companies", "add", "Other"))
        other.execute("ROLLBACK")
    assert message == (
        f"ffdesk's database is locked by another program ({ffdesk_process.database}): wait "
        "for it to finish or close it, then try again; nothing was changed."
    )
    assert company_names(ffdesk_process.url) == ["My Company", "Acme"]


@sqlite_only
def test_a_damaged_file_is_refused_for_writing_checked_and_copied_out(
    ffdesk_process: Subprocess, tmp_path: Path
) -> None:
    assert ffdesk_process("companies", "add", "Acme").returncode == 0
    with closing(sqlite3.connect(ffdesk_process.database)) as conn, conn:
        # Enough pages that the damage lands inside a table, not in free space.
        conn.executemany(
            "INSERT INTO company (name) VALUES (?)",
            [(f"Company {n:04} " + "x" * 80,) for n in range(2000)],
        )
    check = ffdesk_process("db", "check")
    assert check.returncode == 0 and check.stdout.strip() == (
        f"ffdesk's database is healthy ({ffdesk_process.database})."
    )
    damage(ffdesk_process.database)

    message = refused(ffdesk_process("companies", "add", "Into the damage"))
    # Found at start by the quick check, or by the first read that meets the damage.
    assert message.startswith(f"ffdesk's database file is damaged ({ffdesk_process.database}): ")
    assert "`ffdesk db check`" in message and "`ffdesk db backup FILE`" in message
    found = ffdesk_process("db", "check", "--json")
    assert found.returncode == 1
    assert '"healthy": false' in found.stdout and "malformed" in found.stdout
    copy = tmp_path / "copy.db"
    backed = ffdesk_process("db", "backup", str(copy))
    assert backed.returncode == 0, backed.stderr
    assert backed.stdout.startswith(f"Backed up ffdesk's database to {copy} (")
    assert copy.read_bytes()[:16] == b"SQLite format 3\x00"
    again = refused(ffdesk_process("db", "backup", str(copy)))
    assert again == f"{copy} already exists: choose a new file name for the backup."


@sqlite_only
def test_a_backup_is_taken_while_another_program_writes(
    ffdesk_process: Subprocess, tmp_path: Path
) -> None:
    assert ffdesk_process("companies", "add", "Acme").returncode == 0
    copy = tmp_path / "backup.db"
    with closing(sqlite3.connect(ffdesk_process.database, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE company SET name = name || ' (unfinished)'")
        backed = ffdesk_process("db", "backup", str(copy))
        other.execute("ROLLBACK")
    assert backed.returncode == 0, backed.stderr
    assert company_names(f"sqlite:///{copy}") == ["My Company", "Acme"]
    checked = ffdesk_process("--database", f"sqlite:///{copy}", "db", "check")
    assert checked.returncode == 0


@pytest.mark.skipif(not ON_POSTGRESQL, reason="PostgreSQL pass")
def test_backup_of_a_postgresql_database_points_at_the_servers_tools(
    ffdesk_process: Subprocess, tmp_path: Path
) -> None:
    message = refused(ffdesk_process("db", "backup", str(tmp_path / "x.db")))
    assert "pg_dump" in message
    assert ffdesk_process("db", "check").returncode == 0
