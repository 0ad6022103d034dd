"""Alembic, one environment per database (manager, tenant), driven from code.

``cxg-gen db upgrade`` applies both; ``cxg-gen db revision`` autogenerates from the generated
models; ``cxg-gen db check`` fails when models and migrations disagree.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import re
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from alembic.config import Config
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from runtime.data.db import async_url
from runtime.data.models import ManagerBase, TenantBase
from runtime.migrations import compare as _compare  # noqa: F401 - registers the comparator
from runtime.migrations import guards as _guards  # noqa: F401 - registers its renderer

HERE = Path(__file__).resolve().parent
DATABASES = ("manager", "tenant")
SCOPE_OF = {"manager": "manager", "tenant": "tenants"}
VERSION_TABLE_SCHEMA = "public"

if TYPE_CHECKING:
    from alembic.runtime.environment import IncludeNameFn, NameFilterParentNames, NameFilterType


class Environment(Protocol):
    """What env.py passes: the ``alembic.context`` module, as far as run_env uses it."""

    config: Config

    def configure(
        self,
        *,
        connection: Connection,
        target_metadata: MetaData,
        include_schemas: bool,
        include_name: IncludeNameFn,
        version_table_schema: str,
        compare_type: bool,
        compare_server_default: bool,
    ) -> None: ...

    def begin_transaction(self) -> AbstractContextManager[object, bool | None]: ...

    def run_migrations(self) -> None: ...


def target_metadata(database: str) -> MetaData:
    """The generated models of the database's scope (empty when it has no specs yet)."""
    scope = SCOPE_OF[database]
    if importlib.util.find_spec(f"generated.{scope}") is not None:
        metadata: MetaData = importlib.import_module(f"generated.{scope}.models").metadata
        return metadata
    return (ManagerBase if database == "manager" else TenantBase).metadata


def config(database: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / database))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(HERE / database / "versions"))
    # Revision files are named by sequence, not by date, so a listing reads in order.
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    cfg.attributes["url"] = async_url(url)
    cfg.attributes["database"] = database
    return cfg


DOMAIN_SCHEMAS = (
    "SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('public', 'information_schema')"
    " AND nspname NOT LIKE 'pg\\_%' AND nspname NOT LIKE 'citus%' AND nspname NOT LIKE 'columnar%'"
)


def scripted_schemas(database: str) -> set[str]:
    """The schemas the revisions of ``database`` name (``schema="crm"``)."""
    found: set[str] = set()
    for path in (HERE / database / "versions").glob("*.py"):
        found.update(re.findall(r"""schema=["']([a-z][a-z0-9_]*)["']""", path.read_text()))
    return found


def schemas_of(metadata: MetaData) -> list[str]:
    return sorted({t.schema for t in metadata.tables.values() if t.schema})


def run_env(context: Environment) -> None:
    """Body of every env.py: online, async, with one PostgreSQL schema per domain."""
    cfg = context.config
    database = cfg.attributes["database"]
    metadata = target_metadata(database)
    schemas = set(schemas_of(metadata))
    compared = set(schemas)  # and the domains no spec names any more (do_run)

    def include_name(
        name: str | None, type_: NameFilterType, parent_names: NameFilterParentNames
    ) -> bool:
        if type_ == "schema":
            return name in compared
        return True

    def do_run(connection: Connection) -> None:
        # the domains of the models, and of the revisions (a domain removed since still has
        # its tables made by the old revisions, on a new database, before one drops them)
        for schema in sorted(schemas | scripted_schemas(database)):
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        # A domain whose every spec was removed is in no model: its schema is compared too,
        # or autogenerate would never drop its tables. Autogenerate runs on the databases
        # `db revision` and `db check` build from the migrations alone, where every schema
        # but the system's is a domain's.
        compared.update(connection.scalars(text(DOMAIN_SCHEMAS)))
        connection.commit()  # alembic's transaction must be the next one, its own
        context.configure(
            connection=connection,
            target_metadata=metadata,
            include_schemas=True,
            include_name=include_name,
            version_table_schema=VERSION_TABLE_SCHEMA,
            compare_type=True,
            compare_server_default=False,
        )
        with context.begin_transaction():
            context.run_migrations()
        if database == "tenant":  # the second wall covers whatever the migrations created
            from runtime.settings import get_settings
            from runtime.tenancy import rls

            role = get_settings().tenant_app_role
            rls.secure(connection, role)
            connection.commit()
            rls.enable_on_workers(connection, role)  # Citus: after the role is committed
            connection.commit()

    async def main() -> None:
        engine = create_async_engine(cfg.attributes["url"], poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(do_run)
        finally:
            await engine.dispose()

    asyncio.run(main())
