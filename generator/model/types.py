"""How each spec field type becomes a column, a Pydantic type and API behaviour."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from generator.load.spec import FieldSpec, FieldType, OnDelete

PHONE_PATTERN = r"^\+?[0-9][0-9 ()-]{5,18}[0-9]$"
# an e-mail domain as the server keeps it (json items: email_domain), and its longest form
EMAIL_DOMAIN_PATTERN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
EMAIL_DOMAIN_LENGTH = 253
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
    """Everything the generator knows of one field type, in one row: a new type is a row of
    TYPES (and its test)."""

    python_type: str
    api_type: str
    column: str  # the SQLAlchemy column type; {length}, {precision} and {scale} filled in
    # what a check rule may compare it with, and what its default must be: text, number, date,
    # datetime, boolean, uuid, json, secret (takes lengths, never shown) or password
    family: str
    default_length: int | None = None  # the column's length when the spec gives none
    lengths: bool = False  # takes min_length / max_length, a pattern, search
    orderable: bool = False  # may be sorted (and a keyset cursor continue from it)
    pattern: str | None = None  # the form every value has, checked by the API
    int_bound: int | None = None  # an integer column holds -bound .. bound - 1
    json_form: str = "{c}"  # how an answer's JSON shows it, written by PostgreSQL
    cursor_type: str = "str"  # its Python type in a keyset cursor (runtime.reads)
    doc_format: str | None = None  # its JSON Schema format in the API document
    # what a response declares when plainer than the input (an e-mail address was checked when
    # it was written, and checking it again on every read costs more than the rest of the row),
    # and the JSON Schema format the document still gives it there
    answer_type: str | None = None
    answer_format: str | None = None
    # a valid value for the spec-driven tests; {tag} and {uuid} make each one new (None: text
    # made to fit the field's length and pattern)
    sample: Any = None

    @property
    def numeric(self) -> bool:
        return self.family == "number"


# times in UTC with Z and six digits of fraction unless whole, as the response models write
# them; decimals as strings (exact)
_TIME = (
    "replace(to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '.000000Z', 'Z')"
)
_DECIMAL = "{c}::text"

TYPES: dict[FieldType, TypeInfo] = {
    FieldType.string: TypeInfo(
        "str", "str", "String({length})", "text", 255, lengths=True, orderable=True
    ),
    FieldType.text: TypeInfo("str", "str", "Text", "text", lengths=True),
    FieldType.integer: TypeInfo(
        "int", "int", "Integer", "number", orderable=True, int_bound=2**31, cursor_type="int",
        sample=7,
    ),
    FieldType.bigint: TypeInfo(
        "int", "int", "BigInteger", "number", orderable=True, int_bound=2**63, cursor_type="int",
        sample=7,
    ),
    FieldType.decimal: TypeInfo(
        "Decimal", "Decimal", "Numeric({precision}, {scale})", "number", orderable=True,
        json_form=_DECIMAL, cursor_type="Decimal", sample="12.50",
    ),
    FieldType.money: TypeInfo(
        "Decimal", "Decimal", "Numeric({precision}, {scale})", "number", orderable=True,
        json_form=_DECIMAL, cursor_type="Decimal", sample="12.50",
    ),
    FieldType.boolean: TypeInfo("bool", "bool", "Boolean", "boolean", cursor_type="bool",
                                sample=True),
    FieldType.date: TypeInfo(
        "date", "date", "Date", "date", orderable=True, cursor_type="date", doc_format="date",
        sample="2026-01-15",
    ),
    FieldType.datetime: TypeInfo(
        "datetime", "datetime", "DateTime(timezone=True)", "datetime", orderable=True,
        json_form=_TIME, cursor_type="datetime", doc_format="date-time",
        sample="2026-01-15T09:30:00Z",
    ),
    FieldType.uuid: TypeInfo(
        "uuid.UUID", "UUID", "Uuid", "uuid", cursor_type="UUID", doc_format="uuid",
        sample="{uuid}",
    ),
    FieldType.email: TypeInfo(
        "str", "EmailStr", "String({length})", "text", 255, lengths=True, orderable=True,
        answer_type="str", answer_format="email", sample="e{tag}@cxg.example",
    ),
    FieldType.phone: TypeInfo(
        "str", "str", "String({length})", "text", 20, lengths=True, orderable=True,
        pattern=PHONE_PATTERN, sample="010-1234-5678",
    ),
    FieldType.url: TypeInfo(
        "str", "str", "String({length})", "text", 2048, lengths=True, pattern=URL_PATTERN,
        sample="https://cxg.example/{tag}",
    ),
    FieldType.enum: TypeInfo("str", "str", "String({length})", "text", 20, orderable=True),
    FieldType.json: TypeInfo(
        "dict[str, Any] | list[Any]", "dict[str, Any] | list[Any]", "JSONB", "json",
        sample={"sample": "{tag}"},
    ),
    FieldType.currency: TypeInfo(
        "str", "str", "CHAR(3)", "text", orderable=True, pattern=CURRENCY_PATTERN, sample="KRW"
    ),
    FieldType.password: TypeInfo("str", "NewPassword", "String(255)", "password",
                                 sample="Str0ng-Passw0rd"),
    FieldType.secret: TypeInfo("str", "str", "String(255)", "secret", 255, sample="secret-{tag}"),
    FieldType.ref: TypeInfo(
        "uuid.UUID", "UUID", "Uuid", "uuid", cursor_type="UUID", doc_format="uuid"
    ),
}  # fmt: skip


def column_type(spec: FieldSpec) -> str:
    info = TYPES[spec.type]
    length = spec.max_length or info.default_length
    if spec.type is FieldType.enum:  # long enough for its longest value
        length = max(info.default_length or 0, *(len(v) for v in spec.values or [""]))
    precision, scale = decimal_shape(spec) if info.numeric else (0, 0)
    return info.column.format(length=length, precision=precision, scale=scale)


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
    info = TYPES[kind]
    if info.lengths or info.family == "secret":
        if spec.min_length is not None:
            kwargs.append(("min_length", spec.min_length))
        max_length = spec.max_length or info.default_length
        if max_length:
            kwargs.append(("max_length", max_length))
    if info.pattern and not (spec.pattern and info.lengths):  # a spec's pattern is the field's
        kwargs.append(("pattern", info.pattern))
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
    bounds = info.int_bound
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


def enum_annotation(values: list[str]) -> str:
    return "Literal[" + ", ".join(repr(v) for v in values) + "]"


def is_identifier(name: str) -> bool:
    return re.fullmatch(r"[a-z][a-z0-9_]*", name) is not None
