"""Two async engines (manager and tenant) and the unit of work each request runs in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.util import await_only

from runtime.settings import Settings
from runtime.tenancy import context

MANAGER = "manager"
APPLICATION_NAME = "cxg-orm"  # how the engines' connections show in pg_stat_activity
TENANT = "tenant"


def async_url(url: str) -> str:
    """Accept postgresql:// (and postgres://) URLs; use the asyncpg driver."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def resolve_urls(settings: Settings) -> dict[str, str]:
    """Configured URLs, or the embedded server's when none are configured."""
    manager: str | None
    tenant: str | None
    if settings.embedded:
        from runtime.data import embedded

        manager, tenant = embedded.database_urls(settings.data_dir)
    else:
        manager, tenant = settings.manager_database_url, settings.tenant_database_url
    assert manager and tenant  # not embedded: both are configured (Settings.embedded)
    return {MANAGER: async_url(manager), TENANT: async_url(tenant)}


class Databases:
    """Engines and session factories by database name."""

    def __init__(self, urls: dict[str, str], settings: Settings):
        self.engines: dict[str, AsyncEngine] = {
            name: create_async_engine(
                url,
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
                # no ping per checkout (a round trip per request): a connection the server
                # closed is passed over for free (_closed_at_checkout); one that dies
                # silently costs a retried read (runtime.web.readretry)
                connect_args=_connect_args(settings),
                echo=settings.db_echo,
            )
            for name, url in urls.items()
        }
        for engine in self.engines.values():
            event.listen(engine.sync_engine.pool, "checkout", _closed_at_checkout)
        self.tenant_role = settings.tenant_app_role
        self.sessionmakers = {
            name: async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
            for name, engine in self.engines.items()
        }

    async def dispose(self) -> None:
        for engine in self.engines.values():
            await engine.dispose()


def _connect_args(settings: Settings) -> dict[str, Any]:
    args: dict[str, Any] = {"server_settings": {"application_name": APPLICATION_NAME}}
    if settings.db_pooler == "transaction":
        # the next transaction may run on another server connection: keep no prepared
        # statement by a name another client could also use (SQLAlchemy's asyncpg recipe)
        args.update(
            statement_cache_size=0,
            prepared_statement_cache_size=0,
            prepared_statement_name_func=lambda: f"__asyncpg_{uuid.uuid4()}__",
        )
    return args


def listen_urls(settings: Settings, urls: dict[str, str]) -> dict[str, str]:
    """Where each database's LISTEN connects: straight to PostgreSQL when configured (a
    transaction pooler would lose the session that LISTEN lives in), else the database URL."""
    direct = {MANAGER: settings.manager_listen_url, TENANT: settings.tenant_listen_url}
    return {name: async_url(direct[name] or url) for name, url in urls.items()}


def _closed_at_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """A pooled connection whose socket the server closed (a restart, pg_terminate_backend,
    an idle timeout) is known to the driver without asking the server: the pool drops it and
    checks out another (SQLAlchemy's DisconnectionError protocol)."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


@dataclass
class UnitOfWork:
    """The sessions one request uses; committed once, at the end, or rolled back.

    ``tenant_id`` is the tenant the request acts for, bound once from the verified token
    (or the signing-in tenant). The row-level security policies of the tenant database read
    it; without it a tenant transaction sees no rows at all.
    """

    databases: Databases
    sessions: dict[str, AsyncSession] = field(default_factory=dict)
    tenant_id: uuid.UUID | None = None

    def bind_tenant(self, tenant_id: uuid.UUID) -> None:
        if self.tenant_id is not None and self.tenant_id != tenant_id:
            raise RuntimeError("a unit of work acts for one tenant only")
        if self.tenant_id is None and TENANT in self.sessions:
            if self.sessions[TENANT].in_transaction():
                raise RuntimeError("bind the tenant before the tenant database is used")
        self.tenant_id = tenant_id

    def session(self, name: str) -> AsyncSession:
        if name not in self.sessions:
            session = self.databases.sessionmakers[name]()
            if name == TENANT:
                event.listen(session.sync_session, "after_begin", self._enter_tenant)
            self.sessions[name] = session
        return self.sessions[name]

    def _enter_tenant(
        self, _session: Session, _transaction: SessionTransaction, connection: Connection
    ) -> None:
        """Every tenant transaction starts by saying whose it is, in SET LOCAL statements that
        Citus carries to its workers (runtime.tenancy.context), so a pooled connection never
        carries them into the next request. The first statement, through SQLAlchemy, begins
        the driver's transaction; the tenant and the role then go in one simple query of
        their own, the only text Citus may replay on a worker."""
        connection.exec_driver_sql(context.PROPAGATE)
        settings = context.tenant_settings(self.tenant_id, self.databases.tenant_role)
        driver = connection.connection.driver_connection
        assert driver is not None  # a checked-out connection has its driver connection
        await_only(driver.execute(settings))

    async def commit(self) -> None:
        for session in self.sessions.values():
            await session.commit()

    async def close(self) -> None:
        for session in self.sessions.values():
            await session.close()
