"""Threaded local HTTP server base for fake provider APIs: routing, request log, fault injection."""

from __future__ import annotations

import http
import json
import re
import socket
import socketserver
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

# What a handler returns: (status, headers, body). The body may be bytes (sent as is), str
# (text/plain), None (empty) or anything JSON-serialisable (application/json).
Response = tuple[int, Mapping[str, str], Any]
Handler = Callable[["Request"], Response]
F = TypeVar("F", bound=Callable[..., Any])

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

_REASONS = {status.value: status.phrase for status in http.HTTPStatus}
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
_BRACKETS_ONLY = re.compile(r"(?:\[[^\[\]]*\])+")


def split_key(key: str) -> list[str]:
    """Split a bracketed form key: `a[b][c]` -> ["a", "b", "c"], `a[]` -> ["a", ""]."""
    start = key.find("[")
    if start <= 0 or not _BRACKETS_ONLY.fullmatch(key, start):
        return [key]  # plain or malformed keys are taken literally
    return [key[:start], *_BRACKETS.findall(key, start)]


def parse_nested(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Decode Stripe/Rack-style form pairs into nested dicts.

    `metadata[local_id]=5` -> {"metadata": {"local_id": "5"}}; `expand[]=a&expand[]=b` ->
    {"expand": ["a", "b"]}. Indexed keys (`items[0][price]`) stay dicts keyed "0", "1", ...
    because only the endpoint knows whether a parameter is an array or a hash (Stripe metadata
    keys may well be digits). A later scalar replaces an earlier hash and vice versa.
    """
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = split_key(key)
        node: Any = root
        last_index = len(parts) - 1
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if i + 1 == last_index and parts[-1] == "":
                if not isinstance(child, list):
                    child = node[part] = []
            elif not isinstance(child, dict):
                child = node[part] = {}
            node = child
        if isinstance(node, list):
            node.append(value)
        else:
            node[parts[-1]] = value
    return root


class Headers(dict[str, str]):
    """Request headers keyed by lower-cased name; lookups ignore case."""

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)


class HttpError(Exception):
    """Raised by a handler to answer with this response straight away."""

    def __init__(
        self, status: int, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})

    @property
    def response(self) -> Response:
        return self.status, self.headers, self.body


class Request:
    """One received HTTP request as handed to route handlers; body decodings are lazy."""

    def __init__(self, method: str, target: str, headers: Headers, body: bytes) -> None:
        self.method = method
        self.target = target  # the raw request target, query string included
        split = urlsplit(target)
        self.path = unquote(split.path)
        self.query_string = split.query
        self.headers = headers
        self.body = body
        self.path_params: dict[str, str] = {}  # named groups of the matched route

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.target}>"

    @cached_property
    def query_pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)

    @cached_property
    def query(self) -> dict[str, list[str]]:
        """Every query parameter with all its values, in order (`?a=1&a=2` -> {"a": ["1", "2"]})."""
        out: dict[str, list[str]] = {}
        for key, value in self.query_pairs:
            out.setdefault(key, []).append(value)
        return out

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter `name`."""
        values = self.query.get(name)
        return values[0] if values else default

    @cached_property
    def nested_query(self) -> dict[str, Any]:
        """The query decoded like a form body (`created[gte]=1` -> {"created": {"gte": "1"}})."""
        return parse_nested(self.query_pairs)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @cached_property
    def form_pairs(self) -> list[tuple[str, str]]:
        """Raw (key, value) pairs of an x-www-form-urlencoded body, [] for other bodies."""
        if not self.body or self.content_type != FORM_CONTENT_TYPE:
            return []
        return parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)

    @cached_property
    def form(self) -> dict[str, Any]:
        """The form body decoded with nested keys (see `parse_nested`)."""
        return parse_nested(self.form_pairs)

    @cached_property
    def json(self) -> Any:
        """The body parsed as JSON (None when empty or not JSON); malformed JSON answers 400."""
        content_type = self.content_type
        if not self.body or (content_type and not content_type.endswith("json")):
            return None
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise HttpError(400, {"error": f"malformed JSON body: {exc}"}) from None


def route(method: str, pattern: str) -> Callable[[F], F]:
    """Mark a FakeServer method as handler of `method` requests whose path fullmatches `pattern`.

    Use named groups for path parameters; they land in `request.path_params`. Method "*" matches
    any method.
    """

    def mark(func: F) -> F:
        func.__dict__.setdefault("_fake_routes", []).append((method.upper(), pattern))
        return func

    return mark


def render(status: int, headers: Mapping[str, str] | None, body: Any) -> tuple[int, dict, bytes]:
    """Encode a handler's response to (status, headers, bytes) with a Content-Type."""
    out = {k: v for k, v in (headers or {}).items() if k.lower() != "content-length"}
    if body is None:
        return status, out, b""
    if isinstance(body, bytes):
        data, content_type = body, "application/octet-stream"
    elif isinstance(body, str):
        data, content_type = body.encode(), "text/plain; charset=utf-8"
    else:
        data, content_type = json.dumps(body, separators=(",", ":")).encode(), "application/json"
    if not any(k.lower() == "content-type" for k in out):
        out["Content-Type"] = content_type
    return status, out, data


@dataclass
class _Fault:
    kind: str  # "fail", "drop" or "delay"
    remaining: int
    path_prefix: str | None
    method: str | None
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    after: bool = False  # drop only: handle the request first, then lose the answer

    def matches(self, request: Request) -> bool:
        return (self.method is None or self.method == request.method) and (
            self.path_prefix is None or request.path.startswith(self.path_prefix)
        )


class FakeServer:
    """Base of the local fake provider APIs.

    A `ThreadingHTTPServer` (HTTP/1.1, keep-alive) on 127.0.0.1 with an ephemeral port, served
    from a daemon thread. Subclasses declare handlers with `@route(method, regex)` and keep their
    state under `self.lock`, which is held while a handler runs: handlers are serialised, so state
    changes (check-then-create, idempotency) are atomic without further locking. Tests inject
    faults (`fail_next`, `drop_next`, `delay_next`), read the request log (`log`, `requests`,
    `count`) and block on `wait_for(predicate)` instead of sleeping.
    """

    host = "127.0.0.1"

    def __init__(self, *, port: int = 0, record_requests: bool = True) -> None:
        self.lock = threading.RLock()
        # Notified after every request (and by `notify`), so waiters re-check their predicate.
        self._changed = threading.Condition(self.lock)
        self.record_requests = record_requests
        self.log: list[tuple[str, str]] = []  # (method, path) of every request received
        self.requests: list[Request] = []  # the full requests, when record_requests
        self.errors: list[str] = []  # tracebacks of handler crashes (answered with 500)
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = self._class_routes()
        self._faults: list[_Fault] = []
        # Paths whose listing is frozen: every GET answers what the first one did.
        self._frozen: dict[str, tuple[int, dict[str, str], bytes] | None] = {}
        self._port = port
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._conns: dict[socket.socket, threading.Thread] = {}
        self._conns_lock = threading.Lock()

    def _class_routes(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        # Walk the MRO base-first so a subclass re-decorating a method name replaces its routes;
        # getattr binds the most derived override.
        by_name: dict[str, list[tuple[str, str]]] = {}
        for klass in reversed(type(self).__mro__):
            for name, attr in vars(klass).items():
                marks = getattr(attr, "_fake_routes", None)
                if marks:
                    by_name.pop(name, None)
                    by_name[name] = marks
        return [
            (method, re.compile(pattern), getattr(self, name))
            for name, marks in by_name.items()
            for method, pattern in marks
        ]

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        """Start serving in a daemon thread; a restarted server keeps its port."""
        if self._httpd is not None:
            raise RuntimeError(f"{type(self).__name__} already started")
        self._stopping = threading.Event()
        httpd = _HTTPServer((self.host, self._port), _RequestHandler)
        httpd.fake = self
        self._httpd = httpd
        self._port = httpd.server_address[1]
        # A short poll interval keeps stop() quick; the cost is a 20 Hz select() on idle.
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{self._port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, interrupt delayed answers and close idle keep-alive connections."""
        httpd = self._httpd
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.server_close()
        with self._conns_lock:
            conns = list(self._conns.items())
        for conn, _thread in conns:
            # Handler threads otherwise sit in readline() on keep-alive sockets forever.
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for _conn, thread in conns:
            thread.join(timeout=2)
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._httpd = None
        self._thread = None
        self.notify()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._port

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. http://127.0.0.1:54321."""
        return f"http://{self.host}:{self.port}"

    # -- routing -----------------------------------------------------------------------------

    def add_route(self, method: str, pattern: str, handler: Handler) -> None:
        """Add a route ahead of the existing ones, so tests can override a class route."""
        with self.lock:
            self.routes.insert(0, (method.upper(), re.compile(pattern), handler))

    def handle(self, request: Request) -> Response:
        """Answer one request, with `lock` held; subclasses wrap this for auth and the like."""
        for method, pattern, handler in self.routes:
            match = pattern.fullmatch(request.path)
            if match is not None and method in (request.method, "*"):
                request.path_params = match.groupdict()
                try:
                    return handler(request)
                except HttpError as exc:
                    return exc.response
        return self.not_found(request)

    def not_found(self, request: Request) -> Response:
        """The answer for a request no route takes; providers override it with their shape."""
        return 404, {}, {"error": f"no route for {request.method} {request.path}"}

    def fault_body(self, status: int, request: Request) -> Any:
        """The body of an injected failure when `fail_next` got none; providers override it."""
        return {"error": _REASONS.get(status, "injected failure")}

    # -- fault injection ---------------------------------------------------------------------

    def fail_next(
        self,
        n: int = 1,
        status: int = 500,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        *,
        path_prefix: str | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next `n` matching requests with `status` instead of handling them.

        E.g. `fail_next(2, 429, headers={"Retry-After": "0"})`. Without `body`, the provider's
        `fault_body(status)` is sent. Failed requests change no state and are still logged.
        """
        self._add_fault(
            _Fault("fail", n, path_prefix, _upper(method), status, body, dict(headers or {}))
        )

    def drop_next(
        self,
        n: int = 1,
        *,
        path_prefix: str | None = None,
        method: str | None = None,
        after: bool = False,
    ) -> None:
        """Close the connection of the next `n` matching requests without any answer.

        With `after=True` the request is handled first (a customer is created, say) and only
        the answer is lost, as when a network cut or a killed process hits mid-request.
        """
        self._add_fault(_Fault("drop", n, path_prefix, _upper(method), after=after))

    def delay_next(
        self,
        n: int = 1,
        seconds: float = 1.0,
        *,
        path_prefix: str | None = None,
        method: str | None = None,
    ) -> None:
        """Hold the answer of the next `n` matching requests for `seconds`; stop() cuts it short."""
        self._add_fault(_Fault("delay", n, path_prefix, _upper(method), seconds=seconds))

    def freeze_listing(self, path: str) -> None:
        """Make GET `path` answer, whatever its query, exactly what it answered the first time.

        A listing whose cursor never moves: the same page, with the same "there is more" and
        the same next cursor, for ever.
        """
        with self.lock:
            self._frozen[path] = None

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    @property
    def pending_faults(self) -> int:
        """How many injected faults are still waiting for a request."""
        with self.lock:
            return sum(f.remaining for f in self._faults)

    def _add_fault(self, fault: _Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("n must be at least 1")
        with self.lock:
            self._faults.append(fault)

    def _take_fault(self, request: Request, kinds: tuple[str, ...]) -> _Fault | None:
        for i, fault in enumerate(self._faults):
            if fault.kind in kinds and fault.matches(request):
                fault.remaining -= 1
                if fault.remaining == 0:
                    del self._faults[i]
                return fault
        return None

    # -- observation -------------------------------------------------------------------------

    def count(self, method: str | None = None, path_prefix: str = "") -> int:
        """How many requests arrived with `method` (any if None) on a path starting with prefix."""
        method = _upper(method)
        with self.lock:
            return sum(
                1
                for m, p in self.log
                if (method is None or m == method) and p.startswith(path_prefix)
            )

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()
            self.requests.clear()

    def wait_for(self, predicate: Callable[[], object], timeout: float = 5.0) -> bool:
        """Block until `predicate()` is true, re-checked after every request; False on timeout.

        The predicate runs with `lock` held, so it sees consistent state.
        """
        with self._changed:
            return bool(self._changed.wait_for(predicate, timeout))

    def notify(self) -> None:
        """Wake `wait_for` callers; for helpers that change state outside a request."""
        with self._changed:
            self._changed.notify_all()

    # -- request processing (handler threads) ------------------------------------------------

    def _serve(self, request: Request) -> tuple[int, dict[str, str], bytes] | None:
        """Log, apply faults and handle one request; None means: close without answering."""
        with self.lock:
            self.log.append((request.method, request.path))
            if self.record_requests:
                self.requests.append(request)
            delay = fault = None
            if self._faults:
                delay = self._take_fault(request, ("delay",))
                fault = self._take_fault(request, ("fail", "drop"))
            self._changed.notify_all()
        # Wait outside the lock so other requests go on; stop() sets the event to cut it short.
        if delay is not None and self._stopping.wait(delay.seconds):
            return None
        if fault is not None and not fault.after:
            if fault.kind == "drop":
                return None
            body = fault.body if fault.body is not None else self.fault_body(fault.status, request)
            return render(fault.status, fault.headers, body)
        frozen = request.method == "GET" and request.path in self._frozen
        with self.lock:
            answer = self._frozen.get(request.path) if frozen else None
            if answer is not None:
                return answer
            try:
                response = render(*self.handle(request))
            except HttpError as exc:
                response = render(*exc.response)
            except Exception:
                trace = traceback.format_exc()
                self.errors.append(trace)
                response = render(500, {}, f"{type(self).__name__} crashed:\n{trace}")
            if frozen:
                self._frozen[request.path] = response
            self._changed.notify_all()
        return None if fault is not None else response

    def _track(self, conn: socket.socket) -> None:
        with self._conns_lock:
            self._conns[conn] = threading.current_thread()

    def _untrack(self, conn: socket.socket) -> None:
        with self._conns_lock:
            self._conns.pop(conn, None)


def _upper(method: str | None) -> str | None:
    return method.upper() if method else None


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() closes the connections itself
    request_queue_size = 128  # bursts of new connections must not be refused
    fake: FakeServer

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, which can stall on a bad resolver.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up (timeouts, drops, stop()) are routine here and not worth a traceback.
        if isinstance(sys.exc_info()[1], OSError):
            return
        with self.fake.lock:
            self.fake.errors.append(traceback.format_exc())


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ffdesk-fake"
    # One write per answer anyway; no Nagle so small answers never wait for a delayed ACK.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep stderr quiet: benchmarks send tens of thousands of requests

    def _dispatch(self) -> None:
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        headers = Headers()
        for name, value in self.headers.items():
            name = name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        result = self.server.fake._serve(Request(self.command, self.path, headers, body))
        if result is None:
            self.close_connection = True
            return
        status, out_headers, data = result
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n"]
        lines += [f"{name}: {value}\r\n" for name, value in out_headers.items()]
        lines.append(f"Content-Length: {len(data)}\r\n")
        if self.close_connection:
            lines.append("Connection: close\r\n")
        lines.append("\r\n")
        # A single write: headers and body in one segment.
        self.wfile.write("".join(lines).encode("latin-1", "replace") + data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _dispatch

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline(65537).split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunk = self.rfile.read(size)
                if len(chunk) < size:
                    raise ValueError("connection closed inside a chunk")
                chunks.append(chunk)
                self.rfile.readline(65537)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        if len(body) < length:
            # The client went away mid-request (killed between writing the headers and the
            # body): a real server never handles such a request, so neither do we.
            raise ValueError(f"connection closed after {len(body)} of {length} body bytes")
        return body
