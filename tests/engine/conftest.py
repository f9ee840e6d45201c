"""Fixtures of the engine tests: a database file per test, with `env_ctx` set."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from ffdesk.engine.env import Environment, env_ctx
from ffdesk.engine.model import Model
from tests.engine.helpers import MemorySecrets, build_env

MakeEnv = Callable[..., Environment]


@pytest.fixture
def make_env(tmp_path: Path) -> Iterator[MakeEnv]:
    """`make_env([Decl, ...], name="db")`: build a database file and make it the current env.

    Calling it again with the same name reopens the same file with a new registry (an
    upgrade). Every database is disposed and `env_ctx` restored at the end of the test.
    """
    envs: list[Environment] = []
    tokens = []

    def make(
        declarations: Sequence[type[Model]] = (),
        *,
        name: str = "db",
        secrets: MemorySecrets | None = None,
    ) -> Environment:
        env = build_env(tmp_path / f"{name}.sqlite", declarations, secrets=secrets)
        envs.append(env)
        tokens.append(env_ctx.set(env))
        return env

    yield make
    for token in reversed(tokens):
        env_ctx.reset(token)
    for env in envs:
        env.db.dispose()
