"""Role-based permissions, cached per process with exact invalidation.

A manager user's codes come from idam.user_roles → roles → role_permissions → permissions; a
tenant user's from adm.user_roles → adm.roles (each role lists its codes). They are loaded
once and kept in memory, so checking a permission costs no query on the hot path. Whenever a
role, permission, assignment or tenant changes, the audited router sends ``NOTIFY cxg_authz``
inside the same transaction, on that database; every process LISTENs on both databases and
drops the matching caches when the change commits. A TTL bounds staleness should a
notification ever be missed (for example after a reconnect).
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import or_, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from runtime.data.tables import ManagerTables, TenantTables
from runtime.security.permissions import ALL, TENANT_ADMIN_ROLE, PermissionDef

if TYPE_CHECKING:
    import asyncpg

K = TypeVar("K")
V = TypeVar("V")

CHANNEL = "cxg_authz"
# Changes to these entities can change what someone may do (or whether a tenant may sign in).
AUTHZ_ENTITIES = frozenset(
    {
        "idam.users",
        "idam.roles",
        "idam.permissions",
        "idam.user_roles",
        "idam.role_permissions",
        "tnnt.tenants",
        "adm.users",
        "adm.roles",
        "adm.user_roles",
    }
)
log = logging.getLogger("cxg.authz")


class Cache(Generic[K, V]):
    """A small TTL map: user id → permission codes, tenant id → status.

    Every clear starts a new generation. A value loaded while an invalidation arrived may
    have been read before the change committed: ``put`` with the generation seen before the
    load keeps it only if no clear came in between, so nothing stale outlives its NOTIFY.
    """

    def __init__(self, ttl_seconds: float = 300.0):
        self.ttl = ttl_seconds
        self._entries: dict[K, tuple[float, V]] = {}
        self.generation = 0

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return None
        return entry[1]

    def put(self, key: K, value: V, generation: int | None = None) -> None:
        if generation is not None and generation != self.generation:
            return  # cleared while this value was loaded: it may predate the change
        self._entries[key] = (time.monotonic(), value)

    def clear(self, *_: object) -> None:
        self.generation += 1
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


async def load_tenant_permissions(
    db: AsyncSession, tables: TenantTables, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> frozenset[str]:
    """The codes a tenant user's active roles list; ``ALL`` for a tenant administrator.

    Confined to the caller's tenant explicitly, and by row-level security as well.
    """
    ur, r = tables.user_roles, tables.roles
    rows = await db.execute(
        select(r.c.code, r.c.permissions)
        .join(ur, ur.c.role_id == r.c.id)
        .where(
            ur.c.tenant_id == tenant_id,
            ur.c.user_id == user_id,
            r.c.status == "ACTIVE",
            r.c.is_deleted.is_(False),
        )
    )
    codes: set[str] = set()
    for code, listed in rows:
        if code == TENANT_ADMIN_ROLE:
            return ALL
        codes.update(c for c in (listed or ()) if isinstance(c, str))
    return frozenset(codes)


async def notify_change(db: AsyncSession) -> None:
    """Delivered to every listener when (and only if) the transaction commits."""
    await db.execute(text(f"NOTIFY {CHANNEL}"))


async def seed_catalog(
    engine: AsyncEngine, tables: ManagerTables, catalog: tuple[PermissionDef, ...]
) -> None:
    """Make every generated permission code exist in idam.permissions (idempotent)."""
    if not catalog:
        return
    # one statement whatever the catalog's size: the codes as arrays, unnested by the server
    # (a VALUES list of thousands of rows costs SQLAlchemy a third of a second to compile)
    statement = text(
        f"INSERT INTO {tables.permissions.fullname}"
        " (code, name, resource, action, scope, is_system)"
        " SELECT code, name, split_part(code, ':', 1), split_part(code, ':', 2), 'MANAGER', true"
        " FROM unnest(CAST(:codes AS text[]), CAST(:names AS text[])) AS t(code, name)"
        " ON CONFLICT (code) WHERE NOT is_deleted DO NOTHING"
    )
    codes = [d.code for d in catalog]
    names = [d.label[:100] for d in catalog]
    async with engine.begin() as conn:
        await conn.execute(statement, {"codes": codes, "names": names})


class Listener:
    """LISTEN on a dedicated connection; clears the caches on every notification."""

    def __init__(self, engine: AsyncEngine, *caches: Cache[Any, Any], url: str | None = None):
        # url: where to LISTEN when it is not the engine's (a transaction pooler loses it)
        self.engine, self.caches, self.url = engine, caches, url
        self._conn: asyncpg.Connection | None = None

    def clear(self, *_: object) -> None:
        for cache in self.caches:
            cache.clear()

    async def start(self) -> None:
        import asyncpg

        try:
            target = make_url(self.url) if self.url else self.engine.url
            args, kwargs = self.engine.dialect.create_connect_args(target)
            kwargs.pop("prepared_statement_cache_size", None)
            kwargs.pop("async_creator_fn", None)
            self._conn = await asyncpg.connect(*args, **kwargs)
            await self._conn.add_listener(CHANNEL, self.clear)
        except Exception:  # noqa: BLE001 - the TTL still bounds staleness
            log.exception("could not LISTEN for permission changes")
            self._conn = None

    async def stop(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
