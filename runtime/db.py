"""Two async engines (manager and tenant) and the unit of work each request runs in."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from runtime.settings import Settings

MANAGER = "manager"
TENANT = "tenant"


def async_url(url: str) -> str:
    """Accept postgresql:// (and postgres://) URLs; use the asyncpg driver."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def resolve_urls(settings: Settings) -> dict[str, str]:
    """Configured URLs, or the embedded server's when none are configured."""
    if settings.embedded:
        from runtime import embedded

        manager, tenant = embedded.database_urls(settings.data_dir)
    else:
        manager, tenant = settings.manager_database_url, settings.tenant_database_url
    return {MANAGER: async_url(manager), TENANT: async_url(tenant)}


class Databases:
    """Engines and session factories by database name."""

    def __init__(self, urls: dict[str, str], settings: Settings):
        self.engines: dict[str, AsyncEngine] = {
            name: create_async_engine(
                url,
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
                pool_pre_ping=True,
                echo=settings.db_echo,
            )
            for name, url in urls.items()
        }
        self.sessionmakers = {
            name: async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
            for name, engine in self.engines.items()
        }

    async def dispose(self) -> None:
        for engine in self.engines.values():
            await engine.dispose()


@dataclass
class UnitOfWork:
    """The sessions one request uses; committed once, at the end, or rolled back."""

    databases: Databases
    sessions: dict[str, AsyncSession] = field(default_factory=dict)

    def session(self, name: str) -> AsyncSession:
        if name not in self.sessions:
            self.sessions[name] = self.databases.sessionmakers[name]()
        return self.sessions[name]

    async def commit(self) -> None:
        for session in self.sessions.values():
            await session.commit()

    async def close(self) -> None:
        for session in self.sessions.values():
            await session.close()
