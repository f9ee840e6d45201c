"""What stops a record from being enabled, field by field: required fields left empty and the
module's own local checks (the optional `check_credentials()` hook), one sentence per field.

The form calls it as the user types, `Test connection` and `Enable` call it before anything
is sent, so all three say the same thing. Nothing here (nor in a hook) may reach the network.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ffdesk.engine.errors import UserError

if TYPE_CHECKING:
    from ffdesk.engine.forms import FormField
    from ffdesk.engine.model import Model

log = logging.getLogger(__name__)

#: The optional method a module adds to its model: `check_credentials(self) -> {field: text}`.
HOOK = "check_credentials"


def needed_text(label: str, name: str) -> str:
    return f"{label} is needed to enable {name}."


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _module_checks(record: Model) -> dict[str, str]:
    """The module's own answer; a hook that fails is logged and says nothing (a broken
    module must not stop the form)."""
    hook = getattr(record, HOOK, None)
    if not callable(hook):
        return {}
    try:
        found = hook()
    except Exception:
        log.exception("%s.%s failed; its checks are skipped", type(record).__name__, HOOK)
        return {}
    if not isinstance(found, Mapping):
        log.error("%s.%s returned %r, not {field: message}", type(record).__name__, HOOK, found)
        return {}
    return {str(name): str(text) for name, text in found.items() if text}


def field_problems(
    record: Model, form: list[FormField], *, typed_only: bool = False, required: bool = True
) -> dict[str, str]:
    """{field name: sentence} for every field that stops `record` from being enabled.

    Required fields of the form (visible, editable) left empty and the module's
    `check_credentials()`, in form order; a module's sentence replaces the generic one.
    `typed_only`: only fields that hold a value (while typing, an empty field is not yet wrong).
    `required=False`: the module's checks alone (a connection test needs no more).
    """
    problems: dict[str, str] = {}
    for item in form if required else ():
        needed = item.visible and item.required and not item.readonly
        if needed and is_empty(getattr(record, item.name)):
            problems[item.name] = needed_text(item.label, str(record.name))
    problems.update(_module_checks(record))
    order = {item.name: position for position, item in enumerate(form)}
    problems = dict(sorted(problems.items(), key=lambda item: order.get(item[0], len(order))))
    if typed_only:
        fields = type(record)._fields
        problems = {
            name: text
            for name, text in problems.items()
            if name in fields and not is_empty(getattr(record, name))
        }
    return problems


def field_label(record: Model, form: list[FormField], name: str) -> str:
    for item in form:
        if item.name == name:
            return item.label
    field = type(record)._fields.get(name)
    return field.label if field is not None else name


def problems_error(name: str, problems: dict[str, str], labels: dict[str, str]) -> UserError:
    """One UserError for every field that stops enabling `name`; its `problems` keep each
    field's own sentence (the form shows them under the fields, the command line prints all)."""
    missing = [
        labels.get(f, f)
        for f, text in problems.items()
        if text == needed_text(labels.get(f, f), name)
    ]
    if len(missing) == len(problems):
        message = f"Please fill in {', '.join(missing)} before enabling {name}."
    elif len(problems) == 1:
        message = next(iter(problems.values()))
    else:
        listed = " ".join(f"{labels.get(field, field)}: {text}" for field, text in problems.items())
        message = f"{name} cannot be enabled yet; {len(problems)} fields need attention. {listed}"
    return UserError(message, field=next(iter(problems)), problems=problems)


def check_fields(record: Model, form: list[FormField], *, required: bool = True) -> None:
    """Raise a UserError naming every field that stops `record` from being enabled."""
    problems = field_problems(record, form, required=required)
    if problems:
        labels = {name: field_label(record, form, name) for name in problems}
        raise problems_error(str(record.name), problems, labels)
