"""The scheduler lease: one holder per database, standby take-over, a service before a window.

Runs on the database FFDESK_TEST_DATABASE_URL selects, else on a SQLite file. Two `Lease`
objects with different host names stand for two machines; their clocks are injected.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ffdesk.sync.lease import Lease, read_lease
from tests.helpers.database import database_url


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = sa.create_engine(database_url(tmp_path / "ffdesk.db"))
    yield engine
    engine.dispose()


def lease(engine: Engine, host: str, clock: Monotonic, kind: str = "service") -> Lease:
    return Lease(engine, kind=kind, ttl=20, monotonic=clock, host=host, pid=4242)


def test_one_holder_at_a_time_and_release_hands_it_on(engine: Engine) -> None:
    clock = Monotonic()
    first, second = lease(engine, "alpha", clock), lease(engine, "beta", clock)
    assert read_lease(engine) is not None and not read_lease(engine).held  # type: ignore[union-attr]
    assert first.try_acquire()
    assert not second.try_acquire()
    info = read_lease(engine)
    assert info is not None and (info.host, info.kind, info.pid) == ("alpha", "service", 4242)
    first.release()
    assert second.try_acquire()
    assert not first.try_acquire()


def test_standby_takes_over_when_the_beat_stops_for_the_ttl_by_its_own_clock(
    engine: Engine,
) -> None:
    clock = Monotonic()
    active, standby = lease(engine, "alpha", clock), lease(engine, "beta", clock)
    assert active.try_acquire()
    assert not standby.try_acquire()  # sees the beat for the first time
    for _ in range(5):  # the active beats every 5 s: the standby keeps waiting
        clock.now += 5
        assert active.renew()
        assert not standby.try_acquire()
    clock.now += 19  # the active died: no beat for 19 s...
    assert not standby.try_acquire()
    clock.now += 1  # ...and 20 s
    assert standby.try_acquire()
    # The old holder, if it only hung, learns at its next beat that it lost the lease.
    assert not active.renew()
    assert not active.held
    info = read_lease(engine)
    assert info is not None and info.host == "beta"


def test_a_dead_process_on_the_same_host_is_replaced_at_once(engine: Engine) -> None:
    clock = Monotonic()
    dead = Lease(engine, host="alpha", monotonic=clock, pid=2**22 + 12345)  # no such process
    assert dead.try_acquire()
    other = Lease(engine, host="alpha", monotonic=clock)
    assert other.try_acquire()


def test_the_background_service_takes_the_lease_from_a_window(engine: Engine) -> None:
    clock = Monotonic()
    window = lease(engine, "desk", clock, kind="window")
    service = lease(engine, "desk-server", clock, kind="service")
    assert window.try_acquire()
    assert service.try_acquire()
    assert not window.try_acquire()  # the window stops scheduling and says who does
    info = read_lease(engine)
    assert info is not None and info.kind == "service"
    # A second window never takes it from the service.
    assert not lease(engine, "laptop", clock, kind="window").try_acquire()
