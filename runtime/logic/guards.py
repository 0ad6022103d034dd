"""Guards: checks with database access that the runtime registers per table and runtime.data.crud
runs before every update, status change and delete of a row (``values`` is None for a delete).

Unlike runtime.logic.rules (which see only the values being written), a guard sees the row as it is
and may query, so it can say "not the last one" or "not yourself". The app registers the
guards the platform itself needs (see runtime.logic.masters); a guard refuses by raising a CXGError.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from runtime.security.principal import Actor

Guard = Callable[[AsyncSession, Any, dict[str, Any] | None, Actor], Awaitable[None]]
_GUARDS: dict[str, dict[str, Guard]] = {}


def register(table: str, name: str, guard: Guard) -> None:
    """Add (or replace) the guard ``name`` of ``table`` ("schema.table")."""
    _GUARDS.setdefault(table, {})[name] = guard


GUARDED_METHODS = frozenset({"PATCH", "DELETE"})  # updates, status changes, deletes


def guarded(table: str) -> frozenset[str]:
    """The methods of the generated endpoints of ``table`` that meet a guard."""
    return GUARDED_METHODS if _GUARDS.get(table) else frozenset()


def tables() -> list[str]:
    return sorted(_GUARDS)


async def run(
    db: AsyncSession, table: str, row: Any, values: dict[str, Any] | None, actor: Actor
) -> None:
    for guard in _GUARDS.get(table, {}).values():
        await guard(db, row, values, actor)
