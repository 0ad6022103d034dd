"""How an entity's values are typed where the API meets them (the schemas module, the API
document): named enums, decimals as the server checks them, filters, the sort terms, the
codes a field lists, and how a body writes each value. A part of :class:`Entity`
(generator.model.entity), kept here so that each module stays small."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator.load.spec import FieldType
from generator.model.field import Field
from generator.model.types import EMAIL_DOMAIN_LENGTH, EMAIL_DOMAIN_PATTERN

if TYPE_CHECKING:
    from generator.model.base import ScopeInfo


class ApiTypes:
    """Methods of Entity (a frozen model with these attributes)."""

    if TYPE_CHECKING:
        fields: tuple[Field, ...]
        scope: ScopeInfo

        @property
        def schema_name(self) -> str: ...

        @property
        def sort_fields(self) -> list[str]: ...

    def enum_type(self, f: Field) -> str:
        """The name of an enum field's values in the schemas module and the API document
        (TenantCustomerCustomerType): one type for create, update, answer and filter, so
        generated clients get one enum with an English name."""
        return self.schema_name + "".join(part.title() for part in f.name.split("_"))

    @property
    def enum_fields(self) -> list[Field]:
        return [f for f in self.fields if f.enum_values]

    def typed(self, f: Field, annotation: str) -> str:
        """An annotation of the field as a body takes it: an enum's named type in place of
        the literal values; a decimal documented as the server checks it (a whole number or
        a string with its digits; an answer still shows a string)."""
        if f.enum_values:
            return annotation.replace(f.api_type, self.enum_type(f))
        if f.items == "permission_code":
            code = self.permission_code_type
            check = f"listed_in({code}, 'a permission code of this system')"
            return annotation.replace(f.api_type, f"list[Annotated[{code}, {check}]]")
        if f.items == "email_domain":
            domain = f"StringConstraints(max_length={EMAIL_DOMAIN_LENGTH}, pattern={EMAIL_DOMAIN_PATTERN!r})"
            return annotation.replace(f.api_type, f"list[Annotated[str, {domain}]]")
        if f.kind in (FieldType.decimal, FieldType.money):
            schema = f"WithJsonSchema({f.decimal_input!r}, mode='validation')"
            return annotation.replace(f.api_type, f"Annotated[{f.api_type}, {schema}]")
        return annotation

    def filter_type(self, f: Field) -> str:
        """A filter's value type: the query string's text checked as the document writes it
        (runtime.web.schemas.queried_as), then bounded like the column."""
        annotation = self.typed(f, f.filter_annotation)
        kind = f.written_kind
        if kind is None or f.enum_values:
            return annotation
        check = f"queried_as({kind!r})"
        if f.kind in (FieldType.decimal, FieldType.money):
            schema = f"WithJsonSchema({f.decimal_input!r}, mode='validation')"
            return f"Annotated[{f.filter_annotation}, {check}, {schema}]"
        return f"Annotated[{annotation}, {check}]"

    @property
    def permission_code_type(self) -> str:
        return f"{self.scope.schema_prefix}PermissionCode"

    @property
    def code_lists(self) -> list[Field]:
        """json fields that hold permission codes (typed as such on the way in only: a row
        written before a code left the catalog still reads)."""
        return [f for f in self.fields if f.items == "permission_code"]

    @property
    def written(self) -> dict[str, str]:
        """How a body writes each field whose JSON type does not say it all (the server
        refuses anything else: runtime.web.schemas.Input.written)."""
        return {f.name: f.written_kind for f in self.fields if f.written_kind}

    @property
    def sort_terms(self) -> list[str]:
        """What ``sort`` takes, one term at a time: each sortable field, ascending or with
        ``-`` descending."""
        return [term for name in self.sort_fields for term in (name, f"-{name}")]

    @property
    def sort_schema(self) -> dict[str, Any]:
        """``sort`` in the document: one of its terms (an enum clients can offer), or several
        joined by commas; the server reads exactly that (runtime.web.schemas.ListParams)."""
        many = {"type": "string", "pattern": self.sort_pattern, "maxLength": 200}
        return {"anyOf": [{"type": "string", "enum": self.sort_terms}, many, {"type": "null"}]}

    @property
    def sort_pattern(self) -> str:
        """Several terms joined by commas, as the server reads them (no spaces)."""
        one = "-?(?:" + "|".join(self.sort_fields) + ")"
        return f"^{one}(?:,{one})*$"
