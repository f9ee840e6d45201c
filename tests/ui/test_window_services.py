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


def test_history_and_mappings_read_the_records(system: System, arun: Any) -> None:
    import datetime as dt

    from ffdesk.services.window import mapped_records, sync_history

    async def check() -> None:
        await system.install_module("payment_stripe")
        record = await system.integration("payment_stripe")
        SyncRun = system.registry["SyncRun"]
        started = dt.datetime(2026, 1, 2, 3, 4, 5)
        for state, created in (("done", 3), ("failed", 0)):
            await SyncRun.create(
                integration=record.id,
                company=record.company_id,
                trigger="schedule",
                state=state,
                started=started,
                created=created,
                error="boom" if state == "failed" else None,
            )
        Mapper = system.registry["IntegrationMapper"]
        await Mapper.create(integration=record.id, model="Contact", local_id="7", remote_id="cus_7")
        runs = await sync_history(system, record)
        assert [(r.state, r.created, r.error, r.started) for r in runs] == [
            ("failed", 0, "boom", started),
            ("done", 3, None, started),
        ]
        mappings = await mapped_records(system, record)
        assert [(m.model, m.local_id, m.remote_id) for m in mappings] == [("Contact", "7", "cus_7")]

    arun(check(), timeout=20000)
