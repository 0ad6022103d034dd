"""Writing for every generated service: create, update, status moves and delete, with the
checks each runs (rules, checks across fields, references, locks, guards, hand-owned hooks),
derived values, soft delete and its references, and document numbers.

Reading lives in runtime.data.reading and the mapping of constraint violations in
runtime.data.violations; both are re-exported here, so generated code has one module to call.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.data import catalog, referrers
from runtime.data.models import RecordMixin, SoftDeleteMixin, TenantMixin
from runtime.data.reading import get_live, visible
from runtime.data.references import AnyReference, Reference, check_references
from runtime.data.violations import translate, unique_columns
from runtime.logic import derived, extend, guards, lifecycle, numbering, row_rules, rules
from runtime.security.principal import Actor
from runtime.web import versions
from runtime.web.errors import (
    CXGError,
    TransitionError,
    ValidationError,
)
from runtime.web.versions import Expected

__all__ = [
    "AnyReference",
    "Reference",
    "change_status",
    "check_references",
    "check_rules",
    "create",
    "delete",
    "flush",
    "get_live",
    "line_errors",
    "next_number",
    "translate",
    "update",
    "visible",
]

M = TypeVar("M", bound=RecordMixin)  # a generated entity


def check_rules(model: type[Any], values: dict[str, Any]) -> None:
    problems = rules.problems(model.__table__.fullname, values)
    if problems:
        raise ValidationError(detail=problems)


async def create(
    db: AsyncSession,
    model: type[M],
    values: dict[str, Any],
    actor: Actor,
    *,
    references: Sequence[Reference | AnyReference] = (),
) -> M:
    check_rules(model, values)
    values = {**values, **derived.products(model, values.get)}
    row_rules.enforce(model, values.get)
    await check_references(db, model, references, values, actor)
    await lifecycle.refuse_if_header_locked(db, model, values, actor)
    await extend.run("before_create", model, db, actor, values)
    row = model(**values)
    _stamp_new(row, actor)
    db.add(row)
    await flush(db, model)
    await derived.roll_up(db, model, _parents(model, row), actor)
    await extend.run("after_write", model, db, actor, row, "CREATE")
    return row


def _stamp_new(row: RecordMixin, actor: Actor) -> None:
    """Who creates the row and, in a tenant table, whose it is: both from the token."""
    row.created_by = row.updated_by = actor.user_id
    if isinstance(row, TenantMixin):  # the model is tenant-scoped
        row.tenant_id = actor.tenant_id


def _table_name(model: type[Any]) -> str:
    """schema.table of a generated entity (its __table__ is a Table)."""
    name: str = model.__table__.fullname
    return name


def _parents(model: type[Any], row: object) -> dict[str, Any]:
    """The header ids a line feeds totals into (runtime.logic.derived)."""
    return {r.via: getattr(row, r.via) for r in getattr(model, "__rollups__", ())}


async def next_number(
    db: AsyncSession, model: type[Any], key: str, template: str, width: int, actor: Actor
) -> str:
    """The caller's tenant's next document number for ``key`` (see runtime.logic.numbering)."""
    assert actor.tenant_id is not None  # only tenant entities are numbered
    return await numbering.next_number(
        db,
        catalog.table(model, numbering.COUNTERS),
        tenant_id=actor.tenant_id,
        key=key,
        template=template,
        width=width,
        user_id=actor.user_id,
    )


async def update(
    db: AsyncSession,
    model: type[M],
    row_id: uuid.UUID,
    values: dict[str, Any],
    actor: Actor,
    *,
    references: Sequence[Reference | AnyReference] = (),
    expected: Expected = None,
    moving: bool = False,
) -> M:
    """Change a row; ``moving`` when the change is a status move (change_status)."""
    row = await get_live(db, model, row_id, actor, lock=True)
    versions.check(row.version, expected)
    if not moving:
        lifecycle.refuse_if_locked(model, row)
        await lifecycle.refuse_if_header_locked(db, model, row, actor)
        await lifecycle.refuse_if_header_locked(db, model, values, actor)  # moved to another header
    await guards.run(db, _table_name(model), row, values, actor)
    check_rules(model, values)
    as_it_will_be = lambda name: values[name] if name in values else getattr(row, name)  # noqa: E731
    await check_references(db, model, references, values, actor, as_it_will_be)
    values = {**values, **derived.products(model, as_it_will_be)}
    row_rules.enforce(model, as_it_will_be)
    await extend.run("before_update", model, db, actor, row, values)
    before = _parents(model, row)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_by = actor.user_id
    row.version += 1  # the row is locked: no concurrent change can take the same number
    await flush(db, model)
    await derived.roll_up(db, model, _parents(model, row), actor)
    if before != _parents(model, row):  # moved to another header: the old one loses it
        await derived.roll_up(db, model, before, actor)
    await extend.run("after_write", model, db, actor, row, "UPDATE")
    return row


async def change_status(
    db: AsyncSession,
    model: type[M],
    row_id: uuid.UUID,
    field: str,
    value: str,
    actor: Actor,
    *,
    moves: dict[str, list[str]] | None = None,
    expected: Expected = None,
    by_approval: bool = False,
) -> M:
    """Set the status field; with a state machine (``moves``) only along an allowed move, and
    into an approval's states only ``by_approval`` (runtime.logic.approvals).

    The row is locked first, so two concurrent moves from one state cannot both pass.
    """
    row = await get_live(db, model, row_id, actor, lock=True)
    versions.check(row.version, expected)
    current = getattr(row, field)
    if moves is not None and value not in moves.get(current, ()):
        raise TransitionError(
            detail={
                "field": field,
                "from": current,
                "to": value,
                "allowed": moves.get(current, []),
            }
        )
    lifecycle.refuse_if_gated(model, value, by_approval=by_approval)
    return await update(db, model, row_id, {field: value}, actor, expected=expected, moving=True)


async def delete(
    db: AsyncSession,
    model: type[RecordMixin],
    row_id: uuid.UUID,
    actor: Actor,
    *,
    expected: Expected = None,
) -> None:
    row = await get_live(db, model, row_id, actor, lock=True)
    versions.check(row.version, expected)
    await lifecycle.refuse_if_header_locked(db, model, row, actor)
    await _remove(db, model, row, actor)
    await flush(db, model, deleting=True)


async def _remove(db: AsyncSession, model: type[Any], row: RecordMixin, actor: Actor) -> None:
    """Delete one row: flag it when the entity deletes softly, settling what refers to it
    (runtime.data.referrers); otherwise leave that to the foreign keys."""
    await guards.run(db, model.__table__.fullname, row, None, actor)
    await extend.run("before_delete", model, db, actor, row)
    parents = _parents(model, row)
    if not isinstance(row, SoftDeleteMixin):  # the model deletes hard
        await referrers.clear_before_hard_delete(db, model, row, actor)
        await db.delete(row)
        await derived.roll_up(db, model, parents, actor)
        await extend.run("after_write", model, db, actor, row, "DELETE")
        return
    await referrers.refuse_if_restricted(db, model, row, actor, visible)
    row.is_deleted = True
    row.deleted_at = datetime.now(UTC)
    row.deleted_by = row.updated_by = actor.user_id
    row.version += 1
    await referrers.follow(db, model, row, actor, visible, _remove)
    await derived.roll_up(db, model, parents, actor)
    await extend.run("after_write", model, db, actor, row, "DELETE")


async def flush(db: AsyncSession, model: type[Any], *, deleting: bool = False) -> None:
    try:
        await db.flush()
    except IntegrityError as exc:
        columns = await unique_columns(db, exc, model)
        raise translate(exc, model, deleting=deleting, columns=columns) from None


@contextmanager
def line_errors(collection: str, position: int) -> Iterator[None]:
    """Name the failing line in errors: items.2.product_id rather than product_id."""
    try:
        yield
    except CXGError as exc:
        if isinstance(exc.detail, list):
            for item in exc.detail:
                if isinstance(item, dict):
                    field = item.get("field")
                    item["field"] = f"{collection}.{position}" + (f".{field}" if field else "")
        raise
