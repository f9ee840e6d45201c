"""A connection test asked for by a person: one quick attempt, never a retry policy's patience.

A sync retries a refused or dropped connection with backoff (the provider may be restarting);
someone who clicked "Test connection" wants the answer now. While `probing()` is active, every
`ProviderClient` made in that task (OAuth sessions included) takes a failure without any
answer (refused, dropped, timed out) as final, gives up connecting after `Probe.connect`
seconds, retries a 5xx only after short pauses and waits out a rate limit only briefly.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Probe:
    """The limits of one interactive connection test, in seconds."""

    connect: float = 2.0
    read: float = 10.0
    deadline: float = 15.0
    backoff_max: float = 0.5
    rate_limit_patience: float = 5.0


PROBE: contextvars.ContextVar[Probe | None] = contextvars.ContextVar("ffdesk_probe", default=None)


@contextmanager
def probing(probe: Probe | None = None) -> Iterator[Probe]:
    """Make the clients created inside behave as an interactive connection test."""
    probe = probe or Probe()
    token = PROBE.set(probe)
    try:
        yield probe
    finally:
        PROBE.reset(token)
