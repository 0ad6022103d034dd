"""Autogenerate compares CHECK constraints too (Alembic does not, out of the box).

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
from alembic.operations import ops
from alembic.util import PriorityDispatchResult
from sqlalchemy import CheckConstraint, MetaData, Table
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
    if not template:
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
    autogen_context, modify_ops, schema, tname, conn_table, metadata_table
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
