"""A renamed field is a renamed column. Autogenerate sees a column dropped and another added
and would write exactly that, losing the values; a field whose spec says ``renamed_from: old``
carries the old name in its column's ``info`` (the generated model), and `db revision` turns
that drop and add, within one table, into one ``alter_column(old, new_column_name=new)`` with
whatever else changed (type, nullability, comment). Where the old column is not there (every
database has the rename already) autogenerate sees nothing to do and the key is inert."""

from __future__ import annotations

from alembic.operations import ops


def apply_renames(upgrade: ops.UpgradeOps) -> list[str]:
    """Rewrite each drop-and-add that a ``renamed_from`` explains into a rename, in place;
    the renames made, as "schema.table.old -> new"."""
    done = []
    for table in upgrade.ops:
        if not isinstance(table, ops.ModifyTableOps):
            continue
        dropped = {o.column_name: o for o in table.ops if isinstance(o, ops.DropColumnOp)}
        renamed: set[str] = set()
        changed: list[ops.MigrateOperation] = []
        for o in table.ops:
            old = o.column.info.get("renamed_from") if isinstance(o, ops.AddColumnOp) else None
            if not isinstance(o, ops.AddColumnOp) or old not in dropped or old in renamed:
                changed.append(o)
                continue
            renamed.add(old)
            changed.append(_rename(table, dropped[old], o))
            prefix = f"{table.schema}." if table.schema else ""
            done.append(f"{prefix}{table.table_name}.{old} -> {o.column.name}")
        table.ops[:] = [
            o for o in changed if not (isinstance(o, ops.DropColumnOp) and o.column_name in renamed)
        ]
    return done


class RenameColumnOp(ops.AlterColumnOp):
    """An ``alter_column`` that renames, and whose reverse renames back (Alembic's own
    reverse keeps the name)."""

    def reverse(self) -> ops.AlterColumnOp:
        assert self.modify_name is not None
        back = super().reverse()
        back.column_name, back.modify_name = self.modify_name, self.column_name
        return back


def _rename(
    table: ops.ModifyTableOps, drop: ops.DropColumnOp, add: ops.AddColumnOp
) -> ops.AlterColumnOp:
    before, after = drop.to_column(), add.column
    same_type = str(before.type) == str(after.type)
    return RenameColumnOp(
        table.table_name,
        before.name,
        schema=table.schema,
        existing_type=before.type,
        existing_nullable=before.nullable,
        existing_comment=before.comment,
        existing_server_default=before.server_default,
        modify_name=after.name,
        modify_type=None if same_type else after.type,
        modify_nullable=None if before.nullable == after.nullable else after.nullable,
        modify_comment=False if before.comment == after.comment else after.comment,
        modify_server_default=(
            False if _default(before) == _default(after) else after.server_default
        ),
    )


def _default(column: object) -> str | None:
    default = getattr(column, "server_default", None)
    arg = getattr(default, "arg", None)
    return None if arg is None else str(getattr(arg, "text", arg))
