"""The component schemas of an entity in the API document, written from the typed model.

They say what the generated Pydantic classes (templates/schemas.py.j2) validate and return,
from the same facts of each field (its type, constraints, default, nullability), in the JSON
Schema that Pydantic would give them (tests/generator/test_apidoc.py compares the two over
every entity). What all entities share (the envelope, the page) comes from the probe
(runtime/web/openapi_probe.py); ``PROBE`` there stands for the entity's schema name.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from generator.load.spec import FieldType
from generator.model import Entity, Field
from generator.model.types import EMAIL_DOMAIN_LENGTH, EMAIL_DOMAIN_PATTERN, TYPES

Schema = dict[str, Any]
PROBE = "CxgProbe"
_JSON_KEYS = {
    "examples": "examples",
    "min_length": "minLength",
    "max_length": "maxLength",
    "pattern": "pattern",
    "ge": "minimum",
    "le": "maximum",
}
DECIMALS = (FieldType.decimal, FieldType.money)


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def value_schema(e: Entity, f: Field, *, constrained: bool, output: bool) -> Schema:
    """The schema of one value of the field (not null), as a body takes it or a row shows it."""
    kind = f.kind
    limits = {
        _JSON_KEYS[k]: _number(v)
        for k, v in (f.constraint_values if constrained else ())
        if k in _JSON_KEYS and k != "examples"
    }
    if kind in DECIMALS:
        if output:  # Pydantic writes a Decimal as a string
            return {"type": "string"}
        return (
            f.decimal_input if constrained else {"anyOf": [{"type": "number"}, {"type": "string"}]}
        )
    if kind is FieldType.json and f.items == "email_domain":
        domain = {
            "type": "string",
            "maxLength": EMAIL_DOMAIN_LENGTH,
            "pattern": EMAIL_DOMAIN_PATTERN,
        }
        return {"type": "array", "items": {"type": "string"} if output else domain}
    if kind is FieldType.json and f.items == "permission_code":
        return {
            "type": "array",
            "items": {"type": "string"} if output else ref(e.permission_code_type),
        }
    if kind is FieldType.json:
        return {
            "anyOf": [
                {"type": "object", "additionalProperties": True},
                {"type": "array", "items": {}},
            ]
        }
    if kind in (FieldType.integer, FieldType.bigint):
        return {"type": "integer", **limits}
    if kind is FieldType.boolean:
        return {"type": "boolean"}
    if kind is FieldType.enum:
        return ref(e.enum_type(f))
    schema: Schema = {"type": "string", **limits}
    if TYPES[kind].doc_format:
        schema["format"] = TYPES[kind].doc_format
    elif kind is FieldType.email and not (output and f.output_type != f.api_type):
        schema["format"] = "email"
    return schema


def nullable(schema: Schema) -> Schema:
    if set(schema) == {"anyOf"}:
        return {"anyOf": [*schema["anyOf"], {"type": "null"}]}
    return {"anyOf": [schema, {"type": "null"}]}


def default_json(f: Field) -> Any:
    """The default as a body shows it: a decimal is written as a string."""
    return str(Decimal(str(f.default_value))) if f.kind in DECIMALS else f.default_value


def property_schema(
    e: Entity,
    f: Field,
    *,
    optional: bool,
    default: bool,
    constrained: bool = True,
    output: bool = False,
    described: bool = False,
) -> Schema:
    """A property: the value (or null), then title, description, examples and default."""
    value = value_schema(e, f, constrained=constrained, output=output)
    schema = nullable(value) if optional else value
    examples = dict(f.constraint_values).get("examples") if constrained else None
    if examples is not None:
        schema["examples"] = examples
    schema["title"] = f.label_ko
    if described and f.description:
        schema["description"] = f.description
    if default and f.default_repr is not None and f.default_value is not None:
        schema["default"] = default_json(f)
    return schema


def _create_property(e: Entity, f: Field, *, described: bool, output: bool = False) -> Schema:
    optional = not f.create_required and (f.nullable or bool(f.numbering))
    return property_schema(
        e, f, optional=optional, default=not f.create_required, described=described, output=output
    )


def _object(name: str, description: str, props: dict[str, Schema], required: list[str],
            *, closed: bool) -> Schema:  # fmt: skip
    schema: Schema = {"properties": props}
    if closed:
        schema["additionalProperties"] = False
    schema["type"] = "object"
    if required:
        schema["required"] = required
    schema["title"] = name
    schema["description"] = description
    return schema


def _base(e: Entity, *, output: bool = False) -> tuple[dict[str, Schema], list[str]]:
    """The fields both written and read (the Base class), as a body or as a row."""
    fields = [f for f in e.fields if f.in_create and f.in_response]
    props = {f.name: _create_property(e, f, described=True, output=output) for f in fields}
    return props, [f.name for f in fields if f.create_required]


def create_schema(e: Entity) -> Schema:
    props, required = _base(e)
    for f in e.fields:
        if f.in_create and not f.in_response:
            props[f.name] = _create_property(e, f, described=False)
            required += [f.name] if f.create_required else []
    for c in e.create_lines:
        props[c.attribute] = {
            "items": ref(e.scope.schema_prefix + c.schema_class("LineCreate")),
            "type": "array",
            **({"minItems": c.min_lines} if c.min_lines else {}),
            "maxItems": 1000,
            "title": c.label_ko,
            "description": "Lines created with the header, in one transaction.",
        }
        required += [c.attribute] if c.min_lines else []
    name = e.document_schema("Create")
    return _object(name, e.schema_docs["Create"], props, required, closed=True)


def line_create_schema(e: Entity) -> Schema:
    props = {f.name: _create_property(e, f, described=False) for f in e.line_fields}
    required = [f.name for f in e.line_fields if f.create_required]
    name = e.document_schema("LineCreate")
    return _object(name, e.schema_docs["LineCreate"], props, required, closed=True)


def update_schema(e: Entity) -> Schema:
    # a NOT NULL column's field may be left out, never sent as null
    props = {
        f.name: property_schema(e, f, optional=f.nullable, default=False) for f in e.update_fields
    }
    name = e.document_schema("Update")
    return _object(name, e.schema_docs["Update"], props, [], closed=True)


def title(name: str) -> str:
    """Pydantic's title of a field it names itself: created_at -> Created At."""
    return name.replace("_", " ").title()


def _plain(kind: str, name: str, *, optional: bool = False, **extra: Any) -> Schema:
    value: Schema = {"type": kind, **extra}
    return {**(nullable(value) if optional else value), "title": title(name)}


def response_schema(e: Entity, kind: str = "Response") -> Schema:
    """A row as the API returns it; a header's ``ListItem`` (a row of its list) is its
    ``Response`` without the lines."""
    props, _ = _base(e, output=True)
    for f in e.fields:  # what the server writes rather than the client
        if f.in_response and f.in_create and f.output_type != f.api_type:
            value = {"type": "string"}
            props[f.name] = {**(nullable(value) if f.nullable else value), "title": f.label_ko}
            if f.output_format:
                props[f.name]["format"] = f.output_format
        elif f.items:  # typed on the way in only, plain out (Entity.plain_output_fields)
            props[f.name] = property_schema(
                e, f, optional=f.nullable, default=False, constrained=False, output=True
            )
    props["id"] = _plain("string", "id", format="uuid")
    if e.scope.tenant_scoped:
        props["tenant_id"] = _plain("string", "tenant_id", format="uuid")
    for f in e.fields:
        if f.in_response and not f.in_create:
            props[f.name] = property_schema(
                e, f, optional=f.nullable, default=False, constrained=False, output=True
            )
    for f in e.display_refs:
        props[f.display_attr] = {
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "title": f"{f.label_ko} 이름",
            "description": "Display name of the referenced row.",
        }
    props["created_at"] = _plain("string", "created_at", format="date-time")
    props["updated_at"] = _plain("string", "updated_at", format="date-time")
    props["created_by"] = _plain("string", "created_by", optional=True, format="uuid")
    props["updated_by"] = _plain("string", "updated_by", optional=True, format="uuid")
    props["version"] = _plain("integer", "version") | {
        "description": "Raised by every change; also the ETag. Send it back as If-Match."
    }
    for c in e.lines if kind == "Response" else ():
        props[c.attribute] = {
            "anyOf": [
                {"items": ref(e.scope.schema_prefix + c.schema_class("Response")), "type": "array"},
                {"type": "null"},
            ],
            "title": c.label_ko,
            "description": "The lines, on the header's create and detail.",
        }
        props[c.total_attribute] = _plain("integer", c.total_attribute, optional=True) | {
            "description": "How many lines the header has in all; its detail shows the first 1000."
        }
    name = e.document_schema(kind)
    # an answer carries every property, null when empty (runtime.web.envelope.Output)
    return _object(name, e.schema_docs[kind], props, list(props), closed=False)


def status_change_schema(e: Entity, status: Field) -> Schema:
    props = {status.name: ref(e.enum_type(status))}
    name = e.document_schema("StatusChange")
    return _object(name, e.schema_docs["StatusChange"], props, [status.name], closed=True)


def from_probe(schema: Schema, name: str, item: str = "Response") -> Schema:
    """A schema of the probe with the entity's schema name where the probe's stands (and its
    ``item`` schema where the probe's row is: a header's page lists ListItems)."""
    text = json.dumps(schema).replace(f'"{_REF}{PROBE}Response"', f'"{_REF}{PROBE}{item}"')
    found: Schema = json.loads(text.replace(PROBE, name))
    return found


_REF = "#/components/schemas/"


def entity_schemas(e: Entity, probe: dict[str, Schema], codes: list[str]) -> dict[str, Schema]:
    """Every component schema the entity's operations name, by name (``codes``: the
    scope's permission catalog, for a field that lists them)."""
    name = e.schema_name
    found = {
        f"{name}Create": create_schema(e),
        f"{name}Update": update_schema(e),
        f"{name}Response": response_schema(e),
    }
    if e.lines:
        found[f"{name}ListItem"] = response_schema(e, "ListItem")
    page = from_probe(probe[f"{PROBE}ListResponse"], name, e.list_item_kind)
    found[f"{name}ListResponse"] = page | {"description": e.schema_docs["ListResponse"]}
    if e.parent_field:
        found[f"{name}LineCreate"] = line_create_schema(e)
    if e.status_field:
        found[f"{name}StatusChange"] = status_change_schema(e, e.status_field)
    for f in e.enum_fields:
        found[e.enum_type(f)] = {
            "enum": list(f.enum_values),
            "title": e.enum_type(f),
            "type": "string",
        }
    if e.code_lists:
        found[e.permission_code_type] = {
            "enum": codes,
            "title": e.permission_code_type,
            "type": "string",
        }
    for envelope in (f"Envelope_{PROBE}Response_", f"Envelope_{PROBE}ListResponse_"):
        found[envelope.replace(PROBE, name)] = from_probe(probe[envelope], name)
    return found
