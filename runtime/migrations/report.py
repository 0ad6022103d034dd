"""What `cxg-gen db check` prints when models and migrations disagree: one block per table,
one line per difference, instead of Alembic's one-line list of object reprs."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Column, Index, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import ColumnCollectionConstraint, ForeignKeyConstraint

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]  # SQLAlchemy leaves it unannotated
_ADDED = "+ in the models, not in the migrations:"
_REMOVED = "- in the migrations, not in the models:"


def describe(diffs: list[Any]) -> str:
    """The differences, grouped by table (``schema.table``), in a stable order."""
    by_table: dict[str, list[str]] = defaultdict(list)
    for diff in _flatten(diffs):
        table, line = _line(diff)
        by_table[table].append(line)
    blocks = [
        f"  {table}\n" + "".join(f"    {line}\n" for line in sorted(lines))
        for table, lines in sorted(by_table.items())
    ]
    return f"{_ADDED}\n{_REMOVED}\n" + "".join(blocks)


def _flatten(diffs: list[Any]) -> list[tuple[Any, ...]]:
    flat: list[tuple[Any, ...]] = []
    for diff in diffs:
        if isinstance(diff, list):  # modifications of one column come as a list
            flat += _flatten(diff)
        else:
            flat.append(diff)
    return flat


def _name(schema: str | None, table: str) -> str:
    return f"{schema}.{table}" if schema else table


def _column(column: Column[Any]) -> str:
    text = f"{column.name} {column.type.compile(dialect=_DIALECT)}"
    if not column.nullable:
        text += " NOT NULL"
    if column.server_default is not None:
        text += f" DEFAULT {getattr(column.server_default, 'arg', column.server_default)}"
    return text


def _line(diff: tuple[Any, ...]) -> tuple[str, str]:
    kind = diff[0]
    sign = "+" if kind.startswith("add") else "-" if kind.startswith("remove") else "~"
    if kind in ("add_table", "remove_table"):
        table: Table = diff[1]
        return _name(table.schema, table.name), f"{sign} table ({len(table.columns)} columns)"
    if kind in ("add_column", "remove_column"):
        _, schema, table_name, column = diff
        return _name(schema, table_name), f"{sign} column {_column(column)}"
    if kind in ("add_index", "remove_index"):
        index: Index = diff[1]
        columns = ", ".join(str(getattr(c, "name", c)) for c in index.expressions)
        unique = "unique " if index.unique else ""
        where = index.dialect_options["postgresql"].get("where")
        tail = f" WHERE {where}" if where is not None else ""
        if index.table is None:  # alembic compares the indexes of tables only
            return "(other)", f"{sign} {diff!r}"
        return _name(
            index.table.schema, index.table.name
        ), f"{sign} {unique}index {index.name} ({columns}){tail}"
    if kind in ("add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        # alembic compares unique constraints and foreign keys: both name their columns
        constraint: ColumnCollectionConstraint = diff[1]
        table = constraint.table
        what = "foreign key" if isinstance(constraint, ForeignKeyConstraint) else "constraint"
        columns = ", ".join(c.name for c in constraint.columns)
        return _name(table.schema, table.name), f"{sign} {what} {constraint.name} ({columns})"
    if kind.startswith("modify_"):
        _, schema, table_name, column, _info, old, new = diff
        aspect = kind.removeprefix("modify_")
        change = f"~ column {column}: {aspect} {_show(old)} -> {_show(new)}"
        return _name(schema, table_name), change
    return "(other)", f"{sign} {diff!r}"


def _show(value: Any) -> str:
    if hasattr(value, "compile"):
        try:
            return str(value.compile(dialect=_DIALECT))
        except Exception:  # noqa: BLE001 - a value with no SQL form: show it as it is
            return repr(value)
    return getattr(value, "arg", None) and str(value.arg) or repr(value)
