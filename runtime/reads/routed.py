"""The reads as the generated routers answer them: the same statements as the hot path, run
on the request's session (its transaction, its tenant context), after the router's own
checks (token, live session, permission); the body is the JSON PostgreSQL wrote. A write
answers with the row as its detail shows it, read in the write's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.reads import answer
from runtime.reads.compose import Statements
from runtime.security.principal import Actor
from runtime.web.envelope import envelope_bytes
from runtime.web.errors import NotFoundError, ValidationError
from runtime.web.schemas import ListParams
from runtime.web.versions import etag

JSON = "application/json"


async def _driver(db: AsyncSession) -> Any:
    """The session's driver connection, in its transaction (asyncpg's own API: $n)."""
    conn = await db.connection()
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None  # None only once the connection is invalidated
    return driver


def _tenant(reads: Statements, actor: Actor) -> uuid.UUID | None:
    return actor.tenant_id if reads.tenant_scoped else None


async def page_response(
    db: AsyncSession,
    reads: Statements,
    params: ListParams,
    actor: Actor,
    *,
    fixed: Mapping[str, Any] | None = None,
) -> Response:
    """A page of the list; ``fixed``: equalities from the path (a header's lines)."""
    try:
        cursor = answer.cursor_values(reads, params)
    except ValueError as exc:
        raise ValidationError(
            detail=[{"field": "cursor", "source": "query", "message": str(exc), "type": "cursor"}]
        ) from None
    conn, tenant = await _driver(db), _tenant(reads, actor)
    records = await answer.page(conn, reads, params, tenant, cursor, fixed=fixed)
    body = await answer.page_json(conn, reads, params, tenant, records, fixed)
    return Response(envelope_bytes(body.encode()), media_type=JSON)


async def detail_response(
    db: AsyncSession,
    reads: Statements,
    row_id: uuid.UUID,
    actor: Actor,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The row's detail with its ETag; 404 when it is not there (or not the caller's)."""
    await db.flush()  # after a write: what hooks and totals changed, in the same transaction
    record = await answer.detail(await _driver(db), reads, row_id, _tenant(reads, actor))
    if record is None or record["_cxg_row"] is None:
        raise NotFoundError(detail={"id": str(row_id)})
    body = answer.detail_json(reads, record).encode()
    return Response(
        envelope_bytes(body),
        status_code=status_code,
        media_type=JSON,
        headers={"ETag": etag(record["_cxg_version"]), **(headers or {})},
    )
