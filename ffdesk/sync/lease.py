"""The scheduler lease: one row per database says which process runs the schedules.

Exactly one scheduler per database: the holder beats every few seconds; a standby takes the
lease over when the holder's process is gone (same host) or its beat counter has not moved
for `ttl` seconds by the standby's own clock (so clocks of two machines need not agree). Every
change is one conditional UPDATE, atomic on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

LEASE_TABLE = "ffdesk_scheduler_lease"
LEASE_NAME = "scheduler"
LEASE_TTL = 20.0  # seconds without a beat before a standby takes over (plus one poll: < 30 s)
BEAT_INTERVAL = 5.0
HOST = socket.gethostname()

_metadata = sa.MetaData()
lease_table = sa.Table(
    LEASE_TABLE,
    _metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("holder", sa.String(64), nullable=True),
    sa.Column("kind", sa.String(16), nullable=True),
    sa.Column("host", sa.String(255), nullable=True),
    sa.Column("pid", sa.BigInteger, nullable=True),
    sa.Column("since", sa.DateTime, nullable=True),
    sa.Column("heartbeat", sa.DateTime, nullable=True),
    sa.Column("beat", sa.BigInteger, nullable=False, default=0),
)


@dataclass(frozen=True)
class LeaseInfo:
    """Who holds the lease, as `scheduler status` and the window show it."""

    holder: str | None
    kind: str | None
    host: str | None
    pid: int | None
    since: datetime | None
    heartbeat: datetime | None
    beat: int

    @property
    def held(self) -> bool:
        return self.holder is not None


def _process_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


class Lease:
    """This process's claim on the lease. `kind` is "service" (the background scheduler) or
    "window"; a service may take the lease from a window, which then stops scheduling."""

    def __init__(
        self,
        engine: Engine,
        *,
        kind: str = "service",
        ttl: float = LEASE_TTL,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], datetime] = datetime.now,
        host: str = HOST,
        pid: int | None = None,
    ) -> None:
        self.engine = engine
        self.kind = kind
        self.ttl = ttl
        self.monotonic = monotonic
        self.clock = clock
        self.host = host
        self.pid = pid if pid is not None else os.getpid()
        self.token = uuid.uuid4().hex
        self.held = False
        # The holder's beat as this process last saw it, and when (by this process's clock).
        self._seen: tuple[str | None, int] | None = None
        self._seen_at = 0.0
        lease_table.create(engine, checkfirst=True)
        self._ensure_row()

    def _ensure_row(self) -> None:
        with self.engine.begin() as conn:
            found = conn.execute(
                sa.select(lease_table.c.name).where(lease_table.c.name == LEASE_NAME)
            ).first()
            if found is not None:
                return
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.insert(lease_table).values(name=LEASE_NAME, beat=0))
        except IntegrityError:
            pass  # another process made it first

    def read(self) -> LeaseInfo:
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(lease_table).where(lease_table.c.name == LEASE_NAME)).one()
        return LeaseInfo(
            row.holder, row.kind, row.host, row.pid, row.since, row.heartbeat, int(row.beat or 0)
        )

    def _holder_gone(self, info: LeaseInfo) -> bool:
        if info.holder is None:
            return True
        if info.host == self.host and info.pid != self.pid and not _process_alive(info.pid):
            return True
        seen = (info.holder, info.beat)
        now = self.monotonic()
        if seen != self._seen:
            self._seen, self._seen_at = seen, now
            return False
        return now - self._seen_at >= self.ttl

    def try_acquire(self) -> bool:
        """Take the lease if it is free, its holder is gone, or a window holds it and this is
        the service; renew it if held. Returns whether this process holds it now."""
        if self.held:
            return self.renew()
        info = self.read()
        if info.holder == self.token:
            self.held = True
            return self.renew()
        preempt = self.kind == "service" and info.kind == "window"
        if not (preempt or self._holder_gone(info)):
            return False
        now = self.clock()
        condition = lease_table.c.name == LEASE_NAME
        condition &= (
            lease_table.c.holder.is_(None)
            if info.holder is None
            else (lease_table.c.holder == info.holder) & (lease_table.c.beat == info.beat)
        )
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.update(lease_table)
                .where(condition)
                .values(
                    holder=self.token,
                    kind=self.kind,
                    host=self.host,
                    pid=self.pid,
                    since=now,
                    heartbeat=now,
                    beat=lease_table.c.beat + 1,
                )
            )
        self.held = result.rowcount == 1
        return self.held

    def renew(self) -> bool:
        """Beat; False (and no longer held) when another process took the lease."""
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.update(lease_table)
                .where((lease_table.c.name == LEASE_NAME) & (lease_table.c.holder == self.token))
                .values(heartbeat=self.clock(), beat=lease_table.c.beat + 1)
            )
        self.held = result.rowcount == 1
        return self.held

    def release(self) -> None:
        if not self.held:
            return
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(lease_table)
                .where((lease_table.c.name == LEASE_NAME) & (lease_table.c.holder == self.token))
                .values(holder=None, kind=None, host=None, pid=None, beat=lease_table.c.beat + 1)
            )
        self.held = False


def read_lease(engine: Engine) -> LeaseInfo | None:
    """The lease as stored, or None when no scheduler ever ran on this database."""
    if not sa.inspect(engine).has_table(LEASE_TABLE):
        return None
    with engine.begin() as conn:
        row = conn.execute(sa.select(lease_table).where(lease_table.c.name == LEASE_NAME)).first()
    if row is None:
        return None
    return LeaseInfo(
        row.holder, row.kind, row.host, row.pid, row.since, row.heartbeat, int(row.beat or 0)
    )
