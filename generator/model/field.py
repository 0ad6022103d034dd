"""One column of the typed model (:class:`Field`) and the table rules built from fields:
unique constraints, CHECK rules across fields, indexes."""

from __future__ import annotations

from typing import Any

from generator.load import numbering
from generator.load.spec import FieldType
from generator.model.base import Frozen
from generator.model.types import TYPES


class Field(Frozen):
    name: str
    kind: FieldType
    label_ko: str
    label_en: str
    description: str | None
    # database
    column_type: str  # SQLAlchemy type expression
    python_type: str  # Mapped[...] inner type
    nullable: bool
    default_repr: str | None  # Python literal of the default, if any
    server_default: str | None  # SQL text of the server default, if any
    index: bool
    foreign_key: str | None  # "schema.table.id"
    on_delete: str | None  # SQL ON DELETE action
    check_sql: str | None  # CHECK constraint body
    # API
    api_type: str  # Pydantic annotation (without Optional)
    constraints: str  # Field(...) keyword arguments, pre-rendered
    constraint_values: tuple[tuple[str, Any], ...] = ()  # the same, as values (the document)
    default_value: Any = None  # the default as a value, when default_repr is set
    digits: tuple[int, int] | None = None  # (precision, scale) of a decimal
    in_create: bool
    in_update: bool
    in_response: bool
    create_required: bool
    hashed: bool  # stored as a bcrypt hash (password)
    write_only: bool
    search: bool
    filter: bool
    sort: bool
    status_endpoint: bool
    enum_values: tuple[str, ...] = ()
    ref_entity: str | None = None  # "<domain>.<table>"
    ref_class: str | None = None
    ref_module: str | None = None
    range_filter: bool = False
    parent: bool = False  # the header this row is a line of
    ref_display: str | None = None  # the target's display field, shown next to the id
    pattern: str | None = None  # the value's regular expression, if any (text fields)
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    example: Any = None
    numbering: str | None = None  # document number format, filled per tenant when left out
    transitions: tuple[tuple[str, tuple[str, ...]], ...] = ()  # state machine: (from, (to, ...))
    editable: tuple[str, ...] = ()  # states in which the row and its lines may change
    refers_by: str | None = None  # uuid naming a row of the entity this other field names
    items: str | None = None  # json: a list of these (permission_code, email_domain)
    approval: tuple[str, str | None] | None = None  # (approved, rejected) states
    query_type: str = ""  # a filter value's type, bounded like the column (types.query_type)
    # computed by the server: ("product", a, b) of two fields of the row, or
    # ("sum", line entity key, line field) over the lines of a header
    derived: tuple[str, str, str] | None = None
    renamed_from: str | None = None  # the column's name before a rename (db revision)

    @property
    def output_overrides_type(self) -> bool:
        """The answer's type is not the body's (permission codes: Literal values in, any text
        out, so a row written before a code left the catalog still reads): mypy is told."""
        return self.items == "permission_code"

    @property
    def written_kind(self) -> str | None:
        """How a body must write the value when JSON's own type is not enough, as the server
        checks it (runtime.web.schemas._as_written); None: the type says it all."""
        kind = self.kind
        if kind in (FieldType.integer, FieldType.bigint):
            return "integer"
        if kind is FieldType.boolean:
            return "boolean"
        if kind in (FieldType.date, FieldType.datetime):
            return kind.value
        if kind in (FieldType.uuid, FieldType.ref):
            return "uuid"
        if kind in (FieldType.decimal, FieldType.money):
            return "decimal:" + self.decimal_pattern
        return None

    @property
    def decimal_pattern(self) -> str:
        """A decimal as a body writes it in a string: its precision and scale, no sign when
        it cannot be negative."""
        precision, scale = self.digits or (18, 4)
        sign = "" if self.minimum is not None and self.minimum >= 0 else "-?"
        whole = f"\\d{{1,{max(precision - scale, 1)}}}"
        part = f"(\\.\\d{{1,{scale}}}0*)?" if scale else ""  # trailing zeros add no digit
        return f"^{sign}{whole}{part}$"

    @property
    def decimal_input(self) -> dict[str, Any]:
        """The JSON Schema of a decimal in a body: a whole number within the column's range,
        or a string with its digits (a JSON fraction would be a binary float)."""
        precision, scale = self.digits or (18, 4)
        top = 10 ** (precision - scale) - 1
        low = -top if self.minimum is None else max(-top, int(self.minimum))
        high = top if self.maximum is None else min(top, int(self.maximum))
        return {
            "anyOf": [
                {"type": "integer", "minimum": low, "maximum": high},
                {"type": "string", "pattern": self.decimal_pattern},
            ]
        }

    @property
    def moves(self) -> dict[str, list[str]]:
        """The allowed moves by state; every state is a key (terminal ones move nowhere)."""
        declared = dict(self.transitions)
        return {state: list(declared.get(state, ())) for state in self.enum_values}

    @property
    def column_info(self) -> dict[str, Any]:
        """The column's ``info``: what the runtime and the migrations read off the model."""
        info: dict[str, Any] = {}
        if self.write_only:
            info["write_only"] = True  # never in a response (runtime.data.tables)
        if self.renamed_from:
            info["renamed_from"] = self.renamed_from  # runtime.migrations.renames
        return info

    @property
    def moves_in_words(self) -> dict[str, str]:
        """Each state's moves as the ER documents list them."""
        return {state: ", ".join(to) if to else "(final)" for state, to in self.moves.items()}

    @property
    def editable_in_words(self) -> str:
        return ", ".join(self.editable)

    @property
    def numbering_template(self) -> str:
        """The format compiled for runtime.logic.numbering: strftime with a {seq} marker."""
        return numbering.template(self.numbering or "")

    @property
    def numbering_width(self) -> int:
        return numbering.width(self.numbering or "")

    @property
    def create_annotation(self) -> str:
        return (
            self.api_type
            if self.create_required or (not self.nullable and not self.numbering)
            else f"{self.api_type} | None"
        )

    @property
    def create_default(self) -> str | None:
        """Right-hand side of the Create field, or None when the field is required."""
        if self.create_required:
            return None
        return self.default_repr if self.default_repr is not None else "None"

    @property
    def display_title(self) -> str:
        """The title of the referenced row's name shown next to this reference."""
        return f"{self.label_ko} 이름"

    @property
    def range_from(self) -> str:
        """A range filter's query parameters: its inclusive bounds."""
        return f"{self.name}_from"

    @property
    def range_to(self) -> str:
        return f"{self.name}_to"

    @property
    def derived_formula(self) -> str:
        """How the server computes a derived field, in the words of the ER documents."""
        assert self.derived is not None
        how, left, right = self.derived
        if how == "product":
            return f"`{left} * {right}`"
        return f"sum of `{left}.{right}` over its live lines"

    @property
    def from_title(self) -> str:
        """The titles of a range filter's bounds (<name>_from, <name>_to)."""
        return f"{self.label_ko} 이상"

    @property
    def to_title(self) -> str:
        return f"{self.label_ko} 이하"

    @property
    def ref_diagram_id(self) -> str:
        """The ER diagram's id of the entity this reference names."""
        return (self.ref_entity or "").replace(".", "_")

    @property
    def display_attr(self) -> str:
        """role_id → role_name: the referenced row's display name in responses."""
        return f"{self.name.removesuffix('_id')}_name"

    @property
    def filter_annotation(self) -> str:
        """Enum filters take several values (?status=A&status=B); others one exact value."""
        if self.kind is FieldType.enum:
            return f"list[{self.api_type}]"
        return "str" if self.kind is FieldType.password else self.query_type or self.api_type

    @property
    def diagram_type(self) -> str:
        return self.kind.value

    @property
    def diagram_key(self) -> str:
        return "FK" if self.ref_entity else ""

    @property
    def response_annotation(self) -> str:
        return f"{self.api_type} | None" if self.nullable else self.api_type

    @property
    def output_type(self) -> str:
        """The type a response declares (``TypeInfo.answer_type``)."""
        return TYPES[self.kind].answer_type or self.api_type

    @property
    def output_format(self) -> str | None:
        """The JSON Schema format of a response's plainer type (``TypeInfo.answer_format``)."""
        return TYPES[self.kind].answer_format if self.output_type != self.api_type else None

    @property
    def filter_description(self) -> str:
        """An equality filter's words: an enum's takes several values."""
        if self.kind is FieldType.enum:
            return "Any of these values (repeat the parameter)."
        return "Exact match."

    @property
    def output_annotation(self) -> str:
        return f"{self.output_type} | None" if self.nullable else self.output_type


class UniqueRule(Frozen):
    name: str
    columns: tuple[str, ...]  # includes tenant_id in tenant scope
    fields: tuple[str, ...]  # the spec's fields, for messages
    partial: bool  # only among live (not soft-deleted) rows


class CheckRule(Frozen):
    """``left op right``; right is a field (``right_field``) or a constant (``right_value``)."""

    name: str  # the constraint's own part of its name: ck_<table>_<name>
    left: str
    op: str
    right_field: str | None = None
    right_value: str | int | float | None = None
    sql: str  # the CHECK body
    message_ko: str
    message_en: str

    @property
    def fields(self) -> tuple[str, ...]:
        return (self.left, self.right_field) if self.right_field else (self.left,)


class IndexRule(Frozen):
    name: str
    columns: tuple[str, ...]
    partial: bool = False  # live rows only (soft delete)
