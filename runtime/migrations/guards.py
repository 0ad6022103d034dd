"""A migration that drops a table, or a column, refuses while live rows would lose data.

Removing a spec removes the entity's code at the next `cxg-gen build`; its table stays in the
database until a migration drops it, and `cxg-gen db revision` writes that migration from the
models, where the table is simply gone. Dropping it would take its rows with it, silently and
for good. So every revision `db revision` writes starts its upgrade with a check of the tables
it drops (:func:`refuse_data_loss`, rendered by autogenerate through :class:`RefuseDataLossOp`):
live rows (not soft-deleted ones) in any of them stop the upgrade before anything is dropped,
naming each table and its count, and the whole migration rolls back.

A field removed from a spec is a dropped column: the revision checks it the same way, and
refuses while a live row holds a value in it (a renamed field looks the same to autogenerate,
a column dropped and another added, unless its spec says `renamed_from:`; the refusal says so:
runtime.migrations.renames).

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
    """Autogenerate's mark: check these tables ("schema.table") and columns
    ("schema.table.column") before the drops run."""

    def __init__(self, tables: Iterable[str], columns: Iterable[str] = ()) -> None:
        self.tables = tuple(sorted(tables))
        self.columns = tuple(sorted(columns))

    def reverse(self) -> ops.MigrateOperation:  # a downgrade recreates, it drops nothing
        return ops.ExecuteSQLOp("SELECT 1")


@renderers.dispatch_for(RefuseDataLossOp)
def _render(autogen_context: AutogenContext, mark: RefuseDataLossOp) -> str:
    autogen_context.imports.add("from runtime.migrations.guards import refuse_data_loss")
    arguments = [repr(t) for t in mark.tables]
    if mark.columns:
        arguments.append(f"columns={mark.columns!r}")
    return f"refuse_data_loss({', '.join(arguments)})"


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
    """Put the check of every table and every column the upgrade drops before its first
    operation (a dropped table's columns go with it, checked as the table)."""
    dropped = [_name(o.schema, o.table_name) for o in upgrade.ops if isinstance(o, ops.DropTableOp)]
    columns = [
        f"{_name(o.schema, o.table_name)}.{column.column_name}"
        for o in upgrade.ops
        if isinstance(o, ops.ModifyTableOps) and _name(o.schema, o.table_name) not in dropped
        for column in o.ops
        if isinstance(column, ops.DropColumnOp)
    ]
    if dropped or columns:
        upgrade.ops.insert(0, RefuseDataLossOp(dropped, columns))


def unfilled_columns(upgrade: ops.UpgradeOps) -> list[tuple[str, bool]]:
    """The columns ("schema.table.column") of existing tables that the upgrade makes required
    where old rows may have no value: added with no server default (True), or made NOT NULL
    (False). PostgreSQL refuses either on a table holding such rows."""
    found = []
    for o in upgrade.ops:
        if not isinstance(o, ops.ModifyTableOps):
            continue
        for change in o.ops:
            if (
                isinstance(change, ops.AddColumnOp)
                and not change.column.nullable
                and change.column.server_default is None
            ):
                found.append((f"{_name(o.schema, o.table_name)}.{change.column.name}", True))
            elif isinstance(change, ops.AlterColumnOp) and change.modify_nullable is False:
                found.append((f"{_name(o.schema, o.table_name)}.{change.column_name}", False))
    return found


def allowed() -> bool:
    """Whether this run was told that the rows of dropped tables may go."""
    if os.environ.get(ENVIRONMENT, "").lower() in YES:
        return True
    if str(context.get_x_argument(as_dictionary=True).get(ARGUMENT, "")).lower() in YES:
        return True
    return bool(context.config.attributes.get(ARGUMENT))


def refuse_data_loss(*tables: str, columns: Iterable[str] = ()) -> None:
    """Raise DataLossRefused when any of ``tables`` ("schema.table") holds live rows, or a
    live row holds a value in any of ``columns`` ("schema.table.column"), unless this run
    allows it. Called first in an upgrade, so nothing is dropped before."""
    if allowed():
        return
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    holding = []
    for name in tables:
        count = _live(bind, inspector, name, None)
        if count:
            holding.append(f"{name} ({count} live row{'s' if count != 1 else ''})")
    valued = []
    for name in columns:
        table, _, column = name.rpartition(".")
        count = _live(bind, inspector, table, column)
        if count:
            rows = "1 live row holds" if count == 1 else f"{count} live rows hold"
            valued.append(f"{name} ({rows} a value)")
    refusals = []
    if holding:
        refusals.append(
            f"this migration drops {', '.join(holding)}: their data would be lost. Move or"
            " export the rows first (or delete them), or drop them knowingly"
        )
    if valued:
        refusals.append(
            f"this migration drops the column{'s' if len(valued) > 1 else ''}"
            f" {', '.join(valued)}: the values would be lost. A renamed field is a rename,"
            " not a drop: say `renamed_from: <old name>` on it in its spec, `cxg-gen build`,"
            " delete this revision and write it again. Otherwise move or export the values"
            " first, or drop them knowingly"
        )
    if refusals:
        raise DataLossRefused(
            "; ".join(refusals) + ": `cxg-gen db upgrade --allow-data-loss` (Alembic:"
            f" -x allow_data_loss=true; or {ENVIRONMENT}=true)"
        )


def _live(bind: sa.Connection, inspector: Any, name: str, column: str | None) -> int:
    """Live rows of ``name`` ("schema.table"), those with a value in ``column`` if given; 0
    when the table (or the column) is not there."""
    schema, _, table = name.rpartition(".")
    if not inspector.has_table(table, schema=schema or None):
        return 0
    present = {c["name"] for c in inspector.get_columns(table, schema=schema or None)}
    if column is not None and column not in present:
        return 0
    quoted = f'"{schema}"."{table}"' if schema else f'"{table}"'
    conditions = ["NOT is_deleted"] if "is_deleted" in present else []
    if column is not None:
        conditions.append(f'"{column}" IS NOT NULL')
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    # forced row-level security hides every tenant's rows from an owner that is not a
    # superuser; the count must see them all, and a kept table is forced again at once
    forced = bool(
        bind.scalar(
            sa.text(f"SELECT relforcerowsecurity FROM pg_class WHERE oid = '{quoted}'::regclass")
        )
    )
    if forced:
        bind.execute(sa.text(f"ALTER TABLE {quoted} NO FORCE ROW LEVEL SECURITY"))
    count: Any = bind.scalar(sa.text(f"SELECT count(*) FROM {quoted}{where}"))
    if forced:
        bind.execute(sa.text(f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY"))
    return int(count)
