"""The records workspace without Qt: models with a List view, their columns, paged rows,
one record's form and mappings, and the actions on records (create, update, resync).

The window's Records area and Data tab and `ffdesk records ...` all go through
`RecordsService`, so the same rules (what is listed, which company, which fields may be
typed into, what a bad filter says) hold everywhere.

Listing, for a lazily paged table::

    service = RecordsService(system)
    listing = service.listing("PaymentTransaction", filter="Q(state='done')", search="acme",
                              sort="-date", integration="payment_stripe")
    total = await listing.count()                       # one COUNT(*)
    rows = await listing.page(offset=0, limit=100)      # LIMIT/OFFSET on an index
    ids = await listing.ids()                           # every matching id, in order
    rows = await listing.rows(ids[5000:5100])           # one page by ids (any position)

A bad model, column or filter raises `RecordsUsageError` (a UserError whose message is one
plain sentence) when the listing is made, never later while paging.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ffdesk.engine.db import casefold
from ffdesk.engine.errors import MissingError, UserError, ValidationError
from ffdesk.engine.fields import Field, ManyToOne, Monetary, OneToMany
from ffdesk.engine.forms import FormField
from ffdesk.engine.money import exponent, is_currency
from ffdesk.engine.q import Q
from ffdesk.engine.views import iter_field_elements

if TYPE_CHECKING:
    from pathlib import Path

    from ffdesk.engine.model import Model
    from ffdesk.engine.system import System
    from ffdesk.services.contacts import ImportReport
    from ffdesk.sync.runner import RunOutcome

__all__ = [
    "Column",
    "DetailField",
    "Listing",
    "ModelInfo",
    "RecordDetail",
    "RecordMapping",
    "RecordsService",
    "RecordsUsageError",
    "Row",
]

#: Models of the integration framework itself: configured in the integration pane, not here.
FRAMEWORK_MODELS = frozenset({"Integration", "IntegrationMapper", "SyncRun", "UiView"})
#: The most rows one page may ask for (a table shows far fewer at once).
MAX_PAGE = 1000


class RecordsUsageError(UserError):
    """The caller named something that does not exist (model, column) or wrote a bad filter.

    The command line exits 2 (usage) for these; a value that fails validation is a plain
    ValidationError (exit 1)."""


@dataclass(frozen=True)
class ModelInfo:
    """A model offered in the Records area: its name, labels, views and what may be done."""

    name: str
    label: str
    plural_label: str
    module: str
    list_view: str
    form_view: str | None
    can_create: bool
    can_edit: bool


@dataclass(frozen=True)
class Column:
    """One column of a merged List view."""

    name: str
    label: str
    type_name: str
    #: Whether `Listing(sort=...)` accepts it (stored columns only).
    sortable: bool
    #: Whether the plain search text looks into it (text and choice columns).
    searchable: bool
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    """One record as a list shows it: `values` by column name (a many-to-one as the related
    record's name, its id in `refs`), `texts` the same values formatted for display."""

    id: int
    values: dict[str, Any]
    texts: dict[str, str]
    refs: dict[str, int | None] = field(default_factory=dict)


@dataclass(frozen=True)
class DetailField:
    """One field of a record's merged Form view, evaluated for that record."""

    name: str
    label: str
    widget: str
    type_name: str
    hint: str | None
    value: Any
    text: str
    visible: bool
    readonly: bool
    required: bool
    choices: tuple[str, ...]
    path: tuple[str, ...]
    max_length: int | None = None


@dataclass(frozen=True)
class RecordMapping:
    """How one record is linked to one integration of the company."""

    integration: str  # module identifier, e.g. "payment_stripe"
    integration_name: str
    remote_id: str | None
    last_synced: datetime | None
    last_error: str | None
    dashboard_url: str | None
    #: Whether `RecordsService.resync` can send or fetch this record again.
    can_resync: bool


@dataclass(frozen=True)
class RecordDetail:
    """One record: its title, its form's fields and its mappings per integration."""

    model: str
    id: int
    title: str
    fields: list[DetailField]
    mappings: list[RecordMapping]


# --------------------------------------------------------------------------- helpers


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _plural(label: str) -> str:
    if label.endswith("y") and not label.endswith(("ay", "ey", "oy", "uy")):
        return label[:-1] + "ies"
    if label.endswith(("s", "x", "ch", "sh")):
        return label + "es"
    return label + "s"


def _display_name(record_values: Mapping[str, Any], record_id: int) -> str:
    name = record_values.get("name")
    return str(name) if name not in (None, "") else f"#{record_id}"


def _format(field_: Field, value: Any) -> str:
    if value is None:
        return ""
    try:
        return field_.format_text(value)
    except Exception:  # a display must never fail on an odd stored value
        return str(value)


def _money_text(amount: Decimal, currency: Any) -> str:
    """An amount with its currency's decimals (19.5 EUR shows as 19.50), never rounded."""
    if isinstance(currency, str) and is_currency(currency):
        places = exponent(currency)
        shown = amount.quantize(Decimal(1).scaleb(-places)) if places >= 0 else amount
        if shown == amount:
            return format(shown, "f")
    return format(amount, "f")


# A text holding any character outside ASCII (GLOB compares code points, in C).
_NOT_ASCII = "*[^\x01-\x7f]*"


def _ascii_search_sqlite(cls: type[Model], names: list[str], text: str) -> sa.ColumnElement[bool]:
    """`icontains` on each column, as the Q compiler has it (casefold on both sides), but
    without calling Python for every row: for an ASCII needle, SQLite's own LIKE (which
    ignores ASCII case) decides every ASCII-only value exactly; only values holding other
    characters (where casefold may turn "ß" into "ss") go through ff_casefold."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    needle = casefold(text)
    parts = []
    for name in names:
        column = _column(cls, name)
        parts.append(
            sa.case(
                (
                    column.op("GLOB")(_NOT_ASCII),
                    sa.func.instr(sa.func.ff_casefold(column), needle) > 0,
                ),
                else_=column.like(pattern, escape="\\"),
            )
        )
    return sa.or_(*parts)


def _column(model: type[Model], name: str) -> sa.Column[Any]:
    """The column of field `name` (a many-to-one's column is `<name>_id`)."""
    return model._table.c[model._fields[name].column_name]


def _company_field(model: type[Model]) -> str | None:
    declared = model._fields.get("company")
    if isinstance(declared, ManyToOne) and declared.comodel_name == "Company":
        return "company"
    return None


def _integration_field(model: type[Model]) -> str | None:
    declared = model._fields.get("integration")
    if isinstance(declared, ManyToOne) and declared.comodel_name == "Integration":
        return "integration"
    return None


# --------------------------------------------------------------------------- listing


class _ColumnPlan:
    """How one list column is read from a result row and shown (worked out once per listing)."""

    __slots__ = ("currency_at", "declared", "index", "kind", "name")

    def __init__(self, name: str, declared: Field, index: int | None, kind: str) -> None:
        self.name = name
        self.declared = declared
        self.index = index  # position in the selected columns; None: not stored
        self.kind = kind  # "plain", "relation", "money", "none"
        self.currency_at: int | None = None


class Listing:
    """The records of one model matching a filter and a search, in one order; validated when
    made (see `RecordsService.listing`). Paging methods read the database each time, and
    select only the id and the list's columns."""

    def __init__(
        self,
        service: RecordsService,
        model: type[Model],
        columns: list[Column],
        where: sa.ColumnElement[bool] | None,
        order: list[sa.ColumnElement[Any]],
    ) -> None:
        self.service = service
        self.model = model
        self.columns = columns
        self._where = where
        self._order = order
        table = model._table
        selected: list[sa.Column[Any]] = [table.c.id]
        at: dict[str, int] = {}

        def position(column_name: str) -> int:
            if column_name not in at:
                at[column_name] = len(selected)
                selected.append(table.c[column_name])
            return at[column_name]

        self._plan: list[_ColumnPlan] = []
        for column in columns:
            declared = model._fields[column.name]
            if not declared.stored or isinstance(declared, OneToMany):
                self._plan.append(_ColumnPlan(column.name, declared, None, "none"))
                continue
            kind = "plain"
            if isinstance(declared, ManyToOne):
                kind = "relation"
            elif isinstance(declared, Monetary):
                kind = "money"
            plan = _ColumnPlan(column.name, declared, position(declared.column_name), kind)
            if kind == "money":
                currency = model._fields.get(declared.currency_field)
                if currency is not None and currency.stored:
                    plan.currency_at = position(currency.column_name)
            self._plan.append(plan)
        self._selected = selected
        # Names of related records met so far (a page's integrations are a handful): asked once.
        self._names: dict[str, dict[int, str]] = {}

    def _select(self, *what: Any) -> sa.Select[Any]:
        stmt = sa.select(*what).select_from(self.model._table)
        if self._where is not None:
            stmt = stmt.where(self._where)
        return stmt

    async def count(self) -> int:
        """How many records match (one COUNT on the filtered table)."""
        with self.model._registry.db.connect() as conn:
            return int(conn.execute(self._select(sa.func.count())).scalar_one())

    async def ids(self) -> list[int]:
        """Every matching id in the listing's order (cheap: one index-ordered id scan)."""
        stmt = self._select(self.model._table.c.id).order_by(*self._order)
        with self.model._registry.db.connect() as conn:
            return [int(i) for i in conn.execute(stmt).scalars()]

    async def page(self, offset: int = 0, limit: int = 100) -> list[Row]:
        """`limit` rows from position `offset` in the listing's order."""
        offset = max(0, int(offset))
        limit = max(0, min(int(limit), MAX_PAGE))
        stmt = self._select(*self._selected).order_by(*self._order).offset(offset).limit(limit)
        with self.model._registry.db.connect() as conn:
            found = conn.execute(stmt).all()
        return self._rows(found)

    async def rows(self, ids: Sequence[int]) -> list[Row]:
        """The rows of `ids` (in the order given; ids that vanished are left out)."""
        wanted = [int(i) for i in ids][:MAX_PAGE]
        if not wanted:
            return []
        table = self.model._table
        stmt = sa.select(*self._selected).where(table.c.id.in_(wanted))
        with self.model._registry.db.connect() as conn:
            found = conn.execute(stmt).all()
        rows = {row[0]: row for row in found}
        return self._rows([rows[i] for i in wanted if i in rows])

    def _rows(self, found: Sequence[Any]) -> list[Row]:
        related = self._related_names(found)
        rows: list[Row] = []
        for raw in found:
            values: dict[str, Any] = {}
            texts: dict[str, str] = {}
            refs: dict[str, int | None] = {}
            for plan in self._plan:
                name = plan.name
                if plan.index is None:
                    values[name], texts[name] = None, ""
                    continue
                value = plan.declared.from_column(raw[plan.index])
                if value is None:
                    values[name], texts[name] = None, ""
                    if plan.kind == "relation":
                        refs[name] = None
                elif plan.kind == "relation":
                    refs[name] = value
                    shown = related.get(name, {}).get(value)
                    values[name], texts[name] = shown, shown or ""
                elif plan.kind == "money":
                    currency = raw[plan.currency_at] if plan.currency_at is not None else None
                    values[name], texts[name] = value, _money_text(value, currency)
                else:
                    values[name], texts[name] = value, _format(plan.declared, value)
            rows.append(Row(int(raw[0]), values, texts, refs))
        return rows

    def _related_names(self, found: Sequence[Any]) -> dict[str, dict[int, str]]:
        """Names of the records the many-to-one columns of `found` point at (one query per
        column for the ids not met before in this listing)."""
        out = self._names
        registry = self.model._registry
        for plan in self._plan:
            if plan.kind != "relation":
                continue
            known = out.setdefault(plan.name, {})
            ids = {raw[plan.index] for raw in found} - {None} - known.keys()
            if not ids:
                continue
            comodel = registry[plan.declared.comodel_name]  # type: ignore[attr-defined]
            table = comodel._table
            has_name = "name" in table.c
            what = [table.c.id, table.c.name] if has_name else [table.c.id]
            with registry.db.connect() as conn:
                result = conn.execute(sa.select(*what).where(table.c.id.in_(sorted(ids)))).all()
            known.update(
                (int(r[0]), _display_name({"name": r[1] if has_name else None}, int(r[0])))
                for r in result
            )
        return out


# --------------------------------------------------------------------------- the service


class RecordsService:
    """Records of the installed modules for the active company: list, read, create, update,
    resync. Every method checks names and values with the engine's own rules."""

    def __init__(self, system: System) -> None:
        self.system = system

    # -- catalogue -------------------------------------------------------------------------
    def _view_rows(self) -> list[Any]:
        UiView = self.system.registry["UiView"]
        table = UiView._table
        installed = set(self.system.installed)
        stmt = (
            sa.select(table.c.identifier, table.c.model, table.c.type, table.c.module)
            .where(table.c.inherit.is_(None))
            .order_by(table.c.sequence, table.c.id)
        )
        with self.system.db.connect() as conn:
            return [r for r in conn.execute(stmt).all() if r.module in installed]

    def models(self, integration: str | None = None) -> list[ModelInfo]:
        """Models that have a List view, in module install order.

        With `integration` (a module identifier): the models that integration syncs, i.e.
        whose List view its own module or one of its direct dependencies ships.
        """
        rows = self._view_rows()
        lists = {r.model: r for r in rows if r.type == "List" and r.model}
        forms = {r.model: r.identifier for r in rows if r.type == "Form" and r.model}
        modules: set[str] | None = None
        if integration is not None:
            found = self.system.discovered.get(integration)
            if found is None or not self.system.is_installed(integration):
                raise RecordsUsageError(f"There is no installed integration {integration!r}.")
            modules = {integration, *found.manifest.dependencies}
        rank = {m: i for i, m in enumerate(self.system.installed)}
        infos: list[ModelInfo] = []
        for name, row in lists.items():
            if name in FRAMEWORK_MODELS or name not in self.system.registry:
                continue
            if modules is not None and row.module not in modules:
                continue
            model = self.system.registry[name]
            label = str(model._verbose_name or name)
            plural = getattr(model, "_verbose_name_plural", None) or _plural(label)
            form_view = forms.get(name)
            infos.append(
                ModelInfo(
                    name=name,
                    label=label,
                    plural_label=str(plural),
                    module=row.module,
                    list_view=row.identifier,
                    form_view=form_view,
                    can_create=bool(getattr(model, "_records_create", False)) and bool(form_view),
                    can_edit=bool(getattr(model, "_records_edit", False)) and bool(form_view),
                )
            )
        infos.sort(key=lambda i: (rank.get(i.module, len(rank)), i.name))
        return infos

    def model_info(self, name: str) -> ModelInfo:
        """The offered model called `name` (its name, label or plural label, any case)."""
        wanted = name.strip().casefold()
        infos = self.models()
        for info in infos:
            if wanted in (
                info.name.casefold(),
                info.label.casefold(),
                info.plural_label.casefold(),
            ):
                return info
        offered = ", ".join(i.name for i in infos) or "none (install a module first)"
        raise RecordsUsageError(f"There is no record type {name!r} (offered: {offered}).")

    def _model(self, name: str) -> tuple[ModelInfo, type[Model]]:
        info = self.model_info(name)
        return info, self.system.registry[info.name]

    def columns(self, model: str) -> list[Column]:
        """The columns of the model's merged List view, in order."""
        info, cls = self._model(model)
        columns: list[Column] = []
        seen: set[str] = set()
        for element in iter_field_elements(self.system.views.merged_arch(info.list_view)):
            declared = cls._fields.get(element.name)
            if declared is None or element.name in seen or declared.company_scoped:
                continue
            seen.add(element.name)
            stored = declared.stored and not isinstance(declared, OneToMany)
            columns.append(
                Column(
                    name=element.name,
                    label=str(element.properties.get("label") or declared.label),
                    type_name=declared.type_name,
                    sortable=stored,
                    searchable=stored and bool(getattr(declared, "textual", False)),
                    choices=tuple(getattr(declared, "choices", ()) or ()),
                )
            )
        return columns

    # -- listing ---------------------------------------------------------------------------
    def listing(
        self,
        model: str,
        *,
        filter: str | None = None,
        search: str | None = None,
        sort: str | None = None,
        integration: str | None = None,
    ) -> Listing:
        """The records of `model` of the active company, narrowed and ordered.

        `filter`: a Q-expression, checked as views' Q-expressions are (same sentences);
        `search`: plain text found (case-insensitively) in any searchable column; `sort`: a
        column name, `-name` for descending (default: the model's own order); `integration`:
        only that integration's records (its own, or those mapped to it).
        """
        info, cls = self._model(model)
        columns = self.columns(info.name)
        table = cls._table
        parts: list[sa.ColumnElement[bool]] = []
        company = _company_field(cls)
        if company is not None:
            parts.append(table.c[cls._fields[company].column_name] == self.system.env.cid)
        if filter is not None and filter.strip():
            parts.append(self._filter_sql(cls, filter))
        if search is not None and search.strip():
            parts.append(self._search_sql(cls, columns, search.strip()))
        if integration is not None:
            parts.append(self._integration_sql(cls, integration))
        where = sa.and_(*parts) if parts else None
        return Listing(self, cls, columns, where, self._order(cls, columns, sort))

    def _filter_sql(self, cls: type[Model], text: str) -> sa.ColumnElement[bool]:
        try:
            query = cls.filter(text)
        except ValidationError as exc:
            raise RecordsUsageError(str(exc), field="filter") from None
        where = query._where()
        assert where is not None
        return where

    def _search_sql(
        self, cls: type[Model], columns: list[Column], text: str
    ) -> sa.ColumnElement[bool]:
        searchable = [c.name for c in columns if c.searchable]
        if not searchable:
            return sa.false()
        if self.system.db.dialect_name == "sqlite" and text.isascii():
            return _ascii_search_sqlite(cls, searchable, text)
        q: Q | None = None
        for name in searchable:
            part = Q(**{f"{name}__icontains": text})
            q = part if q is None else q | part
        assert q is not None
        where = cls.filter(q)._where()
        assert where is not None
        return where

    def _integration_sql(self, cls: type[Model], identifier: str) -> sa.ColumnElement[bool]:
        integration_id = self._integration_id(identifier)
        table = cls._table
        own = _integration_field(cls)
        if own is not None:
            return table.c[cls._fields[own].column_name] == integration_id
        Mapper = self.system.registry["IntegrationMapper"]
        mt = Mapper._table
        mapped = sa.select(mt.c.local_id).where(
            _column(Mapper, "integration") == integration_id, mt.c.model == cls._name
        )
        # local_id is text (the reference page's Char); compare as text so both databases
        # can use the mapper's (integration, model, local_id) index.
        return sa.cast(table.c.id, sa.String(255)).in_(mapped)

    def _integration_id(self, identifier: str) -> int:
        Integration = self.system.registry["Integration"]
        Module = self.system.registry["Module"]
        it, mt = Integration._table, Module._table
        stmt = (
            sa.select(it.c.id)
            .join(mt, mt.c.id == _column(Integration, "module"))
            .where(
                mt.c.identifier == identifier,
                _column(Integration, "company") == self.system.env.cid,
            )
        )
        with self.system.db.connect() as conn:
            found = conn.execute(stmt).scalar()
        if found is None:
            raise RecordsUsageError(f"There is no integration {identifier!r} in this company.")
        return int(found)

    def _order(
        self, cls: type[Model], columns: list[Column], sort: str | None
    ) -> list[sa.ColumnElement[Any]]:
        table = cls._table
        keys = [sort] if sort else [k.strip() for k in cls._order.split(",") if k.strip()]
        order: list[sa.ColumnElement[Any]] = []
        for key in keys:
            descending = key.startswith("-")
            bare = key.lstrip("-").strip()
            if bare == "id":
                column = table.c.id
            else:
                declared = cls._fields.get(bare)
                sortable = {c.name for c in columns if c.sortable}
                if declared is None or (sort and bare not in sortable) or not declared.stored:
                    names = ", ".join(sorted(sortable)) or "none"
                    raise RecordsUsageError(
                        f"{cls._name} lists cannot be sorted by {bare!r} (columns: {names}).",
                        field="sort",
                    )
                column = table.c[declared.column_name]
            order.append(column.desc() if descending else column.asc())
        if not any(key.lstrip("-").strip() == "id" for key in keys):
            # Equal keys still come in one fixed order, so pages never overlap or skip.
            last_descending = bool(keys) and keys[-1].startswith("-")
            order.append(table.c.id.desc() if last_descending else table.c.id.asc())
        return order

    # -- one record --------------------------------------------------------------------------
    async def record(self, model: str, record_id: int) -> Model:
        """The record of the active company (MissingError if it is not there)."""
        info, cls = self._model(model)
        record = cls._load_one_sync(int(record_id), missing_ok=True)
        company = _company_field(cls)
        if record is None or (
            company is not None and getattr(record, f"{company}_id") != self.system.env.cid
        ):
            raise MissingError(f"There is no {info.label} #{record_id} in this company.")
        return record

    def form_fields(self, model: str, record: Model) -> list[FormField]:
        """The record's merged Form view evaluated now (its List columns if it has none)."""
        info = self.model_info(model)
        if info.form_view is not None:
            return self.system.views.evaluate_form(record, info.form_view)
        return [
            FormField(
                name=c.name,
                label=c.label,
                widget="Text",
                type_name=c.type_name,
                hint=None,
                visible=True,
                readonly=True,
                required=False,
                company_scoped=False,
                secret=False,
                choices=c.choices,
                path=(),
            )
            for c in self.columns(info.name)
        ]

    async def detail(self, model: str, record_id: int) -> RecordDetail:
        """One record's form fields (evaluated for it) and its mappings."""
        info, cls = self._model(model)
        record = await self.record(info.name, record_id)
        fields: list[DetailField] = []
        for item in self.form_fields(info.name, record):
            declared = cls._fields[item.name]
            if item.secret:
                # A secret is never shown, only whether it is set (as the integration form).
                value = text = item.display_value(record)
            else:
                value = getattr(record, item.name)
                text = _format(declared, value)
            if isinstance(declared, ManyToOne):
                value = None if value is None else value.id
                related = getattr(record, item.name)
                text = "" if related is None else _display_name(related._values, related.id)
            fields.append(
                DetailField(
                    name=item.name,
                    label=item.label,
                    widget=item.widget,
                    type_name=item.type_name,
                    hint=item.hint,
                    value=value,
                    text=text,
                    visible=item.visible,
                    readonly=item.readonly,
                    required=item.required,
                    choices=item.choices,
                    path=item.path,
                    max_length=getattr(declared, "max_length", None),
                )
            )
        title = _display_name(record._values, int(record.id))
        if title.startswith("#"):
            # No name: the first column of its list says which one it is (a tracking number).
            first = (await self.listing(info.name).rows([int(record.id)]) or [None])[0]
            shown = next((t for t in first.texts.values() if t), "") if first else ""
            title = f"{info.label} {shown}" if shown else f"{info.label} #{record.id}"
        return RecordDetail(
            info.name, int(record.id), title, fields, await self.mappings(info.name, record.id)
        )

    async def mappings(self, model: str, record_id: int) -> list[RecordMapping]:
        """The record's link to each integration of the company that maps or owns it."""
        from ffdesk.services.record_links import record_mappings

        info, _ = self._model(model)
        record = await self.record(info.name, record_id)
        return await record_mappings(self.system, record)

    # -- changes -----------------------------------------------------------------------------
    async def create(
        self, model: str, values: Mapping[str, str], *, integration: str | None = None
    ) -> Model:
        """A new record of the active company from typed values (only fields the Form view
        lets a user edit); `integration` makes it that integration's (a test SMS for
        Twilio, a shipment for UPS) when the model has an `integration` field."""
        from ffdesk.services.record_edits import create_record

        info, cls = self._model(model)
        if not info.can_create:
            raise UserError(f"{info.plural_label} cannot be created here.")
        integration_id = None
        if integration is not None and _integration_field(cls) is not None:
            integration_id = self._integration_id(integration)
        return await create_record(self, info, cls, values, integration_id=integration_id)

    async def update(self, model: str, record_id: int, values: Mapping[str, str]) -> Model:
        """Change a record from typed values (only fields its Form view lets a user edit)."""
        from ffdesk.services.record_edits import update_record

        info, _ = self._model(model)
        if not info.can_edit:
            raise UserError(f"{info.plural_label} cannot be changed here.")
        record = await self.record(info.name, record_id)
        return await update_record(self, info, record, values)

    async def import_contacts(self, path: Path) -> ImportReport:
        """Import a CSV file of contacts (name, email, phone) as `ffdesk contacts import`
        does: bad rows are skipped and reported by line number ("line 4: ...")."""
        from ffdesk.services.contacts import import_csv

        return await import_csv(self.system, path)

    async def send_now(self, model: str, record_id: int) -> RunOutcome:
        """Send one queued record (a test SMS) at once through the integration it belongs to:
        the push of that one record, recorded as a sync run. Without it the next sync sends
        it."""
        info, cls = self._model(model)
        record = await self.record(info.name, record_id)
        owner = record.integration_id if _integration_field(cls) is not None else None
        if owner is None:
            raise UserError(f"{info.label} #{record_id} belongs to no integration to send it.")
        integration = self.system.registry["Integration"]._load_one_sync(owner, missing_ok=True)
        if integration is None or integration.module is None:
            raise UserError(f"The integration of {info.label} #{record_id} is gone.")
        return await self.resync(info.name, record.id, integration.module.identifier)

    async def resync(self, model: str, record_id: int, integration: str) -> RunOutcome:
        """Send or fetch one record again through `integration` (a recorded sync run)."""
        from ffdesk.services.integrations import resync

        info, _ = self._model(model)
        record = await self.record(info.name, record_id)
        target = await self.system.integration(integration)
        return await resync(target, info.name, str(record.id))
