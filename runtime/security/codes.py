"""The permission codes a caller holds, from the per-process cache (runtime.security.authz loads and
invalidates it): everything for a MASTER, else what the roles grant."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.data.db import MANAGER
from runtime.security.authz import load_permissions
from runtime.security.permissions import ALL, holds_every
from runtime.security.principal import Actor
from runtime.state import app_state


async def cached_codes(
    request: Request,
    database: str,
    user_id: uuid.UUID,
    load: Callable[[], Awaitable[frozenset[str]]],
) -> frozenset[str]:
    """A user's permission codes from the per-process cache, loaded once on a miss."""
    cache = app_state(request).permission_caches[database]
    codes = cache.get(user_id)
    if codes is None:
        seen = cache.generation
        codes = await load()
        cache.put(user_id, codes, seen)
    return codes


async def manager_codes(request: Request, actor: Actor, db: AsyncSession) -> frozenset[str]:
    """What a manager user may do: everything for MASTER, else what the roles grant (cached)."""
    if holds_every(MANAGER, actor.user_type):
        return ALL
    tables = app_state(request).manager_tables
    return await cached_codes(
        request, MANAGER, actor.user_id, lambda: load_permissions(db, tables, actor.user_id)
    )
