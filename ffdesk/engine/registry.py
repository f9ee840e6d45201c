"""The model registry: builds final model classes and tables from ordered declarations."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from ffdesk.engine.db import Database
from ffdesk.engine.errors import ValidationError
from ffdesk.engine.fields import Field, ManyToOne, OneToMany, Selection, whole_number_type
from ffdesk.engine.model import Model, declaring_module, table_name_for

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class ModelDefinitionError(ValidationError):
    """A model declaration cannot be built; names the module that declared it."""

    def __init__(self, module: str, message: str) -> None:
        super().__init__(f"{module}: {message}")
        self.module = module


class _Chain:
    """The declarations of one model name, base first."""

    def __init__(self, name: str, base: type[Model]) -> None:
        self.name = name
        self.declarations: list[type[Model]] = [base]
        self.fields: dict[str, Field] = {}


class Registry:
    """Final model classes by name, with their SQLAlchemy tables, for one database."""

    def __init__(self, db: Database, declarations: Sequence[type[Model]]) -> None:
        self.db = db
        self.metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
        self.models: dict[str, type[Model]] = {}
        self._references: dict[str, list[tuple[type[Model], ManyToOne]]] = {}
        self._build(declarations)

    def __getitem__(self, name: str) -> type[Model]:
        try:
            return self.models[name]
        except KeyError:
            raise ValidationError(
                f"Unknown model {name!r} (is the module that defines it installed?)."
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self.models

    def __iter__(self) -> Iterator[str]:
        return iter(self.models)

    def references_to(self, model_name: str) -> list[tuple[type[Model], ManyToOne]]:
        """Every (model, many-to-one field) pointing at `model_name`."""
        return self._references.get(model_name, [])

    # -- building -------------------------------------------------------------------------
    def _build(self, declarations: Sequence[type[Model]]) -> None:
        chains: dict[str, _Chain] = {}
        for decl in declarations:
            module = declaring_module(decl)
            inherit = decl.__dict__.get("__inherit__")
            if inherit:
                chain = chains.get(inherit)
                if chain is None:
                    raise ModelDefinitionError(
                        module,
                        f"class {decl.__name__} extends unknown model {inherit!r}.",
                    )
                chain.declarations.append(decl)
            else:
                name = decl.__dict__.get("_name") or decl.__name__
                if name in chains:
                    raise ModelDefinitionError(
                        module,
                        f"class {decl.__name__} defines model {name!r}, which already exists "
                        f"(use __inherit__ = {name!r} to extend it).",
                    )
                chains[name] = _Chain(name, decl)
        for chain in chains.values():
            self._collect_fields(chain)
        self._add_reverse_relations(chains)
        for chain in chains.values():
            self.models[chain.name] = self._make_class(chain)
        for model in self.models.values():
            self._make_table(model)
        for model in self.models.values():
            for field in model._fields.values():
                if isinstance(field, ManyToOne):
                    if field.comodel_name not in self.models:
                        raise ModelDefinitionError(
                            "base",
                            f"{model._name}.{field.name} refers to unknown model "
                            f"{field.comodel_name!r}.",
                        )
                    self._references.setdefault(field.comodel_name, []).append((model, field))

    def _collect_fields(self, chain: _Chain) -> None:
        fields = chain.fields
        for decl in chain.declarations:
            for attr, value in decl.__dict__.items():
                if isinstance(value, Field):
                    if attr == "id":
                        raise ModelDefinitionError(
                            declaring_module(decl), f"{chain.name}: 'id' is reserved."
                        )
                    fields[attr] = value.bind(chain.name, attr)
        for decl in chain.declarations:
            additions = decl.__dict__.get("_selection_add") or {}
            for field_name, choices in additions.items():
                field = fields.get(field_name)
                if not isinstance(field, Selection):
                    raise ModelDefinitionError(
                        declaring_module(decl),
                        f"_selection_add names {chain.name}.{field_name}, "
                        "which is not a Selection field.",
                    )
                for choice in choices:
                    value = choice[0] if isinstance(choice, (tuple, list)) else choice
                    if value not in field.choices:
                        field.choices.append(value)

    def _add_reverse_relations(self, chains: dict[str, _Chain]) -> None:
        for chain in chains.values():
            for field in list(chain.fields.values()):
                if isinstance(field, ManyToOne) and field.related_name:
                    target = chains.get(field.comodel_name)
                    if target is None or field.related_name in target.fields:
                        continue
                    reverse = OneToMany(chain.name, field.name)
                    target.fields[field.related_name] = reverse.bind(
                        field.comodel_name, field.related_name
                    )

    def _make_class(self, chain: _Chain) -> type[Model]:
        module_values: dict[str, dict[str, Any]] = {}
        verbose = None
        unique: list[tuple[str, ...]] = []
        together: list[tuple[str, ...]] = []
        order = "id"
        for decl in chain.declarations:
            module = declaring_module(decl)
            for attr, value in decl.__dict__.items():
                if attr in chain.fields and not isinstance(value, Field):
                    # `cron_sync_method = "sync_x"`: a value for this module's records.
                    module_values.setdefault(module, {})[attr] = value
            verbose = decl.__dict__.get("_verbose_name", verbose)
            order = decl.__dict__.get("_order", order)
            unique.extend(tuple(g) for g in decl.__dict__.get("_unique_together", ()))
            together.extend(tuple(g) for g in decl.__dict__.get("_index_together", ()))
        namespace: dict[str, Any] = {
            "_is_final": True,
            "_name": chain.name,
            "_fields": dict(chain.fields),
            "_registry": self,
            "_module_values": module_values,
            "_verbose_name": verbose or chain.name,
            "_unique_together": tuple(unique),
            "_index_together": tuple(together),
            "_order": order,
            "_company_scoped": tuple(n for n, f in chain.fields.items() if f.company_scoped),
            "__module__": "ffdesk.models",
            "__qualname__": chain.name,
        }
        # Field descriptors live on the final class so they win over declaration attributes.
        namespace.update(chain.fields)
        bases = tuple(reversed(chain.declarations))
        try:
            return type(chain.name, bases, namespace)
        except TypeError as exc:
            raise ModelDefinitionError(
                declaring_module(chain.declarations[-1]),
                f"model {chain.name} cannot be built: {exc}",
            ) from None

    def _make_table(self, model: type[Model]) -> None:
        name = table_name_for(model._name)
        columns: list[sa.Column[Any]] = [sa.Column("id", whole_number_type(), primary_key=True)]
        indexes: list[sa.Index] = []
        groups = [
            (_group_columns(model, group, "_unique_together"), "uq", True)
            for group in model._unique_together
        ] + [
            # A list filtered by one column and ordered by another (a company's payments by
            # date) reads this index in order instead of sorting the table.
            (_group_columns(model, group, "_index_together"), "ix", False)
            for group in model._index_together
        ]
        # A group's index serves look-ups by its first column as well: an index of that column
        # alone would only be one more page to write with every row (a sync writes a mapper
        # row per record).
        leading = {cols[0] for cols, _, _ in groups}
        for field in model._fields.values():
            if not field.stored:
                continue
            columns.append(sa.Column(field.column_name, field.sa_type(), nullable=True))
            if field.unique:
                indexes.append(
                    sa.Index(f"uq_{name}_{field.column_name}", field.column_name, unique=True)
                )
            elif field.index and field.column_name not in leading:
                indexes.append(sa.Index(f"ix_{name}_{field.column_name}", field.column_name))
        for cols, prefix, unique in groups:
            indexes.append(sa.Index(f"{prefix}_{name}_{'_'.join(cols)}", *cols, unique=unique))
        model._table = sa.Table(name, self.metadata, *columns, *indexes)


def _group_columns(model: type[Model], group: tuple[str, ...], option: str) -> list[str]:
    """The column names of a `_unique_together` / `_index_together` group of field names."""
    cols = []
    for field_name in group:
        field = model._fields.get(field_name)
        if field is None or not field.stored:
            raise ModelDefinitionError(
                "base", f"{model._name}.{option} names unknown field {field_name!r}."
            )
        cols.append(field.column_name)
    return cols
