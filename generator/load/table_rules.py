"""The unique constraints and indexes of a table, tenant first in the tenant scope, and the
checks of the field lists they are made from (``unique_together``, ``indexes``)."""

from __future__ import annotations

from generator.load.diagnostics import Diagnostics
from generator.load.naming import constraint_name
from generator.load.parsing import Parsed
from generator.load.spec import EntitySpec, FieldType
from generator.model import (
    IndexRule,
    UniqueRule,
)
from generator.model import types as F

# Types no rule can be made on: json has no btree order, a password is a salted hash.
UNRULED = {FieldType.json: "json fields", FieldType.password: "password fields (salted hashes)"}


def check_groups(p: Parsed[EntitySpec], diags: Diagnostics) -> None:
    """Every name in ``unique_together`` and ``indexes`` is a declared field of the entity
    (an index may also name created_at and updated_at, which lists sort by); no name twice in
    a group, no group twice, no json or password field."""
    spec = p.spec
    seen: dict[str, tuple[str, ...]] = {}  # constraint name -> where it was first made
    for name, declared in spec.fields.items():
        if declared.unique:
            seen[f"uq:{name}"] = ("fields", name, "unique")
    for key in ("unique_together", "indexes"):
        allowed = F.INDEXABLE_BUILTINS if key == "indexes" else ()
        for i, group in enumerate(getattr(spec, key)):
            if not group:
                diags.add(p.path, *p.at((key, i)), f"{key}[{i}] is empty")
                continue
            broken = False
            for j, col in enumerate(group):
                where = p.at((key, i, j))
                fs = spec.fields.get(col)
                if fs is None and col not in allowed:
                    also = f" (or {', '.join(allowed)})" if allowed else ""
                    message = f"{F.not_a_field(col)}; {key} names declared fields{also}"
                    diags.add(p.path, *where, f"{key}[{i}]: {message}")
                    broken = True
                elif fs is not None and fs.type in UNRULED:
                    diags.add(
                        p.path,
                        *where,
                        f"{key}[{i}]: '{col}': {UNRULED[fs.type]} cannot be unique or indexed",
                    )
                    broken = True
                elif col in group[:j]:
                    diags.add(p.path, *where, f"{key}[{i}]: '{col}' is named twice")
                    broken = True
            if broken:
                continue
            mark = f"{'uq' if key == 'unique_together' else 'ix'}:{','.join(group)}"
            if mark in seen:
                first = ".".join(map(str, seen[mark]))
                diags.add(p.path, *p.at((key, i)), f"{key}[{i}]: the same rule as {first}")
            else:
                seen[mark] = (key, str(i))


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
