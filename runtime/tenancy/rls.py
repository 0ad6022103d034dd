"""Row-level security: the tenant database's second wall, behind the generated query path.

After every migration of the tenant database this module makes sure that every table with a
``tenant_id`` column

- has row-level security enabled and forced (FORCE: even the owner is subject to it),
- has one policy, ``tenant_isolation``, that admits only rows of the transaction's tenant
  (``cxg.tenant_id``, set by runtime.data.db at the start of each transaction) for reading and
  for writing,

and that the application role exists, is not the owner, has no BYPASSRLS and holds just the
data privileges it needs. Tenant transactions switch to that role (runtime.data.db), so a query
the application forgot to confine still only ever sees the caller's tenant: with no tenant
set, it sees nothing.

It runs as part of ``cxg-gen db upgrade`` and is idempotent, so a table added by a later
migration is covered by the same upgrade that creates it. On Citus the role must also be able
to log in on the workers (runtime.tenancy.citus.worker_logins), and the tenant context is set
in a form Citus carries there (runtime.tenancy.context).
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from runtime.tenancy import citus
from runtime.tenancy.context import tenant_condition

POLICY = "tenant_isolation"


def tenant_tables(connection: Connection) -> list[tuple[str, str]]:
    rows = connection.execute(
        text(
            "SELECT c.table_schema, c.table_name FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_schema, table_name) "
            "WHERE c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE' "
            "AND c.table_schema NOT IN ('pg_catalog', 'information_schema') "
            "ORDER BY 1, 2"
        )
    )
    return [(schema, name) for schema, name in rows]


def ensure_role(connection: Connection, role: str) -> None:
    """The application role: can log in only through SET ROLE, never bypasses RLS."""
    connection.execute(
        text(
            "DO $$ BEGIN "
            f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
            f'CREATE ROLE "{role}" NOLOGIN NOSUPERUSER NOBYPASSRLS; '
            "END IF; END $$"
        )
    )
    # the migrating user must be able to SET ROLE to it (superusers always can)
    connection.execute(
        text(
            "DO $$ BEGIN "
            "IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN "
            f"EXECUTE format('GRANT \"{role}\" TO %I', current_user); "
            "END IF; END $$"
        )
    )


def enable_on_workers(connection: Connection, role: str) -> list[str]:
    """On Citus, let the role log in on every worker (runtime.tenancy.citus.worker_logins).
    Run after ``secure`` has committed: the workers' own connections see only committed
    roles, and a role Citus is still creating there would block them."""
    if not role or not citus.present(connection):
        return []
    return citus.worker_logins(connection, role)


def secure(connection: Connection, role: str) -> list[str]:
    """Apply the wall to every tenant table; return their qualified names."""
    if role:
        ensure_role(connection, role)
    secured = []
    schemas = set()
    condition = tenant_condition(citus.present(connection))
    for schema, table in tenant_tables(connection):
        name = f'"{schema}"."{table}"'
        schemas.add(schema)
        connection.execute(text(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY"))
        connection.execute(text(f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY"))
        connection.execute(text(f"DROP POLICY IF EXISTS {POLICY} ON {name}"))
        connection.execute(
            text(
                f"CREATE POLICY {POLICY} ON {name} USING ({condition}) WITH CHECK ({condition})"
            )
        )
        if role:
            connection.execute(text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {name} TO "{role}"'))
        secured.append(f"{schema}.{table}")
    for schema in sorted(schemas):
        if role:
            connection.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
    return secured
