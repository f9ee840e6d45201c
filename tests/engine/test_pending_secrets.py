"""An unsaved company-scoped edit belongs to the company it was typed for."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ffdesk.api import open_system
from tests.helpers.database import database_url
from tests.helpers.memory_keyring import MemoryKeyring


def test_an_edit_survives_a_company_switch_and_is_saved_for_its_company(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    async def main() -> None:
        system = await open_system(database_url(tmp_path / "x.db"))
        try:
            await system.install_module("payment_stripe")
            first = system.env.cid
            other = await system.add_company("Branch")
            record = await system.integration("payment_stripe")
            record.secret_key = "sk_test_typed_for_first"

            await system.select_company(other.id)
            assert record.secret_key is None  # another company sees nothing, not even "set"
            await system.select_company(first)
            assert record.secret_key == "sk_test_typed_for_first"  # the edit is still there
            await record.save()

            again = await system.integration("payment_stripe")
            assert again.secret_key == "sk_test_typed_for_first"
            await system.select_company(other.id)
            assert (await system.integration("payment_stripe", first)).secret_key is None
        finally:
            await system.close()

    asyncio.run(main())


def test_saving_after_a_switch_writes_the_edit_for_the_company_it_was_typed_for(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    async def main() -> None:
        system = await open_system(database_url(tmp_path / "x.db"))
        try:
            await system.install_module("payment_stripe")
            first = system.env.cid
            other = await system.add_company("Branch")
            record = await system.integration("payment_stripe")
            record.secret_key = "sk_test_for_the_first_company"
            await system.select_company(other.id)
            await record.save()  # saved while another company is active

            await system.select_company(first)
            fresh = await system.integration("payment_stripe")
            assert fresh.secret_key == "sk_test_for_the_first_company"
            await system.select_company(other.id)
            assert (await system.integration("payment_stripe", first)).secret_key is None
        finally:
            await system.close()

    asyncio.run(main())
