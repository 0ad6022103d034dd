"""Role-based permissions of manager users, cached per process with exact invalidation.

A user's permission codes come from idam.user_roles → roles → role_permissions → permissions.
They are loaded once and kept in memory, so checking a permission costs no query on the hot
path. Whenever a role, permission or assignment changes, the audited router sends
``NOTIFY cxg_authz`` inside the same transaction; every process LISTENs and drops its cache
when the change commits. A TTL bounds staleness should a notification ever be missed (for
example after a reconnect).
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from runtime.permissions import PermissionDef
from runtime.tables import ManagerTables

CHANNEL = "cxg_authz"
# Changes to these entities can change what someone may do.
AUTHZ_ENTITIES = frozenset(
    {"idam.users", "idam.roles", "idam.permissions", "idam.user_roles", "idam.role_permissions"}
)
log = logging.getLogger("cxg.authz")


class PermissionCache:
    def __init__(self, ttl_seconds: float = 300.0):
        self.ttl = ttl_seconds
        self._entries: dict[uuid.UUID, tuple[float, frozenset[str]]] = {}

    def get(self, user_id: uuid.UUID) -> frozenset[str] | None:
        entry = self._entries.get(user_id)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return None
        return entry[1]

    def put(self, user_id: uuid.UUID, codes: frozenset[str]) -> None:
        self._entries[user_id] = (time.monotonic(), codes)

    def clear(self, *_: object) -> None:
        self._entries.clear()


async def load_permissions(
    db: AsyncSession, tables: ManagerTables, user_id: uuid.UUID
) -> frozenset[str]:
    ur, r, rp, p = tables.user_roles, tables.roles, tables.role_permissions, tables.permissions
    rows = await db.scalars(
        select(p.c.code)
        .select_from(ur)
        .join(r, r.c.id == ur.c.role_id)
        .join(rp, rp.c.role_id == r.c.id)
        .join(p, p.c.id == rp.c.permission_id)
        .where(
            ur.c.user_id == user_id,
            or_(ur.c.expires_at.is_(None), ur.c.expires_at > datetime.now(UTC)),
            r.c.status == "ACTIVE",
            r.c.is_deleted.is_(False),
            p.c.is_deleted.is_(False),
        )
    )
    return frozenset(rows)


async def notify_change(db: AsyncSession) -> None:
    """Delivered to every listener when (and only if) the transaction commits."""
    await db.execute(text(f"NOTIFY {CHANNEL}"))


async def seed_catalog(
    engine: AsyncEngine, tables: ManagerTables, catalog: tuple[PermissionDef, ...]
) -> None:
    """Make every generated permission code exist in idam.permissions (idempotent)."""
    if not catalog:
        return
    p = tables.permissions
    rows = [
        {
            "id": uuid.uuid4(),
            "code": d.code,
            "name": d.label[:100],
            "resource": d.code.split(":")[0],
            "action": d.code.split(":")[1],
            "scope": "MANAGER",
            "is_system": True,
        }
        for d in catalog
    ]
    statement = (
        insert(p)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["code"], index_where=text("NOT is_deleted"))
    )
    async with engine.begin() as conn:
        await conn.execute(statement)


class Listener:
    """LISTEN on a dedicated connection; clears the cache on every notification."""

    def __init__(self, engine: AsyncEngine, cache: PermissionCache):
        self.engine, self.cache = engine, cache
        self._conn = None

    async def start(self) -> None:
        import asyncpg

        try:
            args, kwargs = self.engine.dialect.create_connect_args(self.engine.url)
            kwargs.pop("prepared_statement_cache_size", None)
            kwargs.pop("async_creator_fn", None)
            self._conn = await asyncpg.connect(*args, **kwargs)
            await self._conn.add_listener(CHANNEL, self.cache.clear)
        except Exception:  # noqa: BLE001 - the TTL still bounds staleness
            log.exception("could not LISTEN for permission changes")
            self._conn = None

    async def stop(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
