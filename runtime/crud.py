"""The shared mechanics of every generated service: paging, filters, search, sort, soft
delete, tenancy, reference checks and the mapping of constraint violations to API errors.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Index,
    UniqueConstraint,
    and_,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from runtime import (
    checks,
    derived,
    extend,
    guards,
    lifecycle,
    numbering,
    paging,
    referrers,
    rules,
    versions,
)
from runtime.errors import (
    AlreadyExistsError,
    ConflictError,
    CXGError,
    NotFoundError,
    TransitionError,
    ValidationError,
)
from runtime.models import is_soft_delete, is_tenant_scoped
from runtime.principal import Actor
from runtime.versions import Expected

M = TypeVar("M")

# A header's detail, and its /{id}/<lines> list, show at most this many lines (a document is
# created with at most as many); the detail's <lines>_total says how many there are in all.
LINES_LIMIT = 1000


@dataclass(frozen=True)
class Reference:
    """A foreign key checked on write: the target must exist, be live and be ours."""

    field: str
    target: type


@dataclass(frozen=True)
class AnyReference:
    """A uuid naming a row of whichever entity another field names (``refers_by``:
    document_id by document_type): checked on write like a Reference."""

    field: str
    by: str


@dataclass(frozen=True)
class Display:
    """The referenced row's name shown next to a reference: role_id → role_name."""

    field: str
    column: InstrumentedAttribute  # the target's display column
    attribute: str


@dataclass(frozen=True)
class Listing:
    model: type
    search: tuple[InstrumentedAttribute, ...] = ()
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


class ApplicationCheck:
    """The application half of tenant isolation, on by default.

    Only tests switch it off (runtime.testing), to show that row-level security alone still
    confines every endpoint to the caller's tenant.
    """

    enabled: bool = True


# -- reading ---------------------------------------------------------------------------------


def visible(model: type, actor: Actor) -> list[ColumnElement[bool]]:
    """Rows this actor may see: live ones, of the actor's tenant."""
    conditions: list[ColumnElement[bool]] = []
    if is_soft_delete(model):
        conditions.append(model.is_deleted.is_(False))
    if is_tenant_scoped(model) and ApplicationCheck.enabled:
        if actor.tenant_id is None:  # a tenant table without a tenant: see nothing
            conditions.append(model.id.is_(None))
        else:
            conditions.append(model.tenant_id == actor.tenant_id)
    return conditions


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def order_by(model: type, sort: str) -> list[ColumnElement[Any]]:
    """The sort's terms, then id the way the last term runs (paging.sort_terms): a total
    order, so pages never overlap, and the default order is one index scan."""
    return [
        getattr(model, column).desc() if descending else getattr(model, column).asc()
        for column, descending in paging.sort_terms(sort)
    ]


async def fetch_page(db: AsyncSession, listing: Listing, params: Any, actor: Actor) -> PageResult:
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
    db: AsyncSession, model: type, conditions: list, mode: str | None
) -> tuple[int | None, str]:
    """The total as ``?count=`` asks (see runtime.paging), and what kind of total it is."""
    if mode == "none":
        return None, "none"
    matching = select(literal(1)).select_from(model).where(*conditions)
    if mode == "exact":
        return int(await db.scalar(select(func.count()).select_from(matching.subquery()))), mode
    if mode is None:  # exact while that is cheap: at most EXACT_UP_TO + 1 index entries
        capped = matching.limit(paging.EXACT_UP_TO + 1).subquery()
        total = int(await db.scalar(select(func.count()).select_from(capped)))
        if total <= paging.EXACT_UP_TO:
            return total, "exact"
        return max(await estimate(db, matching), total), "estimated"
    return await estimate(db, matching), "estimated"


async def estimate(db: AsyncSession, query: Any) -> int:
    """The planner's estimate of the rows ``query`` returns (EXPLAIN, nothing is read)."""
    conn = await db.connection()
    compiled = query.compile(dialect=conn.dialect)
    driver = (await conn.get_raw_connection()).driver_connection
    args = [compiled.params[name] for name in compiled.positiontup or ()]
    plan = await driver.fetchval("EXPLAIN (FORMAT JSON) " + compiled.string, *args)
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def after_cursor(model: type, sort: str, cursor: str) -> ColumnElement[bool]:
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


async def attach_displays(db: AsyncSession, listing: Listing, rows: Sequence, actor: Actor) -> None:
    """One query per reference field for a whole page: never one query per row."""
    for display in listing.displays:
        ids = {getattr(row, display.field) for row in rows} - {None}
        names: dict = {}
        if ids:
            target = display.column.class_
            conditions = [target.id.in_(ids)]
            if is_tenant_scoped(target) and ApplicationCheck.enabled:
                conditions.append(target.tenant_id == actor.tenant_id)
            result = await db.execute(select(target.id, display.column).where(*conditions))
            names = {row_id: name for row_id, name in result}
        for row in rows:
            setattr(row, display.attribute, names.get(getattr(row, display.field)))


async def with_displays(db: AsyncSession, listing: Listing, row: M, actor: Actor) -> M:
    await attach_displays(db, listing, [row], actor)
    return row


async def children(
    db: AsyncSession, listing: Listing, parent_field: str, parent_id: uuid.UUID, actor: Actor
) -> tuple[list, int]:
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


# -- writing ---------------------------------------------------------------------------------


def check_rules(model: type, values: dict[str, Any]) -> None:
    problems = rules.problems(model.__table__.fullname, values)
    if problems:
        raise ValidationError(detail=problems)


async def check_references(
    db: AsyncSession,
    model: type,
    references: Sequence[Reference | AnyReference],
    values: dict[str, Any],
    actor: Actor,
    value_of: Callable[[str], Any] | None = None,
) -> None:
    """Every reference being written names a live row of ours (422 naming the field).
    ``value_of`` gives the row as it will be, for the entity name of an AnyReference."""
    problems = []
    for ref in references:
        value = values.get(ref.field)
        if isinstance(ref, AnyReference):
            if value is None and ref.by not in values:
                continue
            value = (value_of or values.get)(ref.field)
            target = _entity_named(model, (value_of or values.get)(ref.by))
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


def _entity_named(model: type, name: Any) -> type | None:
    """The mapped class of table ``<domain>.<table>`` beside ``model``, or None."""
    return next((m.class_ for m in model.registry.mappers if m.local_table.fullname == name), None)


def _missing(field: str, message: str, kind: str) -> dict[str, Any]:
    return {"field": field, "source": "body", "message": message, "type": kind}


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
    checks.enforce(model, values.get)
    await check_references(db, model, references, values, actor)
    await lifecycle.refuse_if_header_locked(db, model, values)
    await extend.run("before_create", model, db, actor, values)
    row = model(**values)
    row.created_by = row.updated_by = actor.user_id
    if is_tenant_scoped(model):
        row.tenant_id = actor.tenant_id
    db.add(row)
    await flush(db, model)
    await derived.roll_up(db, model, _parents(model, row), actor)
    await extend.run("after_write", model, db, actor, row, "CREATE")
    return row


def _parents(model: type, row: Any) -> dict[str, Any]:
    """The header ids a line feeds totals into (runtime.derived)."""
    return {r.via: getattr(row, r.via) for r in getattr(model, "__rollups__", ())}


async def next_number(
    db: AsyncSession, model: type, key: str, template: str, width: int, actor: Actor
) -> str:
    """The caller's tenant's next document number for ``key`` (see runtime.numbering)."""
    return await numbering.next_number(
        db,
        model.metadata.tables[numbering.COUNTERS],
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
        await lifecycle.refuse_if_header_locked(db, model, row)
        await lifecycle.refuse_if_header_locked(db, model, values)  # moved to another header
    await guards.run(db, model.__table__.fullname, row, values, actor)
    check_rules(model, values)
    as_it_will_be = lambda name: values[name] if name in values else getattr(row, name)  # noqa: E731
    await check_references(db, model, references, values, actor, as_it_will_be)
    values = {**values, **derived.products(model, as_it_will_be)}
    checks.enforce(model, as_it_will_be)
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
    into an approval's states only ``by_approval`` (runtime.approvals).

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
    db: AsyncSession, model: type, row_id: uuid.UUID, actor: Actor, *, expected: Expected = None
) -> None:
    row = await get_live(db, model, row_id, actor, lock=True)
    versions.check(row.version, expected)
    await lifecycle.refuse_if_header_locked(db, model, row)
    await _remove(db, model, row, actor)
    await flush(db, model, deleting=True)


async def _remove(db: AsyncSession, model: type, row: Any, actor: Actor) -> None:
    """Delete one row: flag it when the entity deletes softly, settling what refers to it
    (runtime.referrers); otherwise leave that to the foreign keys."""
    await guards.run(db, model.__table__.fullname, row, None, actor)
    await extend.run("before_delete", model, db, actor, row)
    parents = _parents(model, row)
    if not is_soft_delete(model):
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


async def flush(db: AsyncSession, model: type, *, deleting: bool = False) -> None:
    try:
        await db.flush()
    except IntegrityError as exc:
        raise translate(exc, model, deleting=deleting) from None


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


# -- constraint violations -------------------------------------------------------------------


def _columns_of(model: type, name: str | None) -> list[str]:
    table = model.__table__
    for item in (*table.indexes, *table.constraints):
        if isinstance(item, Index | UniqueConstraint) and item.name == name:
            return [c.name for c in item.columns if c.name != "tenant_id"]
    return []


def translate(exc: IntegrityError, model: type, *, deleting: bool = False) -> Exception:
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
