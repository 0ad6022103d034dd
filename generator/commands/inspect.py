"""`cxg-gen show`: one entity as the generator resolved it, for people (text) and tools (JSON).

Everything here is read off the typed model (generator.model): the table and its columns,
indexes and constraints, the endpoints with their permission codes, the references out of
the entity and into it. Nothing is rendered or written.
"""

from __future__ import annotations

from typing import Any

from generator.model import Entity, Project


class NotFound(LookupError):
    """No entity, or more than one, answers to the name given."""


def find(project: Project, name: str) -> Entity:
    """``[<scope>.]<domain>.<table>``: the scope may be left out when only one has it."""
    parts = name.split(".")
    if len(parts) == 3:
        scope, key = parts[0], ".".join(parts[1:])
    elif len(parts) == 2:
        scope, key = None, name
    else:
        raise NotFound(f"'{name}': write <domain>.<table> or <scope>.<domain>.<table>")
    found = [
        e for e in project.entities if e.key == key and (scope is None or e.scope.name == scope)
    ]
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound(f"no entity {name} in specs/")
    scopes = ", ".join(f"{e.scope.name}.{e.key}" for e in found)
    raise NotFound(f"'{name}' is in more than one scope: {scopes}")


def describe(project: Project, entity: Entity) -> dict[str, Any]:
    """The resolved entity as plain data (what `--format json` prints)."""
    scope = entity.scope.name
    prefix = f"/api/v1/{scope}"
    return {
        "entity": f"{scope}.{entity.key}",
        "class": entity.class_name,
        "label": {"ko": entity.label_ko, "en": entity.label_en},
        "spec": entity.spec_path,
        "table": entity.key,
        "database": entity.scope.database,
        "soft_delete": entity.soft_delete,
        "columns": [
            {
                "name": f.name,
                "type": f.kind.value,
                "column": f.column_type,
                "nullable": f.nullable,
                "default": f.server_default,
                "check": f.check_sql,
                "references": f.foreign_key,
            }
            for f in entity.fields
        ],
        "unique": [list(u.columns) for u in entity.uniques],
        "indexes": [list(i.columns) for i in entity.indexes],
        "checks": [c.sql for c in entity.checks],
        "endpoints": [
            {
                "method": e.method,
                "path": prefix + e.path,
                "permission": e.permission,
                "operation_id": e.operation_id,
            }
            for e in entity.endpoints
        ],
        "permissions": [code for code, _ in entity.permissions],
        "references_out": [
            {"field": f.name, "to": f.ref_entity, "on_delete": f.on_delete}
            for f in entity.ref_fields
        ],
        "references_in": [
            {"from": other.key, "field": f.name, "on_delete": f.on_delete}
            for other in project.entities
            if other.scope == entity.scope
            for f in other.ref_fields
            if f.ref_entity == entity.key
        ],
        "lines": [c.key for c in entity.lines],
        "state_machine": entity.lifecycle.moves if entity.lifecycle else None,
    }


def text(described: dict[str, Any]) -> str:
    """The same, for a terminal."""
    d = described
    out = [
        f"{d['entity']}  {d['class']}  {d['label']['ko']} ({d['label']['en']})",
        f"  spec      {d['spec']}",
        f"  table     {d['table']} ({d['database']} database"
        + (", soft delete)" if d["soft_delete"] else ")"),
        "  columns",
    ]
    for c in d["columns"]:
        extra = [x for x in (c["references"] and f"→ {c['references']}", c["check"]) if x]
        null = "null" if c["nullable"] else "not null"
        out.append(f"    {c['name']:<24} {c['type']:<9} {null:<9} {'  '.join(extra)}".rstrip())
    for title, rows in (("unique", d["unique"]), ("indexes", d["indexes"])):
        out.append(f"  {title:<9} " + ("; ".join(", ".join(r) for r in rows) or "-"))
    if d["checks"]:
        out.append("  checks    " + "; ".join(d["checks"]))
    if d["state_machine"]:
        moves = (f"{s} → {', '.join(t) or '(final)'}" for s, t in d["state_machine"].items())
        out.append("  states    " + "; ".join(moves))
    out.append("  endpoints")
    for e in d["endpoints"]:
        out.append(f"    {e['method']:<6} {e['path']:<60} {e['permission']}")
    out.append("  permissions  " + ", ".join(d["permissions"]))
    out.append("  references out")
    out += [f"    {r['field']} → {r['to']} ({r['on_delete']})" for r in d["references_out"]] or [
        "    -"
    ]
    out.append("  references in")
    out += [f"    {r['from']}.{r['field']} ({r['on_delete']})" for r in d["references_in"]] or [
        "    -"
    ]
    if d["lines"]:
        out.append("  lines     " + ", ".join(d["lines"]))
    return "\n".join(out) + "\n"
