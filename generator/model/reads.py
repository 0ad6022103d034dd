"""The SQL of an entity's reads, decided at build time: one plan, run two ways.

Every ``GET /{id}`` and ``GET`` (the list) is answered from these statements, by the hot path
before FastAPI's routing and by the generated routers after it (runtime.reads): the columns
of the response in its order, each in the form its JSON takes (a decimal as a string, a time
in UTC with ``Z``), so that PostgreSQL writes each row's JSON itself; the joins that name
referenced rows (role_id → role_name); the conditions that keep a row visible. The runtime
only adds the caller's filters, the order and the page (runtime.reads.compose).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from generator.load.spec import FieldType
from generator.model.types import TYPES

if TYPE_CHECKING:  # the entity reads its plan from here (Entity.reads), when asked
    from generator.model.entity import Entity

ROW = "t"  # alias of the entity's table in every statement


@dataclass(frozen=True)
class ReadSql:
    table: str  # schema.table
    row: str  # the response's columns in its order, as their JSON shows them (a SELECT list)
    joins: str  # LEFT JOINs to the referenced rows that name a reference
    visible: str  # conditions on t that every read adds (live rows)
    cursor_types: dict[str, str]  # sortable column -> its Python type (keyset cursors)


def _json(column: str, kind: FieldType) -> str:
    """The column's value as the answer's JSON shows it (types.TYPES: json_form)."""
    return TYPES[kind].json_form.format(c=column)


def read_sql(entity: Entity) -> ReadSql:
    tenant = entity.scope.tenant_scoped
    fields = [f for f in entity.fields if f.in_response]
    written = [f for f in fields if f.in_create]
    # the order of the response model: what is written and read, the keys, what is only
    # read, the referenced rows' names, the bookkeeping (runtime.reads checks it at start)
    columns: list[tuple[str, str]] = [(f.name, _json(f"{ROW}.{f.name}", f.kind)) for f in written]
    columns += [("id", f"{ROW}.id")]
    columns += [("tenant_id", f"{ROW}.tenant_id")] if tenant else []
    columns += [(f.name, _json(f"{ROW}.{f.name}", f.kind)) for f in fields if not f.in_create]
    joins = []
    for n, f in enumerate(entity.display_refs):
        alias = f"d{n}"
        schema, table = (f.ref_entity or "").split(".")
        on = f"{alias}.id = {ROW}.{f.name}"
        if tenant:  # a reference names a row of the same tenant only
            on += f" AND {alias}.tenant_id = {ROW}.tenant_id"
        joins.append(f"LEFT JOIN {schema}.{table} {alias} ON {on}")
        columns.append((f.display_attr, f"{alias}.{f.ref_display}"))
    for name in ("created_at", "updated_at"):
        columns.append((name, _json(f"{ROW}.{name}", FieldType.datetime)))
    columns += [(n, f"{ROW}.{n}") for n in ("created_by", "updated_by", "version")]
    types = {"created_at": "datetime", "updated_at": "datetime", "id": "UUID"}
    types |= {f.name: TYPES[f.kind].cursor_type for f in entity.fields if f.sort}
    visible = f"NOT {ROW}.is_deleted" if entity.soft_delete else "TRUE"
    return ReadSql(
        table=entity.key,
        row=", ".join(f'{expr} AS "{name}"' for name, expr in columns),
        joins=" ".join(joins),
        visible=visible,
        cursor_types=dict(sorted(types.items())),
    )
