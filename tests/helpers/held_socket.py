"""A local TCP server that accepts connections and never answers: held until released, or
closed at once; it counts the connections it accepted."""

from __future__ import annotations

import socket
import threading
from types import TracebackType


class HeldSocket:
    """Accepts on 127.0.0.1; `hold=True` keeps each connection open until `release()`,
    `hold=False` closes it as soon as it is accepted. `accepted` counts connections."""

    def __init__(self, *, hold: bool = True) -> None:
        self.hold = hold
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> HeldSocket:
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                if self.hold:
                    self._held.append(conn)
                    continue
            conn.close()

    def release(self) -> None:
        """Close the held connections (the client sees them closed without an answer); later
        connections are closed at once."""
        with self._lock:
            self.hold = False
            held, self._held = self._held, []
        for conn in held:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self.release()
        self._thread.join(timeout=2)
        self._server.close()

    def __enter__(self) -> HeldSocket:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def refused_url() -> str:
    """An address on this machine where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
