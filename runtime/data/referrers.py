"""What deleting a row does to the live rows that refer to it.

A hard delete leaves that to PostgreSQL (the foreign keys' ON DELETE), except ``set_null`` on
a tenant key: Citus refuses ``SET NULL`` on a key that includes the distribution column, so
that key is ``NO ACTION`` in the database with the spec's rule in its ``info``, and
``clear_before_hard_delete`` clears every row of the tenant that refers to the row first. A
soft delete only flags the row, so no foreign key fires: this module applies the same rule
each reference declares (``on_delete`` in the spec; the key's ``info`` or ``ondelete``), to
live rows only, in the same transaction:

- ``restrict``: refused (409 CONFLICT) while live rows refer to it, naming their entity;
- ``cascade``: the referring rows are deleted too (soft or hard, as their entity deletes,
  each with its own references settled in turn);
- ``set_null``: the reference is cleared (and the row's version raised).

Every rule is read from the mapped tables, so it holds for every generated entity.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Column, ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.data import catalog
from runtime.data.models import RecordMixin
from runtime.security.principal import Actor
from runtime.web.errors import ConflictError

RESTRICT, CASCADE, SET_NULL = "RESTRICT", "CASCADE", "SET NULL"

# The rows an actor may see of an entity: runtime.data.reading.visible.
Live = Callable[[type[Any], Actor], list[ColumnElement[bool]]]


@dataclass(frozen=True)
class Referrer:
    model: type[Any]
    column: Column[Any]
    rule: str  # RESTRICT | CASCADE | SET NULL
    entity: str  # schema.table of the referring rows
    by_application: bool = False  # the rule is the application's alone (the key's info)


@cache
def referrers_of(model: type[Any]) -> tuple[Referrer, ...]:
    table = model.__table__
    catalog.referrers(model, table.fullname)  # imported before the walk (lazy models)
    found: list[Referrer] = []
    for mapper in model.registry.mappers:
        for fk in mapper.local_table.foreign_keys:
            # a tenant table's key also pairs tenant_id with tenant_id: not a reference
            if fk.column.table is table and fk.column.name == "id":
                # a tenant key's set_null is in its info (the database holds NO ACTION)
                own = fk.constraint.info.get("on_delete") if fk.constraint is not None else None
                rule = (own or fk.ondelete or RESTRICT).upper().split(" (")[0]
                rule = RESTRICT if rule == "NO ACTION" else rule
                entity = mapper.local_table.fullname
                found.append(Referrer(mapper.class_, fk.parent, rule, entity, own is not None))
    return tuple(sorted(found, key=lambda r: (r.entity, r.column.name)))


def _referring(
    ref: Referrer, row: RecordMixin, live: Live, actor: Actor
) -> list[ColumnElement[bool]]:
    return [ref.column == row.id, *live(ref.model, actor)]


async def refuse_if_restricted(
    db: AsyncSession,
    model: type,  # `type`: the cache key of referrers_of (mypy sees no type[...] as Hashable)
    row: RecordMixin,
    actor: Actor,
    live: Live,
) -> None:
    for ref in referrers_of(model):
        if ref.rule != RESTRICT:
            continue
        count = await db.scalar(
            select(func.count()).select_from(ref.model).where(*_referring(ref, row, live, actor))
        )
        if count:
            raise ConflictError(
                {
                    "ko": f"{ref.entity}의 데이터 {count}건이 참조하고 있어 삭제할 수 없습니다.",
                    "en": f"{count} live row(s) of {ref.entity} refer to it; "
                    "delete or change them first.",
                },
                detail={"referenced_by": ref.entity, "field": ref.column.name, "rows": count},
            )


async def clear_before_hard_delete(
    db: AsyncSession, model: type, row: RecordMixin, actor: Actor  # model: see refuse_if_restricted
) -> None:
    """Before a row is deleted for good: clear the ``set_null`` references the database does
    not clear itself (a tenant key's, ``NO ACTION`` in the database), in every row of the
    tenant, deleted or not, as ``ON DELETE SET NULL`` would have."""
    for ref in referrers_of(model):
        if ref.rule != SET_NULL or not ref.by_application:
            continue  # the database's own ON DELETE does it
        where = [ref.column == row.id]
        tenant = getattr(row, "tenant_id", None)  # names the tenant: one shard on Citus
        if tenant is not None and hasattr(ref.model, "tenant_id"):
            where.append(ref.model.tenant_id == tenant)
        await _clear(db, ref, where, actor)


async def follow(
    db: AsyncSession,
    model: type,  # see refuse_if_restricted
    row: RecordMixin,
    actor: Actor,
    live: Live,
    remove: Callable[[AsyncSession, type[Any], RecordMixin, Actor], Awaitable[None]],
) -> None:
    """Cascade and clear what refers to ``row`` (already flagged deleted, so a cycle of
    references ends at it)."""
    for ref in referrers_of(model):
        where = _referring(ref, row, live, actor)
        if ref.rule == CASCADE:
            children: Sequence[RecordMixin] = (
                await db.scalars(select(ref.model).where(*where).with_for_update())
            ).all()
            for child in children:
                await remove(db, ref.model, child, actor)
        elif ref.rule == SET_NULL:
            await _clear(db, ref, where, actor)


async def _clear(
    db: AsyncSession, ref: Referrer, where: list[ColumnElement[bool]], actor: Actor
) -> None:
    """Set the referring column to null where ``where`` holds, as a change of those rows."""
    await db.execute(
        update(ref.model)
        .where(*where)
        .values(
            {ref.column.name: None, "version": ref.model.version + 1, "updated_by": actor.user_id}
        )
        .execution_options(synchronize_session=False)
    )
