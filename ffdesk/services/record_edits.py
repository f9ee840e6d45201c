"""Creating and changing records from typed values, with the rules of their Form view and
the engine's validation (required, max_length, choices, phone numbers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ffdesk.engine.errors import ValidationError
from ffdesk.engine.forms import missing_required

if TYPE_CHECKING:
    from ffdesk.engine.model import Model
    from ffdesk.services.records import ModelInfo, RecordsService


def _apply(service: RecordsService, info: ModelInfo, record: Model, values: Mapping[str, str]):
    """Set each typed value; only fields the form shows and lets the user change."""
    from ffdesk.services.records import RecordsUsageError

    form = {item.name: item for item in service.form_fields(info.name, record)}
    editable = [n for n, item in form.items() if item.visible and not item.readonly]
    for name, text in values.items():
        item = form.get(name)
        if item is None or not item.visible:
            raise RecordsUsageError(
                f"{info.label} has no field {name!r} to fill in (fields: {', '.join(editable)}).",
                field=name,
            )
        if item.readonly:
            raise ValidationError(f"{item.label} of a {info.label} cannot be changed.", field=name)
        declared = type(record)._fields[name]
        try:
            setattr(record, name, declared.parse_text(str(text)))
        except ValidationError as exc:
            raise ValidationError(str(exc), field=name) from None
    # Every missing required field at once, by the labels the form shows.
    missing = missing_required(service.form_fields(info.name, record), record)
    if missing:
        labels = ", ".join(item.label for item in missing)
        raise ValidationError(f"Please fill in {labels}.", field=missing[0].name)


async def create_record(
    service: RecordsService,
    info: ModelInfo,
    cls: type[Model],
    values: Mapping[str, str],
    *,
    integration_id: int | None = None,
) -> Model:
    record = cls.new()
    if "company" in cls._fields:
        record.company = service.system.env.cid
    if integration_id is not None and "integration" in cls._fields:
        record.integration = integration_id
    _apply(service, info, record, values)
    await record.save()
    return record


async def update_record(
    service: RecordsService, info: ModelInfo, record: Model, values: Mapping[str, str]
) -> Model:
    _apply(service, info, record, values)
    await record.save()
    return record
