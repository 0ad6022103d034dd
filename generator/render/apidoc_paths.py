"""The operations of an entity in the API document, written from the typed model.

Each of the entity's endpoints (``Entity.endpoints``: method, path, permission, operation id,
summary) becomes an operation shaped like the probe's (runtime/web/openapi_probe.py) of the
same kind: its security, error answers, list and If-Match parameters come from there, the
rest (filters, bodies, the row's schemas) from the model. The domains' hand-owned actions are
documented by FastAPI with the other hand-written routes.
"""

from __future__ import annotations

from typing import Any

from generator.load.spec import FieldType
from generator.model import Endpoint, Entity, Field
from generator.model.contract import Operation
from generator.model.types import TYPES
from generator.render.apidoc_schemas import Schema, nullable, ref, title, value_schema

API_PREFIX = "/api/v1"


def _filter_value(e: Entity, f: Field) -> Schema:
    """A filter value as the list's query takes it (types.query_type): bounded like the
    column, with no other constraint."""
    if f.kind is FieldType.enum:
        return {"type": "array", "items": ref(e.enum_type(f))}
    limit = TYPES[f.kind].int_bound
    if limit:
        return {"type": "integer", "maximum": limit - 1, "minimum": -limit}
    if f.kind in (FieldType.decimal, FieldType.money):
        return f.decimal_input
    if f.kind is FieldType.password:
        return {"type": "string"}
    return value_schema(e, f, constrained=False, output=False)


def _query(name: str, value: Schema, label: str, description: str) -> Schema:
    schema = nullable(value) | {"title": label, "description": description}
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}  # fmt: skip


def filter_parameters(e: Entity, *, lines: bool = False) -> list[Schema]:
    """The list's filters; under a header (``lines``) without the header's own reference."""
    params = []
    for f in e.line_filter_fields if lines else e.filter_fields:
        params.append(_query(f.name, _filter_value(e, f), f.label_ko, f.filter_description))
    for f in e.line_range_fields if lines else e.range_fields:
        value = _filter_value(e, f)
        params.append(_query(f.range_from, value, f"{f.label_ko} 이상", "Inclusive lower bound."))
        params.append(_query(f.range_to, value, f"{f.label_ko} 이하", "Inclusive upper bound."))
    return params


def list_parameters(e: Entity, shape: Schema) -> list[Schema]:
    """Paging and count as the probe's list takes them; ``search`` only where a field is
    searchable; ``sort`` as the entity's terms (one, or several joined by commas)."""
    params = []
    for p in shape["parameters"]:
        if p["in"] != "query" or (p["name"] == "search" and not e.search_fields):
            continue
        if p["name"] == "sort":
            kept = {"title": p["schema"]["title"]}  # the rest is the entity's own
            p = {**p, "schema": {**e.sort_schema, **kept}}
        params.append(p)
    return params


def _path(name: str) -> Schema:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "string", "format": "uuid", "title": title(name)}}  # fmt: skip


def _body(name: str) -> Schema:
    return {"required": True, "content": {"application/json": {"schema": ref(name)}}}


# the probe operation each kind is shaped like: (path under the scope, method)
_PROBE_OPERATION = {
    "list": ("/rows", "get"),
    "create": ("/rows", "post"),
    "get": ("/rows/{row_id}", "get"),
    "update": ("/rows/{row_id}", "patch"),
    "change_status": ("/rows/{row_id}", "patch"),
    "delete": ("/rows/{row_id}", "delete"),
    "list_of_parent": ("/rows/{row_id}/lines", "get"),
    "create_in_parent": ("/rows", "post"),
}


def operation(
    e: Entity, endpoint: Endpoint, probe: dict[str, Any], answers: dict[str, Any], op: Operation
) -> Schema:
    kind = endpoint.kind
    at, method = _PROBE_OPERATION[kind]
    shape = probe["paths"][f"/{e.scoped(at)}"][method]
    name = e.schema_name
    params: list[Schema] = []
    ids = [p[1:-1] for p in endpoint.path.split("/") if p.startswith("{")]
    params += [_path(i) for i in ids]
    if kind in ("list", "list_of_parent"):
        params += list_parameters(e, shape)
        params += filter_parameters(e, lines=kind == "list_of_parent")
    params += [p for p in shape.get("parameters", []) if p["in"] == "header"]
    success, envelope = (
        ("201" if kind.startswith("create") else "200"),
        {
            "list": f"Envelope_{name}ListResponse_",
            "delete": "Envelope_Deleted_",
            "list_of_parent": f"Envelope_{name}ListResponse_",
        }.get(kind, f"Envelope_{name}Response_"),
    )
    op_doc: Schema = {
        "tags": [e.tag],
        "summary": endpoint.summary,
        "description": op.description,
        "operationId": endpoint.operation_id,
        "security": shape["security"],
    }
    if params:
        op_doc["parameters"] = params
    body = {
        "create": f"{name}Create",
        "update": f"{name}Update",
        "change_status": f"{name}StatusChange",
        "create_in_parent": f"{name}LineCreate",
    }.get(kind)
    if body:
        op_doc["requestBody"] = _body(body)
    written: dict[str, Schema] = answers[endpoint.operation_id]
    op_doc["responses"] = {
        success: {
            "description": "Successful Response",
            **written.get(success, {}),
            "content": {"application/json": {"schema": ref(envelope)}},
        },
        **{status: answer for status, answer in written.items() if status != success},
    }
    op_doc["x-permission"] = endpoint.permission
    return op_doc


def entity_paths(
    e: Entity,
    probe: dict[str, Any],
    answers: dict[str, Any],
    operations: dict[str, tuple[Entity, Operation]],
) -> dict[str, dict[str, Schema]]:
    prefix = f"{API_PREFIX}/{e.scope.name}"
    paths: dict[str, dict[str, Schema]] = {}
    for endpoint in e.endpoints:
        if endpoint.kind == "action":  # hand-written: FastAPI documents them
            continue
        item = paths.setdefault(prefix + endpoint.path, {})
        _, op = operations[endpoint.operation_id]
        item[endpoint.method.lower()] = operation(e, endpoint, probe, answers, op)
    return paths
