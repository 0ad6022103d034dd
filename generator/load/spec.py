"""The spec language (v1): the shape of the YAML files under ``specs/``.

These models describe what a person writes, nothing more. They are strict (unknown keys are
errors) and carry no derived names; :mod:`generator.model` turns them into the typed domain
model the templates read. ``cxg-gen schema`` exports them as JSON Schema for editors.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=63)]
ClassName = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Za-z0-9]*$", max_length=63)]
ResourcePath = Annotated[str, StringConstraints(pattern=r"^/?[a-z][a-z0-9-]*(/[a-z][a-z0-9-]*)*$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Label(Strict):
    """A name shown to people: Korean first (the default locale), English second."""

    ko: str = Field(min_length=1)
    en: str = Field(min_length=1)


class FieldType(StrEnum):
    string = "string"
    text = "text"
    integer = "integer"
    bigint = "bigint"
    decimal = "decimal"
    money = "money"
    boolean = "boolean"
    date = "date"
    datetime = "datetime"
    uuid = "uuid"
    email = "email"
    phone = "phone"
    url = "url"
    enum = "enum"
    json = "json"
    currency = "currency"
    password = "password"
    secret = "secret"
    ref = "ref"


class OnDelete(StrEnum):
    restrict = "restrict"
    cascade = "cascade"
    set_null = "set_null"


class Operation(StrEnum):
    create = "create"
    get = "get"
    list = "list"
    update = "update"
    delete = "delete"


class FieldSpec(Strict):
    """One column. ``type`` decides the column type, the Pydantic type and the defaults."""

    type: FieldType
    label: Label | None = None
    description: str | None = None
    required: bool = Field(
        default=True,
        description="Must be given on create and may not be null. False makes the column nullable.",
    )
    default: Any = Field(
        default=None, description="Default value on create (also in the database)."
    )
    unique: bool = Field(
        default=False, description="Unique among live rows (per tenant in tenants)."
    )
    index: bool = False
    min_length: int | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, ge=1)
    min: float | None = Field(default=None, description="Smallest allowed value (numbers).")
    max: float | None = Field(default=None, description="Largest allowed value (numbers).")
    pattern: str | None = Field(
        default=None, description="Regular expression the value must match."
    )
    precision: int | None = Field(default=None, ge=1, le=38)
    scale: int | None = Field(default=None, ge=0, le=38)
    values: list[Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$")]] | None = Field(
        default=None, description="Allowed values of an enum, UPPER_SNAKE_CASE."
    )
    to: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$",
        description="Referenced entity as <domain>.<table> in the same scope.",
    )
    on_delete: OnDelete | None = None
    refers_by: str | None = Field(
        default=None,
        description=(
            "uuid only: the id of a row of the entity that this other (string) field of the"
            " row names as <domain>.<table> (document_type + document_id). Checked on every"
            " write like a reference: the entity exists and the row is live and the caller's."
        ),
    )
    example: Any = Field(
        default=None, description="A valid value, shown in the API docs and used by tests."
    )
    numbering: str | None = Field(
        default=None,
        description=(
            "Document number format, e.g. 'SO-{yyyy}{mm}-{seq:5}': when a create request leaves"
            " the field out, the next number of the tenant's counter for that period is used."
            " Placeholders: {yyyy} {yy} {mm} {dd} and one {seq:N} (N digits, zero-padded)."
        ),
    )
    search: bool = Field(default=False, description="Part of the case-insensitive ?search=.")
    filter: bool = Field(default=False, description="Exact-match query parameter on the list.")
    sort: bool = Field(default=False, description="Allowed in ?sort=.")
    read_only: bool = Field(
        default=False,
        description=(
            "Returned, never written through the API (a secret: owned by the server, neither"
            " written nor returned)."
        ),
    )
    derived: str | None = Field(
        default=None,
        description=(
            "Computed by the server, read-only in the API, stored (so it filters and sorts):"
            " 'quantity * unit_price' from two number fields of the row, or"
            " 'sum(items.amount)' on a header from a number field of its lines, kept current"
            " in the transaction of every line change."
        ),
    )
    status_endpoint: bool = Field(
        default=False, description="Enum only: adds PATCH /{id}/status to change this field."
    )
    items: Literal["permission_code", "email_domain"] | None = Field(
        default=None,
        description=(
            "json only: the value is a list of these, which the API document states and the"
            " server checks: permission_code, the codes of the scope's permission catalog;"
            " email_domain, e-mail domains in lower case without '@' (acme.example)."
        ),
    )
    transitions: dict[str, list[str]] | None = Field(
        default=None,
        description=(
            "Enum with status_endpoint: the state machine of the field, as FROM: [TO, ...]."
            " PATCH /{id}/<field> may only take a listed move (409 INVALID_TRANSITION"
            " otherwise); a state with no entry is terminal. New rows start in the default"
            " state, which create does not let a client choose."
        ),
    )
    editable: list[str] | None = Field(
        default=None,
        description=(
            "Status field with transitions: the states in which the row's other fields and"
            " its lines may still change (a CONFIRMED order is locked: 409 DOCUMENT_LOCKED)."
            " Status moves and deletes are not affected."
        ),
    )
    renamed_from: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_]*$",
        description=(
            "The field's name before it was renamed: `cxg-gen db revision` then renames the"
            " column, keeping its values, where it would drop one column and add another."
            " Harmless once every database has that revision; remove it then."
        ),
    )
    approval: ApprovalSpec | None = Field(
        default=None,
        description=(
            "Status field with transitions: the document needs approval. The approved (and"
            " rejected) state is reached only when an approval request (apm) ends; the status"
            " endpoint refuses those moves with 409 APPROVAL_REQUIRED."
        ),
    )
    parent: bool = Field(
        default=False,
        description=(
            "Ref only: this row is a line of the referenced header (order → order items). "
            "Adds /<header>/{id}/<lines> and lets the header be created with its lines."
        ),
    )
    min_lines: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Parent refs only: the header's create needs at least this many of these lines"
            " (an approval line without approvers means nothing)."
        ),
    )
    embedded: bool = Field(
        default=True,
        description=(
            "Parent refs only: the header's create takes these lines and its detail returns"
            " them. false for children that are not a document's lines (a customer's"
            " contacts): they are reached at /<header>/{id}/<lines> only."
        ),
    )


class ApprovalSpec(Strict):
    """The states an approval request moves its document to when it ends."""

    approved: str = Field(description="The state taken when the last approver approves.")
    rejected: str | None = Field(None, description="The state taken when an approver rejects.")


class ActionSpec(Strict):
    """A custom endpoint of the entity, written by hand in the domain's action router."""

    label: Label
    description: str | None = None


class EntitySpec(Strict):
    """One table: ``specs/<scope>/<domain>/<table>.yaml``."""

    entity: ClassName = Field(description="Class name of the model, e.g. User.")
    table: Identifier | None = Field(
        default=None, description="Table name; the file name if absent."
    )
    label: Label
    description: str | None = None
    path: ResourcePath | None = Field(
        default=None,
        description=(
            "Resource path. Relative (sales-orders) is mounted under the domain; absolute "
            "(/tenants) directly under the scope. Default: the table name in kebab-case."
        ),
    )
    soft_delete: bool = True
    display: Identifier | None = Field(
        default=None,
        description=(
            "Field that names a row for people (shown as <ref>_name next to references to it). "
            "Default: the first of name, full_name, title, code, username that exists."
        ),
    )
    operations: list[Operation] = Field(
        default_factory=lambda: list(Operation),
        description=(
            "Endpoints to generate. [] (and no actions): a table only the runtime reads and"
            " writes (one-time tokens, backup codes): its model and migration, no endpoint."
        ),
    )
    fields: dict[Identifier, FieldSpec] = Field(min_length=1)
    unique_together: list[list[Identifier]] = Field(default_factory=list)
    indexes: list[list[Identifier]] = Field(default_factory=list)
    checks: list[CheckSpec] = Field(default_factory=list, description="Rules across fields.")
    actions: dict[Identifier, ActionSpec] = Field(
        default_factory=dict,
        description=(
            "Custom endpoints, each with its own permission code <domain>.<table>:<action>,"
            " served by the hand-owned runtime/extensions/<scope>/<domain>/_actions.py"
            " (`cxg-gen extend <scope> <domain>` writes it) and audited as the action's name."
        ),
    )
    default_sort: str = Field(
        default="-created_at", pattern=r"^-?[a-z][a-z0-9_]*$", description="Order of lists."
    )


class CheckSpec(Strict):
    """A rule across fields, held by the database (CHECK) and answered by the API (422)."""

    rule: str = Field(
        description=(
            "'<field> <op> <field or constant>', op one of < <= > >= = !=: "
            "'end_date >= start_date', 'quantity > 0'. A rule with an empty side holds."
        ),
    )
    message: Label | None = Field(None, description="What a client is told when it fails.")


class DomainSpec(Strict):
    """One domain (= PostgreSQL schema): ``specs/<scope>/<domain>/_domain.yaml``."""

    code: Identifier
    label: Label
    description: str | None = None
