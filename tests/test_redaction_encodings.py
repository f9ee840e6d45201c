"""A provider that echoes a credential back, in every encoding, leaks it nowhere.

The fake Stripe answers 401 with a body holding the secret key as is, URL-encoded,
JSON-escaped, in a Basic header (base64 of `key:`), the Authorization header it received, and
the key again across the 300-character cut of error texts. `ffdesk` runs as a user would
(separate processes, a real log file); then the database, its WAL, the logs and every output
(text and --json) are searched byte for byte for the key, its encodings and a fragment of it.
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from ffdesk.redaction import redact, register_basic_auth
from tests.fakes.harness import Request
from tests.fakes.stripe import FakeStripe
from tests.helpers.database import stored_bytes
from tests.helpers.stripe_env import cli_env, run_cli


def encoded_forms(secret: str) -> dict[str, str]:
    """The secret in each form a server may echo it back in."""
    pair = base64.b64encode(f"{secret}:".encode()).decode()
    return {
        "raw": secret,
        "url": quote(secret, safe=""),
        "url-plus": quote_plus(secret),
        "json": json.dumps(secret)[1:-1],
        "basic": pair,
        "basic-unpadded": pair.rstrip("="),
        # The random middle of the key: a key cut in two must not leave half of it behind.
        "fragment": secret[8:24],
    }


def echo_body(secret: str, request: Request) -> dict[str, Any]:
    forms = encoded_forms(secret)
    received = request.headers.get("Authorization", "")
    words = [
        f"Invalid API Key provided: {forms['raw']}",
        f"form {forms['url']} plus {forms['url-plus']}",
        f"json {forms['json']}",
        f"Basic {forms['basic']}",
        f"Authorization: {received}",
    ]
    # The key straddles the 300-character cut of provider texts.
    message = "; ".join(words)
    message = message + " " + "x" * max(0, 290 - len(message)) + " " + secret + " end"
    return {"error": {"message": message, "type": "invalid_request_error"}}


def files_holding(folder: Path, needle: str) -> list[str]:
    patterns = [needle.encode(), needle.encode("utf-16-le")]
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file()
        and path.name != "keyring.json"  # the test's stand-in for the Secret Service
        and any(p in path.read_bytes() for p in patterns)
    )


def test_an_echoed_credential_in_any_encoding_leaks_nowhere(tmp_path: Path) -> None:
    # ASCII with the characters URL and JSON encoding change, so each form differs.
    secret = f'sk_test_{uuid.uuid4().hex}/a+b"c\\d e'
    forms = encoded_forms(secret)
    assert len({forms[k] for k in ("raw", "url", "url-plus", "json", "basic")}) == 5

    with FakeStripe(secret_key=secret, seed=3) as fake:
        env = cli_env(tmp_path, fake.url)
        outputs: list[str] = []

        def ffdesk(*argv: str, stdin: str | None = None, code: int | None = 0) -> str:
            done = run_cli(list(argv), env, stdin=stdin)
            if code is not None:
                assert done.returncode == code, done.stderr
            outputs.extend([done.stdout, done.stderr])
            return done.stdout + done.stderr

        csv = tmp_path / "contacts.csv"
        csv.write_text("name,email,phone\nAda,ada@example.org,\nBob,bob@example.org,\n")
        ffdesk("modules", "install", "payment_stripe")
        ffdesk("integrations", "set", "payment_stripe", "secret_key=-", stdin=secret + "\n")
        ffdesk("integrations", "enable", "payment_stripe")
        ffdesk("contacts", "import", str(csv))

        # From now on every call is refused, with the credential echoed back.
        def refuse(request: Request) -> Any:
            return 401, {}, echo_body(secret, request)

        for method, pattern in (("GET", r"/v1/balance"), ("POST", r"/v1/customers")):
            fake.add_route(method, pattern, refuse)

        shown = [
            ffdesk("integrations", "test", "payment_stripe", code=1),
            ffdesk("integrations", "test", "payment_stripe", "--json", code=1),
            ffdesk("sync", "payment_stripe", code=1),
            ffdesk("sync", "--json", code=1),
            ffdesk("runs"),
            ffdesk("runs", "--json"),
        ]

    # The echo did reach ffdesk's texts (so this test can fail): masked, the rest kept.
    assert all("rejected the credentials" in text for text in shown[:4])
    assert "***" in shown[5]
    stored = stored_bytes(tmp_path / "ffdesk.db")  # the SQLite file and WAL, or every PG row
    assert stored and list((tmp_path / "logs").glob("*.log*"))
    for name, needle in forms.items():
        assert not [o for o in outputs if needle in o], name
        assert files_holding(tmp_path, needle) == [], name
        assert needle.encode() not in stored, name


def test_a_basic_credential_is_masked_in_each_of_its_forms() -> None:
    token = "tok/en+with\"odd'chars"
    register_basic_auth("AC0123456789abcdef", token)
    pair = base64.b64encode(f"AC0123456789abcdef:{token}".encode()).decode()
    text = redact(
        f"bad credentials in Basic {pair}; again {pair.rstrip('=')}; "
        f"{quote(pair, safe='')}; {quote(token, safe='')}"
    )
    assert "tok" not in text and pair not in text and pair.rstrip("=") not in text
    assert text.count("***") == 4
    # Any Authorization or Bearer value is masked even when nobody registered it.
    assert redact("Authorization: Bearer abc.DEF-123456") == "Authorization: Bearer ***"
    assert redact('{"authorization": "Token 0xyz123456"}') == '{"authorization": "Token ***"}'
    assert redact("Bearer eyJhbGciOi.J9x") == "Bearer ***"
    # Ordinary words after "basic" stay: "basic information" is no credential.
    assert redact("basic information") == "basic information"
