"""Fake Twilio REST API (account, messages): real shapes, Basic auth, paging, status lifecycle."""

from __future__ import annotations

import argparse
import base64
import binascii
import math
import random
import re
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from tests.fakes.harness import FakeServer, HttpError, Request, Response, route

DEFAULT_ACCOUNT_SID = "AC0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"
DEFAULT_AUTH_TOKEN = "f5fdc0ffee00f5fdc0ffee00f5fdc0ff"
MAGIC_FROM = "+15005550006"  # Twilio's "valid From number" for test credentials
INVALID_TO = "+15005550001"  # Twilio's magic "invalid To number"
API = "/2010-04-01"
DOCS = "https://www.twilio.com/docs/errors"
MAX_BODY = 1600
TRIAL_PREFIX = "Sent from your Twilio trial account - "
_ACCOUNT = r"(?P<account>AC[0-9a-fA-F]{32})"
_PHONE = re.compile(r"\+?[1-9][0-9]{6,14}")
_HEX = "0123456789abcdef"
# The lifecycle of an outbound message, one step per read (or per `advance`).
_NEXT = {"accepted": "queued", "queued": "sent", "sending": "sent", "sent": "delivered"}
FINAL = frozenset({"delivered", "undelivered", "failed", "received", "canceled", "read"})
_DATE_SENT_KEYS = ("DateSent", "DateSent<", "DateSent>")


def twilio_error(status: int, code: int | None, message: str) -> HttpError:
    """An HttpError carrying Twilio's error body."""
    return HttpError(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"{DOCS}/{code}" if code is not None else None,
            "status": status,
        },
    )


def rfc2822(ts: float) -> str:
    """Twilio's date format: `Thu, 30 Jul 2015 20:12:31 +0000`."""
    return format_datetime(datetime.fromtimestamp(int(ts), UTC))


class FakeTwilio(FakeServer):
    """A local Twilio speaking the 2010-04-01 API for an account and its messages.

    Basic auth with `account_sid:auth_token` (401 20003 otherwise); `test_credentials`, a
    second (sid, token) pair, behaves like Twilio's test credentials: messages may be created
    (From must be +15005550006) and are never kept; anything else answers 403 20008.
    Messages are listed newest first with `PageSize`/`Page`/`PageToken` and `next_page_uri`,
    filtered by `To`, `From` and `DateSent` / `DateSent<` / `DateSent>` (a message not sent yet
    has no send date and matches no DateSent filter).

    Statuses move on by themselves: every new listing (a first page) or read of one message
    first moves each unfinished outbound message one step (accepted -> queued -> sent -> delivered),
    ending as set for its number with `set_outcome` (undelivered or failed, with an error
    code). `invalid_numbers` are refused at creation with 21211. State for tests: `messages`
    (sid -> the API's dict), `creates`, `test_creates`; `add_message` seeds one, `advance`
    and `set_status` move them.
    """

    def __init__(
        self,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        *,
        friendly_name: str = "ffdesk test account",
        account_type: str = "Full",
        account_status: str = "active",
        from_numbers: Sequence[str] = (MAGIC_FROM,),
        messaging_services: Sequence[str] = (),
        test_credentials: tuple[str, str] | None = None,
        advance_on_read: bool = True,
        port: int = 0,
        seed: int | None = None,
        clock: Callable[[], float] = time.time,
        record_requests: bool = True,
    ) -> None:
        super().__init__(port=port, record_requests=record_requests)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.friendly_name = friendly_name
        self.account_type = account_type  # "Full" or "Trial"
        self.account_status = account_status  # "active", "suspended" or "closed"
        self.from_numbers = set(from_numbers)
        self.messaging_services = set(messaging_services)
        self.test_credentials = test_credentials
        self.advance_on_read = advance_on_read
        self.invalid_numbers: set[str] = {INVALID_TO}
        self.outcomes: dict[str, tuple[str, int, str]] = {}
        self.clock = clock  # source of every date; tests may pin it
        self.created = clock()
        self._rng = random.Random(seed)
        self.messages: dict[str, dict[str, Any]] = {}
        self._created_at: dict[str, float] = {}
        self._sent_at: dict[str, int] = {}
        self._seq: dict[str, int] = {}
        self.creates = 0
        self.test_creates = 0

    # -- plumbing ----------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        sid, token = _basic_credentials(request)
        accepted = {(self.account_sid, self.auth_token)}
        if self.test_credentials is not None:
            accepted.add(self.test_credentials)
        if sid is None or (sid, token) not in accepted:
            body = twilio_error(401, 20003, "Authenticate").body
            return 401, {"WWW-Authenticate": 'Basic realm="Twilio API"'}, body
        test = self.test_credentials is not None and (sid, token) == self.test_credentials
        path_sid = _account_in(request.path)
        if path_sid is not None and path_sid != sid:
            # Credentials of one account never see another account's resources.
            raise twilio_error(404, 20404, f"The requested resource {request.path} was not found")
        if test and not (request.method == "POST" and request.path.endswith("/Messages.json")):
            raise twilio_error(403, 20008, "Resource not accessible with Test Account Credentials")
        request.test_credentials = test  # type: ignore[attr-defined]
        return super().handle(request)

    def not_found(self, request: Request) -> Response:
        return twilio_error(
            404, 20404, f"The requested resource {request.path} was not found"
        ).response

    def fault_body(self, status: int, request: Request) -> Any:
        if status == 429:
            return twilio_error(429, 20429, "Too Many Requests").body
        if status == 503:
            return twilio_error(503, 20503, "Service Unavailable").body
        if status >= 500:
            return twilio_error(status, 20500, "Internal Server Error").body
        return twilio_error(status, None, f"Injected failure ({status})").body

    def _new_sid(self, prefix: str) -> str:
        while True:
            sid = prefix + "".join(self._rng.choices(_HEX, k=32))
            if sid not in self.messages:
                return sid

    # -- account -----------------------------------------------------------------------------

    @route("GET", API + rf"/Accounts/{_ACCOUNT}\.json")
    def get_account(self, request: Request) -> Response:
        sid = self.account_sid
        base = f"{API}/Accounts/{sid}"
        return (
            200,
            {},
            {
                "auth_token": self.auth_token,
                "date_created": rfc2822(self.created),
                "date_updated": rfc2822(self.created),
                "friendly_name": self.friendly_name,
                "owner_account_sid": sid,
                "sid": sid,
                "status": self.account_status,
                "subresource_uris": {
                    "calls": f"{base}/Calls.json",
                    "incoming_phone_numbers": f"{base}/IncomingPhoneNumbers.json",
                    "messages": f"{base}/Messages.json",
                },
                "type": self.account_type,
                "uri": f"{base}.json",
            },
        )

    # -- messages ----------------------------------------------------------------------------

    @route("POST", API + rf"/Accounts/{_ACCOUNT}/Messages\.json")
    def create_message(self, request: Request) -> Response:
        form = dict(request.form_pairs)
        to = (form.get("To") or "").strip()
        sender = (form.get("From") or "").strip()
        service = (form.get("MessagingServiceSid") or "").strip()
        body = form.get("Body") or ""
        test = bool(getattr(request, "test_credentials", False))
        if not to:
            raise twilio_error(400, 21604, "A 'To' phone number is required.")
        if not sender and not service:
            raise twilio_error(400, 21603, "A 'From' phone number is required.")
        if not body and not form.get("MediaUrl"):
            raise twilio_error(400, 21602, "Message body is required.")
        if to in self.invalid_numbers or not _PHONE.fullmatch(to):
            raise twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if len(body) > MAX_BODY:
            raise twilio_error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        if service:
            if test or service not in self.messaging_services:
                raise twilio_error(400, 21701, f"The Messaging Service Sid {service} is invalid.")
        elif sender not in ({MAGIC_FROM} if test else self.from_numbers):
            raise twilio_error(
                400,
                21606,
                f"The From phone number {sender} is not a valid, SMS-capable inbound phone "
                "number or short code for your account.",
            )
        if self.account_type == "Trial":
            body = TRIAL_PREFIX + body
        message = self._new_message(
            to=to,
            sender=sender or None,
            service=service or None,
            body=body,
            status="accepted" if service else "queued",
            direction="outbound-api",
            keep=not test,  # test credentials never keep, send or charge anything
        )
        if test:
            self.test_creates += 1
        else:
            self.creates += 1
        return 201, {}, message

    @route("GET", API + rf"/Accounts/{_ACCOUNT}/Messages\.json")
    def list_messages(self, request: Request) -> Response:
        if self.advance_on_read and not request.arg("PageToken"):
            self._advance_all()  # once per listing: its later pages show the same moment
        page_size = _int_arg(request, "PageSize", 50)
        if not 1 <= page_size <= 1000:
            raise twilio_error(400, 20001, "PageSize must be between 1 and 1000")
        page = _int_arg(request, "Page", 0)
        query, accept = self._filters(request)
        sids = [s for s in self._newest_first() if accept(s)]
        token = request.arg("PageToken")
        if token:
            # PA<sid>: the page after that message; PB<sid>: the page before it.
            if not token.startswith(("PA", "PB")) or token[2:] not in self.messages:
                raise twilio_error(400, 20001, f"Invalid PageToken: {token}")
            at = sids.index(token[2:]) if token[2:] in sids else 0
            start = at + 1 if token.startswith("PA") else max(0, at - page_size)
        else:
            start = page * page_size
        chosen = sids[start : start + page_size]
        more = start + page_size < len(sids)
        base = f"{API}/Accounts/{self.account_sid}/Messages.json"

        def uri(number: int, page_token: str | None) -> str:
            params = [*query, ("PageSize", str(page_size)), ("Page", str(number))]
            if page_token:
                params.append(("PageToken", page_token))
            return f"{base}?{urlencode(params)}"

        return (
            200,
            {},
            {
                "end": start + len(chosen) - 1 if chosen else start,
                "first_page_uri": uri(0, None),
                "messages": [self.messages[s] for s in chosen],
                "next_page_uri": uri(page + 1, "PA" + chosen[-1]) if more and chosen else None,
                "page": page,
                "page_size": page_size,
                "previous_page_uri": uri(page - 1, "PB" + chosen[0]) if page and chosen else None,
                "start": start,
                "uri": uri(page, token),
            },
        )

    @route("GET", API + rf"/Accounts/{_ACCOUNT}/Messages/(?P<sid>(?:SM|MM)[0-9a-f]{{32}})\.json")
    def get_message(self, request: Request) -> Response:
        if self.advance_on_read:
            self._advance_all()
        message = self.messages.get(request.path_params["sid"])
        if message is None:
            raise twilio_error(404, 20404, f"The requested resource {request.path} was not found")
        return 200, {}, message

    def _newest_first(self) -> list[str]:
        return sorted(
            self.messages, key=lambda s: (self._created_at[s], self._seq[s]), reverse=True
        )

    def _filters(self, request: Request) -> tuple[list[tuple[str, str]], Callable[[str], bool]]:
        """The filter parameters as given (for the page URIs) and a predicate on sids."""
        query: list[tuple[str, str]] = []
        tests: list[Callable[[str], bool]] = []
        for key, field in (("To", "to"), ("From", "from")):
            value = request.arg(key)
            if value:
                query.append((key, value))
                tests.append(lambda s, f=field, v=value: self.messages[s][f] == v)
        for key in _DATE_SENT_KEYS:
            value = request.arg(key)
            if value is None and key != "DateSent":
                # `DateSent>=2024-01-01` sent percent-encoded arrives as key `DateSent>=`.
                value = request.arg(key + "=")
            if not value:
                continue
            query.append((key, value))
            bound, is_day = _date_bound(value, key)
            if key == "DateSent":
                low, high = (bound, bound + 86400) if is_day else (bound, bound + 1)
            elif key == "DateSent>":  # on or after
                low, high = bound, float("inf")
            else:  # DateSent<: on or before
                low, high = float("-inf"), bound + (86400 if is_day else 1)
            tests.append(
                lambda s, lo=low, hi=high: s in self._sent_at and lo <= self._sent_at[s] < hi
            )
        return query, lambda sid: all(test(sid) for test in tests)

    # -- state changes -----------------------------------------------------------------------

    def _new_message(
        self,
        *,
        to: str,
        sender: str | None,
        service: str | None,
        body: str,
        status: str,
        direction: str,
        created: float | None = None,
        keep: bool = True,
    ) -> dict[str, Any]:
        now = self.clock() if created is None else created
        sid = self._new_sid("SM")
        uri = f"{API}/Accounts/{self.account_sid}/Messages/{sid}"
        message: dict[str, Any] = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": rfc2822(now),
            "date_sent": None,
            "date_updated": rfc2822(now),
            "direction": direction,
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": str(_segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": status,
            "subresource_uris": {
                "feedback": f"{uri}/Feedback.json",
                "media": f"{uri}/Media.json",
            },
            "to": to,
            "uri": f"{uri}.json",
        }
        if keep:
            self.messages[sid] = message
            self._created_at[sid] = now
            self._seq[sid] = len(self._seq)
        return message

    def _set(self, sid: str, status: str, code: int | None = None, text: str = "") -> None:
        message = self.messages[sid]
        now = self.clock()
        if status in ("sent", "delivered", "undelivered") and sid not in self._sent_at:
            if message["from"] is None and self.from_numbers:
                message["from"] = sorted(self.from_numbers)[0]  # the service picked a sender
            self._mark_sent(sid, now)
            message["price"] = f"-{0.0079 * int(message['num_segments']):.5f}"
        message["status"] = status
        message["date_updated"] = rfc2822(now)
        if code is not None:
            message["error_code"] = code
            message["error_message"] = text or None

    def _mark_sent(self, sid: str, when: float) -> None:
        self._sent_at[sid] = int(when)
        self.messages[sid]["date_sent"] = rfc2822(when)

    def _step(self, sid: str) -> None:
        message = self.messages[sid]
        status = message["status"]
        if status in FINAL or not message["direction"].startswith("outbound"):
            return
        outcome = self.outcomes.get(message["to"])
        if outcome is not None and outcome[0] == "failed" and status in ("queued", "sending"):
            self._set(sid, "failed", outcome[1], outcome[2])
        elif outcome is not None and status == "sent":
            self._set(sid, outcome[0], outcome[1], outcome[2])
        else:
            self._set(sid, _NEXT.get(status, "delivered"))

    def _advance_all(self) -> None:
        for sid in list(self.messages):
            self._step(sid)

    def advance(self, sid: str | None = None) -> None:
        """Move one message (or every unfinished one) one step along its lifecycle."""
        with self.lock:
            if sid is None:
                self._advance_all()
            else:
                self._step(sid)
            self.notify()

    def set_status(
        self, sid: str, status: str, error_code: int | None = None, error_message: str = ""
    ) -> None:
        """Put a message in `status` at once (with an error code for failed/undelivered)."""
        with self.lock:
            self._set(sid, status, error_code, error_message)
            self.notify()

    def set_outcome(self, number: str, status: str, code: int, message: str) -> None:
        """Messages to `number` end `status` ("undelivered" or "failed") with this error."""
        if status not in ("undelivered", "failed"):
            raise ValueError("outcome must be undelivered or failed")
        with self.lock:
            self.outcomes[number] = (status, code, message)

    def add_message(
        self,
        to: str,
        body: str,
        sender: str = MAGIC_FROM,
        *,
        status: str = "queued",
        direction: str = "outbound-api",
        created: float | None = None,
        sent: float | None = None,
    ) -> dict[str, Any]:
        """Seed a message as if created earlier (not counted in `creates`).

        A message seeded in a sent-like status gets a send date (`sent`, else its creation).
        """
        with self.lock:
            message = self._new_message(
                to=to,
                sender=sender,
                service=None,
                body=body,
                status=status,
                direction=direction,
                created=created,
            )
            sid = message["sid"]
            if sent is not None or status in ("sent", "delivered", "undelivered", "received"):
                self._mark_sent(sid, sent if sent is not None else self._created_at[sid])
            self.notify()
            return message

    def sent_to(self, number: str) -> list[dict[str, Any]]:
        """The messages kept for `number`, oldest first."""
        with self.lock:
            return [
                self.messages[s]
                for s in reversed(self._newest_first())
                if self.messages[s]["to"] == number
            ]


def _basic_credentials(request: Request) -> tuple[str | None, str | None]:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return (user, password) if sep else (None, None)


def _segments(body: str) -> int:
    return 1 if len(body) <= 160 else math.ceil(len(body) / 153)


def _account_in(path: str) -> str | None:
    match = re.match(API + r"/Accounts/(AC[0-9a-fA-F]+)", path)
    return match.group(1) if match else None


def _int_arg(request: Request, name: str, default: int) -> int:
    value = request.arg(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise twilio_error(400, 20001, f"Invalid {name}: {value}") from None


def _date_bound(value: str, key: str) -> tuple[float, bool]:
    """(unix time, whole day?) of a DateSent value: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)."""
    for fmt, is_day in (("%Y-%m-%d", True), ("%Y-%m-%dT%H:%M:%SZ", False)):
        try:
            parsed = datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        return parsed.timestamp(), is_day
    raise twilio_error(400, 20001, f"Invalid {key}: {value}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run a FakeTwilio in the foreground until Ctrl+C."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.twilio", description="Run a local fake Twilio API."
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    args = parser.parse_args(argv)
    # No request recording: a long-running standalone server would otherwise grow without bound.
    fake = FakeTwilio(args.account_sid, args.auth_token, port=args.port, record_requests=False)
    with fake:
        print(fake.url, flush=True)
        print(f"fake Twilio, account {args.account_sid}; Ctrl+C stops", file=sys.stderr)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
