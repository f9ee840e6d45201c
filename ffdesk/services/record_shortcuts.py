"""The two records a provider's own button creates: a Twilio test SMS and a UPS shipment.

Both go through the records service's create path (the Form view's fields and the engine's
validation) and belong to that provider's integration of the active company, so they show on
its Data tab and its next sync picks them up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ffdesk.services.record_edits import create_record
from ffdesk.services.records import RecordsService

if TYPE_CHECKING:
    from ffdesk.engine.model import Model
    from ffdesk.engine.system import System

TWILIO = "sms_twilio"
UPS = "shipping_ups"


async def _create_for(system: System, identifier: str, model: str, values: dict[str, str]) -> Model:
    service = RecordsService(system)
    info = service.model_info(model)
    integration = await system.integration(identifier)
    cls = system.registry[info.name]
    return await create_record(service, info, cls, values, integration_id=int(integration.id))


async def queue_test_sms(system: System, to: str, body: str, *, send_now: bool = False) -> Model:
    """A message from the company's Twilio number, queued for the next sync.

    With `send_now`, Twilio's sync runs at once (a recorded run: it sends what is queued and
    reads the statuses back) and the message is returned as it then stands.
    """
    message = await _create_for(system, TWILIO, "Message", {"to": to, "body": body})
    if not send_now:
        return message
    from ffdesk.sync.runner import run_sync

    await run_sync(await system.integration(TWILIO))
    return await RecordsService(system).record("Message", int(message.id))


async def track_shipment(system: System, tracking_number: str) -> Model:
    """A shipment for UPS's next sync to track."""
    return await _create_for(system, UPS, "Shipment", {"tracking_number": tracking_number})
