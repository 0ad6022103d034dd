"""Running an entity's read statements on a driver connection and gluing the JSON that
PostgreSQL wrote into the answer's data: the same bytes whichever way the request came (the
hot path's own connection, or the routers' session: runtime.reads.session)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from runtime.data import paging
from runtime.reads.compose import Head, Statements
from runtime.web.schemas import ListParams, pages

Record = Any  # an asyncpg Record: asyncpg ships no types


async def detail(
    conn: Any,
    reads: Statements,
    row_id: uuid.UUID,
    tenant: uuid.UUID | None,
    head: Head | None = None,
    head_args: tuple[Any, ...] = (),
) -> Record | None:
    """The detail's record: None when the head found nothing; ``_cxg_row`` is null when the
    row is not there (or not visible)."""
    args = [*head_args, row_id, *([tenant] if reads.tenant_scoped else [])]
    return await conn.fetchrow(reads.detail(head), *args)


def detail_json(reads: Statements, record: Record) -> str:
    """The row's JSON with its lines and their totals after its own fields (the response
    model's order)."""
    row: str = record["_cxg_row"]
    if not reads.lines:
        return row
    parts = [row[:-1]]
    for i, (attribute, _, _) in enumerate(reads.lines):
        items = record[f"_cxg_l{i}"] or ""
        parts.append(f',"{attribute}":[{items}],"{attribute}_total":{record[f"_cxg_n{i}"]}')
    parts.append("}")
    return "".join(parts)


def cursor_values(reads: Statements, params: ListParams) -> list[Any] | None:
    """The typed values a keyset cursor continues after (ValueError when they do not fit)."""
    if not params.cursor:
        return None
    terms = paging.sort_terms(params.order)
    types = reads.plan.types
    return paging.typed(
        paging.decode_cursor(params.cursor)[1], [types.get(c, str) for c, _ in terms]
    )


async def page(
    conn: Any,
    reads: Statements,
    params: ListParams,
    tenant: uuid.UUID | None,
    cursor: list[Any] | None,
    fixed: Mapping[str, Any] | None = None,
) -> list[Record]:
    """The page's record in a list: one, with the total, the rows' JSON and the last row's
    sort keys. (The hot path composes its page statements once, with its head, and runs them
    itself: runtime.hot.read.)"""
    sql, args = reads.page(params, tenant, cursor, None, fixed)
    records: list[Record] = await conn.fetch(sql, *args)
    return records


async def page_json(
    conn: Any,
    reads: Statements,
    params: ListParams,
    tenant: uuid.UUID | None,
    records: list[Record],
    fixed: Mapping[str, Any] | None = None,
) -> str:
    """The page (runtime.web.schemas.Page) around the rows' JSON: the total as the count mode
    asks (by default the planner's estimate past a bounded count: runtime.data.paging), the
    next cursor."""
    mode = params.count
    total: int | None = records[0]["_cxg_total"]
    counted = "none" if mode == "none" else "exact"
    bounded = mode is None and not records[0]["_cxg_all"]  # counted to EXACT_UP_TO + 1 only
    if mode == "estimated" or (bounded and total is not None and total > paging.EXACT_UP_TO):
        sql, args = reads.estimate(params, tenant, fixed)
        plan = await conn.fetchval(sql, *args)
        plan = json.loads(plan) if isinstance(plan, str) else plan
        total, counted = max(int(plan[0]["Plan"]["Plan Rows"]), total or 0), "estimated"
    found = records[0]
    size = params.page_size
    cursor = None
    if found["_cxg_n"] == size:
        terms = paging.sort_terms(params.order)
        cursor = paging.encode_cursor(
            params.order, [found[f"_cxg_k{i}"] for i in range(len(terms))]
        )
    return (
        f'{{"items":[{found["_cxg_items"] or ""}],"total":{_number(total)}'
        f',"page":{params.page},"page_size":{size},"total_pages":{_number(pages(total, size))}'
        f',"count":"{counted}","next_cursor":{json.dumps(cursor)}}}'
    )


def _number(value: int | None) -> str:
    return "null" if value is None else str(value)
