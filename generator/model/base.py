"""The small pieces of the model: the two scopes and the paths the runtime keeps for itself,
an endpoint, a declared action, a header's collection of lines, a foreign key."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ScopeInfo(Frozen):
    """The fixed facts of a scope (manager or tenants)."""

    name: str  # directory under specs/ and generated/
    label_ko: str
    label_en: str
    database: str  # manager | tenant
    base_class: str  # in runtime.data.models
    db_dependency: str  # Annotated session alias in runtime.deps
    permission_dependency: str  # permission-checking dependency factory in runtime.deps
    tenant_scoped: bool
    # leads the document's name of every schema of the scope, so that both systems may have
    # a users table (ManagerUserResponse, TenantUserResponse): stable, whatever else exists
    schema_prefix: str


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
        schema_prefix="Manager",
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
        schema_prefix="Tenant",
    ),
}


# Paths under each scope that the runtime serves itself.
RESERVED_PATHS = ("/auth",)


class Endpoint(Frozen):
    """One HTTP operation of an entity, as the API document lists it."""

    method: str
    path: str  # under the scope (/api/v1/<scope>)
    permission: str
    operation_id: str
    summary: str
    # list, create, get, update, change_status, delete, list_of_parent, create_in_parent or
    # action (a hand-owned custom endpoint)
    kind: str
    route: str = ""  # the path under its router's prefix (the entity's, or its header's)


class Action(Frozen):
    """A custom endpoint declared in the spec and written by hand (runtime.logic.actions)."""

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

    @property
    def total_attribute(self) -> str:
        """The header's count of all its lines (its detail shows the first 1000)."""
        return f"{self.attribute}_total"

    @property
    def service_alias(self) -> str:
        """The name the header's service imports the lines' service by."""
        return f"{self.attribute}_service"

    @property
    def schemas_module(self) -> str:
        return f"{self.package}.schemas"

    def schema_class(self, kind: str) -> str:
        """The name the header's schemas import one of the line's schemas by."""
        return f"{self.class_name}{kind}"


class ForeignKeyRule(Frozen):
    """One foreign key of a table. In the tenant scope it carries tenant_id on both sides
    ((tenant_id, ref) -> (tenant_id, id)), so the database itself refuses a reference into
    another tenant and a distributed schema (Citus) can keep both rows on one node.

    Citus refuses ``ON DELETE SET NULL`` (and SET DEFAULT) on a key that includes the
    distribution column, so a tenant key whose spec says ``set_null`` is ``NO ACTION`` in the
    database and carries the spec's rule as ``rule``: the application clears the references
    itself, on a soft delete and before a hard one (runtime.data.referrers); a physical delete
    that bypasses the application is refused while rows still refer to the row."""

    columns: tuple[str, ...]  # the referring columns, the reference first (names the key)
    references: tuple[str, ...]  # "schema.table.column", in the same order
    on_delete: str  # the SQL ON DELETE action of the key in the database
    rule: str | None = None  # the spec's rule when the database cannot hold it (SET NULL)

    @classmethod
    def of(cls, field: Any, tenant_scoped: bool) -> ForeignKeyRule:
        """The key of a reference field (a field.Field with its foreign_key set)."""
        target, action = field.foreign_key, field.on_delete or "NO ACTION"
        if not tenant_scoped:
            return cls(columns=(field.name,), references=(target,), on_delete=action)
        rule = None
        if action == "SET NULL":  # cleared by the application: tenant_id stays the row's own
            action, rule = "NO ACTION", "SET NULL"
        table = target.rsplit(".", 1)[0]
        return cls(
            columns=(field.name, "tenant_id"),
            references=(target, f"{table}.tenant_id"),
            on_delete=action,
            rule=rule,
        )
