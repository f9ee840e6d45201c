"""`Query`: a lazy, chainable selection of records (`filter`, `order_by`, `all`, `get`, ...)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from typing import Any, ClassVar, Protocol

import sqlalchemy as sa

from ffdesk.engine.errors import MissingError, UserError, ValidationError
from ffdesk.engine.q import Q, RecordModel, _env_names, _short


class QueriedModel(RecordModel, Protocol):
    """What a query uses of a final model class (model.py, above, builds queries of itself)."""

    _order: ClassVar[str]

    @classmethod
    def _from_row(cls, row: Any) -> Any: ...


#: A record of the queried model (an instance of a final Model class).
Record = Any


class Query:
    """Records of one model matching a Q; evaluated in SQL when awaited."""

    def __init__(
        self,
        model: type[QueriedModel],
        q: Q | None = None,
        order: tuple[str, ...] = (),
        limit: int | None = None,
        offset: int | None = None,
    ) -> None:
        self.model = model
        self.q = q
        self._order = order
        self._limit = limit
        self._offset = offset

    def _copy(self, **changes: Any) -> Query:
        values = {
            "q": self.q,
            "order": self._order,
            "limit": self._limit,
            "offset": self._offset,
        }
        values.update(changes)
        return Query(self.model, **values)

    def filter(self, *qs: Any, **lookups: Any) -> Query:
        """Narrow with Q objects (or Q text) and keyword lookups; checked against the model now."""
        parts: list[Q] = []
        for item in qs:
            if isinstance(item, str):
                text = item
                item = Q.parse(text)
                try:
                    item.bind(self.model)
                except ValidationError as exc:
                    # Quote the expression the caller wrote, then the part that is wrong.
                    raise ValidationError(
                        f"Invalid Q-expression {_short(repr(text))} for {self.model._name}: {exc}"
                    ) from None
            if not isinstance(item, Q):
                raise ValidationError(
                    f"filter() takes Q objects and keyword lookups, got {type(item).__name__}."
                )
            parts.append(item)
        if lookups:
            parts.append(Q(**lookups))
        if not parts:
            return self
        combined = parts[0] if len(parts) == 1 else Q(*parts)
        if self.q is not None:
            combined = self.q & combined
        combined.bind(self.model)  # unknown fields, ops and wrong types fail here, not later
        return self._copy(q=combined)

    def exclude(self, *qs: Any, **lookups: Any) -> Query:
        negative = Query(self.model).filter(*qs, **lookups).q
        if negative is None:
            return self
        return self.filter(~negative)

    def order_by(self, *names: str) -> Query:
        for name in names:
            bare = name.lstrip("-")
            field = self.model._fields.get(bare)
            if bare != "id" and (
                field is None or not field.stored or field.type_name == "OneToMany"
            ):
                raise ValidationError(f"{self.model._name} cannot be ordered by {bare!r}.")
        return self._copy(order=tuple(names))

    def limit(self, count: int) -> Query:
        return self._copy(limit=count)

    def offset(self, count: int) -> Query:
        return self._copy(offset=count)

    # -- SQL ---------------------------------------------------------------------------
    def _where(self) -> sa.ColumnElement[bool] | None:
        if self.q is None:
            return None
        return self.q.bind(self.model).to_sql(_env_names({}))

    def _select(self) -> sa.Select[Any]:
        table = self.model._table
        stmt = sa.select(table)
        where = self._where()
        if where is not None:
            stmt = stmt.where(where)
        order = self._order or (self.model._order,)
        for name in order:
            for part in name.split(","):
                part = part.strip()
                descending = part.startswith("-")
                bare = part.lstrip("-")
                field = self.model._fields.get(bare)
                column = table.c.id if bare == "id" or field is None else table.c[field.column_name]
                stmt = stmt.order_by(column.desc() if descending else column.asc())
        if order and "id" not in {n.lstrip("-") for n in order}:
            stmt = stmt.order_by(table.c.id)  # stable order among equal keys
        if self._limit is not None:
            stmt = stmt.limit(self._limit)
        if self._offset is not None:
            stmt = stmt.offset(self._offset)
        return stmt

    def _fetch(self) -> list[Record]:
        with self.model._registry.db.connect() as conn:
            rows = conn.execute(self._select()).all()
        return [self.model._from_row(row) for row in rows]

    async def all(self) -> list[Record]:
        return self._fetch()

    async def first(self) -> Record | None:
        with self.model._registry.db.connect() as conn:
            row = conn.execute(self._select().limit(1)).first()
        return None if row is None else self.model._from_row(row)

    async def get(self) -> Record:
        """Exactly one record: MissingError if none, UserError if several."""
        with self.model._registry.db.connect() as conn:
            rows = conn.execute(self._select().limit(2)).all()
        if not rows:
            raise MissingError(f"No {self.model._name} matches {self._describe()}.")
        if len(rows) > 1:
            raise UserError(f"Several {self.model._name} records match {self._describe()}.")
        return self.model._from_row(rows[0])

    async def count(self) -> int:
        stmt = sa.select(sa.func.count()).select_from(self.model._table)
        where = self._where()
        if where is not None:
            stmt = stmt.where(where)
        with self.model._registry.db.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    async def exists(self) -> bool:
        stmt = sa.select(sa.literal(1)).select_from(self.model._table)
        where = self._where()
        if where is not None:
            stmt = stmt.where(where)
        with self.model._registry.db.connect() as conn:
            return conn.execute(stmt.limit(1)).first() is not None

    async def delete(self) -> int:
        """Delete every matching record (one by one, so that on_delete rules apply)."""
        records = self._fetch()
        async with self.model._registry.db.transaction():
            for record in records:
                await record.delete()
        return len(records)

    async def ids(self) -> list[int]:
        table = self.model._table
        stmt = self._select().with_only_columns(table.c.id)
        with self.model._registry.db.connect() as conn:
            return [int(i) for i in conn.execute(stmt).scalars()]

    def _describe(self) -> str:
        return self.q.to_text() if self.q is not None else "(all records)"

    def __await__(self) -> Generator[Any, None, list[Record]]:
        return self.all().__await__()

    async def __aiter__(self) -> AsyncIterator[Record]:
        for record in self._fetch():
            yield record
