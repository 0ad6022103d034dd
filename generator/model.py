"""The typed domain model the templates read: Project → Scope → Domain → Entity → Field.

Everything a template needs is decided here (column types, Pydantic types, which schema a
field belongs to, URL paths, tags, permission codes, imports), so that templates only loop
and substitute.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from generator import numbering
from generator.spec import FieldType, Operation


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ScopeInfo(Frozen):
    """The fixed facts of a scope (manager or tenants)."""

    name: str  # directory under specs/ and generated/
    label_ko: str
    label_en: str
    database: str  # manager | tenant
    base_class: str  # in runtime.models
    db_dependency: str  # Annotated session alias in runtime.deps
    permission_dependency: str  # permission-checking dependency factory in runtime.deps
    tenant_scoped: bool


SCOPES: dict[str, ScopeInfo] = {
    "manager": ScopeInfo(
        name="manager",
        label_ko="관리자",
        label_en="Manager",
        database="manager",
        base_class="ManagerBase",
        db_dependency="ManagerDb",
        permission_dependency="manager_permission",
        tenant_scoped=False,
    ),
    "tenants": ScopeInfo(
        name="tenants",
        label_ko="테넌트",
        label_en="Tenant",
        database="tenant",
        base_class="TenantBase",
        db_dependency="TenantDb",
        permission_dependency="tenant_permission",
        tenant_scoped=True,
    ),
}

# Paths under each scope that the runtime serves itself.
RESERVED_PATHS = ("/auth",)


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
    approval: tuple[str, str | None] | None = None  # (approved, rejected) states
    query_type: str = ""  # a filter value's type, bounded like the column (fields.query_type)
    # computed by the server: ("product", a, b) of two fields of the row, or
    # ("sum", line entity key, line field) over the lines of a header
    derived: tuple[str, str, str] | None = None

    @property
    def moves(self) -> dict[str, list[str]]:
        """The allowed moves by state; every state is a key (terminal ones move nowhere)."""
        declared = dict(self.transitions)
        return {state: list(declared.get(state, ())) for state in self.enum_values}

    @property
    def numbering_template(self) -> str:
        """The format compiled for runtime.numbering: strftime with a {seq} marker."""
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
        """The type a response declares: an e-mail address was checked when it was written,
        and checking it again on every read costs more than the rest of the row."""
        return "str" if self.kind is FieldType.email else self.api_type

    @property
    def output_annotation(self) -> str:
        return f"{self.output_type} | None" if self.nullable else self.output_type


class Action(Frozen):
    """A custom endpoint declared in the spec and written by hand (runtime.actions)."""

    name: str
    label_ko: str
    label_en: str
    description: str | None = None


class LineCollection(Frozen):
    """Lines of a header: the child entity and how they appear under the header."""

    class_name: str
    package: str
    key: str
    parent_field: str
    segment: str  # URL segment and body key: items, lines
    label_ko: str
    creatable: bool = True  # given with the header on create (else made by the server)
    min_lines: int = 0  # how many the header's create needs at least

    @property
    def attribute(self) -> str:
        return self.segment.replace("-", "_")


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


class Entity(Frozen):
    scope: ScopeInfo
    domain: str
    domain_label_ko: str
    domain_label_en: str
    spec_path: str
    class_name: str
    table: str
    label_ko: str
    label_en: str
    description: str | None
    singular: str  # snake_case, for function names: user, login_log
    plural: str  # the table name: users, login_logs
    url_path: str  # relative to the scope: /idam/users
    soft_delete: bool
    operations: tuple[Operation, ...]
    fields: tuple[Field, ...]
    uniques: tuple[UniqueRule, ...]
    indexes: tuple[IndexRule, ...]
    default_sort: str
    checks: tuple[CheckRule, ...] = ()
    # a line's contributions to its header: (parent field, header field, line field) each
    rollups: tuple[tuple[str, str, str], ...] = ()
    lines: tuple[LineCollection, ...] = ()  # when this entity is a header
    parent_url_path: str | None = None  # when this entity is a line: its header's path
    line_segment: str | None = None  # ... and its segment under the header
    # when this entity is a line of a header whose status locks it: (parent field, header table)
    locked_by: tuple[str, str] | None = None
    actions: tuple[Action, ...] = ()

    @property
    def display_refs(self) -> list[Field]:
        return [f for f in self.fields if f.ref_display]

    @property
    def create_lines(self) -> list[LineCollection]:
        """Line collections a client sends with the header's create."""
        return [c for c in self.lines if c.creatable]

    @property
    def parent_field(self) -> Field | None:
        return next((f for f in self.fields if f.parent), None)

    @property
    def line_fields(self) -> list[Field]:
        """Create fields of a line given inside its header (the header ref is implied)."""
        return [f for f in self.create_fields if not f.parent]

    @property
    def key(self) -> str:
        return f"{self.domain}.{self.table}"

    @property
    def package(self) -> str:
        return f"generated.{self.scope.name}.{self.domain}.{self.table}"

    @property
    def output_dir(self) -> str:
        return f"generated/{self.scope.name}/{self.domain}/{self.table}"

    @property
    def tag(self) -> str:
        return f"{self.scope.label_ko} > {self.domain_label_ko} > {self.label_ko}"

    @property
    def permission_prefix(self) -> str:
        return self.key

    @property
    def permissions(self) -> list[tuple[str, str]]:
        """(code, Korean label) of every action this entity's endpoints require."""
        ops = set(self.operations)
        actions = []
        if ops & {Operation.list, Operation.get}:
            actions.append(("read", "조회"))
        for op, label in (
            (Operation.create, "생성"),
            (Operation.update, "수정"),
            (Operation.delete, "삭제"),
        ):
            if op in ops:
                actions.append((op.value, label))
        if self.status_field:
            actions.append((self.status_field.name, "상태 변경"))
        actions += [(a.name, a.label_ko) for a in self.actions]
        return [(f"{self.key}:{action}", f"{self.label_ko} {label}") for action, label in actions]

    @property
    def create_fields(self) -> list[Field]:
        return [f for f in self.fields if f.in_create]

    @property
    def update_fields(self) -> list[Field]:
        return [f for f in self.fields if f.in_update]

    @property
    def response_fields(self) -> list[Field]:
        return [f for f in self.fields if f.in_response]

    @property
    def search_fields(self) -> list[Field]:
        return [f for f in self.fields if f.search]

    @property
    def filter_fields(self) -> list[Field]:
        return [f for f in self.fields if f.filter]

    @property
    def sort_fields(self) -> list[str]:
        declared = [f.name for f in self.fields if f.sort]
        return sorted({*declared, "created_at", "updated_at"})

    @property
    def keyset_sort_fields(self) -> list[str]:
        """Sortable fields that are never null: a keyset cursor can continue from them."""
        nullable = {f.name for f in self.fields if f.nullable}
        return [name for name in self.sort_fields if name not in nullable]

    @property
    def range_fields(self) -> list[Field]:
        return [f for f in self.fields if f.filter and f.range_filter]

    @property
    def ref_fields(self) -> list[Field]:
        return [f for f in self.fields if f.kind is FieldType.ref]

    @property
    def any_ref_fields(self) -> list[Field]:
        """uuid fields naming a row of the entity another field names (refers_by)."""
        return [f for f in self.fields if f.refers_by]

    @property
    def numbered_fields(self) -> list[Field]:
        return [f for f in self.fields if f.numbering]

    @property
    def hashed_fields(self) -> list[Field]:
        return [f for f in self.fields if f.hashed]

    @property
    def write_only_fields(self) -> list[Field]:
        return [f for f in self.fields if f.write_only]

    @property
    def status_field(self) -> Field | None:
        return next((f for f in self.fields if f.status_endpoint), None)

    @property
    def check_fields(self) -> list[Field]:
        return [f for f in self.fields if f.check_sql]

    @property
    def non_nullable_update_fields(self) -> list[str]:
        return [f.name for f in self.update_fields if not f.nullable]

    def has(self, operation: str) -> bool:
        return Operation(operation) in self.operations

    @property
    def reads(self):  # -> generator.readsql.ReadSql
        """The SQL of the hot read path (list and get), decided here at build time."""
        from generator.readsql import read_sql

        return read_sql(self)

    @property
    def plain_output_fields(self) -> list[Field]:
        """Written fields whose response type is plainer than their input type."""
        return [
            f for f in self.fields if f.in_response and f.in_create and f.output_type != f.api_type
        ]

    @property
    def has_rules(self) -> bool:
        """Anything beyond columns the ER docs list: machines, checks, derived values..."""
        return bool(
            self.checks
            or self.lifecycle
            or self.locked_by
            or self.actions
            or self.any_ref_fields
            or any(f.derived for f in self.fields)
        )

    @property
    def lifecycle(self) -> Field | None:
        """The status field when it is a state machine (runtime.lifecycle reads it)."""
        field = self.status_field
        return field if field is not None and field.transitions else None

    @property
    def hot_create(self) -> bool:
        """POST answered by one precompiled statement (row, audit row and checks together):
        not for documents with lines, hashed or numbered fields, which take the long way."""
        return (
            self.has("create")
            and not self.lines
            and not self.hashed_fields
            and not self.numbered_fields
            and not any(f.derived for f in self.fields)
            and not self.rollups
            and not self.locked_by
        )

    @property
    def products(self) -> list[Field]:
        """Fields computed from two fields of the row."""
        return [f for f in self.fields if f.derived and f.derived[0] == "product"]

    @property
    def diagram_id(self) -> str:
        return self.key.replace(".", "_")

    @property
    def mutates(self) -> bool:
        return any(
            op in self.operations for op in (Operation.create, Operation.update, Operation.delete)
        ) or bool(self.status_field)


class Domain(Frozen):
    scope_name: str
    code: str
    label_ko: str
    label_en: str
    spec_path: str
    entities: tuple[Entity, ...]

    @property
    def diagram_name(self) -> str:
        return f"{self.scope_name}-{self.code}"

    @property
    def actions_module(self) -> str | None:
        """The hand-owned router of the domain's custom endpoints, when any is declared."""
        if any(e.actions for e in self.entities):
            return f"runtime.extensions.{self.scope_name}.{self.code}._actions"
        return None

    @property
    def foreign_refs(self) -> list[str]:
        """Entities of other domains that this domain's entities reference."""
        return sorted(
            {
                f.ref_entity
                for e in self.entities
                for f in e.ref_fields
                if f.ref_entity and not f.ref_entity.startswith(self.code + ".")
            }
        )


class Scope(Frozen):
    info: ScopeInfo
    domains: tuple[Domain, ...]

    @property
    def entities(self) -> list[Entity]:
        return [e for d in self.domains for e in d.entities]


class Project(Frozen):
    scopes: tuple[Scope, ...]

    @property
    def entities(self) -> list[Entity]:
        return [e for s in self.scopes for e in s.entities]
