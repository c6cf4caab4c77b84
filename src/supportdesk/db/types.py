"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC instant. Naive values are refused; values always come back aware UTC
    (SQLite stores text without an offset, PostgreSQL `timestamptz` in the session zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: store aware UTC instants only")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: Largest id a 32-bit INTEGER column holds; ids above it are refused at the edge.
DB_ID_MAX = 2_147_483_647

#: JSON everywhere, JSONB on PostgreSQL.
JSONType: Any = JSON().with_variant(JSONB(), "postgresql")

#: An id as the API accepts it.
DbId = Annotated[int, Field(ge=1, le=DB_ID_MAX)]
