"""Every statement the tenant system runs names its tenant: what a distributed database (Citus,
by tenant_id) needs to send each query to one node, and the application's own wall beside
row-level security. Checked from the spec model and the composed statements, for every
tenant entity: unique constraints lead with tenant_id, display joins stay in the row's tenant,
and every read (detail, lines, page: runtime.reads, both ways) filters on tenant_id.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from generator.load.loader import load_project
from runtime.reads.compose import Args, Statements, statements
from runtime.reads.plan import plans
from tests.api.spec_driven import by_entity
from tests.api.test_every_entity import ROOT

PROJECT = load_project(ROOT)
TENANT = [e for e in PROJECT.entities if e.scope.name == "tenants"]


def _reads() -> dict[str, Statements]:
    return {key: statements("tenants", key) for key in plans("tenants")}


ROUTES = _reads()


@pytest.mark.parametrize("entity", by_entity(TENANT))
def test_unique_rules_and_indexes_lead_with_the_tenant(entity):
    for rule in entity.uniques:
        assert rule.columns[0] == "tenant_id", rule.name
    for rule in entity.indexes:
        assert rule.columns[0] == "tenant_id", rule.name


@pytest.mark.parametrize("key", sorted(ROUTES))
def test_every_read_names_the_tenant(key):
    reads = ROUTES[key]
    plan = reads.plan
    if plan.get:
        assert "t.tenant_id = $2" in reads.detail()
    # a display join never reaches into another tenant's rows
    for join in filter(None, plan.joins.split("LEFT JOIN")):
        assert "tenant_id = t.tenant_id" in join, join
    for attribute, line_key, parent_field in plan.lines:
        assert "t.tenant_id = $2" in ROUTES[line_key].lines_of(parent_field), attribute
    if plan.list:
        params = SimpleNamespace(search=None, **{f: None for f in plan.filters})
        params.__dict__.update({f"{r}_{end}": None for r in plan.ranges for end in ("from", "to")})
        arg = Args(4)
        where = reads.where(params, arg("tenant"), arg)
        assert "t.tenant_id = $4" in where and arg.values[0] == "tenant"


def test_every_tenant_entity_has_its_reads():
    """Every table the API serves has its reads; the runtime's own tables (sign-in tokens,
    MFA backup codes, SSO requests: exposed: false) have none to route."""
    served = {e.key for e in TENANT if e.exposed}
    assert served == set(ROUTES)
    assert {e.key for e in TENANT if not e.exposed} >= {"adm.mfa_backup_codes"}


def _tenant_tables():
    from generated.tenants.models import metadata

    return [t for t in metadata.sorted_tables if "tenant_id" in t.c]


@pytest.mark.parametrize("table", _tenant_tables(), ids=lambda t: t.fullname)
def test_keys_carry_the_tenant(table):
    """Citus's rule for distributed tables, and the database's own wall between tenants:
    the primary key leads with tenant_id, and every foreign key to another tenant table
    carries it on both sides, matched column to column."""
    assert [c.name for c in table.primary_key.columns] == ["tenant_id", "id"]
    for key in table.foreign_key_constraints:
        pairs = {e.parent.name: e.column.name for e in key.elements}
        assert pairs.get("tenant_id") == "tenant_id", key.name
        assert "tenant_id" in key.referred_table.c, key.name
    for index in table.indexes:
        if index.unique:
            assert index.expressions[0].name == "tenant_id", index.name
