"""A sync killed mid-run keeps the counts, failures and log lines it had reached.

`ffdesk sync payment_stripe` runs as a real process and is killed with SIGKILL once its run
record shows progress; the interrupted run then says how far it got, in `ffdesk runs` and in
the run's detail, instead of "0 created" beside dozens of mapped contacts.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.fakes.stripe import FakeStripe
from tests.helpers.stripe_env import db_url, run_cli, start_cli
from tests.test_stripe_kill import CONTACTS, fake, kill, ready  # noqa: F401

# Each create is held this long: 160 contacts at 8 at a time take about 8 s, far longer than
# the run needs to save its progress (every 2 s), far shorter than the 10 s heartbeat.
HOLD = 0.4
REJECTED = {"error": {"type": "invalid_request_error", "message": "Invalid email address"}}


def run_row(url: str) -> dict[str, Any] | None:
    """The newest sync run as stored (read straight from the database, as another process)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.text("SELECT state, created, failed FROM sync_run ORDER BY id DESC LIMIT 1")
            ).first()
            return None if row is None else dict(row._mapping)
    finally:
        engine.dispose()


def mapped_contacts(url: str) -> int:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.text("SELECT count(*) FROM integration_mapper WHERE model = 'Contact'")
                ).scalar_one()
            )
    finally:
        engine.dispose()


def test_killed_run_keeps_the_counts_it_had_reached(
    tmp_path: Path,
    fake: FakeStripe,  # noqa: F811
    ready: dict[str, str],  # noqa: F811
) -> None:
    url = db_url(tmp_path)
    fake.fail_next(2, 400, body=REJECTED, path_prefix="/v1/customers", method="POST")
    fake.delay_next(10 * CONTACTS, HOLD, path_prefix="/v1/customers", method="POST")
    proc: subprocess.Popen[str] = start_cli(["sync", "payment_stripe"], ready)
    try:
        assert fake.wait_for(lambda: fake.creates >= 16, timeout=60), proc.poll()

        # Progress appears in the run record while the run goes (another process reads it),
        # within seconds: not only with the heartbeat every 10 s.
        def progressed() -> bool:
            row = run_row(url)
            return row is not None and row["created"] >= 16 and row["failed"] == 2

        assert fake.wait_for(progressed, timeout=5), (run_row(url), proc.poll())
    finally:
        kill(proc)
    mapped = mapped_contacts(url)

    listed = run_cli(["runs", "payment_stripe", "--json"], ready)
    assert listed.returncode == 0, listed.stderr
    [killed] = json.loads(listed.stdout)["runs"]
    assert killed["state"] == "failed" and killed["error"].startswith("interrupted")
    # The counts it had saved: at least 16 of the contacts mapped by then, never more.
    assert 16 <= killed["created"] <= mapped < CONTACTS
    assert killed["failed"] == 2
    assert killed["pushed"]["created"] == killed["created"]
    assert all("Invalid email address" in f["reason"] for f in killed["failures"])
    assert len(killed["failures"]) == 2

    shown = run_cli(["runs", "--run", str(killed["id"])], ready)
    assert shown.returncode == 0, shown.stderr
    assert f"Run {killed['id']} of Stripe (command line): failed" in shown.stdout
    assert f"pushed    {killed['created']} created, 0 updated, 0 skipped, 2 failed" in (
        shown.stdout
    )
    assert "Failed records (2):" in shown.stdout
    assert "Invalid email address" in shown.stdout.split("Log:")[1]  # its log lines came too
