"""The SQL of an entity's hot read path, decided at build time.

The served API answers ``GET /{id}`` and ``GET`` (the list) with statements the generator
writes out (see templates/queries.py.j2 and runtime.hot.path): the columns of the response,
the joins that name referenced rows (role_id → role_name) and the conditions that keep a
row visible. The runtime only appends the caller's filters, the order and the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.model import Entity

ROW = "t"  # alias of the entity's table in every statement


@dataclass(frozen=True)
class ReadSql:
    table: str  # schema.table
    select: str  # the response's columns, display names included
    joins: str  # LEFT JOINs to the referenced rows that name a reference
    visible: str  # conditions on t that every read adds (live rows)


def read_sql(entity: Entity) -> ReadSql:
    tenant = entity.scope.tenant_scoped
    columns = ["id", *(["tenant_id"] if tenant else [])]
    columns += [f.name for f in entity.fields if f.in_response]
    columns += ["created_at", "updated_at", "created_by", "updated_by", "version"]
    select = [f"{ROW}.{c}" for c in columns]
    joins = []
    for n, f in enumerate(entity.display_refs):
        alias = f"d{n}"
        schema, table = (f.ref_entity or "").split(".")
        on = f"{alias}.id = {ROW}.{f.name}"
        if tenant:  # a reference names a row of the same tenant only
            on += f" AND {alias}.tenant_id = {ROW}.tenant_id"
        joins.append(f"LEFT JOIN {schema}.{table} {alias} ON {on}")
        select.append(f"{alias}.{f.ref_display} AS {f.display_attr}")
    visible = f"NOT {ROW}.is_deleted" if entity.soft_delete else "TRUE"
    return ReadSql(
        table=f"{entity.domain}.{entity.table}",
        select=", ".join(select),
        joins=" ".join(joins),
        visible=visible,
    )
