"""`Model`: the base of every declaration and the asynchronous record API over SQLAlchemy."""

from __future__ import annotations

import contextvars
import inspect
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ffdesk.engine import audit, company_values
from ffdesk.engine.env import ModelRegistry, current_env, env_ctx
from ffdesk.engine.errors import MissingError, ValidationError
from ffdesk.engine.fields import Char, Field, ManyToOne, OneToMany
from ffdesk.engine.query import Query

#: Every class that subclasses Model, in definition order; the registry picks its own.
DECLARATIONS: list[type[Model]] = []
_ADDON_PREFIX = "ffdesk.addons."
#: (final model class, id) of records a many-to-one was found to point at, in the current
#: `references_checked_once` scope; None outside one (every reference is looked up).
_checked_references: contextvars.ContextVar[set[tuple[type[Model], int]] | None] = (
    contextvars.ContextVar("ffdesk_checked_references", default=None)
)


@contextmanager
def references_checked_once() -> Iterator[None]:
    """Within it, a referenced record found to exist is not looked up again on later saves.

    A sync run writes thousands of rows that point at the same integration: one look-up is
    enough. Only look-ups made in a short transaction of their own are remembered (what
    they found is committed), and deleting a record through the model forgets it.
    """
    token = _checked_references.set(set())
    try:
        yield
    finally:
        _checked_references.reset(token)


def declaring_module(decl: type) -> str:
    """The module identifier that declared a class (`base` for ffdesk's own models)."""
    explicit = decl.__dict__.get("_ffdesk_module")
    if explicit:
        return str(explicit)
    name = decl.__module__
    if name.startswith(_ADDON_PREFIX):
        return name[len(_ADDON_PREFIX) :].split(".", 1)[0]
    return "base"


def _first_parameter(function: Any) -> str | None:
    try:
        params = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return None
    return params[0] if params else None


class _Layout:
    """What creating and saving records of one final class needs, worked out once.

    A sync saves a mapper row per record: asking each field's properties on every save cost
    more CPU than SQLite's insert. Final classes never change their fields once built.
    """

    __slots__ = ("columns", "defaults", "loads", "plain", "required", "secrets")

    def __init__(self, fields: dict[str, Field]) -> None:
        #: Fields that get a default on a new record.
        self.defaults = tuple(
            (name, field) for name, field in fields.items() if field.stored and field.has_default
        )
        stored = {
            name: field
            for name, field in fields.items()
            if field.stored and not isinstance(field, OneToMany)
        }
        #: Field name -> (field, column name, whether it is a many-to-one, its `to_column` or
        #: None when it stores values as they are), for stored columns.
        self.columns = {
            name: (
                field,
                field.column_name,
                isinstance(field, ManyToOne),
                _unless_identity(field.to_column, Field.to_column),
            )
            for name, field in stored.items()
        }
        #: (field name, column name, its `from_column` or None) to read a stored row.
        self.loads = tuple(
            (name, field.column_name, _unless_identity(field.from_column, Field.from_column))
            for name, field in stored.items()
        )
        #: Stored fields that are no relation: a value given for one is kept as it is until
        #: the save checks it (what `Model._write` does for them).
        self.plain = frozenset(
            name for name, field in stored.items() if not isinstance(field, ManyToOne)
        )
        #: (name, field, whether "" counts as missing) of the required stored fields.
        self.required = tuple(
            (name, field, isinstance(field, Char))
            for name, field in fields.items()
            if field.required and field.stored
        )
        #: Company-scoped fields (their values go to the secret store).
        self.secrets = tuple(name for name, field in fields.items() if field.company_scoped)


def _unless_identity(method: Any, base: Any) -> Any:
    """`method` (a field's bound conversion), or None when it is the base's identity."""
    return None if getattr(method, "__func__", None) is base else method


class Model:
    """Base of model declarations; the registry builds one final class per model name.

    Final classes carry `_name`, `_fields`, `_table` and `_registry`; their instances are
    records. Field values are read and written as attributes.
    """

    __inherit__: ClassVar[str | None] = None
    _verbose_name: ClassVar[str | None] = None
    _unique_together: ClassVar[tuple[tuple[str, ...], ...]] = ()
    #: Groups of fields indexed together (filter by the first, order by the next).
    _index_together: ClassVar[tuple[tuple[str, ...], ...]] = ()
    _order: ClassVar[str] = "id"

    # Set on final classes by the registry.
    _name: ClassVar[str] = ""
    _fields: ClassVar[dict[str, Field]] = {}
    _table: ClassVar[sa.Table]
    _registry: ClassVar[ModelRegistry]
    _module_values: ClassVar[dict[str, dict[str, Any]]] = {}
    _company_scoped: ClassVar[tuple[str, ...]] = ()
    #: Changes of this model's records go to the audit trail (ffdesk.engine.audit).
    _audit: ClassVar[bool] = False
    #: Fields the program maintains itself: their changes make no audit entry.
    _audit_ignore: ClassVar[frozenset[str]] = frozenset()
    #: Whether creating a record is an entry (not for records the program makes itself).
    _audit_creation: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("_is_final"):
            return
        # The page writes class-level methods with a `cls` first parameter and no decorator.
        for attr, value in list(cls.__dict__.items()):
            if inspect.isfunction(value) and _first_parameter(value) == "cls":
                setattr(cls, attr, classmethod(value))
        DECLARATIONS.append(cls)

    # -- records -------------------------------------------------------------------------
    def __init__(self, **values: Any) -> None:
        self.id: int | None = None
        self._values: dict[str, Any] = {}
        self._related: dict[str, Any] = {}
        self._secrets: dict[str, str | None] = {}  # read cache, for company _secret_cid
        self._secret_cid: int | None = None
        # Unsaved company-scoped edits, each with the company it was typed for.
        self._pending_secrets: dict[str, tuple[int | None, str | None]] = {}
        self._dirty: set[str] = set()
        layout = self._layout()
        for name, field in layout.defaults:
            self._values[name] = field.get_default()
            self._dirty.add(name)
        plain = layout.plain
        for name, value in values.items():
            if name in plain:
                # What setting the attribute does for such a field, without the descriptor's
                # round trip: a sync creates a mapper row per record.
                self._values[name] = value
                self._dirty.add(name)
            elif name in self._fields:
                setattr(self, name, value)
            else:
                raise self._unknown_field(name)

    @classmethod
    def _layout(cls) -> _Layout:
        """This final class's `_Layout`, made on first use."""
        layout = cls.__dict__.get("_layout_cache")
        if layout is None:
            layout = _Layout(cls._fields)
            setattr(cls, "_layout_cache", layout)  # noqa: B010 (on the final class only)
        return layout

    @classmethod
    def _statement(cls, kind: str) -> Any:
        """Statements that every save runs, built once per final class (the values are bound
        as parameters, so SQLAlchemy's compiled cache serves every call)."""
        cache = cls.__dict__.get("_statements")
        if cache is None:
            cache = {}
            setattr(cls, "_statements", cache)  # noqa: B010 (on the final class only)
        stmt = cache.get(kind)
        if stmt is None:
            table = cls._table
            if kind == "update":
                stmt = table.update().where(table.c.id == sa.bindparam("_ffdesk_pk"))
            else:
                stmt = sa.select(table.c.id).where(table.c.id == sa.bindparam("pk"))
            cache[kind] = stmt
        return stmt

    @classmethod
    def _unknown_field(cls, name: str) -> ValidationError:
        known = ", ".join(sorted(cls._fields))
        return ValidationError(f"{cls._name} has no field {name!r} (its fields: {known}).")

    @classmethod
    def _from_row(cls, row: Any) -> Model:
        record = cls.__new__(cls)
        record.id = row.id
        record._values = {}
        record._related = {}
        record._secrets = {}
        record._secret_cid = None
        record._pending_secrets = {}
        record._dirty = set()
        mapping = row._mapping
        values = record._values
        for name, column, load in cls._layout().loads:
            value = mapping[column]
            values[name] = value if load is None else load(value)
        if cls._audit:
            # What this copy was read as: a save refuses to overwrite what changed since.
            record._loaded = dict(record._values)
        return record

    def __repr__(self) -> str:
        label = self._values.get("name")
        suffix = f" {label!r}" if isinstance(label, str) else ""
        return f"<{self._name} #{self.id}{suffix}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model):
            return NotImplemented
        if self.id is None or other.id is None:
            return self is other
        return self._name == other._name and self.id == other.id

    def __hash__(self) -> int:
        return hash((self._name, self.id)) if self.id is not None else id(self)

    # -- field access (called by Field descriptors) ----------------------------------
    def _read(self, field: Field) -> Any:
        name = field.name
        if field.company_scoped:
            return self._read_secret(field)
        if isinstance(field, ManyToOne):
            if name in self._related:
                return self._related[name]
            related_id = self._values.get(name)
            if isinstance(related_id, Model):
                # An unsaved edit that assigned a record (fetch_related dropped the cache):
                # reload it by its id, or keep it while it has none.
                if related_id.id is None:
                    self._related[name] = related_id
                    return related_id
                related_id = related_id.id
            if related_id is None:
                return None
            comodel = self._registry[field.comodel_name]
            related = comodel._load_one_sync(related_id, missing_ok=True)
            self._related[name] = related
            return related
        if isinstance(field, OneToMany):
            if name not in self._related:
                self._related[name] = self._load_one_to_many(field)
            return self._related[name]
        return self._values.get(name)

    def _write(self, field: Field, value: Any) -> None:
        name = field.name
        if field.company_scoped:
            self._pending_secrets[name] = (self._active_cid(), value)
            self._dirty.add(name)
            return
        if isinstance(field, OneToMany):
            raise ValidationError(
                f"{self._name}.{name} lists related records; set the other side instead."
            )
        if isinstance(field, ManyToOne):
            if isinstance(value, Model):
                self._related[name] = value
            else:
                self._related.pop(name, None)
        self._values[name] = value
        self._dirty.add(name)

    def _active_cid(self) -> int | None:
        try:
            return env_ctx.get().cid
        except LookupError:
            return None

    def _read_secret(self, field: Field) -> str | None:
        cid = self._active_cid()
        pending = self._pending_secrets.get(field.name)
        if pending is not None and pending[0] in (cid, None):
            return pending[1]  # typed for this company, not saved yet
        if self._secret_cid != cid:
            # The active company changed: what was read belongs to another company.
            self._secrets = {}
            self._secret_cid = cid
        name = field.name
        if name not in self._secrets:
            if self.id is None or cid is None:
                return None
            if field.secret:
                self._secrets[name] = current_env().secrets.get(cid, self._name, self.id, name)
            else:
                self._secrets[name] = company_values.read(
                    self._registry, cid, self._name, self.id, name
                )
        return self._secrets[name]

    def _load_one_to_many(self, field: OneToMany) -> list[Model]:
        if self.id is None:
            return []
        comodel = self._registry[field.comodel_name]
        inverse = comodel._fields[field.inverse_name]
        table = comodel._table
        stmt = sa.select(table).where(table.c[inverse.column_name] == self.id).order_by(table.c.id)
        with self._registry.db.connect() as conn:
            return [comodel._from_row(row) for row in conn.execute(stmt)]

    @classmethod
    def _load_one_sync(cls, record_id: int, *, missing_ok: bool = False) -> Model | None:
        stmt = sa.select(cls._table).where(cls._table.c.id == record_id)
        with cls._registry.db.connect() as conn:
            row = conn.execute(stmt).first()
        if row is None:
            if missing_ok:
                return None
            raise MissingError(f"{cls._name} #{record_id} does not exist (any more).")
        return cls._from_row(row)

    def __getattr__(self, name: str) -> Any:
        # `integration.company_id` gives the stored id of a many-to-one without loading it.
        if name.endswith("_id") and not name.startswith("_"):
            field = type(self)._fields.get(name[:-3])
            if isinstance(field, ManyToOne):
                return self.__dict__.get("_values", {}).get(field.name)
        raise AttributeError(f"{type(self).__name__!s} record has no attribute {name!r}")

    # -- class-level API -------------------------------------------------------------
    @classmethod
    async def create(cls, **values: Any) -> Model:
        """Create, validate and save a record; nothing is written if a value is wrong."""
        record = cls(**values)
        await record.save()
        return record

    @classmethod
    def new(cls, **values: Any) -> Model:
        """An unsaved record with defaults applied (forms edit these before saving)."""
        return cls(**values)

    @classmethod
    def filter(cls, *qs: Any, **lookups: Any) -> Query:
        return Query(cls).filter(*qs, **lookups)

    @classmethod
    def all(cls) -> Query:
        return Query(cls)

    @classmethod
    def order_by(cls, *names: str) -> Query:
        return Query(cls).order_by(*names)

    @classmethod
    async def get(cls, record_id: int | None = None, **lookups: Any) -> Model:
        """The record with this id (or these lookups); MissingError if there is none."""
        if record_id is not None:
            record = cls._load_one_sync(record_id)
            assert record is not None
            return record
        return await Query(cls).filter(**lookups).get()

    @classmethod
    async def count(cls) -> int:
        return await Query(cls).count()

    @classmethod
    async def exists(cls, *qs: Any, **lookups: Any) -> bool:
        return await Query(cls).filter(*qs, **lookups).exists()

    @classmethod
    def _values_for_module(cls, identifier: str) -> dict[str, Any]:
        """Field values that module `identifier` sets by class attributes (`cron_sync_method`)."""
        return dict(cls._module_values.get(identifier, {}))

    # -- instance API ------------------------------------------------------------------
    def _validated_row(
        self,
        names: Iterable[str],
        *,
        remember: bool = False,
        unchecked: list[tuple[ManyToOne, int]] | None = None,
    ) -> dict[str, Any]:
        """The row to store, values checked; a reference not known to exist yet is looked up,
        or, with `unchecked` given, listed there instead."""
        layout = self._layout()
        columns = layout.columns
        values = self._values
        row: dict[str, Any] = {}
        for name in names:
            stored = columns.get(name)
            if stored is None:
                continue  # not a column: company-scoped or one-to-many
            field, column, reference, to_column = stored
            value = field.convert(values.get(name))
            if reference and value is not None:
                if unchecked is None:
                    self._check_reference(field, value, remember=remember)  # type: ignore[arg-type]
                elif not self._reference_known(field, value):  # type: ignore[arg-type]
                    unchecked.append((field, value))  # type: ignore[arg-type]
            values[name] = value
            row[column] = value if to_column is None else to_column(value)
        for name, field, blank_is_missing in layout.required:
            value = values.get(name)
            if value is None or (blank_is_missing and value == ""):
                raise ValidationError(f"{self._name}.{name} ({field.label}) is required.")
        return row

    def _reference_known(self, field: ManyToOne, related_id: int) -> bool:
        """True when this run already found the record `field` points at."""
        checked = _checked_references.get()
        return checked is not None and (self._registry[field.comodel_name], related_id) in checked

    def _check_reference(self, field: ManyToOne, related_id: int, *, remember: bool) -> None:
        checked = _checked_references.get()
        comodel = self._registry[field.comodel_name]
        key = (comodel, related_id)  # the final class: one registry's, one database's
        if checked is not None and key in checked:
            return
        with self._registry.db.connect() as conn:
            if conn.execute(comodel._statement("exists"), {"pk": related_id}).first() is None:
                raise ValidationError(
                    f"{self._name}.{field.name} refers to {field.comodel_name} #{related_id}, "
                    "which does not exist."
                )
        if checked is not None and remember:
            checked.add(key)

    async def save(self) -> None:
        """Validate and write the record; its company-scoped values go to the secret store."""
        cls = type(self)
        db = cls._registry.db
        if self.id is None:
            names: Iterable[str] = self._fields  # its names, in declaration order
            secret_names = list(self._layout().secrets)
        else:
            names = list(self._dirty)
            secret_names = [n for n in names if self._fields[n].company_scoped]
        audited = audit.audited_fields(self, list(names)) if cls._audit else []
        # A reference found in a transaction of our own is committed: safe to remember.
        own_transaction = not db.in_transaction()
        if own_transaction and self.id is None and not secret_names and not audited:
            new_id = self._insert_alone(names)
            if new_id is not None:
                self.id = new_id
                self._dirty.clear()
                return
        try:
            with db.savepoint() as conn:
                row = self._validated_row(names, remember=own_transaction)
                created = self.id is None
                before = audit.old_values(conn, self, audited) if audited and not created else {}
                if before:
                    audit.refuse_lost_update(conn, self, before)
                if created:
                    self.id = db.insert_row(conn, cls._table, row)
                elif row:
                    result = conn.execute(cls._statement("update"), {**row, "_ffdesk_pk": self.id})
                    if result.rowcount == 0:
                        raise MissingError(f"{cls._name} #{self.id} does not exist (any more).")
                # Secrets last, inside the savepoint: a refused secret (no keyring, no active
                # company) rolls the row back, and a refused row never touches the secrets.
                try:
                    self._write_secrets(secret_names, conn)
                except BaseException:
                    if created:
                        self.id = None
                    raise
                if audited:
                    changes = audit.changes_of(self, audited, before, created)
                    if changes and (cls._audit_creation or not created):
                        action = "created" if created else "changed"
                        audit.write_entry(conn, self, action, changes, audit.company_of(self))
        except IntegrityError as exc:
            raise self._integrity_error(exc) from None
        self._dirty.clear()
        if cls._audit:
            self._loaded = dict(self._values)

    def _insert_alone(self, names: Iterable[str]) -> int | None:
        """Insert this new record in a short transaction of its own (`Database.insert_alone`):
        its id, or None when the general way must be taken.

        That way has no room for a reference look-up, so it is taken only once every record
        this one points at was found in this run (a sync's mapper rows, after the first).
        """
        cls = type(self)
        db = cls._registry.db
        if db.damaged or not db.inserts_alone:
            return None  # the general way (which also says why a damaged file is not written)
        unchecked: list[tuple[ManyToOne, int]] = []
        row = self._validated_row(names, unchecked=unchecked)
        if unchecked:
            return None
        try:
            return db.insert_alone(cls._table, row)
        except IntegrityError as exc:
            raise self._integrity_error(exc) from None

    def _write_secrets(self, names: list[str], conn: sa.Connection) -> None:
        """Write pending company-scoped edits, each for the company it was typed for."""
        if not names or self.id is None:
            return
        active = self._active_cid()
        # An edit made with no company active (plain code) belongs to the one active now.
        pending = {
            n: (cid if cid is not None else active, value)
            for n, (cid, value) in self._pending_secrets.items()
            if n in names
        }
        if not pending:
            return
        if any(cid is None and value for cid, value in pending.values()):
            raise ValidationError(
                f"{self._name}: company-scoped values need an active company to be saved."
            )
        store = current_env().secrets
        db = self._registry.db
        for name, (cid, value) in pending.items():
            if cid is not None and not self._fields[name].secret:
                # Readable (secret=False): a row of this transaction, undone with it.
                company_values.write(
                    conn, self._registry, cid, self._name, self.id, name, value or None
                )
                if cid == self._secret_cid:
                    self._secrets[name] = value if value else None
            elif cid is not None:
                _set_secret_undoably(db, store, (cid, self._name, self.id, name), value or None)
                if cid == self._secret_cid:
                    self._secrets[name] = value if value else None
            del self._pending_secrets[name]
            self._dirty.discard(name)

    def _integrity_error(self, exc: IntegrityError) -> ValidationError:
        text = str(exc.orig)
        sets = self._unique_sets()
        # The database names the columns of the violated constraint ("UNIQUE constraint
        # failed: thing.code, thing.num"); pick the set it names, not merely the first one.
        named = [
            names
            for names in sets
            if all(
                re.search(rf"\b{re.escape(self._fields[n].column_name)}\b", text)
                for n in names
                if n in self._fields
            )
        ]
        if not named and "UNIQUE" in text.upper() and len(sets) == 1:
            named = sets
        if named:
            columns = max(named, key=len)
            values = ", ".join(f"{c}={self._values.get(c)!r}" for c in columns)
            return ValidationError(
                f"A {self._name} with {values} already exists ({', '.join(columns)} "
                "must be unique)."
            )
        return ValidationError(f"{self._name} could not be saved: {text}")

    @classmethod
    def _unique_sets(cls) -> list[tuple[str, ...]]:
        sets = [tuple(group) for group in cls._unique_together]
        sets += [(name,) for name, f in cls._fields.items() if f.unique]
        return sets

    async def delete(self) -> None:
        """Delete the record, honouring on_delete of every relation that points at it."""
        if self.id is None:
            return
        removed: list[tuple[type[Model], int]] = []
        with self._registry.db.savepoint() as conn:
            if type(self)._audit:
                audit.write_entry(conn, self, "deleted", [], audit.company_of(self))
            self._delete_in(conn, removed)
        checked = _checked_references.get()
        if checked:
            checked.difference_update(removed)
        self._forget_secrets(removed)
        self.id = None

    def _delete_in(self, conn: sa.Connection, removed: list[tuple[type[Model], int]]) -> None:
        cls = type(self)
        for comodel, field in cls._registry.references_to(cls._name):
            column = comodel._table.c[field.column_name]
            if field.on_delete == "RESTRICT":
                count = conn.execute(
                    sa.select(sa.func.count()).select_from(comodel._table).where(column == self.id)
                ).scalar_one()
                if count:
                    raise ValidationError(
                        f"Cannot delete {cls._name} #{self.id}: {count} {comodel._name} "
                        f"record(s) refer to it through {comodel._name}.{field.name}."
                    )
            elif field.on_delete == "CASCADE":
                rows = conn.execute(sa.select(comodel._table).where(column == self.id)).all()
                for row in rows:
                    comodel._from_row(row)._delete_in(conn, removed)
            else:
                conn.execute(
                    sa.update(comodel._table)
                    .where(column == self.id)
                    .values({field.column_name: None})
                )
        conn.execute(sa.delete(cls._table).where(cls._table.c.id == self.id))
        if any(not cls._fields[n].secret for n in cls._company_scoped):
            company_values.delete_record(conn, cls._registry, cls._name, int(self.id))  # type: ignore[arg-type]
        removed.append((cls, int(self.id)))  # type: ignore[arg-type]

    def _forget_secrets(self, removed: list[tuple[type[Model], int]]) -> None:
        try:
            env = env_ctx.get()
        except LookupError:
            return
        for model, record_id in removed:
            if not model._company_scoped:
                continue
            for cid in env.cids:
                for name in model._company_scoped:
                    if not model._fields[name].secret:
                        continue  # its rows went with the record (company_values)
                    key = (cid, model._name, record_id, name)
                    _set_secret_undoably(self._registry.db, env.secrets, key, None)

    async def fetch_related(self, *names: str) -> None:
        """Load the named relations (`module`, `company`, `mappings`) into the record."""
        for name in names:
            field = self._fields.get(name)
            if field is None:
                raise self._unknown_field(name)
            if not isinstance(field, (ManyToOne, OneToMany)):
                raise ValidationError(f"{self._name}.{name} is not a relation.")
            self._related.pop(name, None)
            self._read(field)

    async def refresh(self) -> None:
        """Reload the stored values from the database, dropping unsaved edits."""
        if self.id is None:
            return
        self._reset()

    def _reset(self) -> None:
        """Stored values read again; unsaved edits (secrets included) dropped."""
        fresh = type(self)._load_one_sync(self.id)  # type: ignore[arg-type]
        assert fresh is not None
        self._values = fresh._values
        self._related = {}
        self._secrets = {}
        self._pending_secrets = {}
        self._dirty = set()

    def read_values(self) -> dict[str, Any]:
        """Stored values by field name (many-to-one as ids); no secrets."""
        return dict(self._values)


def table_name_for(model_name: str) -> str:
    """`IntegrationMapper` -> `integration_mapper`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", model_name).lower()


def _set_secret_undoably(
    db: Any, store: Any, key: tuple[int, str, int, str], value: str | None
) -> None:
    """Write (or with None delete) a secret; put the old value back if the transaction fails.

    Secrets live outside the database: without the undo, a commit refused by a full disk would
    leave the keyring holding the new secret beside the old database row.
    """
    previous = store.get(*key)
    if value is None:
        store.delete(*key)
    else:
        store.set(*key, value)
    if previous != value:
        db.on_rollback(lambda: store.set(*key, previous))
