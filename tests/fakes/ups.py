"""Fake UPS API: OAuth2 client-credentials tokens and the Track API, in real shapes."""

from __future__ import annotations

import argparse
import base64
import random
import string
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.harness import FakeServer, HttpError, Request, Response, route

DEFAULT_CLIENT_ID = "FfdeskUpsClientId000000000000000000000000000000a1"
DEFAULT_SECRET = "FfdeskUpsClientSecret0000000000000000000000000000000000000000000b2"
DEFAULT_ACCOUNT = "A1B2C3"
DEFAULT_TOKEN_LIFETIME = 14399  # UPS tokens live four hours
TRACK_PARAMS = frozenset({"locale", "returnSignature", "returnMilestones", "returnPOD"})
_TOKEN_CHARS = string.ascii_letters + string.digits + "-_."

# What the fake reports for each kind of scan: (status type, description, code, statusCode,
# simplified text). Types and codes as UPS's Track API sends them.
SCANS: dict[str, tuple[str, str, str, str, str]] = {
    "label": (
        "M",
        "Shipper created a label, UPS has not received the package yet. ",
        "MP",
        "003",
        "Label Created",
    ),
    "pickup": ("P", "Pickup Scan ", "PU", "038", "On the Way"),
    "transit": ("I", "Departed from Facility", "DP", "005", "On the Way"),
    "arrived": ("I", "Arrived at Facility", "AR", "005", "On the Way"),
    "out_for_delivery": ("I", "Out For Delivery Today", "OT", "021", "Out for Delivery"),
    "exception": (
        "X",
        "The receiver was not available for delivery. We'll make a second attempt the next "
        "business day.",
        "48",
        "007",
        "Delivery Attempted",
    ),
    "returned": ("RS", "Returned to shipper", "RS", "013", "Returned to Sender"),
    "delivered": ("D", "DELIVERED ", "FS", "011", "Delivered"),
}


def ups_error(status: int, code: str, message: str) -> HttpError:
    """An HttpError with UPS's error envelope: {"response": {"errors": [{code, message}]}}."""
    return HttpError(status, {"response": {"errors": [{"code": code, "message": message}]}})


class FakeUps(FakeServer):
    """A local UPS: `POST /security/v1/oauth/token` and `GET /api/track/v1/details/{number}`.

    Tokens are issued for (`client_id`, `secret`) with `token_lifetime` seconds of life on the
    fake's `clock` (`expires_in` is a string, as UPS sends it); an expired (`expire_tokens`) or
    unknown token is answered 401. The token request must carry `x-merchant-id`; one that is
    not `account_number` is refused 403 (blocked merchant). Tracking needs the `transId` and
    `transactionSrc` headers, answers 404 "Tracking Information Not Found" for unknown numbers
    and the package's activities (most recent first) for known ones. Seed with `add_package`
    and move parcels on with `scan`; read `packages`, `token_requests`, `tokens_issued`,
    `merchant_ids` and the harness log.
    """

    def __init__(
        self,
        client_id: str = DEFAULT_CLIENT_ID,
        secret: str = DEFAULT_SECRET,
        account_number: str = DEFAULT_ACCOUNT,
        *,
        port: int = 0,
        token_lifetime: int = DEFAULT_TOKEN_LIFETIME,
        clock: Callable[[], float] = time.time,
        seed: int | None = None,
        record_requests: bool = True,
    ) -> None:
        super().__init__(port=port, record_requests=record_requests)
        self.client_id = client_id
        self.secret = secret
        self.account_number = account_number
        self.token_lifetime = token_lifetime
        self.clock = clock
        self._rng = random.Random(seed)
        self.tokens: dict[str, float] = {}  # access token -> expiry (clock seconds)
        self.packages: dict[str, dict[str, Any]] = {}  # tracking number -> package object
        self.token_requests = 0  # every POST to the token endpoint, refused ones included
        self.tokens_issued = 0
        self.merchant_ids: list[str | None] = []  # x-merchant-id of each token request
        self.trans_ids: list[str] = []

    # -- plumbing ----------------------------------------------------------------------------

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def not_found(self, request: Request) -> Response:
        return ups_error(404, "10404", "Resource not found").response

    def fault_body(self, status: int, request: Request) -> Any:
        if status == 429:
            return ups_error(429, "10429", "Too Many Requests.").body
        if status == 503:
            return ups_error(503, "10503", "Resource is not available").body
        if status >= 500:
            return ups_error(status, "10500", "Internal server error").body
        return ups_error(status, "10400", f"Injected failure ({status}).").body

    def _bearer(self, request: Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        expiry = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if expiry is None or expiry <= self.clock():
            raise ups_error(401, "250002", "Invalid Authentication Information.")

    def expire_tokens(self) -> None:
        """Make every token issued so far expired, as if their lifetime had passed."""
        with self.lock:
            now = self.clock()
            for token in self.tokens:
                self.tokens[token] = min(self.tokens[token], now)

    # -- OAuth2 ------------------------------------------------------------------------------

    @route("POST", r"/security/v1/oauth/token")
    def token(self, request: Request) -> Response:
        self.token_requests += 1
        merchant = request.headers.get("x-merchant-id")
        self.merchant_ids.append(merchant)
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        client_id = secret = ""
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode()
            except ValueError:
                decoded = ""
            client_id, _, secret = decoded.partition(":")
        if client_id != self.client_id:
            raise ups_error(401, "10401", "ClientId is Invalid")
        if secret != self.secret:
            raise ups_error(401, "10401", "Invalid Credentials")
        grant = dict(request.form_pairs).get("grant_type")
        if grant != "client_credentials":
            raise ups_error(400, "10400", "Invalid/Missing grant_type")
        if merchant is not None and merchant != self.account_number:
            raise ups_error(403, "10403", "Blocked Merchant")
        token = "eyJraWQiOi" + "".join(self._rng.choices(_TOKEN_CHARS, k=120))
        issued = self.clock()
        self.tokens[token] = issued + self.token_lifetime
        self.tokens_issued += 1
        return (
            200,
            {},
            {
                "token_type": "Bearer",
                "issued_at": str(int(issued * 1000)),
                "client_id": client_id,
                "access_token": token,
                "scope": "",
                "expires_in": str(self.token_lifetime),
                "refresh_count": "0",
                "status": "approved",
            },
        )

    # -- Track API ---------------------------------------------------------------------------

    @route("GET", r"/api/track/v1/details/(?P<number>[^/]*)")
    def track(self, request: Request) -> Response:
        self._bearer(request)
        trans_id = request.headers.get("transid")
        if not trans_id or len(trans_id) > 32:
            raise ups_error(400, "TV0001", "Missing or invalid transId")
        if not request.headers.get("transactionsrc"):
            raise ups_error(400, "TV0002", "Missing transactionSrc")
        self.trans_ids.append(trans_id)
        for name in request.query:
            if name not in TRACK_PARAMS:
                raise ups_error(400, "TV0003", f"Invalid query parameter: {name}")
        number = request.path_params["number"]
        if not 7 <= len(number) <= 34:
            raise ups_error(400, "TV0004", "Invalid inquiry number")
        package = self.packages.get(number.upper())
        if package is None:
            raise ups_error(404, "TW0001", "Tracking Information Not Found")
        return (
            200,
            {},
            {
                "trackResponse": {
                    "shipment": [
                        {
                            "inquiryNumber": number.upper(),
                            "package": [package],
                            "userRelation": [],
                        }
                    ]
                }
            },
        )

    # -- seeding -----------------------------------------------------------------------------

    def add_package(
        self,
        tracking_number: str,
        scans: Sequence[str] = ("label",),
        *,
        start: datetime | None = None,
        service: str = "UPS Ground",
        city: str = "ATLANTA",
        state: str = "GA",
        country: str = "US",
    ) -> dict[str, Any]:
        """Seed a package with `scans` (oldest first, names from SCANS), an hour apart."""
        with self.lock:
            moment = start or self._now() - timedelta(hours=len(scans))
            package: dict[str, Any] = {
                "trackingNumber": tracking_number.upper(),
                "activity": [],
                "packageCount": 1,
                "service": {"code": "003", "levelCode": "GND", "description": service},
                "weight": {"unitOfMeasurement": "LBS", "weight": "1.00"},
            }
            self.packages[tracking_number.upper()] = package
            for i, scan in enumerate(scans):
                self._scan(package, scan, moment + timedelta(hours=i), city, state, country)
            self.notify()
            return package

    def scan(
        self,
        tracking_number: str,
        scan: str,
        *,
        when: datetime | None = None,
        city: str = "ATLANTA",
        state: str = "GA",
        country: str = "US",
    ) -> None:
        """Add a scan to a package as its most recent activity (the parcel moves on)."""
        with self.lock:
            package = self.packages[tracking_number.upper()]
            self._scan(package, scan, when or self._now(), city, state, country)
            self.notify()

    def _scan(
        self,
        package: dict[str, Any],
        scan: str,
        when: datetime,
        city: str,
        state: str,
        country: str,
    ) -> None:
        kind, description, code, status_code, simple = SCANS[scan]
        when = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
        local = when - timedelta(hours=4)  # the facility's wall clock (Eastern, summer)
        activity = {
            "location": {
                "address": {
                    "city": city,
                    "stateProvince": state,
                    "countryCode": country,
                    "postalCode": "",
                    "country": country,
                },
                "slic": "3099",
            },
            "status": {
                "type": kind,
                "description": description,
                "code": code,
                "statusCode": status_code,
            },
            "date": local.strftime("%Y%m%d"),
            "time": local.strftime("%H%M%S"),
            "gmtDate": when.strftime("%Y%m%d"),
            "gmtOffset": "-04:00",
            "gmtTime": when.strftime("%H:%M:%S"),
        }
        package["activity"].insert(0, activity)
        package["currentStatus"] = {
            "description": description.strip(),
            "code": status_code,
            "simplifiedTextDescription": simple,
            "statusCode": status_code,
            "type": kind,
        }
        if kind == "D":
            package["deliveryDate"] = [{"type": "DEL", "date": local.strftime("%Y%m%d")}]
            package["deliveryTime"] = {
                "startTime": "",
                "endTime": local.strftime("%H%M%S"),
                "type": "DEL",
            }
            package["deliveryInformation"] = {"location": "Front Door", "receivedBy": ""}
        else:
            scheduled = (local + timedelta(days=2)).strftime("%Y%m%d")
            package["deliveryDate"] = [{"type": "SDD", "date": scheduled}]
            package["deliveryTime"] = {"startTime": "", "endTime": "", "type": "EOD"}


def main(argv: Sequence[str] | None = None) -> int:
    """Run a FakeUps in the foreground until Ctrl+C."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.ups", description="Run a local fake UPS API."
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID, help="accepted client id")
    parser.add_argument("--secret", default=DEFAULT_SECRET, help="accepted client secret")
    parser.add_argument("--account", default=DEFAULT_ACCOUNT, help="accepted x-merchant-id")
    parser.add_argument(
        "--packages", type=int, default=0, metavar="N", help="seed N packages in transit"
    )
    args = parser.parse_args(argv)
    fake = FakeUps(
        client_id=args.client_id,
        secret=args.secret,
        account_number=args.account,
        port=args.port,
        record_requests=False,
    )
    for i in range(args.packages):
        fake.add_package(f"1Z999AA1{i:010d}", ("label", "pickup", "transit"))
    with fake:
        print(fake.url, flush=True)
        print("fake UPS; Ctrl+C stops", file=sys.stderr)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
