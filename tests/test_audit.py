"""The audit trail: every configuration change with when, who, where, old and new (issue 11.3).

Secrets appear as "changed" only: the database (file and WAL, or every PostgreSQL row) and
every output of `ffdesk audit` are searched byte by byte for the secret and find nothing.
"""

from __future__ import annotations

import base64
import getpass
import json
import socket
import uuid
from pathlib import Path
from urllib.parse import quote

from ffdesk.services.audit import audit_rows
from tests.helpers.database import ON_POSTGRESQL, dump_text
from tests.helpers.env import (
    OpenSystem,
    Subprocess,
    ffdesk_process_fixture,  # noqa: F401
    open_system_fixture,  # noqa: F401
)

STRIPE = "payment_stripe"


def encodings(secret: str) -> list[bytes]:
    return [
        secret.encode(),
        secret.encode("utf-16-le"),
        base64.b64encode(secret.encode()),
        quote(secret).encode(),
        json.dumps(secret).encode(),
    ]


def test_every_configuration_change_is_recorded_and_no_secret_is(
    ffdesk_process: Subprocess, tmp_path: Path
) -> None:
    secret = f"sk_test_{uuid.uuid4().hex}"
    outputs: list[str] = []

    def ffdesk(*argv: str, stdin: str | None = None) -> str:
        done = ffdesk_process(*argv, stdin=stdin)
        assert done.returncode == 0, done.stderr
        outputs.extend([done.stdout, done.stderr])
        return done.stdout

    ffdesk("modules", "install", STRIPE)
    ffdesk("integrations", "set", STRIPE, "secret_key=-", "sandbox_mode=false", stdin=secret)
    ffdesk("integrations", "set", STRIPE, "sandbox_mode=true")
    ffdesk("companies", "add", "Acme")
    ffdesk("companies", "rename", "Acme", "Acme Ltd")

    mine = json.loads(ffdesk("audit", STRIPE, "--json"))["entries"]
    assert [e["action"] for e in mine] == ["changed", "changed"]
    newest, first = mine
    assert newest["changes"] == [
        {"field": "sandbox_mode", "label": "Sandbox Mode", "old": False, "new": True}
    ]
    assert {c["field"]: (c["old"], c["new"]) for c in first["changes"]} == {
        "secret_key": (None, "changed"),
        "sandbox_mode": (True, False),
    }
    assert first["user"] == getpass.getuser() and first["host"] == socket.gethostname()
    assert first["subject"] == "Stripe" and first["company"] == "My Company"

    everything = json.loads(ffdesk("audit", "--json"))["entries"]
    described = [(e["model"], e["action"], e["subject"]) for e in everything]
    assert described[:3] == [
        ("Company", "changed", "Acme Ltd"),
        ("Company", "created", "Acme"),
        ("Integration", "changed", "Stripe"),
    ]
    assert ("Module", "changed", "Stripe") in described  # installed
    renamed = everything[0]["changes"]
    assert renamed == [{"field": "name", "label": "Company Name", "old": "Acme", "new": "Acme Ltd"}]
    text = ffdesk("audit", STRIPE)
    assert "Secret Key: changed" in text and "Sandbox Mode: False → True" in text

    # The secret is in the keyring, and nowhere in the trail, the database or any output.
    assert secret in ffdesk_process.keyring().values()
    if ON_POSTGRESQL:
        stored = [dump_text(ffdesk_process.url).encode()]
    else:
        folder = ffdesk_process.database.parent
        stored = [p.read_bytes() for p in folder.glob(ffdesk_process.database.name + "*")]
    for needle in encodings(secret):
        assert not any(needle in blob for blob in stored)
        assert not any(needle in out.encode() for out in outputs)


def test_deleting_a_company_keeps_its_trail(open_system: OpenSystem) -> None:
    opened = open_system()
    opened.run(opened.system.add_company("Gone"))
    opened.run(opened.system.delete_company("Gone"))
    entries = opened.run(audit_rows(opened.system))
    assert [(e["model"], e["action"], e["subject"]) for e in entries[:2]] == [
        ("Company", "deleted", "Gone"),
        ("Company", "created", "Gone"),
    ]
