"""PostgreSQL constraint violations turned into the API error a client can act on: a unique
value taken (409 naming the fields), a reference that does not exist (422) or still holds a
row being deleted (409), a CHECK rule (422 naming its fields).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Index,
    UniqueConstraint,
)
from sqlalchemy.exc import IntegrityError

from runtime.logic import checks
from runtime.web.errors import (
    AlreadyExistsError,
    ConflictError,
    ValidationError,
)


def _columns_of(model: type[Any], name: str | None) -> list[str]:
    table = model.__table__
    for item in (*table.indexes, *table.constraints):
        if isinstance(item, Index | UniqueConstraint) and item.name == name:
            return [c.name for c in item.columns if c.name != "tenant_id"]
    return []


def translate(exc: IntegrityError, model: type[Any], *, deleting: bool = False) -> Exception:
    """Map a PostgreSQL constraint violation to the API error a client can act on."""
    cause = exc.orig.__cause__ if exc.orig is not None else None
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(cause, "sqlstate", None)
    constraint = getattr(cause, "constraint_name", None)
    column = getattr(cause, "column_name", None)
    if sqlstate == "23505":
        fields = _columns_of(model, constraint)
        return AlreadyExistsError(
            detail=[
                {"field": f, "source": "body", "message": "already exists", "type": "unique"}
                for f in fields
            ]
            or None
        )
    if sqlstate == "23503":
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
    if sqlstate == "23514" and (check := checks.by_constraint(model, constraint)):
        return ValidationError(detail=check.detail())
    if sqlstate in ("23514", "23502"):
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
