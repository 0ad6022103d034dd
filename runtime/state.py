"""The application's state, typed: what the app factory puts on ``app.state`` at start-up (and
in its lifespan), and what request handling reads back.

Starlette's ``app.state`` is an untyped bag; the runtime reads it through :func:`app_state`,
whose :class:`AppState` names every attribute with its type, so a reader (and a type checker)
sees what is there without hunting through the app factory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    import uuid

    from sqlalchemy import Table

    from runtime.data.db import Databases
    from runtime.data.tables import ManagerTables, TenantTables
    from runtime.hot.driverpool import Hot
    from runtime.hot.read import Route
    from runtime.hot.warmup import Activity
    from runtime.security.authz import Cache
    from runtime.security.ratelimit import MemoryCounter, RedisCounter
    from runtime.settings import Settings
    from runtime.web.routes import LazyGroup


class AppState(Protocol):
    settings: Settings
    databases: Databases  # the ORM engines and sessions (runtime.data.db)
    hot: Hot | None  # the hot path's driver pools; None with CXG_HOT_PATH off
    hot_routes: dict[str, Route]  # the hot path's routes by URL path
    permission_caches: dict[str, Cache[uuid.UUID, frozenset[str]]]  # per database: user → codes
    tenant_status_cache: Cache[uuid.UUID, str]  # tenant id → ACTIVE, SUSPENDED, ...
    caches: dict[str, tuple[Cache[Any, Any], ...]]  # per database: what a change may stale
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


def tenant_tables(request: Any) -> TenantTables:
    """The tenant system's tables: the tenant routes, the only ones that ask, exist only
    together with them."""
    tables = app_state(request).tenant_tables
    if tables is None:
        raise RuntimeError("the tenant system is not generated")
    return tables


def audit_table(request: Any, database: str) -> Table:
    """The audit trail of ``database`` (the tenant's exists whenever tenant routes do)."""
    table = app_state(request).audit_tables[database]
    if table is None:
        raise RuntimeError(f"the {database} system is not generated")
    return table
