"""Which rows an actor may see at all (live ones, of the actor's tenant), and one live row
by id for a write. Everything an API client reads is runtime.reads: one plan per entity."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.data.models import RecordMixin, is_soft_delete, same_tenant
from runtime.security.principal import Actor
from runtime.web.errors import NotFoundError

M = TypeVar("M", bound=RecordMixin)  # a generated entity (every one has the record columns)


def visible(model: type[Any], actor: Actor) -> list[ColumnElement[bool]]:
    """Rows this actor may see: live ones, of the actor's tenant."""
    conditions: list[ColumnElement[bool]] = []
    if is_soft_delete(model):
        conditions.append(model.is_deleted.is_(False))
    conditions.extend(same_tenant(model, actor))  # a tenant table without a tenant: nothing
    return conditions


async def get_live(
    db: AsyncSession, model: type[M], row_id: uuid.UUID, actor: Actor, *, lock: bool = False
) -> M:
    query = select(model).where(model.id == row_id, *visible(model, actor))
    row = await db.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFoundError(detail={"id": str(row_id)})
    return row
