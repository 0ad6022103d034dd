"""Autogenerate compares CHECK constraints and primary keys too (Alembic does neither, out of
the box).

Enum fields are VARCHAR + CHECK, and min/max become CHECKs, so a spec change to an enum's
values or a field's bounds changes only a CHECK constraint. Without this comparator
``cxg-gen db check`` would pass with the database still enforcing the old rule, and
``cxg-gen db revision`` would write an empty migration.

The database reflects a constraint in its own words (``(status)::text = ANY (ARRAY[...])``
for ``status IN (...)``), so constraints are compared by what they admit: the string
literals and numbers they mention.
"""

from __future__ import annotations

import re

from alembic.autogenerate import comparators
from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops
from alembic.util import PriorityDispatchResult
from sqlalchemy import CheckConstraint, Column, Integer, MetaData, PrimaryKeyConstraint, Table
from sqlalchemy.sql.naming import conv

LITERAL = re.compile(r"'((?:[^']|'')*)'")
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")


def signature(sqltext: object) -> tuple[tuple[str, ...], tuple[str, ...]]:
    text = str(sqltext)
    literals = tuple(sorted(LITERAL.findall(text)))
    numbers = tuple(sorted(str(float(n)) for n in NUMBER.findall(LITERAL.sub("", text))))
    return literals, numbers


def _name(constraint: CheckConstraint, table: Table) -> str | None:
    name = constraint.name
    if name is None or isinstance(name, conv):
        return name
    template = table.metadata.naming_convention.get("ck")
    if not isinstance(template, str):  # none, or a callable convention (not used here)
        return str(name)
    return template % {"table_name": table.name, "constraint_name": name}


def _checks(table: Table) -> dict[str, CheckConstraint]:
    found = {}
    for constraint in table.constraints:
        if isinstance(constraint, CheckConstraint):
            name = _name(constraint, table)
            if name:
                found[str(name)] = constraint
    return found


@comparators.dispatch_for("table")
def compare_check_constraints(
    autogen_context: AutogenContext,
    modify_ops: ops.ModifyTableOps,
    schema: str | None,
    tname: str,
    conn_table: Table | None,
    metadata_table: Table | None,
) -> PriorityDispatchResult:
    if conn_table is None or metadata_table is None:  # created or dropped whole
        return PriorityDispatchResult.CONTINUE
    have, want = _checks(conn_table), _checks(metadata_table)
    for name in sorted(have.keys() | want.keys()):
        old, new = have.get(name), want.get(name)
        if old is not None and new is not None and signature(old.sqltext) == signature(new.sqltext):
            continue
        if old is not None:
            old.name = conv(name)
            modify_ops.ops.append(ops.DropConstraintOp.from_constraint(old))
        if new is not None:
            added = CheckConstraint(new.sqltext, name=conv(name))
            Table(metadata_table.name, MetaData(), added, schema=metadata_table.schema)
            modify_ops.ops.append(ops.AddConstraintOp.from_constraint(added))
    return PriorityDispatchResult.CONTINUE


@comparators.dispatch_for("table")
def compare_primary_keys(
    autogen_context: AutogenContext,
    modify_ops: ops.ModifyTableOps,
    schema: str | None,
    tname: str,
    conn_table: Table | None,
    metadata_table: Table | None,
) -> PriorityDispatchResult:
    """A primary key over other columns, or in another order, is a difference (Alembic does
    not compare primary keys): tenant tables' keys lead with tenant_id."""
    if conn_table is None or metadata_table is None:
        return PriorityDispatchResult.CONTINUE
    have = [c.name for c in conn_table.primary_key.columns]
    want = [c.name for c in metadata_table.primary_key.columns]
    if have == want:
        return PriorityDispatchResult.CONTINUE
    name = conv(f"pk_{tname}")
    if have:
        found = conn_table.primary_key.name
        old = PrimaryKeyConstraint(*have, name=conv(found if isinstance(found, str) else name))
        Table(tname, MetaData(), *(Column(c, Integer) for c in have), old, schema=schema)
        modify_ops.ops.append(ops.DropConstraintOp.from_constraint(old))
    modify_ops.ops.append(ops.CreatePrimaryKeyOp(name, tname, want, schema=schema))
    return PriorityDispatchResult.CONTINUE
