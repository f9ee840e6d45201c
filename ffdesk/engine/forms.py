"""The merged form of a record as the user sees it: fields in order with their live state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ffdesk.engine.fields import Boolean, Date, Datetime, Field, File, ManyToOne, Selection, Text
from ffdesk.engine.q import Q

if TYPE_CHECKING:
    from ffdesk.engine.model import Model
    from ffdesk.engine.view_service import FormElement, ViewService

FORM_VIEW = "integration_form_view"
SECRET_WIDGET = "Password"


@dataclass(frozen=True)
class FormField:
    """One field of a form: label, widget, hint, state flags and (for secrets) whether set."""

    name: str
    label: str
    widget: str
    type_name: str
    hint: str | None
    visible: bool
    readonly: bool
    required: bool
    company_scoped: bool
    secret: bool
    choices: tuple[str, ...]
    path: tuple[str, ...]

    def display_value(self, record: Model) -> Any:
        """The value to show: secrets only as "set" or empty, never the value itself."""
        value = getattr(record, self.name)
        if self.secret:
            return "set" if value else ""
        return value


def default_widget(field: Field) -> str:
    if isinstance(field, Boolean):
        return "Checkbox"
    if isinstance(field, Selection):
        return "Select"
    if isinstance(field, Datetime):
        return "Datetime"
    if isinstance(field, Date):
        return "Date"
    if isinstance(field, File):
        return "Image"
    if isinstance(field, Text):
        return "TextArea"
    if isinstance(field, ManyToOne):
        return "Select"
    if field.type_name in ("Integer", "Float"):
        return "Number"
    return "Text"


def _condition(value: bool | Q | None, record: Model, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, Q):
        return value.matches(record)
    return value


def evaluate_form(
    views: ViewService, record: Model, view_identifier: str = FORM_VIEW
) -> list[FormField]:
    """Every field of the merged view, with visible / readonly / required for this record."""
    elements: list[FormElement] = views.form_elements(view_identifier)
    fields = type(record)._fields
    result: list[FormField] = []
    for element in elements:
        field = fields.get(element.name)
        if field is None:
            continue
        widget = element.properties.get("widget") or default_widget(field)
        result.append(
            FormField(
                name=element.name,
                label=element.properties.get("label") or field.label,
                widget=widget,
                type_name=field.type_name,
                hint=field.hint,
                visible=_condition(element.conditions.get("visible"), record, True),
                readonly=_condition(element.conditions.get("readonly"), record, field.readonly),
                required=_condition(element.conditions.get("required"), record, field.required),
                company_scoped=field.company_scoped,
                # Company-scoped values live in the keyring: never shown, whatever the widget.
                secret=widget == SECRET_WIDGET or field.company_scoped,
                choices=tuple(getattr(field, "choices", ()) or ()),
                path=element.path,
            )
        )
    return result


def missing_required(form: list[FormField], record: Model) -> list[FormField]:
    """Fields that are required and visible but have no value."""
    missing = []
    for item in form:
        if not (item.visible and item.required):
            continue
        value = getattr(record, item.name)
        if value is None or value == "":
            missing.append(item)
    return missing
