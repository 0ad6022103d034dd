"""The tenant database on Citus: what the runtime does there beyond plain PostgreSQL.

- **The application role on the workers.** Citus opens its connections to the workers as the
  coordinator's current user, which inside a tenant transaction is the application role
  (``SET LOCAL ROLE``). There that role must be able to log in; on the coordinator it stays
  ``NOLOGIN`` (reached only by ``SET ROLE``). ``worker_logins`` makes it so on every worker,
  with Citus's ALTER ROLE propagation off for that statement (a worker with metadata would
  otherwise pass it on to the coordinator and the other workers). ``cxg-gen db upgrade`` runs
  it whenever the database has the Citus extension (runtime.tenancy.rls.enable_on_workers), and
  ``cxg-gen db citus --apply`` after distributing; a worker added later gets it from the next
  of either.
- **Applying the distribution DDL** (``docs/citus/tenants.sql``, which build writes):
  ``apply`` runs its statements on the coordinator in one transaction, so a refusal leaves
  nothing half-distributed, skipping tables that are distributed already.
"""

from __future__ import annotations

import re

import asyncpg
from sqlalchemy import Connection, text

from runtime.tenancy.context import ROLE_NAME, tenant_condition

PRESENT = "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')"
WORKERS = (
    "SELECT count(*) FROM pg_dist_node WHERE groupid <> 0 AND noderole = 'primary' AND isactive"
)
DISTRIBUTED = "SELECT logicalrelid::regclass::text FROM pg_dist_partition"
_CALL = re.compile(r"create_distributed_table\('([a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*)'")


def login_command(role: str) -> str:
    """The statement each worker runs: the role may log in there, and only there. It is made
    there when missing (a role created on the coordinator before the database had the
    extension was never propagated), with the same attributes as on the coordinator."""
    if not ROLE_NAME.match(role):
        raise ValueError(f"not a role name: {role!r}")
    return (
        "DO $$BEGIN "
        "SET LOCAL citus.enable_alter_role_propagation = off; "
        "SET LOCAL citus.enable_create_role_propagation = off; "
        f"IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
        f'ALTER ROLE "{role}" LOGIN; '
        f'ELSE CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS; '
        "END IF; END$$"
    )


def _checked(results: list[tuple[str, int, bool, str]]) -> list[str]:
    failed = [f"{host}:{port}: {result}" for host, port, ok, result in results if not ok]
    if failed:
        raise RuntimeError("the application role could not be enabled on: " + "; ".join(failed))
    return [f"{host}:{port}" for host, port, _, _ in results]


def worker_logins(connection: Connection, role: str) -> list[str]:
    """Let ``role`` log in on every worker (the nodes where it did, as host:port)."""
    rows = connection.execute(
        text("SELECT nodename, nodeport, success, result FROM run_command_on_workers(:command)"),
        {"command": login_command(role)},
    )
    return _checked([tuple(r) for r in rows])


def present(connection: Connection) -> bool:
    return bool(connection.execute(text(PRESENT)).scalar())


def statements(ddl: str) -> list[str]:
    """The SQL statements of the DDL file, without its comments."""
    lines = [line for line in ddl.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def bare_policies() -> str:
    """The tenant policies in the form Citus takes, for a database whose policies were made
    before it had the extension (with a subquery: runtime.tenancy.context.tenant_condition)."""
    condition = tenant_condition(True).replace("'", "''")
    return (
        "DO $$ DECLARE p record; BEGIN FOR p IN SELECT n.nspname, c.relname FROM pg_policy pol"
        " JOIN pg_class c ON c.oid = pol.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE pol.polname = 'tenant_isolation'"
        " AND pg_get_expr(pol.polqual, pol.polrelid) ILIKE '%select%' LOOP"
        " EXECUTE format('ALTER POLICY tenant_isolation ON %I.%I USING ("
        + condition
        + ") WITH CHECK ("
        + condition
        + ")', p.nspname, p.relname); END LOOP; END $$"
    )


async def apply(dsn: str, ddl: str, role: str) -> list[str]:
    """Distribute the tenant database at ``dsn`` (the coordinator) by ``ddl``; what was done."""
    conn = await asyncpg.connect(dsn)
    try:
        if not await conn.fetchval("SELECT to_regclass('public.alembic_version') IS NOT NULL"):
            raise RuntimeError("the database has no migrations: run `cxg-gen db upgrade` first")
        todo = statements(ddl)
        done: list[str] = []
        distributed: set[str] | None = None  # read once the extension exists
        async with conn.transaction():
            await conn.execute(bare_policies())
            for statement in todo:
                match = _CALL.search(statement)
                if match:
                    if distributed is None:
                        distributed = {r[0] for r in await conn.fetch(DISTRIBUTED)}
                    if match.group(1) in distributed:
                        continue
                await conn.execute(statement)
                done.append(statement)
            workers = await conn.fetchval(WORKERS)
            if not workers:
                raise RuntimeError("the coordinator has no active workers (citus_add_node)")
        count = sum(bool(_CALL.search(s)) for s in done)
        report = [f"{count} tables distributed, {len(todo) - len(done)} statements skipped"]
        if role:
            rows = await conn.fetch(
                "SELECT nodename, nodeport, success, result FROM run_command_on_workers($1)",
                login_command(role),
            )
            nodes = _checked([tuple(r) for r in rows])
            report.append(f"{role} may log in on the workers: {', '.join(nodes)}")
        return report
    finally:
        await conn.close()
