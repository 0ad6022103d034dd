"""A migration that drops a table refuses while the table still holds live rows.

Removing a spec removes the entity's code at the next `cxg-gen build`; its table stays in the
database until a migration drops it, and `cxg-gen db revision` writes that migration from the
models, where the table is simply gone. Dropping it would take its rows with it, silently and
for good. So every revision `db revision` writes starts its upgrade with a check of the tables
it drops (:func:`refuse_data_loss`, rendered by autogenerate through :class:`RefuseDataLossOp`):
live rows (not soft-deleted ones) in any of them stop the upgrade before anything is dropped,
naming each table and its count, and the whole migration rolls back.

Told to, it lets them go: ``cxg-gen db upgrade --allow-data-loss``, ``-x allow_data_loss=true``
on Alembic's own command line, or ``CXG_ALLOW_DATA_LOSS=true`` in the environment.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from alembic import context, op
from alembic.autogenerate import renderers
from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops

ENVIRONMENT = "CXG_ALLOW_DATA_LOSS"
ARGUMENT = "allow_data_loss"  # -x allow_data_loss=true, and the Config attribute db upgrade sets
YES = ("1", "true", "yes")


class DataLossRefused(Exception):
    """A migration would drop tables that still hold live rows."""


class RefuseDataLossOp(ops.MigrateOperation):
    """Autogenerate's mark: check these tables ("schema.table") before the drops run."""

    def __init__(self, tables: Iterable[str]) -> None:
        self.tables = tuple(sorted(tables))

    def reverse(self) -> ops.MigrateOperation:  # a downgrade recreates, it drops nothing
        return ops.ExecuteSQLOp("SELECT 1")


@renderers.dispatch_for(RefuseDataLossOp)
def _render(autogen_context: AutogenContext, mark: RefuseDataLossOp) -> str:
    autogen_context.imports.add("from runtime.migrations.guards import refuse_data_loss")
    return f"refuse_data_loss({', '.join(repr(t) for t in mark.tables)})"


def order_drops(upgrade: ops.UpgradeOps) -> bool:
    """Drop the removed tables last, each after the dropped tables whose keys point at it
    (autogenerate lists removed tables in no set order: a domain removed whole failed on its
    own foreign keys). A dropped table's index drops go with it; whatever else the upgrade does
    (a kept table's key to a dropped one removed, say) comes first. True when it moved any."""
    dropped = {_name(o.schema, o.table_name) for o in upgrade.ops if isinstance(o, ops.DropTableOp)}
    if not dropped:
        return False
    groups: dict[str, list[ops.MigrateOperation]] = {name: [] for name in dropped}
    targets: dict[str, set[str]] = {}
    kept: list[ops.MigrateOperation] = []
    for o in upgrade.ops:
        if isinstance(o, ops.ModifyTableOps | ops.DropTableOp):
            name = _name(o.schema, o.table_name)
            if name in dropped:
                groups[name].append(o)
                if isinstance(o, ops.DropTableOp):
                    targets[name] = {
                        fk.target_fullname.rsplit(".", 1)[0]
                        for constraint in o.to_table().foreign_key_constraints
                        for fk in constraint.elements
                    }
                continue
        kept.append(o)
    order: list[str] = []

    def place(name: str, path: tuple[str, ...]) -> None:
        if name in order or name in path:
            return
        for other in sorted(dropped):  # whoever refers to it goes first
            if other != name and name in targets.get(other, set()):
                place(other, (*path, name))
        order.append(name)

    for name in sorted(dropped):
        place(name, ())
    before = list(upgrade.ops)
    upgrade.ops[:] = [*kept, *(o for name in order for o in groups[name])]
    return upgrade.ops != before


def _name(schema: str | None, table: str) -> str:
    return f"{schema}.{table}" if schema else table


def guard_drops(upgrade: ops.UpgradeOps) -> None:
    """Put the check of every table the upgrade drops before its first operation."""
    dropped = [
        f"{o.schema}.{o.table_name}" if o.schema else o.table_name
        for o in upgrade.ops
        if isinstance(o, ops.DropTableOp)
    ]
    if dropped:
        upgrade.ops.insert(0, RefuseDataLossOp(dropped))


def allowed() -> bool:
    """Whether this run was told that the rows of dropped tables may go."""
    if os.environ.get(ENVIRONMENT, "").lower() in YES:
        return True
    if str(context.get_x_argument(as_dictionary=True).get(ARGUMENT, "")).lower() in YES:
        return True
    return bool(context.config.attributes.get(ARGUMENT))


def refuse_data_loss(*tables: str) -> None:
    """Raise DataLossRefused when any of ``tables`` ("schema.table") holds live rows, unless
    this run allows it. Called first in an upgrade, so nothing is dropped before."""
    if allowed():
        return
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    holding = []
    for name in tables:
        schema, _, table = name.rpartition(".")
        if not inspector.has_table(table, schema=schema or None):
            continue
        quoted = f'"{schema}"."{table}"' if schema else f'"{table}"'
        columns = {c["name"] for c in inspector.get_columns(table, schema=schema or None)}
        # forced row-level security hides every tenant's rows from an owner that is not a
        # superuser; the count must see them all (rolled back with the refusal, dropped else)
        bind.execute(sa.text(f"ALTER TABLE {quoted} NO FORCE ROW LEVEL SECURITY"))
        live = " WHERE NOT is_deleted" if "is_deleted" in columns else ""
        count: Any = bind.scalar(sa.text(f"SELECT count(*) FROM {quoted}{live}"))
        if count:
            holding.append(f"{name} ({count} live row{'s' if count != 1 else ''})")
    if holding:
        raise DataLossRefused(
            f"this migration drops {', '.join(holding)}: their data would be lost. Move or"
            " export the rows first (or delete them), or drop them knowingly:"
            " `cxg-gen db upgrade --allow-data-loss` (Alembic: -x allow_data_loss=true;"
            f" or {ENVIRONMENT}=true)"
        )
