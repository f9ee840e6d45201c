"""A small HTTP proxy for tests: CONNECT tunnels (https) and absolute-URI forwarding (http).

It records the request line of everything it carries, so a test can tell that a request went
through it (or, with NO_PROXY, that it did not).
"""

from __future__ import annotations

import select
import socket
import socketserver
import threading
from types import TracebackType
from urllib.parse import urlsplit


class _Handler(socketserver.StreamRequestHandler):
    server: _ProxyServer

    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(65536)
            if not chunk:
                return
            head += chunk
        header, _, rest = head.partition(b"\r\n\r\n")
        request_line = header.split(b"\r\n", 1)[0].decode("latin-1")
        self.server.log.append(request_line)
        method, target, _version = request_line.split(" ", 2)
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = socket.create_connection((host, int(port)), timeout=10)
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
        else:
            url = urlsplit(target)
            upstream = socket.create_connection((url.hostname, url.port or 80), timeout=10)
            path = (url.path or "/") + (f"?{url.query}" if url.query else "")
            lines = header.split(b"\r\n")
            lines[0] = f"{method} {path} {_version}".encode("latin-1")
            # One request per connection keeps the relay simple.
            lines = [
                line for line in lines if not line.lower().startswith((b"connection:", b"proxy-"))
            ]
            lines.append(b"Connection: close")
            upstream.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + rest)
        self._relay(upstream)

    def _relay(self, upstream: socket.socket) -> None:
        sockets = [self.request, upstream]
        try:
            while True:
                ready, _, _ = select.select(sockets, [], [], 10)
                if not ready:
                    return
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is self.request else self.request).sendall(data)
        finally:
            upstream.close()


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.log: list[str] = []


class LocalProxy:
    """`with LocalProxy() as proxy:` -> `proxy.url`; `proxy.log` holds the request lines."""

    def __init__(self) -> None:
        self._server = _ProxyServer()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def log(self) -> list[str]:
        return self._server.log

    def __enter__(self) -> LocalProxy:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
