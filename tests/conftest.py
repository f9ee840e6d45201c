"""Shared fixtures: offscreen Qt, an in-memory keyring and one qasync loop for the session."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists

import keyring
import pytest
import qasync

from ffdesk.redaction import forget_all
from ffdesk.sync.http import forget_limiters
from tests.helpers.memory_keyring import MemoryKeyring


@pytest.fixture(autouse=True)
def _fresh_redaction() -> Iterator[None]:
    # The registry of known secrets is process-wide: a short test secret such as "rejected"
    # would otherwise mask that word in every later test's messages.
    yield
    forget_all()
    # Rate limiters are per provider account and process-wide too: a rate one test's 429s
    # lowered would slow the next test that uses the same local port.
    forget_limiters()


@pytest.fixture(autouse=True)
def memory_keyring(request: pytest.FixtureRequest) -> Iterator[MemoryKeyring | None]:
    if request.node.get_closest_marker("secret_service"):
        yield None
        return
    previous = keyring.get_keyring()
    kr = MemoryKeyring()
    keyring.set_keyring(kr)
    yield kr
    keyring.set_keyring(previous)


# One qasync loop per session in "already running" mode: every Qt event pump
# (qtbot.wait / waitSignal / waitUntil) also runs asyncio tasks, so @asyncSlot
# handlers work from ordinary sync pytest-qt tests (RUNTIME.md).
@pytest.fixture(scope="session")
def _session_qloop(qapp: Any) -> Iterator[qasync.QEventLoop]:
    loop = qasync.QEventLoop(qapp, already_running=True)
    executor = qasync.QThreadExecutor(4)  # own it: unshut QThreads abort the process at exit
    loop.set_default_executor(executor)
    yield loop
    executor.shutdown()  # never loop.stop()/qapp.quit() in tests
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)


@pytest.fixture
def qloop(request: pytest.FixtureRequest) -> Iterator[qasync.QEventLoop]:
    loop = request.getfixturevalue("_session_qloop")
    qtbot = request.getfixturevalue("qtbot")
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    asyncio.set_event_loop(loop)
    asyncio.events._set_running_loop(loop)
    yield loop
    leftovers = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in leftovers:
        t.cancel()
    if leftovers:
        qtbot.waitUntil(lambda: all(t.done() for t in leftovers), timeout=5000)
    asyncio.events._set_running_loop(None)
    loop.set_exception_handler(None)
    if errors:
        pytest.fail(f"unhandled exceptions on the asyncio loop: {errors}")


@pytest.fixture
def arun(qloop: qasync.QEventLoop, qtbot: Any) -> Callable[..., Any]:
    """Run a coroutine from a sync test: arun(coro, timeout=ms) -> result."""

    def _run(coro: Coroutine[Any, Any, Any], timeout: int = 10000) -> Any:
        task = asyncio.ensure_future(coro)
        qtbot.waitUntil(task.done, timeout=timeout)
        return task.result()

    return _run
