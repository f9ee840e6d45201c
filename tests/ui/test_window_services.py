"""The window's batched reads give the same answers as the engine's record-by-record API."""

from __future__ import annotations

from typing import Any

from ffdesk.engine.system import System
from ffdesk.services.window import (
    catalogue_entries,
    find_integration,
    integration_details,
    module_problems,
)


def test_catalogue_states_agree_with_get_state(system: System, arun: Any) -> None:
    async def check() -> None:
        await system.install_module("payment_stripe")
        stripe = await system.integration("payment_stripe")
        stripe.enabled = True
        await stripe.save()
        other = await system.add_company("Other")
        for company in (None, other.id):
            if company is not None:
                await system.select_company(company)
            entries = await catalogue_entries(system)
            assert {e.identifier for e in entries} == {
                m.identifier for m in system.integration_modules()
            }
            for entry in entries:
                record = await system.integration(entry.identifier)
                assert entry.state == await record.get_state(), entry.identifier
                assert entry.image == system.image_path(entry.identifier)
                assert (await find_integration(system, entry.identifier)).id == record.id

    arun(check(), timeout=20000)


def test_details_of_a_not_installed_integration(system: System, arun: Any) -> None:
    details = arun(integration_details(system, "payment_stripe"))
    assert details.state == "Not Installed"
    assert not details.sync_available and "Install" in details.sync_reason
    assert details.history == [] and details.mappings == []


def test_module_problems_match_list_modules(system: System, arun: Any) -> None:
    expected = [(m.identifier, m.problem) for m in arun(system.list_modules()) if m.problem]
    assert [(p.identifier, p.reason) for p in arun(module_problems(system))] == expected
