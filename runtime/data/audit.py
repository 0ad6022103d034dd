"""Audit rows: who did what to which row, from where, in which request."""

from __future__ import annotations

import ipaddress
import json
import uuid

from fastapi import Request, Response
from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.security.principal import Actor


def action_for(method: str, path: str) -> str:
    if method == "POST":
        return "CREATE"
    if method == "DELETE":
        return "DELETE"
    if path.rstrip("/").endswith("/status"):
        return "STATUS_CHANGE"
    return "UPDATE"


def target_id(request: Request, response: Response) -> uuid.UUID | None:
    """The row acted on: the row a POST created, else the last id in the path."""
    if request.method == "POST":
        try:
            data = json.loads(bytes(response.body)).get("data") or {}
            return uuid.UUID(str(data.get("id")))
        except (ValueError, TypeError, AttributeError):
            pass
    for value in reversed(list(request.path_params.values())):
        try:
            return uuid.UUID(str(value))
        except ValueError:
            continue
    return None


def valid_address(host: str | None) -> str | None:
    """The peer's address as an IP address, or None: whatever a proxy header said, the stored
    address is a real one and always fits its column (so it can never fail a write)."""
    if not host:
        return None
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def client_ip(request: Request) -> str | None:
    return valid_address(request.client.host if request.client else None)


async def record(
    db: AsyncSession,
    table: Table,
    *,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: uuid.UUID | None,
    request: Request,
    status_code: int,
) -> None:
    values = {
        "id": uuid.uuid4(),
        "user_id": actor.user_id if actor else None,
        "username": actor.username if actor else None,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "method": request.method,
        "path": request.url.path[:500],
        "status_code": status_code,
        "request_id": getattr(request.state, "request_id", None),
        "client_ip": client_ip(request),
        "user_agent": (request.headers.get("user-agent") or "")[:500] or None,
        "created_by": actor.user_id if actor else None,
    }
    if actor and actor.tenant_id and "tenant_id" in table.columns:
        values["tenant_id"] = actor.tenant_id
    await db.execute(insert(table).values(**values))
