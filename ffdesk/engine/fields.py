"""Field types of the engine: what a model declares, how values are checked and stored."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

import sqlalchemy as sa

from ffdesk.engine.errors import ValidationError
from ffdesk.engine.money import MONEY_SCALE

_NO_DEFAULT = object()
# SQLite (and most databases) store integers in 64 bits; larger ones cannot be saved.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def whole_number_type() -> sa.types.TypeEngine[Any]:
    """64 bits everywhere: BIGINT on PostgreSQL, SQLite's INTEGER (already 64-bit, and the
    only type that makes `id` an auto-increment rowid)."""
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


ON_DELETE_CHOICES = ("CASCADE", "SET NULL", "RESTRICT")


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


class Field:
    """A declared field: label, options, conversion and its SQL column (if stored)."""

    type_name: ClassVar[str] = "Field"
    expects: ClassVar[str] = "a value"
    #: Ops of the Q language this type accepts (besides eq/neq/in/nin/isnull/isnotnull).
    ordered: ClassVar[bool] = False
    textual: ClassVar[bool] = False

    def __init__(
        self,
        *,
        description: str | None = None,
        hint: str | None = None,
        required: bool = False,
        default: Any = _NO_DEFAULT,
        readonly: bool = False,
        index: bool = False,
        unique: bool = False,
        company_scoped: bool = False,
        secret: bool = True,
        string: str | None = None,
    ) -> None:
        self.description = description or string
        self.hint = hint
        self.required = required
        self._default = default
        self.readonly = readonly
        self.index = index
        self.unique = unique
        self.company_scoped = company_scoped
        # Only company-scoped values can be secrets; `secret=False` makes one readable: stored
        # per company in the database (CompanyValue), shown and exported like any value.
        self.secret = bool(company_scoped and secret)
        self.name = ""
        self.model_name = ""

    # -- declaration -----------------------------------------------------------------
    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def bind(self, model_name: str, name: str) -> Field:
        """A copy of this field owned by the final class of `model_name`."""
        bound = copy.copy(self)
        bound.model_name = model_name
        bound.name = name
        return bound

    @property
    def label(self) -> str:
        return self.description or self.name.replace("_", " ").capitalize()

    @property
    def has_default(self) -> bool:
        return self._default is not _NO_DEFAULT

    def get_default(self) -> Any:
        if self._default is _NO_DEFAULT:
            return None
        value = self._default() if callable(self._default) else self._default
        return copy.deepcopy(value) if isinstance(value, (list, dict)) else value

    # -- record access (Field is a data descriptor on final model classes) ----------
    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return instance._read(self)

    def __set__(self, instance: Any, value: Any) -> None:
        instance._write(self, value)

    # -- storage ---------------------------------------------------------------------
    @property
    def stored(self) -> bool:
        """True when the value lives in a database column."""
        return not self.company_scoped

    @property
    def column_name(self) -> str:
        return self.name

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        raise NotImplementedError

    def to_column(self, value: Any) -> Any:
        return value

    def from_column(self, value: Any) -> Any:
        return value

    # -- values ------------------------------------------------------------------------
    def _fail(self, value: Any, why: str | None = None) -> ValidationError:
        reason = why or f"expects {self.expects}"
        return ValidationError(f"{self.model_name}.{self.name} {reason}, got {_describe(value)}.")

    def convert(self, value: Any) -> Any:
        """Check and normalise a value given by code; raise ValidationError if it is wrong."""
        return value

    def parse_text(self, text: str) -> Any:
        """Turn what a user typed (command line, text box) into a value."""
        if text == "":
            return None
        return self.convert(text)

    def format_text(self, value: Any) -> str:
        """The value as a user would type it."""
        return "" if value is None else str(value)

    def check_q_value(self, op: str, value: Any) -> bool:
        """Whether `value` may be compared with this field by `op` (types, not contents)."""
        return True


class Char(Field):
    """A line of text, optionally limited to `max_length` characters."""

    type_name = "Char"
    expects = "text"
    ordered = True
    textual = True

    def __init__(self, *, max_length: int | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.max_length = max_length

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.String(self.max_length) if self.max_length else sa.Text()

    def convert(self, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._fail(value)
        if "\x00" in value:
            raise self._fail(value, "must not contain NUL characters")
        if self.max_length is not None and len(value) > self.max_length:
            raise ValidationError(
                f"{self.model_name}.{self.name} allows at most {self.max_length} characters, "
                f"got {len(value)} ({_describe(value)})."
            )
        return value

    def parse_text(self, text: str) -> Any:
        return self.convert(text) if text != "" else None

    def check_q_value(self, op: str, value: Any) -> bool:
        return isinstance(value, str)


_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_PHONE_PUNCTUATION = re.compile(r"[\s().-]")


class Phone(Char):
    """A phone number. What a user types must be in E.164 form (+ country code and number,
    at most 15 digits); the spaces, dots, dashes and brackets people type are dropped. Values
    set by code (a provider's answer) are kept as given."""

    type_name = "Phone"
    expects = "a phone number in E.164 form"

    def __init__(self, *, max_length: int | None = 32, **options: Any) -> None:
        super().__init__(max_length=max_length, **options)

    def parse_text(self, text: str) -> Any:
        typed = _PHONE_PUNCTUATION.sub("", text)
        if typed == "":
            return None
        if not _E164.fullmatch(typed):
            raise ValidationError(
                f"{self.label} must be a phone number in E.164 form (+ country code and "
                f"number, e.g. +14155550100), not {text!r}."
            )
        return self.convert(typed)


class Text(Char):
    """Multi-line text without a length limit."""

    type_name = "Text"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)


class Integer(Field):
    """A whole number."""

    type_name = "Integer"
    expects = "a whole number"
    ordered = True

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return whole_number_type()

    def convert(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(value)
        if not INT64_MIN <= value <= INT64_MAX:
            raise self._fail(value, f"expects a whole number between {INT64_MIN} and {INT64_MAX}")
        return value

    def parse_text(self, text: str) -> Any:
        text = text.strip()
        if text == "":
            return None
        try:
            number = int(text)
        except ValueError:
            raise self._fail(text) from None
        return self.convert(number)

    def check_q_value(self, op: str, value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)


class Float(Field):
    """A decimal number."""

    type_name = "Float"
    expects = "a number"
    ordered = True

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Float()

    def convert(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._fail(value)
        if not math.isfinite(value):
            # SQLite stores NaN as NULL; refuse values that would not survive a round trip.
            raise self._fail(value, "expects a finite number")
        return float(value)

    def parse_text(self, text: str) -> Any:
        text = text.strip()
        if text == "":
            return None
        try:
            return float(text)
        except ValueError:
            raise self._fail(text) from None

    def check_q_value(self, op: str, value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)


# A double keeps any decimal of at most 15 significant digits exactly (DBL_DIG), so on a
# database without a native decimal type (SQLite) such amounts still come back unchanged.
MONEY_DIGITS = 15
MONEY_PRECISION = 24


def _canonical(value: Decimal) -> Decimal:
    """`value` without trailing zeros, never in exponent form (Decimal("20"), not "2E+1")."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value  # type: ignore[operator]


class ExactDecimal(sa.types.TypeDecorator[Decimal]):
    """NUMERIC where the database has exact decimals (PostgreSQL); on SQLite, which has none,
    a NUMERIC-affinity column read back through the shortest repr of the stored double, which is
    exact for the at most 15 significant digits a Monetary value may have."""

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, scale: int = MONEY_SCALE) -> None:
        super().__init__(precision=MONEY_PRECISION, scale=scale, asdecimal=True)
        self.scale = scale

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        native = dialect.supports_native_decimal
        # asdecimal=False on SQLite: SQLAlchemy's own float-to-Decimal step warns and rounds
        # at the column scale; this type makes the Decimal itself.
        return dialect.type_descriptor(
            sa.Numeric(precision=MONEY_PRECISION, scale=self.scale, asdecimal=native)
        )

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None or dialect.supports_native_decimal:
            return value
        return float(value)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, Decimal):
            return _canonical(value)
        if isinstance(value, float):
            return _canonical(Decimal(repr(value)))
        return _canonical(Decimal(value))


class Monetary(Field):
    """An amount of money, exact: a `Decimal` stored as NUMERIC (never a binary float).

    `currency_field` names the Char field holding the ISO 4217 code the amount is in.
    """

    type_name = "Monetary"
    expects = "an amount (a decimal number)"
    ordered = True

    def __init__(self, *, currency_field: str = "currency", **options: Any) -> None:
        super().__init__(**options)
        self.currency_field = currency_field

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return ExactDecimal()

    def convert(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (Decimal, int, float, str)):
            raise self._fail(value)
        try:
            # A float goes through its shortest repr: 19.99 is Decimal("19.99"), not the
            # binary fraction behind it.
            amount = Decimal(repr(value) if isinstance(value, float) else value)
        except (InvalidOperation, ValueError):
            raise self._fail(value) from None
        if not amount.is_finite():
            raise self._fail(value, "expects a finite amount")
        amount = _canonical(amount)
        exponent = amount.as_tuple().exponent
        assert isinstance(exponent, int)
        if -exponent > MONEY_SCALE:
            raise self._fail(value, f"allows at most {MONEY_SCALE} decimals")
        if len(amount.as_tuple().digits) > MONEY_DIGITS:
            raise self._fail(value, f"allows at most {MONEY_DIGITS} significant digits")
        return amount

    def from_column(self, value: Any) -> Any:
        if value is None or isinstance(value, Decimal):
            return value
        return self.convert(value)

    def parse_text(self, text: str) -> Any:
        text = text.strip()
        if text == "":
            return None
        return self.convert(text)

    def format_text(self, value: Any) -> str:
        return "" if value is None else format(value, "f")

    def check_q_value(self, op: str, value: Any) -> bool:
        return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


class Boolean(Field):
    """True or false."""

    type_name = "Boolean"
    expects = "true or false"

    _TRUE = frozenset({"true", "yes", "on", "1", "y", "t"})
    _FALSE = frozenset({"false", "no", "off", "0", "n", "f"})

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Boolean(create_constraint=False)

    def convert(self, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self._fail(value)
        return value

    def parse_text(self, text: str) -> Any:
        lowered = text.strip().lower()
        if lowered == "":
            return None
        if lowered in self._TRUE:
            return True
        if lowered in self._FALSE:
            return False
        raise self._fail(text)

    def format_text(self, value: Any) -> str:
        return "" if value is None else ("true" if value else "false")

    def check_q_value(self, op: str, value: Any) -> bool:
        return isinstance(value, bool)


class Date(Field):
    """A calendar date."""

    type_name = "Date"
    expects = "a date (YYYY-MM-DD)"
    ordered = True

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Date()

    def convert(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
            try:  # a date and time as text, such as a datetime's isoformat(): its date
                return dt.datetime.fromisoformat(value.strip()).date()
            except ValueError:
                raise self._fail(value) from None
        raise self._fail(value)

    def check_q_value(self, op: str, value: Any) -> bool:
        return isinstance(value, (dt.date, str))


class Datetime(Field):
    """A point in time, stored as naive local time (as `datetime.now()` gives it)."""

    type_name = "Datetime"
    expects = "a date and time (YYYY-MM-DD HH:MM)"
    ordered = True

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.DateTime()

    def convert(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value.strip())
            except ValueError:
                raise self._fail(value) from None
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                value = value.astimezone().replace(tzinfo=None)
            return value
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day)
        raise self._fail(value)

    def format_text(self, value: Any) -> str:
        return "" if value is None else value.isoformat(sep=" ", timespec="seconds")

    def check_q_value(self, op: str, value: Any) -> bool:
        return isinstance(value, (dt.date, str))


class Selection(Field):
    """One value out of a list of choices (extensible with `_selection_add`)."""

    type_name = "Selection"
    expects = "one of the choices"
    ordered = True
    textual = True

    def __init__(self, choices: Sequence[str] = (), **options: Any) -> None:
        super().__init__(**options)
        self.choices: list[str] = [c[0] if isinstance(c, (tuple, list)) else c for c in choices]

    def bind(self, model_name: str, name: str) -> Field:
        bound = super().bind(model_name, name)
        assert isinstance(bound, Selection)
        bound.choices = list(self.choices)
        return bound

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.String(255)

    def convert(self, value: Any) -> Any:
        if value is None:
            return None
        if value not in self.choices:
            allowed = ", ".join(repr(c) for c in self.choices)
            raise ValidationError(
                f"{self.model_name}.{self.name} must be one of {allowed}, got {_describe(value)}."
            )
        return value

    def check_q_value(self, op: str, value: Any) -> bool:
        return isinstance(value, str)


class File(Field):
    """A file reference (path or data URL), such as a logo."""

    type_name = "File"
    expects = "a file path"

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Text()

    def convert(self, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._fail(value)
        return value

    def check_q_value(self, op: str, value: Any) -> bool:
        return isinstance(value, str)


class JSON(Field):
    """Any JSON-serialisable value."""

    type_name = "JSON"
    expects = "a JSON value"

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        # none_as_null: None is SQL NULL (not the JSON text 'null'), so `Q(x=None)` and
        # `isnull` find it in SQL as they do in memory.
        return sa.JSON(none_as_null=True)

    def convert(self, value: Any) -> Any:
        if value is None:
            return None
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise self._fail(value) from None
        return value

    def parse_text(self, text: str) -> Any:
        if text.strip() == "":
            return None
        try:
            return json.loads(text)
        except ValueError as exc:
            raise self._fail(text, f"expects JSON ({exc})") from None

    def format_text(self, value: Any) -> str:
        return "" if value is None else json.dumps(value)

    def check_q_value(self, op: str, value: Any) -> bool:
        return False


class ManyToOne(Field):
    """A reference to one record of `comodel_name`, stored as `<name>_id`."""

    type_name = "ManyToOne"
    expects = "a record or a record id"

    def __init__(
        self,
        comodel_name: str,
        *,
        related_name: str | None = None,
        on_delete: str = "SET NULL",
        **options: Any,
    ) -> None:
        options.setdefault("index", True)
        super().__init__(**options)
        on_delete = on_delete.upper()
        if on_delete not in ON_DELETE_CHOICES:
            raise ValidationError(
                f"on_delete must be one of {', '.join(ON_DELETE_CHOICES)}, got {on_delete!r}."
            )
        self.comodel_name = comodel_name
        self.related_name = related_name
        self.on_delete = on_delete

    @property
    def column_name(self) -> str:
        return f"{self.name}_id"

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return whole_number_type()

    def convert(self, value: Any) -> Any:
        """Return the id of the referenced record."""
        if value is None:
            return None
        if isinstance(value, bool):
            raise self._fail(value)
        if isinstance(value, int):
            if not INT64_MIN <= value <= INT64_MAX:
                raise self._fail(value, "expects a record id")
            return value
        model_name = getattr(type(value), "_name", None)
        if model_name is not None:
            if model_name != self.comodel_name:
                raise self._fail(value, f"expects a {self.comodel_name} record")
            if value.id is None:
                raise self._fail(value, "cannot refer to a record that is not saved yet")
            return value.id
        raise self._fail(value)

    def parse_text(self, text: str) -> Any:
        text = text.strip()
        if text == "":
            return None
        try:
            return int(text)
        except ValueError:
            raise self._fail(text) from None

    def check_q_value(self, op: str, value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)


class OneToMany(Field):
    """The records of `comodel_name` whose many-to-one `inverse_name` points here."""

    type_name = "OneToMany"
    expects = "a list of records"

    def __init__(self, comodel_name: str, inverse_name: str, **options: Any) -> None:
        super().__init__(**options)
        self.comodel_name = comodel_name
        self.inverse_name = inverse_name

    @property
    def stored(self) -> bool:
        return False

    def check_q_value(self, op: str, value: Any) -> bool:
        return False


FIELD_TYPES: dict[str, type[Field]] = {
    cls.type_name: cls
    for cls in (
        Char,
        Text,
        Integer,
        Float,
        Monetary,
        Boolean,
        Date,
        Datetime,
        Selection,
        File,
        JSON,
        ManyToOne,
        OneToMany,
    )
}

DefaultFactory = Callable[[], Any]
