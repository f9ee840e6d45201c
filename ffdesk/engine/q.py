"""Q-expressions: one language for visibility rules and filters, evaluated in memory or in SQL.

Semantics (SPEC 3), shared by both evaluators: a lookup walks `path` through many-to-one and
one-to-many fields; where the walk finds no value (NULL, a broken or empty relation) the result
is the op's *missing result* (true only for `eq=None`, `isnull=True`, `isnotnull=False`, `neq`
with a value, and `nin`); otherwise the op compares; over a one-to-many it is true when any
related record matches. Every result is true or false, never unknown, so `~` is plain negation.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Protocol

import sqlalchemy as sa

from ffdesk.engine.db import casefold
from ffdesk.engine.env import ModelRegistry, env_ctx
from ffdesk.engine.errors import ValidationError
from ffdesk.engine.fields import INT64_MAX, INT64_MIN, Date, Datetime, Field, ManyToOne, OneToMany


class RecordModel(Protocol):
    """What Q-expressions and queries use of a final model class (model.py sits above them)."""

    _name: ClassVar[str]
    _fields: ClassVar[dict[str, Field]]
    _table: ClassVar[sa.Table]
    _registry: ClassVar[ModelRegistry]


OPS = frozenset(
    {
        "eq",
        "neq",
        "gt",
        "gte",
        "lt",
        "lte",
        "in",
        "nin",
        "isnull",
        "isnotnull",
        "contains",
        "icontains",
        "startswith",
        "istartswith",
        "endswith",
        "iendswith",
    }
)
ORDER_OPS = frozenset({"gt", "gte", "lt", "lte"})
TEXT_OPS = frozenset(
    {"contains", "icontains", "startswith", "istartswith", "endswith", "iendswith"}
)
NAMES = ("uid", "cid", "company_id", "cids")
MAX_TEXT_LENGTH = 20_000
MAX_DEPTH = 64


# -- value placeholders resolved at evaluation time -------------------------------------
@dataclass(frozen=True)
class Name:
    """A name of the environment (`uid`, `cid`, `company_id`, `cids`)."""

    name: str

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True)
class D:
    """A date relative to now: `D("today")`, `D("now", hours=-2)`."""

    base: str = "today"
    days: float = 0
    hours: float = 0

    def __post_init__(self) -> None:
        if self.base not in ("today", "now"):
            raise ValidationError(f'D() takes "today" or "now", got {self.base!r}.')

    def resolve(self) -> dt.date | dt.datetime:
        delta = dt.timedelta(days=self.days, hours=self.hours)
        if self.base == "now":
            return dt.datetime.now() + delta
        if self.hours:
            return dt.datetime.combine(dt.date.today(), dt.time()) + delta
        return dt.date.today() + delta

    def __repr__(self) -> str:
        extra = "".join(
            f", {k}={getattr(self, k)!r}" for k in ("days", "hours") if getattr(self, k)
        )
        return f"D({self.base!r}{extra})"


def _has_placeholder(value: Any) -> bool:
    if isinstance(value, (Name, D)):
        return True
    return isinstance(value, list) and any(isinstance(v, (Name, D)) for v in value)


def _resolve(value: Any, names: Mapping[str, Any]) -> Any:
    if isinstance(value, Name):
        key = "cid" if value.name == "company_id" else value.name
        return names.get(key)
    if isinstance(value, D):
        return value.resolve()
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            resolved = _resolve(item, names)
            out.extend(
                resolved if isinstance(item, Name) and isinstance(resolved, list) else [resolved]
            )
        return out
    return value


# -- the tree -----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Lookup:
    """One `path__op=value` test (hashed by identity: its value may be a list)."""

    path: tuple[str, ...]
    op: str
    value: Any

    def key(self) -> str:
        return "__".join((*self.path, self.op))


class Q:
    """A Q-expression: lookups combined with `&`, `|` and `~`."""

    __slots__ = ("_bound", "_matcher", "children", "connector", "lookup", "negated")

    def __init__(self, *children: Q, **lookups: Any) -> None:
        self.connector = "AND"
        self.negated = False
        self.lookup: Lookup | None = None
        items: list[Q] = list(children)
        for key, value in lookups.items():
            items.append(Q._leaf(make_lookup(key, value)))
        if len(items) == 1 and not children:
            only = items[0]
            self.lookup, self.children = only.lookup, only.children
        else:
            self.children = items
        self._bound: dict[str, BoundQ] = {}
        self._matcher: Callable[[Any, Mapping[str, Any]], bool] | None = None

    @classmethod
    def _leaf(cls, lookup: Lookup) -> Q:
        q = cls.__new__(cls)
        q.connector, q.negated, q.lookup, q.children = "AND", False, lookup, []
        q._bound, q._matcher = {}, None
        return q

    @classmethod
    def _combine(cls, connector: str, children: list[Q], negated: bool = False) -> Q:
        q = cls.__new__(cls)
        q.connector, q.negated, q.lookup, q.children = connector, negated, None, children
        q._bound, q._matcher = {}, None
        return q

    def __and__(self, other: Q) -> Q:
        if not isinstance(other, Q):
            return NotImplemented
        return Q._combine("AND", [*self._operands("AND"), *other._operands("AND")])

    def __or__(self, other: Q) -> Q:
        if not isinstance(other, Q):
            return NotImplemented
        return Q._combine("OR", [*self._operands("OR"), *other._operands("OR")])

    def _operands(self, connector: str) -> list[Q]:
        """`a & b & c` is one AND of three (however grouped), so that the text form, which
        drops redundant parentheses, parses back to an equal Q."""
        flat = self.lookup is None and not self.negated and self.connector == connector
        return list(self.children) if flat and self.children else [self]

    def __invert__(self) -> Q:
        return Q._combine("AND", [self], negated=True)

    def __repr__(self) -> str:
        return self.to_text()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Q) and self.to_text() == other.to_text()

    def __hash__(self) -> int:
        return hash(self.to_text())

    def to_text(self) -> str:
        """The expression in the text form of views (parses back to an equal Q)."""
        if self.lookup is not None:
            return f"Q({self.lookup.key()}={_literal_text(self.lookup.value)})"
        if self.negated:
            return f"~{self.children[0]._operand_text()}"
        if not self.children:
            return "Q()"
        joiner = " & " if self.connector == "AND" else " | "
        return joiner.join(c._operand_text() for c in self.children)

    def _operand_text(self) -> str:
        text = self.to_text()
        compound = self.lookup is None and not self.negated and len(self.children) > 1
        return f"({text})" if compound else text

    def iter_lookups(self) -> list[Lookup]:
        if self.lookup is not None:
            return [self.lookup]
        found: list[Lookup] = []
        for child in self.children:
            found.extend(child.iter_lookups())
        return found

    # -- parsing ------------------------------------------------------------------------
    @classmethod
    def parse(cls, text: Any) -> Q:
        """Parse the text form with a whitelist over Python's `ast`; never `eval`."""
        return _Parser(text).parse()

    # -- evaluation -------------------------------------------------------------------
    def bind(self, model: type[RecordModel]) -> BoundQ:
        """Check every lookup against `model` (fields, ops, value types); cached."""
        bound = self._bound.get(model._name)
        if bound is None or bound.model is not model:
            bound = BoundQ(self, model)
            self._bound[model._name] = bound
        return bound

    def validate(self, model: type[RecordModel]) -> None:
        self.bind(model)

    def matches(self, target: Any, **names: Any) -> bool:
        """Evaluate in memory on a record (unsaved edits included) or a nested mapping."""
        env_names = _env_names(names)
        model = getattr(type(target), "_fields", None) and type(target)
        if model:
            return self.bind(model).matches(target, env_names)
        if self._matcher is None:
            self._matcher = _build_matcher(self, None)
        return self._matcher(target, env_names)

    def to_sql(self, model: type[RecordModel], **names: Any) -> sa.ColumnElement[bool]:
        return self.bind(model).to_sql(_env_names(names))


def _env_names(given: Mapping[str, Any]) -> Mapping[str, Any]:
    if given:
        names = dict(given)
        if "company_id" in names and "cid" not in names:
            names["cid"] = names["company_id"]
        return names
    try:
        return env_ctx.get().names()
    except LookupError:
        return {}


def make_lookup(key: str, value: Any) -> Lookup:
    parts = key.split("__")
    if any(p == "" for p in parts):
        raise ValidationError(f"Lookup {key!r} is malformed: empty part between '__'.")
    op = "eq"
    if len(parts) > 1 and parts[-1] in OPS:
        op = parts.pop()
    value = _normalise_value(value, key)
    if op in ("in", "nin") and not isinstance(value, list) and value != Name("cids"):
        raise ValidationError(f"Lookup {key!r} needs a list of values, got {value!r}.")
    if op in ("isnull", "isnotnull") and not isinstance(value, bool):
        raise ValidationError(f"Lookup {key!r} takes True or False, got {value!r}.")
    return Lookup(tuple(parts), op, value)


def _normalise_value(value: Any, key: str) -> Any:
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, list):
        return [_normalise_value(v, key) for v in value]
    if hasattr(type(value), "_fields") and hasattr(value, "id"):
        return value.id  # a record stands for its id
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(f"Lookup {key!r}: {value!r} is not a number that can be compared.")
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and not (INT64_MIN <= value <= INT64_MAX)
    ):
        raise ValidationError(f"Lookup {key!r}: {value} is too large a number.")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValidationError(f"Lookup {key!r}: {value} is not a number that can be compared.")
    if value is None or isinstance(value, (str, int, float, bool, Decimal, Name, D, dt.date)):
        return value
    raise ValidationError(f"Lookup {key!r}: a value of type {type(value).__name__} is not allowed.")


def _literal_text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_literal_text(v) for v in value) + "]"
    if isinstance(value, (dt.datetime, dt.date)):
        return repr(value.isoformat())
    return repr(value)


# -- missing-value rule and comparisons, shared by both evaluators -------------------------
def missing_result(op: str, value: Any) -> bool:
    """The result of a lookup whose path reaches no value (SPEC 3's two-valued rule)."""
    if op == "eq":
        return value is None
    if op == "neq":
        return value is not None
    if op == "isnull":
        return bool(value)
    if op == "isnotnull":
        return not value
    return op == "nin"


def _like_date(left: dt.date, value: Any) -> Any:
    """`value` (date, datetime, ISO text or a list of them) as the type of `left`, the way the
    Date and Datetime fields convert values for SQL, so unbound matching agrees with it."""
    if isinstance(value, list):
        return [_like_date(left, v) for v in value]
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return value
    if not isinstance(value, dt.date):
        return value
    if isinstance(left, dt.datetime):
        if isinstance(value, dt.datetime):
            return value.astimezone().replace(tzinfo=None) if value.tzinfo else value
        return dt.datetime(value.year, value.month, value.day)
    return value.date() if isinstance(value, dt.datetime) else value


def _compare(op: str, left: Any, right: Any) -> bool:
    """`left` is a present (non-None) value."""
    if isinstance(left, dt.date) and right is not None and type(right) is not type(left):
        right = _like_date(left, right)
    try:
        if op == "eq":
            return right is not None and left == right
        if op == "neq":
            return right is None or left != right
        if op == "in":
            return any(v is not None and left == v for v in right)
        if op == "nin":
            return not any(v is not None and left == v for v in right)
        if op == "isnull":
            return not right
        if op == "isnotnull":
            return bool(right)
        if right is None:
            return False
        if op == "gt":
            return bool(left > right)
        if op == "gte":
            return bool(left >= right)
        if op == "lt":
            return bool(left < right)
        if op == "lte":
            return bool(left <= right)
        if not isinstance(left, str) or not isinstance(right, str):
            return False
        if op.startswith("i"):
            left, right, op = casefold(left), casefold(right), op[1:]
        if op == "contains":
            return right in left
        if op == "startswith":
            return left.startswith(right)
        if op == "endswith":
            return left.endswith(right)
    except TypeError:
        return False
    raise ValidationError(f"Unknown op {op!r}.")


def _step(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _as_terminal(value: Any) -> Any:
    """A related record or mapping at the end of a path compares by its id."""
    if isinstance(value, Mapping):
        return value.get("id")
    if hasattr(type(value), "_fields") and hasattr(value, "id"):
        return value.id
    return value


def _terminal(obj: Any, name: str, relation: bool | None) -> Any:
    """The value a lookup compares at the end of its path.

    A record's many-to-one compares by the id it stores, as SQL compares the column (no load,
    and a dangling id still compares); following it (`module__id`) is what checks the record.
    Any other field compares its value as it is (a JSON field may hold a dict). In a mapping,
    `relation` says whether the field is a many-to-one (None when not known: then a nested
    mapping with an "id" stands for that id).
    """
    if type(obj) is dict or isinstance(obj, Mapping):
        value = obj.get(name)
        if relation is False:
            return value
        if isinstance(value, Mapping):
            return value.get("id") if relation or "id" in value else value
        return _as_terminal(value)
    values = getattr(obj, "_values", None)
    fields = getattr(type(obj), "_fields", None)
    if values is not None and fields is not None:
        field = fields.get(name)
        if field is None or field.company_scoped:
            return getattr(obj, name, None)  # `id`, or a secret read through the record
        if isinstance(field, ManyToOne):
            return _as_terminal(values.get(name))
        return values.get(name)  # what the field descriptor would read, without the call
    value = getattr(obj, name, None)
    return value if relation is False else _as_terminal(value)


def _build_lookup_matcher(
    lookup: Lookup, convert: Callable[[Any], Any] | None, relation: bool | None = None
) -> Callable[[Any, Mapping[str, Any]], bool]:
    path, op, raw = lookup.path, lookup.op, lookup.value
    dynamic = _has_placeholder(raw)
    constant = None if dynamic else (convert(raw) if convert else raw)
    last = len(path) - 1

    def walk(obj: Any, depth: int, value: Any, missing: bool) -> bool:
        if depth == last:
            current = _terminal(obj, path[depth], relation)
            if current is None:
                return missing
            return _compare(op, current, value)
        current = _step(obj, path[depth])
        if current is None:
            return missing
        if isinstance(current, (list, tuple)):
            if not current:
                return missing
            return any(walk(item, depth + 1, value, missing) for item in current)
        return walk(current, depth + 1, value, missing)

    if dynamic:

        def match_dynamic(obj: Any, names: Mapping[str, Any]) -> bool:
            value = _resolve(raw, names)
            if convert:
                value = convert(value)
            return walk(obj, 0, value, missing_result(op, value))

        return match_dynamic

    missing_const = missing_result(op, constant)
    if last == 0:
        name = path[0]

        def match_flat(obj: Any, names: Mapping[str, Any]) -> bool:
            current = _terminal(obj, name, relation)
            if current is None:
                return missing_const
            return _compare(op, current, constant)

        return match_flat
    return lambda obj, names: walk(obj, 0, constant, missing_const)


def _build_matcher(
    q: Q,
    converters: Mapping[Lookup, Callable[[Any], Any]] | None,
    relations: Mapping[Lookup, bool] | None = None,
) -> Callable[[Any, Mapping[str, Any]], bool]:
    if q.lookup is not None:
        return _build_lookup_matcher(
            q.lookup,
            converters.get(q.lookup) if converters else None,
            relations.get(q.lookup) if relations else None,
        )
    parts = [_build_matcher(child, converters, relations) for child in q.children]
    if q.negated:
        inner = parts[0]
        return lambda obj, names: not inner(obj, names)
    if q.connector == "AND":
        return lambda obj, names: all(p(obj, names) for p in parts)
    return lambda obj, names: any(p(obj, names) for p in parts)


# -- binding to a model ------------------------------------------------------------------
@dataclass(frozen=True)
class _Resolved:
    """A lookup's path resolved to fields: the relations walked and the terminal field."""

    hops: tuple[Field, ...]
    terminal: Field | None  # None: the `id` pseudo-field


class BoundQ:
    """A Q checked against one model: knows its fields, evaluates in memory and in SQL."""

    def __init__(self, q: Q, model: type[RecordModel]) -> None:
        self.q = q
        self.model = model
        self.resolved: dict[Lookup, _Resolved] = {}
        converters: dict[Lookup, Callable[[Any], Any]] = {}
        for lookup in q.iter_lookups():
            resolved = _resolve_path(model, lookup)
            _check_value(model, lookup, resolved)
            self.resolved[lookup] = resolved
            converters[lookup] = _converter(resolved.terminal)
        self.converters = converters
        relations = {lk: isinstance(r.terminal, ManyToOne) for lk, r in self.resolved.items()}
        self._matcher = _build_matcher(q, converters, relations)

    def matches(self, record: Any, names: Mapping[str, Any]) -> bool:
        return self._matcher(record, names)

    def to_sql(self, names: Mapping[str, Any]) -> sa.ColumnElement[bool]:
        return self._sql(self.q, self.model._table, names)

    def _sql(self, q: Q, table: Any, names: Mapping[str, Any]) -> sa.ColumnElement[bool]:
        if q.lookup is not None:
            lookup = q.lookup
            value = self.converters[lookup](_resolve(lookup.value, names))
            return _lookup_sql(self.model, table, lookup, self.resolved[lookup], value)
        parts = [self._sql(child, table, names) for child in q.children]
        if q.negated:
            return sa.not_(parts[0])
        if not parts:
            return sa.true()
        return sa.and_(*parts) if q.connector == "AND" else sa.or_(*parts)


def _resolve_path(model: type[RecordModel], lookup: Lookup) -> _Resolved:
    current = model
    hops: list[Field] = []
    text = lookup.key()
    ops = ", ".join(sorted(OPS))
    last = len(lookup.path) - 1
    for index, name in enumerate(lookup.path):
        is_last = index == last
        if name == "id":
            if not is_last:
                if index + 1 == last:
                    raise ValidationError(
                        f"Lookup {text!r}: unknown op {lookup.path[last]!r} (ops: {ops})."
                    )
                raise ValidationError(f"Lookup {text!r}: 'id' has no fields to follow.")
            return _Resolved(tuple(hops), None)
        field = current._fields.get(name)
        if field is None:
            known = ", ".join(sorted(current._fields))
            also = f"; nor is {name!r} an op (ops: {ops})" if is_last and index > 0 else ""
            raise ValidationError(
                f"Lookup {text!r}: {current._name} has no field {name!r} "
                f"(its fields: {known}){also}."
            )
        if is_last:
            if isinstance(field, OneToMany):
                raise ValidationError(
                    f"Lookup {text!r}: {current._name}.{name} lists related records; "
                    "name one of their fields (e.g. "
                    f"{name}__id__isnotnull=True)."
                )
            return _Resolved(tuple(hops), field)
        if not isinstance(field, (ManyToOne, OneToMany)):
            if index + 1 == last:
                raise ValidationError(
                    f"Lookup {text!r}: unknown op {lookup.path[last]!r} (ops: {ops})."
                )
            raise ValidationError(
                f"Lookup {text!r}: {current._name}.{name} is not a relation, so "
                f"{lookup.path[index + 1]!r} cannot follow it."
            )
        hops.append(field)
        current = model._registry[field.comodel_name]
    raise ValidationError(f"Lookup {text!r} names no field.")


def _check_value(model: type[RecordModel], lookup: Lookup, resolved: _Resolved) -> None:
    field = resolved.terminal
    op, value = lookup.op, lookup.value
    text = lookup.key()
    label = f"{field.model_name}.{field.name}" if field else "id"
    type_name = field.type_name if field else "Integer"
    if field is not None and field.company_scoped and resolved.hops:
        raise ValidationError(
            f"Lookup {text!r}: {label} is company-scoped and cannot be reached through a relation."
        )
    if (
        op in ORDER_OPS
        and field is not None
        and not (field.ordered or isinstance(field, ManyToOne))
    ):
        raise ValidationError(
            f"Lookup {text!r}: {label} ({type_name}) cannot be compared with {op}."
        )
    if op in TEXT_OPS and (field is None or not field.textual):
        raise ValidationError(
            f"Lookup {text!r}: {op} works on text fields, not on {label} ({type_name})."
        )
    if op in ("isnull", "isnotnull"):
        return
    values = value if isinstance(value, list) else [value]
    for item in values:
        if item is None:
            if op in ORDER_OPS or op in TEXT_OPS:
                raise ValidationError(f"Lookup {text!r}: {op} cannot compare with None.")
            continue
        if isinstance(item, Name):
            if item.name == "cids" and op not in ("in", "nin"):
                raise ValidationError(f"Lookup {text!r}: cids is a list; use __in or __nin.")
            if (
                field is not None
                and not isinstance(field, ManyToOne)
                and field.type_name not in ("Integer", "Float")
            ):
                raise ValidationError(
                    f"Lookup {text!r}: {item.name} is an id, {label} is {type_name}."
                )
            continue
        if isinstance(item, D):
            if not isinstance(field, (Date, Datetime)):
                raise ValidationError(
                    f"Lookup {text!r}: D() compares with dates, {label} is {type_name}."
                )
            continue
        ok = (
            field.check_q_value(op, item)
            if field is not None
            else (isinstance(item, int) and not isinstance(item, bool))
        )
        if ok and isinstance(field, (Date, Datetime)) and isinstance(item, str):
            try:
                field.convert(item)
            except ValidationError:
                ok = False
        if not ok:
            raise ValidationError(
                f"Lookup {text!r}: {item!r} ({type(item).__name__}) is the wrong type for "
                f"{label} ({type_name})."
            )


def _converter(field: Field | None) -> Callable[[Any], Any]:
    if isinstance(field, (Date, Datetime)):

        def convert_date(value: Any) -> Any:
            if isinstance(value, list):
                return [convert_date(v) for v in value]
            if value is None or isinstance(value, bool):
                return value
            return field.convert(value)

        return convert_date
    return _identity


def _identity(value: Any) -> Any:
    return value


# -- SQL -----------------------------------------------------------------------------------
def _lookup_sql(
    model: type[RecordModel], table: Any, lookup: Lookup, resolved: _Resolved, value: Any
) -> sa.ColumnElement[bool]:
    missing = missing_result(lookup.op, value)
    if resolved.terminal is not None and resolved.terminal.company_scoped:
        raise ValidationError(
            f"{model._name}.{resolved.terminal.name} is company-scoped (kept in the secret "
            "store), so records cannot be filtered on it."
        )
    dialect = model._registry.db.dialect_name
    return _path_sql(
        model, table, list(resolved.hops), resolved.terminal, lookup.op, value, missing, dialect
    )


def _path_sql(
    model: type[RecordModel],
    table: Any,
    hops: list[Field],
    terminal: Field | None,
    op: str,
    value: Any,
    missing: bool,
    dialect: str,
) -> sa.ColumnElement[bool]:
    if not hops:
        column = table.c.id if terminal is None else table.c[terminal.column_name]
        return _terminal_sql(column, op, value, missing, dialect)
    hop = hops[0]
    comodel = model._registry[hop.comodel_name]  # type: ignore[attr-defined]
    alias = comodel._table.alias()
    if isinstance(hop, ManyToOne):
        link = alias.c.id == table.c[hop.column_name]
    else:
        assert isinstance(hop, OneToMany)
        inverse = comodel._fields[hop.inverse_name]
        link = alias.c[inverse.column_name] == table.c.id
    inner = _path_sql(comodel, alias, hops[1:], terminal, op, value, missing, dialect)
    matched = sa.exists(sa.select(sa.literal(1)).select_from(alias).where(link, inner))
    if missing:
        none_there = ~sa.exists(sa.select(sa.literal(1)).select_from(alias).where(link))
        return sa.or_(matched, none_there)
    return matched


def _terminal_sql(
    column: Any, op: str, value: Any, missing: bool, dialect: str
) -> sa.ColumnElement[bool]:
    present = column.is_not(None)
    if op in ("isnull", "isnotnull"):
        return column.is_(None) if missing else present
    if op == "eq" and value is None:
        return column.is_(None)
    if op == "neq" and value is None:
        return present
    if value is None:
        # Order and text ops compare nothing with None (a name such as `cid` may resolve to
        # None): false whether the column has a value or not, as in memory.
        return sa.true() if missing else sa.false()
    compared = _compare_sql(column, op, value, dialect)
    if missing:
        return sa.or_(column.is_(None), compared)
    return sa.and_(present, compared)


def _compare_sql(column: Any, op: str, value: Any, dialect: str) -> sa.ColumnElement[bool]:
    if op == "eq":
        return column == value
    if op == "neq":
        return column != value
    if op in ("in", "nin"):
        items = [v for v in value if v is not None]
        if not items:
            return sa.false() if op == "in" else sa.true()
        # The list takes the column's type: PostgreSQL would otherwise type it from its first
        # item (an int among floats: "integer out of range").
        inside = column.in_(sa.bindparam(None, items, type_=column.type, expanding=True))
        return inside if op == "in" else sa.not_(inside)
    if op == "gt":
        return column > value
    if op == "gte":
        return column >= value
    if op == "lt":
        return column < value
    if op == "lte":
        return column <= value
    insensitive = op.startswith("i")
    base = op[1:] if insensitive else op
    text = value
    if insensitive:
        text = casefold(value)
        column = sa.func.ff_casefold(column)  # SQLite: a Python function; PostgreSQL: SQL
    if dialect != "sqlite":
        # LIKE is case-sensitive on PostgreSQL; the pattern's wildcards are escaped.
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = {
            "contains": f"%{escaped}%",
            "startswith": f"{escaped}%",
            "endswith": f"%{escaped}",
        }
        return column.like(pattern[base], escape="\\")
    # SQLite's LIKE ignores ASCII case, so compare characters exactly with instr/substr.
    length = len(text)
    if base == "contains":
        return sa.func.instr(column, text) > 0
    if base == "startswith":
        return sa.func.substr(column, 1, length) == text
    return sa.and_(
        sa.func.length(column) >= length,
        sa.func.substr(column, sa.func.length(column) - length + 1) == text,
    )


# -- the parser ----------------------------------------------------------------------------
class _Parser:
    """Turns text into a Q by walking a whitelist of Python syntax."""

    def __init__(self, text: Any) -> None:
        if isinstance(text, Q):
            self.text = text.to_text()
        elif not isinstance(text, str):
            raise ValidationError(
                f"A Q-expression must be text, got {type(text).__name__}: {_short(repr(text))}."
            )
        else:
            self.text = text

    def parse(self) -> Q:
        text = self.text
        if len(text) > MAX_TEXT_LENGTH:
            raise self._error(f"it is longer than {MAX_TEXT_LENGTH} characters", None)
        if not text.strip():
            raise self._error("it is empty", None)
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            where = f" (line {exc.lineno}, column {exc.offset})" if exc.lineno else ""
            raise ValidationError(
                f"Invalid Q-expression {_short(repr(text))}: not valid syntax{where}: {exc.msg}."
            ) from None
        except (RecursionError, MemoryError, ValueError) as exc:
            reason = "it is nested too deeply" if not isinstance(exc, ValueError) else str(exc)
            raise self._error(reason, None) from None
        return self._q(tree.body, 0)

    def _error(self, what: str, node: ast.AST | None) -> ValidationError:
        where = ""
        if node is not None and hasattr(node, "lineno"):
            snippet = ast.get_source_segment(self.text.strip(), node) or ""
            where = f" at line {node.lineno}, column {node.col_offset + 1}"
            if snippet:
                where += f" ({_short(snippet)})"
        return ValidationError(f"Invalid Q-expression {_short(repr(self.text))}: {what}{where}.")

    def _q(self, node: ast.AST, depth: int) -> Q:
        if depth > MAX_DEPTH:
            raise self._error("it is nested too deeply", node)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            # A chain `a & b & c & ...` nests to the left; walk it without counting depth.
            kind = type(node.op)
            operands: list[ast.AST] = []
            current: ast.AST = node
            while isinstance(current, ast.BinOp) and type(current.op) is kind:
                operands.append(current.right)
                current = current.left
            operands.append(current)
            parts = [self._q(operand, depth + 1) for operand in reversed(operands)]
            connector = "AND" if kind is ast.BitAnd else "OR"
            flat = [p for part in parts for p in part._operands(connector)]
            return Q._combine(connector, flat)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
            return ~self._q(node.operand, depth + 1)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Q":
            if node.args:
                raise self._error("Q() takes keyword arguments only", node)
            lookups: dict[str, Any] = {}
            for keyword in node.keywords:
                if keyword.arg is None:
                    raise self._error("**-arguments are not allowed", keyword)
                if keyword.arg in lookups:
                    # Python itself refuses a repeated keyword; keeping the last would
                    # silently drop a condition.
                    raise self._error(f"the keyword {keyword.arg!r} is repeated in Q()", keyword)
                lookups[keyword.arg] = self._value(keyword.value, depth + 1)
            try:
                return Q(**lookups)
            except ValidationError as exc:
                raise self._error(str(exc).rstrip("."), node) from None
        raise self._error(f"{_describe_node(node)} is not allowed (only Q(...), &, |, ~)", node)

    def _value(self, node: ast.AST, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self._error("it is nested too deeply", node)
        if isinstance(node, ast.Constant):
            if node.value is None or isinstance(node.value, (str, int, float, bool)):
                return node.value
            raise self._error(f"a {type(node.value).__name__} literal is not allowed", node)
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, (ast.USub, ast.UAdd))
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, (int, float))
            and not isinstance(node.operand.value, bool)
        ):
            number = node.operand.value
            return -number if isinstance(node.op, ast.USub) else number
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [self._value(item, depth + 1) for item in node.elts]
            if any(isinstance(item, list) for item in items):
                raise self._error("nested lists are not allowed", node)
            return items
        if isinstance(node, ast.Name):
            if node.id in NAMES:
                return Name(node.id)
            raise self._error(
                f"the name {node.id!r} is not allowed (only {', '.join(NAMES)})", node
            )
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "D":
            return self._date(node)
        raise self._error(f"{_describe_node(node)} is not allowed as a value", node)

    def _date(self, node: ast.Call) -> D:
        if len(node.args) > 1:
            raise self._error("D() takes one argument", node)
        base = "today"
        if node.args:
            arg = node.args[0]
            if not isinstance(arg, ast.Constant) or not isinstance(arg.value, str):
                raise self._error('D() takes "today" or "now"', node)
            base = arg.value
        offsets: dict[str, float] = {}
        for keyword in node.keywords:
            if keyword.arg not in ("days", "hours"):
                raise self._error(f"D() has no argument {keyword.arg!r} (only days=, hours=)", node)
            if keyword.arg in offsets:
                raise self._error(f"the keyword {keyword.arg!r} is repeated in D()", keyword)
            value = self._value(keyword.value, 1)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self._error(f"D({keyword.arg}=...) takes a number", node)
            offsets[keyword.arg] = value
        try:
            return D(base, **offsets)
        except ValidationError as exc:
            raise self._error(str(exc).rstrip("."), node) from None


def _describe_node(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else _describe_node(func)
        return f"calling {name}"
    if isinstance(node, ast.Attribute):
        return "attribute access"
    if isinstance(node, ast.Name):
        return f"the name {node.id!r}"
    if isinstance(node, ast.Constant):
        return f"the literal {_short(repr(node.value))}"
    if isinstance(node, ast.BoolOp):
        return "'and'/'or' (use & and |)"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return "'not' (use ~)"
    if isinstance(node, ast.Compare):
        return "a comparison (use Q(field__op=value))"
    return f"{type(node).__name__.lower()} syntax"


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
