"""The application's state, typed: what the app factory puts on ``app.state`` at start-up (and
in its lifespan), and what request handling reads back.

Starlette's ``app.state`` is an untyped bag; the runtime reads it through :func:`app_state`,
whose :class:`AppState` names every attribute with its type, so a reader (and a type checker)
sees what is there without hunting through the app factory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from sqlalchemy import Table

    from runtime.authz import Cache
    from runtime.db import Databases
    from runtime.driverpool import Hot
    from runtime.hotread import Route
    from runtime.ratelimit import MemoryCounter, RedisCounter
    from runtime.routes import LazyGroup
    from runtime.settings import Settings
    from runtime.tables import ManagerTables, TenantTables
    from runtime.warmup import Activity


class AppState(Protocol):
    settings: Settings
    databases: Databases  # the ORM engines and sessions (runtime.db)
    hot: Hot | None  # the hot path's driver pools; None with CXG_HOT_PATH off
    hot_routes: dict[str, Route]  # the hot path's routes by URL path
    permission_caches: dict[str, Cache]  # per database: user id → permission codes
    tenant_status_cache: Cache  # tenant id → ACTIVE, SUSPENDED, ...
    caches: dict[str, tuple[Cache, ...]]  # per database: what a committed change may stale
    manager_tables: ManagerTables  # the tables the runtime itself reads and writes
    tenant_tables: TenantTables | None
    audit_tables: dict[str, Table | None]  # per database
    counter: MemoryCounter | RedisCounter  # rate limits and sign-in throttles
    activity: Activity  # requests in flight (the warm-up waits for none)
    lazy_groups: list[LazyGroup]  # generated route groups built on first use


def app_state(request: Any) -> AppState:
    """The typed state of the app serving ``request`` (a Request, or an ASGI scope)."""
    app = request["app"] if isinstance(request, dict) else request.app
    return cast(AppState, app.state)
