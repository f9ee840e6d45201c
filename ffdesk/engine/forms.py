"""The merged form of a record as the user sees it: fields in order with their live state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ffdesk.engine.env import env_ctx
from ffdesk.engine.fields import Boolean, Date, Datetime, Field, File, ManyToOne, Selection, Text
from ffdesk.engine.q import Q

if TYPE_CHECKING:
    from ffdesk.engine.model import Model
    from ffdesk.engine.q import BoundQ

FORM_VIEW = "integration_form_view"
SECRET_WIDGET = "Password"


@dataclass(frozen=True)
class FormElement:
    """A field of a merged form with its conditions parsed once."""

    name: str
    path: tuple[str, ...]
    properties: dict[str, Any]
    conditions: dict[str, bool | Q]


class CompiledForms(Protocol):
    """Where merged forms come from, compiled per model (the ViewService, a file above)."""

    def compiled_form(self, identifier: str, model: type[Model]) -> CompiledForm: ...


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


class _CompiledField:
    """One field of a cached form for one model: what never changes, computed once.

    Conditions are a bool or the index of a distinct bound Q-expression of the form; the
    FormField of each (visible, readonly, required) combination is made once and shared (it
    is frozen).
    """

    __slots__ = ("conditions", "static", "variants")

    def __init__(self, element: FormElement, field: Field, conditions: tuple[bool | int, ...]):
        widget = element.properties.get("widget") or default_widget(field)
        self.static: dict[str, Any] = {
            "name": element.name,
            "label": element.properties.get("label") or field.label,
            "widget": widget,
            "type_name": field.type_name,
            "hint": field.hint,
            "company_scoped": field.company_scoped,
            # Company-scoped values live in the keyring: never shown, whatever the widget;
            # unless the field says secret=False (then it is a readable per-company value).
            "secret": widget == SECRET_WIDGET or field.secret,
            "choices": tuple(getattr(field, "choices", ()) or ()),
            "path": element.path,
        }
        self.conditions = conditions
        self.variants: dict[tuple[bool, bool, bool], FormField] = {}

    def form_field(self, visible: bool, readonly: bool, required: bool) -> FormField:
        key = (visible, readonly, required)
        made = self.variants.get(key)
        if made is None:
            made = FormField(**self.static, visible=visible, readonly=readonly, required=required)
            self.variants[key] = made
        return made


class CompiledForm:
    """A merged form compiled for one model: its fields and the distinct Q-expressions of
    their conditions, bound to the model (see `ViewService.compiled_form`)."""

    def __init__(self, elements: list[FormElement], model: type[Model]) -> None:
        fields = model._fields
        self.bounds: list[BoundQ] = []
        index: dict[int, int] = {}  # id(Q) -> position in bounds

        def compile_condition(value: bool | Q | None, default: bool) -> bool | int:
            if value is None:
                return bool(default)
            if isinstance(value, Q):
                key = id(value)
                if key not in index:
                    index[key] = len(self.bounds)
                    self.bounds.append(value.bind(model))
                return index[key]
            return bool(value)

        self.fields: list[_CompiledField] = []
        for element in elements:
            field = fields.get(element.name)
            if field is None:
                continue
            conditions = (
                compile_condition(element.conditions.get("visible"), True),
                compile_condition(element.conditions.get("readonly"), field.readonly),
                compile_condition(element.conditions.get("required"), field.required),
            )
            self.fields.append(_CompiledField(element, field, conditions))

    def evaluate(self, record: Model) -> list[FormField]:
        names = _env_names()
        results: list[bool | None] = [None] * len(self.bounds)
        bounds = self.bounds

        def check(condition: bool | int) -> bool:
            if type(condition) is bool:
                return condition
            result = results[condition]  # type: ignore[index]
            if result is None:
                result = results[condition] = bounds[condition].matches(record, names)  # type: ignore[index]
            return result

        return [
            item.form_field(check(visible), check(readonly), check(required))
            for item in self.fields
            for visible, readonly, required in (item.conditions,)
        ]


def _env_names() -> Mapping[str, Any]:
    try:
        return env_ctx.get().names()
    except LookupError:
        return {}


def evaluate_form(
    views: CompiledForms, record: Model, view_identifier: str = FORM_VIEW
) -> list[FormField]:
    """Every field of the merged view, with visible / readonly / required for this record.

    A field that several modules place (each provider's `sandbox_mode`, visible for its own
    integration only) appears once: where it is visible, else at its first place.
    """
    fields = views.compiled_form(view_identifier, type(record)).evaluate(record)
    names = [f.name for f in fields]
    if len(set(names)) == len(names):
        return fields
    chosen: dict[str, FormField] = {}
    for item in fields:
        kept = chosen.get(item.name)
        if kept is None or (item.visible and not kept.visible):
            chosen[item.name] = item
    return [item for item in fields if chosen[item.name] is item]


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
