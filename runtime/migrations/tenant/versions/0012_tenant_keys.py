"""tenant keys: primary keys (tenant_id, id), foreign keys carry tenant_id

Every tenant table's primary key becomes (tenant_id, id) and every foreign key between tenant
tables (<ref>_id, tenant_id) -> (id, tenant_id), under the same names. The database then
refuses a reference into another tenant by itself (foreign-key checks ignore row-level
security), and the schema can be distributed by tenant_id (Citus). The single-column
tenant_id indexes go: the primary key's index leads with tenant_id. ON DELETE SET NULL
becomes SET NULL (<ref>_id), so tenant_id is never cleared.

The tables and keys are read from the catalog, not from today's models, so the revision
means the same on any database at 0011. Keys are re-added NOT VALID, then validated (rows
are checked without blocking writes); a row that already points into another tenant stops
the upgrade with the key and the count, before anything is changed.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence
from typing import Any

from alembic import op
from sqlalchemy import text

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}

# Tenant tables: every table outside pg_catalog/information_schema/public with a tenant_id.
TABLES = """
SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name,
       c.relname AS table_name, p.conname AS pk
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
LEFT JOIN pg_constraint p ON p.conrelid = c.oid AND p.contype = 'p'
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'public')
ORDER BY 2
"""

# Foreign keys from one tenant table to another, on one column (upgrade) or with tenant_id
# (downgrade): name, both tables, the reference column and the ON DELETE action.
KEYS = """
SELECT k.conname AS name, k.conrelid AS source, k.confrelid AS target,
       quote_ident(sn.nspname) || '.' || quote_ident(s.relname) AS source_name,
       quote_ident(tn.nspname) || '.' || quote_ident(t.relname) AS target_name,
       (SELECT attname FROM pg_attribute WHERE attrelid = k.conrelid AND attnum = k.conkey[1])
           AS column_name,
       k.confdeltype::text AS action, cardinality(k.conkey) AS width
FROM pg_constraint k
JOIN pg_class s ON s.oid = k.conrelid JOIN pg_namespace sn ON sn.oid = s.relnamespace
JOIN pg_class t ON t.oid = k.confrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
WHERE k.contype = 'f' AND k.conrelid = ANY(:tables) AND k.confrelid = ANY(:tables)
ORDER BY 1
"""


def _tables() -> list[Any]:
    return list(op.get_bind().execute(text(TABLES)))


def _keys(tables: list[Any], width: int) -> list[Any]:
    found = op.get_bind().execute(text(KEYS), {"tables": [t.oid for t in tables]})
    return [k for k in found if k.width == width]


def _refuse_cross_tenant(keys: list[Any]) -> None:
    bind, wrong = op.get_bind(), []
    for k in keys:
        count = bind.execute(
            text(
                f"SELECT count(*) FROM {k.source_name} s JOIN {k.target_name} t"
                f' ON t.id = s."{k.column_name}" WHERE t.tenant_id <> s.tenant_id'
            )
        ).scalar_one()
        if count:
            wrong.append(f"{k.name}: {count} row(s) of {k.source_name}")
    if wrong:
        raise RuntimeError(
            "rows refer into another tenant; fix them, then upgrade again:\n  " + "\n  ".join(wrong)
        )


def _swap_primary_key(table: Any, columns: str) -> None:
    name = table.pk or f"pk_{table.table_name}"
    op.execute(
        f'ALTER TABLE {table.name} DROP CONSTRAINT IF EXISTS "{name}",'
        f' ADD CONSTRAINT "{name}" PRIMARY KEY ({columns})'
    )


def _add_key(k: Any, columns: str, targets: str, action: str) -> None:
    op.execute(
        f'ALTER TABLE {k.source_name} ADD CONSTRAINT "{k.name}" FOREIGN KEY ({columns})'
        f" REFERENCES {k.target_name} ({targets}) ON DELETE {action} NOT VALID"
    )
    op.execute(f'ALTER TABLE {k.source_name} VALIDATE CONSTRAINT "{k.name}"')


def upgrade() -> None:
    tables = _tables()
    keys = _keys(tables, 1)
    _refuse_cross_tenant(keys)
    for k in keys:
        op.execute(f'ALTER TABLE {k.source_name} DROP CONSTRAINT "{k.name}"')
    for table in tables:
        _swap_primary_key(table, "tenant_id, id")
        schema = table.name.split(".")[0]
        op.execute(f'DROP INDEX IF EXISTS {schema}."ix_{table.table_name}_tenant_id"')
    for k in keys:
        action = ACTIONS[k.action]
        if action == "SET NULL":
            action = f'SET NULL ("{k.column_name}")'
        _add_key(k, f'"{k.column_name}", tenant_id', "id, tenant_id", action)


def downgrade() -> None:
    tables = _tables()
    keys = _keys(tables, 2)
    for k in keys:
        op.execute(f'ALTER TABLE {k.source_name} DROP CONSTRAINT "{k.name}"')
    for table in tables:
        _swap_primary_key(table, "id")
        schema = table.name.split(".")[0]
        op.execute(
            f'CREATE INDEX IF NOT EXISTS "ix_{table.table_name}_tenant_id"'
            f" ON {schema}.{table.table_name} (tenant_id)"
        )
    for k in keys:
        _add_key(k, f'"{k.column_name}"', "id", ACTIONS[k.action])
