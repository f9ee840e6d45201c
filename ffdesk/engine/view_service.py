"""Merged views of installed modules: cached, rebuilt when modules change, checked on install."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ffdesk.engine.errors import UserError, ValidationError
from ffdesk.engine.forms import FORM_VIEW, CompiledForm, FormElement, FormField, evaluate_form
from ffdesk.engine.q import Q
from ffdesk.engine.views import (
    ViewArchError,
    ViewExtension,
    iter_field_elements,
    merge_view_arch,
    validate_arch,
)

if TYPE_CHECKING:
    from ffdesk.engine.db import Database
    from ffdesk.engine.model import Model
    from ffdesk.engine.registry import Registry

log = logging.getLogger(__name__)
CONDITIONS = ("visible", "readonly", "required")


class ViewError(ValidationError):
    """A view of a module is wrong; `module` and `file` say whose."""

    def __init__(self, message: str, *, module: str, file: str) -> None:
        super().__init__(message)
        self.module = module
        self.file = file


@dataclass(frozen=True)
class ViewSource:
    """A view definition as stored (UiView record) or about to be installed (data file)."""

    identifier: str
    model: str | None
    inherit: str | None
    arch: Any
    module: str
    file: str
    sequence: int


class ViewHost(Protocol):
    """What the view service uses of the System that owns it (system.py sits above)."""

    registry: Registry
    db: Database
    installed: list[str]


def _walk(arch: Any) -> Iterator[dict[str, Any]]:
    if isinstance(arch, dict):
        arch = arch.get("operations", [])
        for op in arch:
            if isinstance(op, dict) and isinstance(op.get("value"), (dict, list)):
                yield from _walk(op["value"] if isinstance(op["value"], list) else [op["value"]])
        return
    if not isinstance(arch, list):
        return
    for element in arch:
        if isinstance(element, dict):
            yield element
            yield from _walk(element.get("content") or [])


def _check_conditions(source: ViewSource, model_name: str | None, registry: Registry) -> None:
    """Parse every Q-expression of the view and check its fields against the model."""
    model = registry[model_name] if model_name and model_name in registry else None
    for element in _walk(source.arch):
        name = element.get("name")
        if element.get("type") == "field" and model is not None and name not in model._fields:
            raise ViewError(
                f"{source.module} ({source.file}): view {source.identifier} shows field "
                f"{name!r}, which {model_name} does not have.",
                module=source.module,
                file=source.file,
            )
        properties = element.get("properties") or {}
        for key in CONDITIONS:
            value = properties.get(key)
            if isinstance(value, str):
                try:
                    q = Q.parse(value)
                    if model is not None:
                        q.bind(model)
                except ValidationError as exc:
                    raise ViewError(
                        f"{source.module} ({source.file}): {key} of "
                        f"{name or element.get('title')!r}: {exc}",
                        module=source.module,
                        file=source.file,
                    ) from None


def _merge(
    identifier: str, sources: Sequence[ViewSource], order: Sequence[str]
) -> tuple[ViewSource, list[dict[str, Any]]]:
    bases = [s for s in sources if s.identifier == identifier and not s.inherit]
    if not bases:
        raise UserError(f"There is no view {identifier!r}.")
    base = bases[0]
    rank = {m: i for i, m in enumerate(order)}
    extensions = sorted(
        (s for s in sources if s.inherit == identifier),
        key=lambda s: (rank.get(s.module, len(rank)), s.sequence),
    )
    validate_arch(identifier, base.arch, module=base.module, file=base.file)
    merged = merge_view_arch(
        identifier,
        base.arch,
        [ViewExtension(module=s.module, file=s.file, arch=s.arch) for s in extensions],
    )
    return base, merged


def check_view_records(
    views: ViewService,
    registry: Registry,
    added: Sequence[ViewSource],
    *,
    order: Sequence[str],
) -> None:
    """Refuse views that would not merge or whose Q-expressions are invalid (before install)."""
    sources = [s for s in views.stored_sources() if s.module in order]
    keys = {(s.identifier, s.module) for s in added}
    sources = [s for s in sources if (s.identifier, s.module) not in keys] + added
    by_id = {s.identifier: s for s in sources if not s.inherit}
    for source in added:
        target = source.inherit or source.identifier
        base = by_id.get(target)
        if base is None:
            raise ViewError(
                f"{source.module} ({source.file}): view {source.identifier!r} extends "
                f"{target!r}, which does not exist.",
                module=source.module,
                file=source.file,
            )
        _check_conditions(source, base.model, registry)
    for identifier in {s.inherit or s.identifier for s in added}:
        try:
            _merge(identifier, sources, order)
        except ViewArchError as exc:
            raise ViewError(str(exc), module=exc.module, file=exc.file) from None


class ViewService:
    """Merged view archs and form elements of the installed modules, cached until invalidated."""

    def __init__(self, system: ViewHost) -> None:
        self.system = system
        self._archs: dict[str, list[dict[str, Any]]] = {}
        self._forms: dict[str, list[FormElement]] = {}
        self._compiled: dict[tuple[str, type[Model]], CompiledForm] = {}
        self.problems: dict[str, str] = {}

    def invalidate(self) -> None:
        self._archs.clear()
        self._forms.clear()
        self._compiled.clear()
        self.problems.clear()

    def stored_sources(self) -> list[ViewSource]:
        UiView = self.system.registry["UiView"]
        table = UiView._table
        with self.system.db.connect() as conn:
            rows = conn.execute(table.select().order_by(table.c.sequence, table.c.id)).all()
        return [
            ViewSource(
                identifier=row.identifier,
                model=row.model,
                inherit=row.inherit,
                arch=row.arch,
                module=row.module or "",
                file=row.file or "",
                sequence=row.sequence or 0,
            )
            for row in rows
        ]

    def merged_arch(self, identifier: str) -> list[dict[str, Any]]:
        """The arch of `identifier` with every installed extension applied (cached).

        An extension that fails (its target vanished) is skipped and recorded as a problem
        of its module; the view still opens.
        """
        cached = self._archs.get(identifier)
        if cached is not None:
            return cached
        sources = self.stored_sources()
        order = self.system.installed
        while True:
            try:
                _, merged = _merge(identifier, sources, order)
                break
            except ViewArchError as exc:
                log.warning("view %s: %s", identifier, exc)
                self.problems[exc.module] = str(exc)
                before = len(sources)
                sources = [
                    s for s in sources if not (s.module == exc.module and s.inherit == identifier)
                ]
                if len(sources) == before:
                    raise UserError(f"The view {identifier!r} cannot be shown: {exc}") from None
        self._archs[identifier] = merged
        return merged

    def view_model(self, identifier: str) -> str | None:
        for source in self.stored_sources():
            if source.identifier == identifier and not source.inherit:
                return source.model
        return None

    def form_elements(self, identifier: str) -> list[FormElement]:
        """The merged form's fields in order, with their conditions parsed (cached)."""
        cached = self._forms.get(identifier)
        if cached is not None:
            return cached
        elements: list[FormElement] = []
        parsed: dict[str, Q] = {}  # one Q per text: forms evaluate each distinct one once
        for found in iter_field_elements(self.merged_arch(identifier)):
            conditions: dict[str, bool | Q] = {}
            for key in CONDITIONS:
                value = found.properties.get(key)
                if isinstance(value, str):
                    if value not in parsed:
                        parsed[value] = Q.parse(value)
                    conditions[key] = parsed[value]
                elif value is not None:
                    conditions[key] = bool(value)
            elements.append(FormElement(found.name, found.path, found.properties, conditions))
        self._forms[identifier] = elements
        return elements

    def compiled_form(self, identifier: str, model: type[Model]) -> CompiledForm:
        """The merged form compiled for `model` (labels, widgets, bound conditions; cached)."""
        key = (identifier, model)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = CompiledForm(self.form_elements(identifier), model)
            self._compiled[key] = compiled
        return compiled

    def evaluate_form(self, record: Model, identifier: str = FORM_VIEW) -> list[FormField]:
        """The merged form of `record` with visible / readonly / required evaluated now."""
        return evaluate_form(self, record, identifier)
