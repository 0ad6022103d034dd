"""How each spec field type becomes a column, a Pydantic type and API behaviour."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from generator.spec import FieldSpec, FieldType, OnDelete

PHONE_PATTERN = r"^\+?[0-9][0-9 ()-]{5,18}[0-9]$"
URL_PATTERN = r"^https?://[^\s/$.?#][^\s]*$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"

ON_DELETE_SQL = {
    OnDelete.restrict: "RESTRICT",
    OnDelete.cascade: "CASCADE",
    OnDelete.set_null: "SET NULL",
}

# Columns every table has; specs may not redefine them.
MIXIN_COLUMNS = frozenset(
    {
        "id",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
        "version",
        "tenant_id",
        "is_deleted",
        "deleted_at",
        "deleted_by",
    }
)


# What each of those columns is, for a rule that names one instead of a declared field.
BUILTIN_MEANING = {
    "id": "the row's id",
    "created_at": "when the row was made",
    "updated_at": "when the row last changed",
    "created_by": "who made the row",
    "updated_by": "who last changed the row",
    "version": "the row version, raised by every change",
    "tenant_id": "the tenant, which leads every rule of a tenant table by itself",
    "is_deleted": "the soft-delete flag (unique rules hold among live rows already)",
    "deleted_at": "when the row was deleted",
    "deleted_by": "who deleted the row",
}
# The built-in columns an index may name besides declared fields: the ones lists sort by.
INDEXABLE_BUILTINS = ("created_at", "updated_at")


def not_a_field(name: str) -> str:
    """Why ``name`` is not a field a rule of the entity can name (unknown, or built in)."""
    if name in MIXIN_COLUMNS:
        return (
            f"'{name}' is {BUILTIN_MEANING[name]}, a column every table has, not a field of"
            " this entity"
        )
    return f"unknown field '{name}'"


# Names the generated code cannot give a field: Python keywords (attributes, parameters),
# what SQLAlchemy's declarative classes and Pydantic's models keep for themselves, and the
# query parameters every list already takes.
LIST_PARAMETERS = frozenset({"page", "page_size", "search", "sort", "cursor", "count"})
LAYER_NAMES = frozenset({"metadata", "registry"})


def reserved_name(name: str) -> str | None:
    """Why ``name`` cannot be a field's name, or None when it can."""
    import keyword

    if keyword.iskeyword(name):
        return f"field name '{name}' is a Python keyword"
    if name in LAYER_NAMES:
        return f"field name '{name}' is reserved by SQLAlchemy's mapped classes"
    if name.startswith("model_"):
        return f"field name '{name}' starts with 'model_', which Pydantic reserves"
    if name in LIST_PARAMETERS:
        return f"field name '{name}' is a query parameter of every list"
    return None


@dataclass(frozen=True)
class TypeInfo:
    python_type: str
    api_type: str
    numeric: bool = False
    text: bool = False
    orderable: bool = False


TYPES: dict[FieldType, TypeInfo] = {
    FieldType.string: TypeInfo("str", "str", text=True, orderable=True),
    FieldType.text: TypeInfo("str", "str", text=True),
    FieldType.integer: TypeInfo("int", "int", numeric=True, orderable=True),
    FieldType.bigint: TypeInfo("int", "int", numeric=True, orderable=True),
    FieldType.decimal: TypeInfo("Decimal", "Decimal", numeric=True, orderable=True),
    FieldType.money: TypeInfo("Decimal", "Decimal", numeric=True, orderable=True),
    FieldType.boolean: TypeInfo("bool", "bool"),
    FieldType.date: TypeInfo("date", "date", orderable=True),
    FieldType.datetime: TypeInfo("datetime", "datetime", orderable=True),
    FieldType.uuid: TypeInfo("uuid.UUID", "UUID"),
    FieldType.email: TypeInfo("str", "EmailStr", text=True, orderable=True),
    FieldType.phone: TypeInfo("str", "str", text=True, orderable=True),
    FieldType.url: TypeInfo("str", "str", text=True),
    FieldType.enum: TypeInfo("str", "str", orderable=True),
    FieldType.json: TypeInfo("dict[str, Any] | list[Any]", "dict[str, Any] | list[Any]"),
    FieldType.currency: TypeInfo("str", "str", orderable=True),
    FieldType.password: TypeInfo("str", "NewPassword"),
    FieldType.secret: TypeInfo("str", "str"),
    FieldType.ref: TypeInfo("uuid.UUID", "UUID"),
}


def column_type(spec: FieldSpec) -> str:
    kind = spec.type
    if kind is FieldType.string:
        return f"String({spec.max_length or 255})"
    if kind in (FieldType.text,):
        return "Text"
    if kind is FieldType.integer:
        return "Integer"
    if kind is FieldType.bigint:
        return "BigInteger"
    if kind in (FieldType.decimal, FieldType.money):
        precision, scale = decimal_shape(spec)
        return f"Numeric({precision}, {scale})"
    if kind is FieldType.boolean:
        return "Boolean"
    if kind is FieldType.date:
        return "Date"
    if kind is FieldType.datetime:
        return "DateTime(timezone=True)"
    if kind in (FieldType.uuid, FieldType.ref):
        return "Uuid"
    if kind is FieldType.email:
        return f"String({spec.max_length or 255})"
    if kind is FieldType.phone:
        return f"String({spec.max_length or 20})"
    if kind is FieldType.url:
        return f"String({spec.max_length or 2048})"
    if kind is FieldType.enum:
        return f"String({max(20, *(len(v) for v in spec.values or ['']))})"
    if kind is FieldType.json:
        return "JSONB"
    if kind is FieldType.currency:
        return "CHAR(3)"
    if kind in (FieldType.password, FieldType.secret):
        return "String(255)"
    raise AssertionError(kind)


def decimal_shape(spec: FieldSpec) -> tuple[int, int]:
    default_scale = 2 if spec.type is FieldType.money else 4
    return spec.precision or 18, spec.scale if spec.scale is not None else default_scale


def query_type(spec: FieldSpec) -> str:
    """The type of a filter value in the query string: bounded like the column, so a value
    the column could never hold is a 422, not a database error."""
    if spec.type is FieldType.integer:
        return "Int32"
    if spec.type is FieldType.bigint:
        return "Int64"
    if spec.type in (FieldType.decimal, FieldType.money):
        precision, scale = decimal_shape(spec)
        bound = 10 ** (precision - scale)
        return f"Annotated[Decimal, Field(gt=-{bound}, lt={bound}, allow_inf_nan=False)]"
    return TYPES[spec.type].api_type


def effective_default(spec: FieldSpec) -> Any:
    if spec.default is None and spec.type is FieldType.currency:
        return "KRW"
    return spec.default


def python_literal(spec: FieldSpec, value: Any) -> str:
    if spec.type in (FieldType.decimal, FieldType.money):
        return f'Decimal("{Decimal(str(value))}")'
    return repr(value)


def server_default_sql(spec: FieldSpec, value: Any) -> str | None:
    """SQL for the column's server default, so rows inserted outside the API agree."""
    if value is None or spec.type is FieldType.json:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if spec.type in (FieldType.decimal, FieldType.money):
        return str(Decimal(str(value)))
    return "'" + str(value).replace("'", "''") + "'"


def check_sql(name: str, spec: FieldSpec) -> str | None:
    """A CHECK constraint so the database holds the same rules as the API."""
    parts = []
    if spec.type is FieldType.enum and spec.values:
        quoted = ", ".join(f"'{v}'" for v in spec.values)
        parts.append(f"{name} IN ({quoted})")
    if TYPES[spec.type].numeric:
        if spec.min is not None:
            parts.append(f"{name} >= {_number(spec.min)}")
        if spec.max is not None:
            parts.append(f"{name} <= {_number(spec.max)}")
    return " AND ".join(parts) or None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def constraint_values(spec: FieldSpec) -> tuple[tuple[str, Any], ...]:
    """The keyword arguments of pydantic.Field for the write schemas, as (name, value): the
    schemas module renders them (api_constraints), the API document states them."""
    kwargs: list[tuple[str, Any]] = []
    if spec.example is not None:
        kwargs.append(("examples", [spec.example]))
    kind = spec.type
    if TYPES[kind].text or kind in (FieldType.secret,):
        if spec.min_length is not None:
            kwargs.append(("min_length", spec.min_length))
        max_length = spec.max_length or _default_max_length(kind)
        if max_length:
            kwargs.append(("max_length", max_length))
    if kind is FieldType.phone and not spec.pattern:
        kwargs.append(("pattern", PHONE_PATTERN))
    if kind is FieldType.url and not spec.pattern:
        kwargs.append(("pattern", URL_PATTERN))
    if kind is FieldType.currency:
        kwargs.append(("pattern", CURRENCY_PATTERN))
    if spec.pattern:
        kwargs.append(("pattern", spec.pattern))
    if TYPES[kind].numeric:
        if spec.min is not None:
            kwargs.append(("ge", _number_value(kind, spec.min)))
        if spec.max is not None:
            kwargs.append(("le", _number_value(kind, spec.max)))
        if kind in (FieldType.decimal, FieldType.money):
            precision, scale = decimal_shape(spec)
            kwargs += [("max_digits", precision), ("decimal_places", scale)]
    # Out-of-range numbers are a 422 here, not a database error later.
    bounds = {FieldType.integer: 2**31, FieldType.bigint: 2**63}.get(kind)
    if bounds:
        if spec.min is None:
            kwargs.append(("ge", -bounds))
        if spec.max is None:
            kwargs.append(("le", bounds - 1))
    return tuple(kwargs)


def api_constraints(spec: FieldSpec) -> str:
    """Keyword arguments of pydantic.Field for the write schemas, as source text."""
    return ", ".join(f"{name}={_literal(value)}" for name, value in constraint_values(spec))


def _literal(value: Any) -> str:
    if isinstance(value, Decimal):
        return f'Decimal("{value}")'
    return repr(value)


def _number_value(kind: FieldType, value: float) -> int | float | Decimal:
    if kind in (FieldType.integer, FieldType.bigint):
        return int(value)
    if kind in (FieldType.decimal, FieldType.money):
        return Decimal(_number(value))
    return value


def _default_max_length(kind: FieldType) -> int | None:
    return {
        FieldType.string: 255,
        FieldType.email: 255,
        FieldType.phone: 20,
        FieldType.url: 2048,
        FieldType.secret: 255,
    }.get(kind)


def enum_annotation(values: list[str]) -> str:
    return "Literal[" + ", ".join(repr(v) for v in values) + "]"


def is_identifier(name: str) -> bool:
    return re.fullmatch(r"[a-z][a-z0-9_]*", name) is not None
