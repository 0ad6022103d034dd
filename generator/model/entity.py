"""One table of the typed model (:class:`Entity`): its fields and rules, and every fact the
templates and tools read off it (endpoints, permission codes, lines, what the hot path may
answer), decided here so that templates only loop and substitute."""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.load.spec import FieldType, Operation
from generator.model.api import ApiTypes
from generator.model.base import Action, Endpoint, ForeignKeyRule, Frozen, LineCollection, ScopeInfo
from generator.model.field import CheckRule, Field, IndexRule, UniqueRule

if TYPE_CHECKING:  # reads reads the entity: imported where it is used, at run time
    from generator.model.reads import ReadSql


class Entity(ApiTypes, Frozen):
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
    def exposed(self) -> bool:
        """Whether the API serves the table. One with neither operations nor actions
        (`operations: []`) is the runtime's own (backup codes, one-time tokens): the build
        writes its model, for the metadata and the migrations, and nothing a client reaches."""
        return bool(self.operations or self.actions)

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
    def schema_name(self) -> str:
        """The class name the API document knows this entity's schemas by (scope first)."""
        return f"{self.scope.schema_prefix}{self.class_name}"

    @property
    def scoped_path(self) -> str:
        """The entity's path under the API's version prefix (tenants/crm/customers)."""
        return self.scoped(self.url_path)

    def scoped(self, path: str) -> str:
        """A path under the API's version prefix, in the entity's scope."""
        return f"{self.scope.name}{path}"

    def document_schema(self, kind: str) -> str:
        """The class the API document knows one of its schemas by (``schema_kinds``)."""
        return f"{self.schema_name}{kind}"

    @property
    def list_item_schema(self) -> str:
        return self.document_schema(self.list_item_kind)

    def function(self, kind: str) -> str:
        """The Python name of an operation's router function and of the service function
        behind it (list, create, get, update, change_status, delete, list_of_parent,
        create_in_parent)."""
        s, p = self.singular, self.plural
        status = self.status_field.name if self.status_field else ""
        return {
            "list": f"list_{p}",
            "create": f"create_{s}",
            "get": f"get_{s}",
            "update": f"update_{s}",
            "change_status": f"change_{s}_{status}",
            "delete": f"delete_{s}",
            "list_of_parent": f"list_{p}_of_parent",
            "create_in_parent": f"create_{s}_in_parent",
        }[kind]

    @property
    def schema_kinds(self) -> list[str]:
        """The suffixes of the schema classes the entity's schemas module defines."""
        kinds = ["Base", "Create", "Update", "Response", "ListResponse", "ListParams"]
        if self.lines:
            kinds.append("ListItem")
        if self.parent_field:
            kinds += ["LineCreate", "LineListParams"]
        if self.status_field:
            kinds.append("StatusChange")
        return kinds

    @property
    def list_item_kind(self) -> str:
        """The schema of a row in a list: a header's detail carries its lines, a list does
        not (ListItem, which the detail's Response extends); any other row is its Response."""
        return "ListItem" if self.lines else "Response"

    @property
    def line_filter_fields(self) -> list[Field]:
        """The filters of a line's list under its header: the header comes from the path."""
        return [f for f in self.filter_fields if not f.parent]

    @property
    def line_range_fields(self) -> list[Field]:
        return [f for f in self.range_fields if not f.parent]

    @property
    def schema_docs(self) -> dict[str, str]:
        """The docstring of each schema class: also its description in the API document."""
        label = self.label_en.lower()
        lines = ", optionally with its lines" if self.lines else ""
        return {
            "Base": "Fields that are both written and read.",
            "Create": f"Body of POST: a new {label}{lines}.",
            "LineCreate": "A line given inside its header's POST body or at the header's"
            " sub-resource.",
            "Update": "Body of PATCH: only the fields sent are changed.",
            "Response": f"A {label} as returned by the API.",
            "ListItem": f"A {label} as lists show it (its detail adds its lines).",
            "LineListParams": "Query parameters of the lines under their header: paging,"
            " search, sort and filters.",
            "ListResponse": f"One page of {label} rows.",
            "ListParams": "Query parameters of the list: paging, search, sort and filters.",
            "StatusChange": "Body of PATCH /{id}/status.",
        }

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
        return [(self.permission(action), f"{self.label_ko} {label}") for action, label in actions]

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
    def foreign_keys(self) -> list[ForeignKeyRule]:
        """Every reference column's key; tenant tables reference (tenant_id, id)."""
        return [
            ForeignKeyRule.of(f, self.scope.tenant_scoped) for f in self.fields if f.foreign_key
        ]

    @property
    def referenced_models(self) -> list[str]:
        """The model modules of the tables this one's keys point at (its own left out).
        A model imports them, so its keys resolve whatever imported it first: the app imports
        models as it first needs them (runtime.data.catalog), never all of them at start."""
        keys = {k.references[0].rsplit(".", 1)[0] for k in self.foreign_keys} - {self.key}
        return [f"generated.{self.scope.name}.{key}.model" for key in sorted(keys)]

    @property
    def check_fields(self) -> list[Field]:
        return [f for f in self.fields if f.check_sql]

    @property
    def non_nullable_update_fields(self) -> list[str]:
        return [f.name for f in self.update_fields if not f.nullable]

    def has(self, operation: str) -> bool:
        return Operation(operation) in self.operations

    @property
    def id_param(self) -> str:
        """The path parameter that names one row (customer_id)."""
        return f"{self.singular}_id"

    @property
    def model_module(self) -> str:
        return f"{self.package}.model"

    @property
    def router_module(self) -> str:
        return f"{self.package}.router"

    @property
    def tag_description(self) -> str:
        return f"{self.label_en} ({self.key})"

    def counter_key(self, field: Field) -> str:
        """The name of a numbered field's counter per tenant (runtime.logic.numbering)."""
        return f"{self.key}.{field.name}"

    @property
    def read_permission(self) -> str:
        return self.permission("read")

    def permission(self, what: str) -> str:
        """The permission code of an operation or a custom action (crm.customers:create)."""
        return f"{self.permission_prefix}:{what}"

    @property
    def schemas_module(self) -> str:
        return f"{self.package}.schemas"

    def schema_class(self, kind: str) -> str:
        """The name the generated code imports one of the entity's schemas by (Create...)."""
        return f"{self.class_name}{kind}"

    @property
    def reads(self) -> ReadSql:
        """The SQL of the hot read path (list and get), decided here at build time."""
        from generator.model.reads import read_sql

        return read_sql(self)

    @property
    def plain_output_fields(self) -> list[Field]:
        """Written fields whose response type is plainer than their input type."""
        return [
            f
            for f in self.fields
            if f.in_response and f.in_create and (f.output_type != f.api_type or f.items)
        ]

    @property
    def endpoints(self) -> list[Endpoint]:
        """Every operation the entity's router serves (and the hand-owned actions)."""
        from generator.model.endpoints import endpoints_of

        return endpoints_of(self)

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
        """The status field when it is a state machine (runtime.logic.lifecycle reads it)."""
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
