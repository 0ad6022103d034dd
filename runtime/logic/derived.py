"""Values the server computes (``derived:`` in a spec), stored so they filter and sort.

- A product of two fields of the row (``amount = quantity * unit_price``), set on every create
  and update from the row as it will be.
- A header's sum over its live lines (``total_amount = sum(items.amount)``), recomputed in the
  transaction of every line create, update and delete. The header row is locked first, and the
  sum is read by the statement after the lock, so concurrent line writes to one document
  serialise on it and the last one counts them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.data.catalog import referenced_model
from runtime.data.models import is_soft_delete, same_tenant
from runtime.security.principal import Actor


@dataclass(frozen=True)
class Rollup:
    via: str  # the line's parent field (sales_order_id)
    into: str  # the header's field (total_amount)
    of: str  # the line's field summed (amount)


def products(model: type[Any], value_of: Callable[[str], Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, (a, b) in getattr(model, "__products__", {}).items():
        left, right = value_of(a), value_of(b)
        values[name] = None if left is None or right is None else left * right
    return values


async def roll_up(
    db: AsyncSession, model: type[Any], parent_ids: dict[str, Any], actor: Actor
) -> None:
    """Recompute the header totals a line of ``model`` feeds (``parent_ids``: via → id)."""
    rollups: tuple[Rollup, ...] = getattr(model, "__rollups__", ())  # the generated model's
    if not rollups:
        return
    await db.flush()  # the line's own change first, so the sum sees it
    for rollup in rollups:
        parent_id = parent_ids.get(rollup.via)
        if parent_id is None:
            continue
        parent_model: type[Any] = referenced_model(model, rollup.via)
        parent = await db.scalar(
            select(parent_model)
            .where(parent_model.id == parent_id, *same_tenant(parent_model, actor))
            # FOR NO KEY UPDATE: it serialises the writers of one document without waiting on
            # the KEY SHARE lock each line's foreign key check holds (FOR UPDATE would
            # deadlock two concurrent line inserts)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)  # as committed when the lock was won
        )
        if parent is None:
            continue
        live = [getattr(model, rollup.via) == parent_id, *same_tenant(model, actor)]
        if is_soft_delete(model):
            live.append(model.is_deleted.is_(False))
        total = await db.scalar(
            select(func.coalesce(func.sum(getattr(model, rollup.of)), 0)).where(*live)
        )
        if getattr(parent, rollup.into) != total:
            setattr(parent, rollup.into, total)
            parent.version += 1
            parent.updated_by = actor.user_id
    await db.flush()
