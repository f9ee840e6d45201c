"""A small asyncio HTTP/1.1 server that misbehaves on purpose, on the caller's own loop.

It limits requests with a token bucket as providers do (429, with or without Retry-After),
answers 5xx (with or without `Stripe-Should-Retry`), fails one path for ever, drips an answer
one byte at a time, or sends a huge body generated lazily. The tests of the HTTP layer and
`bench/bench_rate_limit.py` use it.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Body = bytes | AsyncIterator[bytes]


@dataclass
class Answer:
    """What the server sends back: status, headers and a body (bytes or chunks made lazily)."""

    status: int = 200
    body: Body = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    length: int | None = None  # Content-Length of a lazy body; chunked when None


Handler = Callable[[str, str, dict[str, str], bytes], Awaitable[Answer | None]]


class TokenBucket:
    """`rate` requests per second, `burst` at once: what a provider's rate limiter allows."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._updated = time.monotonic()

    def take(self) -> float | None:
        """None when the request may go, else the seconds until a token is free."""
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        return (1 - self._tokens) / self.rate


def limited(
    rate: float, *, burst: float | None = None, retry_after: bool = True, body: bytes = b"{}"
) -> tuple[Handler, dict[str, int]]:
    """A handler allowing `rate` requests/s; 429 past it. Returns it and its counters."""
    bucket = TokenBucket(rate, burst if burst is not None else rate)
    counts = {"ok": 0, "429": 0}

    async def handle(method: str, target: str, headers: dict[str, str], data: bytes) -> Answer:
        wait = bucket.take()
        if wait is None:
            counts["ok"] += 1
            return Answer(200, body)
        counts["429"] += 1
        extra = {"Retry-After": str(max(1, math.ceil(wait)))} if retry_after else {}
        return Answer(429, b'{"error": {"message": "Too many requests"}}', extra)

    return handle, counts


class HostileServer:
    """`async with HostileServer(handler) as server:` serves on 127.0.0.1 at `server.url`.

    The handler gets (method, target, headers, body) and returns an Answer, or None to close
    the connection without a byte of answer. `requests` counts what arrived.
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests = 0
        self.url = ""
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    async def __aenter__(self) -> HostileServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                lines = head.split("\r\n")
                method, target, _version = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip()
                    for k, v in (line.split(":", 1) for line in lines[1:] if line)
                }
                data = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests += 1
                answer = await self.handler(method, target, headers, data)
                if answer is None:
                    break
                await self._answer(writer, answer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            # The client went away (several tests do it on purpose), or the server is closing:
            # end quietly rather than leave asyncio a cancelled task to complain about.
            pass
        finally:
            writer.close()
            self._tasks.discard(task)

    async def _answer(self, writer: asyncio.StreamWriter, answer: Answer) -> None:
        head = [f"HTTP/1.1 {answer.status} X", "Content-Type: application/json"]
        head += [f"{k}: {v}" for k, v in answer.headers.items()]
        if isinstance(answer.body, bytes):
            head.append(f"Content-Length: {len(answer.body)}")
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + answer.body)
            await writer.drain()
            return
        chunked = answer.length is None
        head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {answer.length}")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        async for chunk in answer.body:
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk)
            await writer.drain()
        if chunked:
            writer.write(b"0\r\n\r\n")
        await writer.drain()


async def drip(first: bytes = b"{", every: float = 2.0) -> AsyncIterator[bytes]:
    """A body that never ends: one byte every `every` seconds."""
    yield first
    while True:
        await asyncio.sleep(every)
        yield b" "


async def huge(size: int, chunk: int = 64 * 1024) -> AsyncIterator[bytes]:
    """`size` bytes of a JSON-looking body, made one chunk at a time (never held whole)."""
    block = b" " * chunk
    yield b'{"data": ['
    sent = 10
    while sent < size:
        part = block[: min(chunk, size - sent)]
        sent += len(part)
        yield part
