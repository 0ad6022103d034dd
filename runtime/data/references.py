"""The references a write carries: each must name a live row of the caller's (422 naming the
field otherwise), including a row named by entity and id together (``refers_by``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.data.catalog import model_named
from runtime.data.reading import visible
from runtime.security.principal import Actor
from runtime.web.errors import (
    ValidationError,
)


@dataclass(frozen=True)
class Reference:
    """A foreign key checked on write: the target must exist, be live and be ours."""

    field: str
    target: type[Any]


@dataclass(frozen=True)
class AnyReference:
    """A uuid naming a row of whichever entity another field names (``refers_by``:
    document_id by document_type): checked on write like a Reference."""

    field: str
    by: str


async def check_references(
    db: AsyncSession,
    model: type[Any],
    references: Sequence[Reference | AnyReference],
    values: dict[str, Any],
    actor: Actor,
    value_of: Callable[[str], Any] | None = None,
) -> None:
    """Every reference being written names a live row of ours (422 naming the field).
    ``value_of`` gives the row as it will be, for the entity name of an AnyReference."""
    problems: list[dict[str, Any]] = []
    for ref in references:
        value = values.get(ref.field)
        target: type[Any] | None
        if isinstance(ref, AnyReference):
            if value is None and ref.by not in values:
                continue
            value = (value_of or values.get)(ref.field)
            target = model_named(model, (value_of or values.get)(ref.by))
            if target is None:
                problems.append(
                    _missing(ref.by, "names no entity of this system", "unknown_entity")
                )
                continue
        elif value is None:
            continue
        else:
            target = ref.target
        found = await db.scalar(
            select(target.id).where(target.id == value, *visible(target, actor))
        )
        if found is None:
            problems.append(
                _missing(ref.field, f"referenced row {value} does not exist", "reference_not_found")
            )
    if problems:
        raise ValidationError(detail=problems)


def _missing(field: str, message: str, kind: str) -> dict[str, Any]:
    return {"field": field, "source": "body", "message": message, "type": kind}
