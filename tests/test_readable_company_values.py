"""Company-scoped values that are not secrets (`secret=False`): stored per company in the
database, shown in the form, the CLI and --json, exported; moved out of the keyring once."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from ffdesk import secrets
from ffdesk.api import open_system
from tests.helpers.database import database_url, dump_text, query_rows
from tests.helpers.env import CliRunner, cli_fixture  # noqa: F401
from tests.helpers.memory_keyring import MemoryKeyring

# Forget that this database already moved its readable values (as one of an older version).
FORGET_MOVED = sa.text("DELETE FROM ffdesk_meta WHERE key LIKE :prefix")
FROM = "+15005550006"
TOKEN = "f" * 32
SID = "AC" + "a" * 32


def _keyring_names(kr: MemoryKeyring) -> set[str]:
    return {user.rsplit(":", 1)[-1] for _, user in kr.store}


def test_from_number_is_shown_and_exported_the_token_never(
    cli: CliRunner, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    assert cli("modules", "install", "sms_twilio").code == 0
    done = cli(
        "integrations",
        "set",
        "sms_twilio",
        f"twilio_account_sid={SID}",
        f"twilio_from_number={FROM}",
        "twilio_auth_token=-",
        stdin=TOKEN,
    )
    assert done.code == 0, done.err
    fields = {
        f["name"]: f["value"]
        for f in json.loads(cli("integrations", "form", "sms_twilio", "--json").out)["fields"]
    }
    assert fields["twilio_from_number"] == FROM
    assert fields["twilio_auth_token"] == "set"
    assert fields["twilio_account_sid"] == "set"
    text = cli("integrations", "form", "sms_twilio").out
    assert FROM in text and TOKEN not in text
    # The From number is in the database, not the keyring; the token the other way round.
    assert "twilio_from_number" not in _keyring_names(memory_keyring)
    assert "twilio_auth_token" in _keyring_names(memory_keyring)
    url = database_url(tmp_path / "cli.sqlite")
    dump = dump_text(url)
    assert FROM in dump and TOKEN not in dump and SID not in dump
    exported = tmp_path / "config.yaml"
    assert cli("config", "export", str(exported)).code == 0
    twilio = yaml.safe_load(exported.read_text())["companies"][0]["integrations"]["sms_twilio"]
    assert twilio["values"]["twilio_from_number"] == FROM
    assert set(twilio["secrets"]) == {"twilio_account_sid", "twilio_auth_token"}
    assert TOKEN not in exported.read_text()


def test_the_value_belongs_to_one_company_and_goes_with_it(tmp_path: Path) -> None:
    async def scenario() -> None:
        url = database_url(tmp_path / "x.db")
        system = await open_system(url)
        try:
            await system.install_module("shipping_ups")
            ours = await system.integration("shipping_ups")
            ours.ups_account_number = "A12345"
            await ours.save()
            other = await system.add_company("Other Ltd")
            await system.sync_integration_records()
            theirs = await system.integration("shipping_ups", other.id)
            await system.select_company(other.id)
            assert theirs.ups_account_number is None
            theirs.ups_account_number = "B99999"
            await theirs.save()
            await system.select_company(None)
            fresh = await system.integration("shipping_ups")
            assert fresh.ups_account_number == "A12345"
            await system.delete_company(other.id)
            values = query_rows(url, "SELECT value FROM company_value ORDER BY value")
            assert values == [("A12345",)]
        finally:
            await system.close()

    asyncio.run(scenario())


def test_a_value_left_in_the_keyring_is_moved_without_loss(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    url = database_url(tmp_path / "x.db")

    async def scenario() -> None:
        system = await open_system(url)
        try:
            await system.install_module("payment_adyen")
            adyen = await system.integration("payment_adyen")
            # What an older ffdesk left behind: the merchant account kept as a secret.
            store = system.secrets
            store.set(system.env.cid, "Integration", adyen.id, "adyen_merchant_account", "AcmeEU")
            store.set(system.env.cid, "Integration", adyen.id, "adyen_api_key", "AQE-key")
            with system.db.connect(write=True) as conn:
                conn.execute(FORGET_MOVED, {"prefix": "readable:%"})
            cid, record_id = system.env.cid, adyen.id
        finally:
            await system.close()
        secrets.clear_cache()
        system = await open_system(url)
        try:
            adyen = await system.integration("payment_adyen")
            assert adyen.adyen_merchant_account == "AcmeEU"
            assert adyen.adyen_api_key == "AQE-key"  # secrets stay where they are
            names = _keyring_names(memory_keyring)
            assert "adyen_merchant_account" not in names and "adyen_api_key" in names
            rows = query_rows(
                url,
                "SELECT company_id, record_id, field, value FROM company_value",
            )
            assert rows == [(cid, record_id, "adyen_merchant_account", "AcmeEU")]
            # Once moved, a later start does not look again.
            assert system.move_readable_values() == []
        finally:
            await system.close()

    asyncio.run(scenario())


def test_nothing_moves_while_the_keyring_cannot_be_read(
    tmp_path: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = database_url(tmp_path / "x.db")

    async def scenario() -> None:
        system = await open_system(url)
        try:
            await system.install_module("payment_adyen")
            adyen = await system.integration("payment_adyen")
            store = system.secrets
            store.set(system.env.cid, "Integration", adyen.id, "adyen_merchant_account", "M1")
            with system.db.connect(write=True) as conn:
                conn.execute(FORGET_MOVED, {"prefix": "readable:%"})
            monkeypatch.setattr(secrets.KeyringSecretStore, "available", lambda self: False)
            assert system.move_readable_values() == []
            assert "adyen_merchant_account" in _keyring_names(memory_keyring)
            monkeypatch.undo()
            assert "Integration.adyen_merchant_account" in system.move_readable_values()
            assert "adyen_merchant_account" not in _keyring_names(memory_keyring)
            assert adyen.adyen_merchant_account == "M1"
        finally:
            await system.close()

    asyncio.run(scenario())
