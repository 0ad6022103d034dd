"""PostgreSQL constraint violations turned into the API error a client can act on: a unique
value taken (409 naming the fields), a reference that does not exist (422) or still holds a
row being deleted (409), a CHECK rule (422 naming its fields).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import (
    Index,
    UniqueConstraint,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from runtime.data.pgerror import driver_error, sqlstate
from runtime.logic import row_rules
from runtime.web.errors import (
    AlreadyExistsError,
    ConflictError,
    ValidationError,
)

# PostgreSQL's DETAIL of a unique violation: Key (tenant_id, code)=(..., ...) already exists.
# The word "Key" follows lc_messages; the parentheses do not.
_KEY = re.compile(r"\(([^()]*)\)=\(")


def _columns_of(model: type[Any], name: str | None) -> list[str]:
    table = model.__table__
    for item in (*table.indexes, *table.constraints):
        if isinstance(item, Index | UniqueConstraint) and item.name == name:
            return [c.name for c in item.columns if c.name != "tenant_id"]
    return []


def _key_columns(cause: Any) -> list[str]:
    """The columns of the violated unique rule as the database reports them: right even when
    the model in memory predates the migration that made the rule (a server that was not
    restarted). Empty when the key is an expression (then the model is asked)."""
    match = _KEY.search(str(getattr(cause, "detail", None) or ""))
    if match is None:
        return []
    return [c.strip() for c in match.group(1).split(",") if c.strip() != "tenant_id"]


# The columns of a unique index, from the catalog: for a rule the model in memory predates.
_INDEX_COLUMNS = text(
    "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
    " CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)"
    " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
    " WHERE i.indrelid = CAST(:table AS regclass) AND c.relname = :name ORDER BY k.n"
)
_KNOWN: dict[tuple[str, str], list[str]] = {}  # (table, constraint) -> columns, as read


def _parts(exc: IntegrityError) -> tuple[Any, str | None, str | None]:
    cause = driver_error(exc)
    return cause, sqlstate(exc), getattr(cause, "constraint_name", None)


async def unique_columns(db: AsyncSession, exc: IntegrityError, model: type[Any]) -> list[str]:
    """The fields of the unique rule ``exc`` violates, whatever the model in memory knows:
    PostgreSQL's DETAIL (which it leaves out for tables under row-level security), the
    model, else the catalog, read on a connection of its own (the request's transaction
    is aborted) and remembered. Empty for other violations and for expression keys."""
    cause, code, constraint = _parts(exc)
    if code != "23505" or constraint is None:
        return []
    found = _key_columns(cause) or _columns_of(model, constraint)
    table = model.__table__.fullname
    if found or (table, constraint) in _KNOWN:
        return found or _KNOWN[(table, constraint)]
    engine = db.bind
    if not isinstance(engine, AsyncEngine):
        return []
    async with engine.connect() as conn:
        names = await conn.scalars(_INDEX_COLUMNS, {"table": table, "name": constraint})
        _KNOWN[(table, constraint)] = [n for n in names if n != "tenant_id"]
    return _KNOWN[(table, constraint)]


def translate(
    exc: IntegrityError,
    model: type[Any],
    *,
    deleting: bool = False,
    columns: list[str] | None = None,
) -> Exception:
    """Map a PostgreSQL constraint violation to the API error a client can act on;
    ``columns`` are the violated unique rule's fields when the caller looked them up
    (:func:`unique_columns`)."""
    cause, code, constraint = _parts(exc)
    column = getattr(cause, "column_name", None)
    if code == "23505":
        known = columns if columns else _key_columns(cause) or _columns_of(model, constraint)
        fields: list[str | None] = [*known]
        return AlreadyExistsError(
            detail=[
                {
                    "field": f,
                    "source": "body",
                    "message": "already exists",
                    "type": "unique",
                    "constraint": constraint,
                }
                for f in fields or [None]
            ]
        )
    if code == "23503":
        if deleting:
            return ConflictError(
                {
                    "ko": "다른 데이터가 참조하고 있어 삭제할 수 없습니다.",
                    "en": "Other rows still reference this row.",
                },
                detail={"constraint": constraint},
            )
        return ValidationError(
            detail=[
                {
                    "field": None,
                    "source": "body",
                    "message": "referenced row does not exist",
                    "type": "reference_not_found",
                    "constraint": constraint,
                }
            ]
        )
    if code == "23514" and (check := row_rules.by_constraint(model, constraint)):
        return ValidationError(detail=check.detail())
    if code in ("23514", "23502"):
        return ValidationError(
            detail=[
                {
                    "field": column,
                    "source": "body",
                    "message": "violates a database rule",
                    "type": "constraint",
                    "constraint": constraint,
                }
            ]
        )
    return exc
