"""Tenant isolation, driven by the spec model: two tenants with rows in every tenant table,
and for every tenant endpoint tenant A never sees, counts, changes, deletes or references
B's rows. The same rows then show the second wall on its own: straight SQL as the application
role, in A's tenant context and with no tenant condition of its own, finds none of B's rows.
"""

from __future__ import annotations

import uuid

import pytest

from generator.load.spec import FieldType
from generator.model import Entity
from runtime.tenancy import context
from tests.api.spec_driven import by_entity, mark
from tests.api.test_every_entity import ENTITIES, PREFIX, PROJECT, create_row, url, valid_body

TENANT_ENTITIES = [e for e in PROJECT.entities if e.scope.name == "tenants" and e.exposed]
APP_ROLE = "cxg_app"


@pytest.fixture(scope="module")
async def rows(client, tenant_a, tenant_b) -> dict[str, dict[str, dict]]:
    """One row per tenant table, per tenant (system-written tables: one of their rows)."""
    made: dict[str, dict[str, dict]] = {"a": {}, "b": {}}
    for side, tenant in (("a", tenant_a), ("b", tenant_b)):
        for entity in TENANT_ENTITIES:
            if entity.has("create"):
                made[side][entity.key] = (await create_row(client, tenant["headers"], entity))[1]
    for side, tenant in (("a", tenant_a), ("b", tenant_b)):
        for entity in TENANT_ENTITIES:
            if not entity.has("create"):
                listed = await client.get(url(entity), headers=tenant["headers"])
                items = listed.json()["data"]["items"]
                assert items, f"{entity.key}: {side} has no rows to hide"
                made[side][entity.key] = items[0]
    return made


def assert_not_found(response, what: str) -> None:
    assert response.status_code == 404, f"{what}: {response.status_code} {response.text}"
    assert response.json()["error"]["code"] == "RESOURCE_NOT_FOUND", what


@pytest.mark.parametrize("entity", by_entity(TENANT_ENTITIES))
async def test_a_never_reaches_bs_rows(client, rows, tenant_a, tenant_b, entity: Entity):
    a, b = tenant_a["headers"], tenant_b["headers"]
    theirs = rows["b"][entity.key]
    base = url(entity)
    their_url = f"{base}/{theirs['id']}"
    assert_not_found(await client.get(their_url, headers=a), "get")
    if entity.has("update"):
        assert_not_found(await client.patch(their_url, json={}, headers=a), "update")
    if entity.status_field:
        status = entity.status_field
        assert_not_found(
            await client.patch(
                f"{their_url}/{status.name}",
                json={status.name: status.enum_values[0]},
                headers=a,
            ),
            "status",
        )
    if entity.has("delete"):
        assert_not_found(await client.delete(their_url, headers=a), "delete")
    if entity.parent_field is not None:
        header = rows["b"][entity.parent_field.ref_entity]
        lines = f"{PREFIX['tenants']}{entity.parent_url_path}/{header['id']}/{entity.line_segment}"
        assert_not_found(await client.get(lines, headers=a), "lines of B's header")
        if entity.has("create"):  # lines the server writes have no POST at all
            line = await valid_body(client, a, entity, {entity.parent_field.name: None})
            line.pop(entity.parent_field.name)
            assert_not_found(await client.post(lines, json=line, headers=a), "line into B's")

    # every page of A's list: only A's rows, and the total counts exactly those
    seen, total, number = [], None, 1
    while total is None or len(seen) < total:
        listed = await client.get(
            base, params={"page_size": 100, "page": number, "count": "exact"}, headers=a
        )
        assert listed.status_code == 200, listed.text
        page = listed.json()["data"]
        total = page["total"]
        assert page["items"] or len(seen) == total, "a page short of the total"
        seen += page["items"]
        number += 1
    assert seen, "A's own rows are listed"
    assert {i["tenant_id"] for i in seen} == {tenant_a["id"]}
    assert theirs["id"] not in {i["id"] for i in seen}
    assert len({i["id"] for i in seen}) == total  # the count is of A's rows only

    # B's row is untouched
    still = await client.get(their_url, headers=b)
    assert still.status_code == 200
    assert still.json()["data"]["updated_at"] == theirs["updated_at"]


@pytest.mark.parametrize("entity", by_entity(TENANT_ENTITIES))
async def test_row_level_security_alone_hides_bs_rows(owner, rows, tenant_a, entity: Entity):
    """No application filter here: only RLS stands between A's context and B's row."""
    table, theirs = f"{entity.domain}.{entity.table}", uuid.UUID(rows["b"][entity.key]["id"])
    mine = uuid.UUID(rows["a"][entity.key]["id"])
    async with owner.transaction():
        # as the application sets it (SET LOCAL, which Citus carries to the workers)
        await owner.execute(context.statements(uuid.UUID(tenant_a["id"]), APP_ROLE))
        found = await owner.fetch(
            f"SELECT id FROM {table} WHERE id = ANY($1::uuid[])", [theirs, mine]
        )
        assert [r["id"] for r in found] == [mine]  # A's own row proves the query could find rows
        tenants = await owner.fetch(f"SELECT DISTINCT tenant_id FROM {table}")
        assert [str(r["tenant_id"]) for r in tenants] == [tenant_a["id"]]
        touched = f"UPDATE {table} SET version = version WHERE id = $1"
        assert await owner.execute(touched, theirs) == "UPDATE 0"
        assert await owner.execute(f"DELETE FROM {table} WHERE id = $1", theirs) == "DELETE 0"
        assert await owner.execute(touched, mine) == "UPDATE 1"


REFERENCES = [
    (entity, field)
    for entity in TENANT_ENTITIES
    if entity.has("create")
    for field in entity.create_fields
    if field.kind is FieldType.ref
]


@pytest.mark.parametrize(
    ("entity", "field"),
    [pytest.param(e, f, id=f"{e.key}-{f.name}", marks=mark(e)) for e, f in REFERENCES],
)
async def test_a_cannot_reference_bs_rows(client, rows, tenant_a, entity, field):
    target = rows["b"][ENTITIES[("tenants", field.ref_entity)].key]
    body = await valid_body(client, tenant_a["headers"], entity, {field.name: target["id"]})
    response = await client.post(url(entity), json=body, headers=tenant_a["headers"])
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in error["detail"]] == [field.name]
    assert error["detail"][0]["type"] == "reference_not_found"


async def test_body_cannot_choose_the_tenant_or_the_bookkeeping(client, tenant_a, tenant_b):
    """Mass assignment: tenant_id, id, created_by, is_deleted in a body are refused by name
    (422) on create and on update, and change nothing."""
    forged = {
        "tenant_id": tenant_b["id"],
        "id": str(uuid.uuid4()),
        "created_by": str(uuid.uuid4()),
        "updated_by": str(uuid.uuid4()),
        "is_deleted": True,
        "deleted_at": "2026-01-01T00:00:00Z",
    }
    customers = "/api/v1/tenants/crm/customers"
    code = "M" + uuid.uuid4().hex[:8]
    refused = await client.post(
        customers, json={"code": code, "name": "Forged", **forged}, headers=tenant_a["headers"]
    )
    assert refused.status_code == 422, refused.text
    assert {d["field"] for d in refused.json()["error"]["detail"]} == set(forged)
    created = await client.post(
        customers, json={"code": code, "name": "Mine"}, headers=tenant_a["headers"]
    )
    assert created.status_code == 201, created.text
    row = created.json()["data"]
    assert row["tenant_id"] == tenant_a["id"]
    patched = await client.patch(
        f"{customers}/{row['id']}",
        json={"name": "Still mine", **forged},
        headers=tenant_a["headers"],
    )
    assert patched.status_code == 422, patched.text
    assert {d["field"] for d in patched.json()["error"]["detail"]} == set(forged)
    after = (await client.get(f"{customers}/{row['id']}", headers=tenant_a["headers"])).json()[
        "data"
    ]
    assert after == row  # nothing of it applied
    listed = await client.get(
        customers, params={"search": row["code"]}, headers=tenant_a["headers"]
    )
    assert [i["id"] for i in listed.json()["data"]["items"]] == [row["id"]]  # not deleted
    theirs = await client.get(
        customers, params={"search": row["code"]}, headers=tenant_b["headers"]
    )
    assert theirs.json()["data"]["total"] == 0
