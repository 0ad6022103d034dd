"""The unique constraints and indexes of a table, tenant first in the tenant scope."""

from __future__ import annotations

from generator.model import (
    IndexRule,
    UniqueRule,
)
from generator.naming import constraint_name
from generator.spec import EntitySpec, FieldType


def uniques(spec: EntitySpec, table: str, tenant: bool) -> tuple[UniqueRule, ...]:
    groups = [[n] for n, f in spec.fields.items() if f.unique] + [
        list(g) for g in spec.unique_together
    ]
    rules = []
    for group in groups:
        columns = (["tenant_id"] if tenant and "tenant_id" not in group else []) + group
        rules.append(
            UniqueRule(
                name=constraint_name("uq", table, columns),
                columns=tuple(columns),
                fields=tuple(group),
                partial=spec.soft_delete,
            )
        )
    return tuple(rules)


def indexes(spec: EntitySpec, table: str, tenant: bool) -> tuple[IndexRule, ...]:
    rules = []
    for group in spec.indexes:
        columns = (["tenant_id"] if tenant and "tenant_id" not in group else []) + list(group)
        rules.append(IndexRule(name=constraint_name("ix", table, columns), columns=tuple(columns)))
    # A tenant's list filtered by a field reads that tenant's entries of one index.
    for name, fs in spec.fields.items():
        wanted = ("tenant_id", name)
        if (
            tenant
            and fs.filter
            and not fs.unique
            and fs.type not in (FieldType.json, FieldType.text)
            and all(rule.columns != wanted for rule in rules)
        ):
            rules.append(
                IndexRule(
                    name=constraint_name("ix", table, list(wanted)),
                    columns=wanted,
                    partial=spec.soft_delete,
                )
            )
    # Lists read live rows in the default order (ties broken by id), a tenant's rows in the
    # tenant scope: one index serves every page, and keyset pages too, without sorting.
    order = [*(["tenant_id"] if tenant else []), spec.default_sort.removeprefix("-"), "id"]
    if all(rule.columns != tuple(order) for rule in rules):
        rules.append(
            IndexRule(
                name=constraint_name("ix", table, [*order, "order"]),
                columns=tuple(order),
                partial=spec.soft_delete,
            )
        )
    return tuple(rules)
