"""Reading for every generated service: lists (filters, ranges, search, sort, keyset cursors,
count modes), details, a header's lines, the names shown next to references, and which rows an
actor may see at all (live ones, of the actor's tenant).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Subquery,
    and_,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from runtime.data import paging
from runtime.data.models import RecordMixin, is_soft_delete, is_tenant_scoped, same_tenant
from runtime.security.principal import Actor
from runtime.web.errors import (
    NotFoundError,
    ValidationError,
)

M = TypeVar("M", bound=RecordMixin)  # a generated entity (every one has the record columns)


# A header's detail, and its /{id}/<lines> list, show at most this many lines (a document is
# created with at most as many); the detail's <lines>_total says how many there are in all.
LINES_LIMIT = 1000


@dataclass(frozen=True)
class Display:
    """The referenced row's name shown next to a reference: role_id → role_name."""

    field: str
    column: InstrumentedAttribute[Any]  # the target's display column
    attribute: str


@dataclass(frozen=True)
class Listing(Generic[M]):
    model: type[M]
    search: tuple[InstrumentedAttribute[Any], ...] = ()
    filters: tuple[str, ...] = ()
    ranges: tuple[str, ...] = ()  # <name>_from / <name>_to, inclusive
    default_sort: str = "-created_at"
    displays: tuple[Display, ...] = ()


@dataclass(frozen=True)
class PageResult(Generic[M]):
    items: Sequence[M]
    total: int | None
    page: int
    page_size: int
    count: str = "exact"  # what total is: exact, estimated or none
    next_cursor: str | None = None


def visible(model: type[Any], actor: Actor) -> list[ColumnElement[bool]]:
    """Rows this actor may see: live ones, of the actor's tenant."""
    conditions: list[ColumnElement[bool]] = []
    if is_soft_delete(model):
        conditions.append(model.is_deleted.is_(False))
    conditions.extend(same_tenant(model, actor))  # a tenant table without a tenant: nothing
    return conditions


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def order_by(model: type[Any], sort: str) -> list[ColumnElement[Any]]:
    """The sort's terms, then id the way the last term runs (paging.sort_terms): a total
    order, so pages never overlap, and the default order is one index scan."""
    return [
        getattr(model, column).desc() if descending else getattr(model, column).asc()
        for column, descending in paging.sort_terms(sort)
    ]


async def fetch_page(
    db: AsyncSession, listing: Listing[M], params: Any, actor: Actor
) -> PageResult[M]:
    model = listing.model
    conditions = visible(model, actor)
    for name in listing.filters:
        value = getattr(params, name, None)
        if isinstance(value, list):
            conditions.append(getattr(model, name).in_(value))
        elif value is not None:
            conditions.append(getattr(model, name) == value)
    for name in listing.ranges:
        low, high = getattr(params, f"{name}_from", None), getattr(params, f"{name}_to", None)
        if low is not None:
            conditions.append(getattr(model, name) >= low)
        if high is not None:
            conditions.append(getattr(model, name) <= high)
    if params.search and listing.search:
        pattern = f"%{escape_like(params.search)}%"
        conditions.append(or_(*(col.ilike(pattern, escape="\\") for col in listing.search)))
    total, counted = await count_rows(db, model, conditions, params.count)
    sort = params.sort or listing.default_sort
    query = select(model).where(*conditions)
    offset = (params.page - 1) * params.page_size
    if params.cursor:
        query, offset = query.where(after_cursor(model, sort, params.cursor)), 0
    rows = await db.scalars(
        query.order_by(*order_by(model, sort)).offset(offset).limit(params.page_size)
    )
    items = list(rows)
    await attach_displays(db, listing, items, actor)
    return PageResult(
        items,
        total,
        params.page,
        params.page_size,
        counted,
        paging.next_cursor(sort, items[-1] if items else None, params.page_size, len(items)),
    )


async def count_rows(
    db: AsyncSession, model: type[Any], conditions: list[ColumnElement[bool]], mode: str | None
) -> tuple[int | None, str]:
    """The total as ``?count=`` asks (see runtime.data.paging), and what kind of total it is."""
    if mode == "none":
        return None, "none"
    matching = select(literal(1)).select_from(model).where(*conditions)
    if mode == "exact":
        return await _count(db, matching.subquery()), mode
    if mode is None:  # exact while that is cheap: at most EXACT_UP_TO + 1 index entries
        capped = matching.limit(paging.EXACT_UP_TO + 1).subquery()
        total = await _count(db, capped)
        if total <= paging.EXACT_UP_TO:
            return total, "exact"
        return max(await estimate(db, matching), total), "estimated"
    return await estimate(db, matching), "estimated"


async def _count(db: AsyncSession, rows: Subquery) -> int:
    """count(*) of ``rows``: one row, always."""
    return (await db.execute(select(func.count()).select_from(rows))).scalar_one()


async def estimate(db: AsyncSession, query: Any) -> int:
    """The planner's estimate of the rows ``query`` returns (EXPLAIN, nothing is read)."""
    conn = await db.connection()
    # a filter of several values is an expanding IN: render its parameters one by one, as the
    # ORM does when it executes (the raw EXPLAIN would otherwise see a placeholder name)
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None  # None only once the connection is invalidated
    args = [compiled.params[name] for name in compiled.positiontup or ()]
    plan = await driver.fetchval("EXPLAIN (FORMAT JSON) " + compiled.string, *args)
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def after_cursor(model: type[Any], sort: str, cursor: str) -> ColumnElement[bool]:
    """Rows after a keyset cursor, in ``sort`` order (the cursor was checked against it)."""
    terms = paging.sort_terms(sort)
    try:
        _, raw = paging.decode_cursor(cursor)
        values = paging.typed(raw, [getattr(model, c).type.python_type for c, _ in terms])
    except ValueError as exc:
        raise ValidationError(
            detail=[{"field": "cursor", "source": "query", "message": str(exc), "type": "cursor"}]
        ) from None
    groups = paging.keyset(
        terms,
        values,
        lambda c, op, v: getattr(model, c).op(op)(v),
        lambda cs, op, vs: tuple_(*(getattr(model, c) for c in cs)).op(op)(tuple_(*vs)),
    )
    return or_(*(and_(*group) for group in groups))


async def attach_displays(
    db: AsyncSession, listing: Listing[M], rows: Sequence[M], actor: Actor
) -> None:
    """One query per reference field for a whole page: never one query per row."""
    for display in listing.displays:
        ids = {getattr(row, display.field) for row in rows} - {None}
        names: dict[uuid.UUID, Any] = {}
        if ids:
            target = display.column.class_
            assert isinstance(target, type)  # a generated entity's column, never an alias's
            conditions = [target.id.in_(ids)]
            if is_tenant_scoped(target):
                conditions.append(target.tenant_id == actor.tenant_id)
            result = await db.execute(select(target.id, display.column).where(*conditions))
            names = {row_id: name for row_id, name in result}
        for row in rows:
            setattr(row, display.attribute, names.get(getattr(row, display.field)))


async def with_displays(db: AsyncSession, listing: Listing[M], row: M, actor: Actor) -> M:
    await attach_displays(db, listing, [row], actor)
    return row


async def children(
    db: AsyncSession, listing: Listing[M], parent_field: str, parent_id: uuid.UUID, actor: Actor
) -> tuple[list[M], int]:
    """The live lines of one header, in the line entity's default order, at most LINES_LIMIT
    of them, and how many it has in all (counted in the same statement)."""
    model = listing.model
    result = await db.execute(
        select(model, func.count().over())
        .where(getattr(model, parent_field) == parent_id, *visible(model, actor))
        .order_by(*order_by(model, listing.default_sort))
        .limit(LINES_LIMIT)
    )
    pairs = result.all()
    items = [row for row, _ in pairs]
    await attach_displays(db, listing, items, actor)
    return items, (pairs[0][1] if pairs else 0)


async def get_live(
    db: AsyncSession, model: type[M], row_id: uuid.UUID, actor: Actor, *, lock: bool = False
) -> M:
    query = select(model).where(model.id == row_id, *visible(model, actor))
    row = await db.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFoundError(detail={"id": str(row_id)})
    return row
