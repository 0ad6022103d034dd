"""The request schemas say exactly what the server takes, and the server takes nothing else:
each example below is answered as the document states it (the document is read from the
same app), through the hot path and the routers alike where both can answer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

NOTICES = "/api/v1/tenants/adm/notices"
PLANS = "/api/v1/manager/bill/plans"
CUSTOMERS = "/api/v1/tenants/crm/customers"
ORDERS = "/api/v1/tenants/srm/sales-orders"
ROLES = "/api/v1/tenants/adm/roles"


@pytest.fixture(scope="module")
async def document(client):
    return (await client.get("/openapi.json")).json()


def _schema(document, name: str) -> dict:
    return document["components"]["schemas"][name]


def _detail(response) -> dict[str, dict]:
    assert response.status_code == 422, response.text
    return {d["field"]: d for d in response.json()["error"]["detail"]}


@pytest.mark.parametrize("published_at", [-2525, 0, "0", "2026-01-15", "2026-01-15T09:30:00"])
async def test_a_date_time_is_an_rfc3339_string(client, tenant_a, document, published_at):
    """-2525 used to be stored as 1969-12-31T23:17:55Z; a date or a time with no offset is
    not a date-time either."""
    headers = tenant_a["headers"]
    prop = _schema(document, "TenantNoticeCreate")["properties"]["published_at"]
    assert {"type": "string", "format": "date-time"} in prop["anyOf"]
    body = {"title": "Strict", "body": "Body", "published_at": published_at}
    detail = _detail(await client.post(NOTICES, json=body, headers=headers))
    assert set(detail) == {"published_at"} and detail["published_at"]["source"] == "body"
    ok = await client.post(
        NOTICES, json={**body, "published_at": "2026-01-15T09:30:00+09:00"}, headers=headers
    )
    assert ok.status_code == 201, ok.text
    stored = datetime.fromisoformat(ok.json()["data"]["published_at"])
    assert stored == datetime(2026, 1, 15, 0, 30, tzinfo=UTC)


async def test_numbers_and_booleans_are_json_numbers_and_booleans(client, auth, document):
    props = _schema(document, "ManagerPlanCreate")["properties"]
    integer = next(n for n, p in props.items() if p.get("type") == "integer")
    body = {integer: "12"}
    detail = _detail(await client.post(PLANS, json=body, headers=auth))
    assert "integer" in detail[integer]["message"] and detail[integer]["type"] == "written_as"


async def test_a_null_on_a_not_null_field_is_refused_and_documented(client, auth, document):
    update = _schema(document, "ManagerPlanUpdate")["properties"]
    # features is NOT NULL: no null in its schema, and none taken
    assert {"type": "null"} not in update["features"].get("anyOf", [])
    assert "default" not in update["features"]
    created = await client.post(
        PLANS,
        json={"code": "P" + uuid.uuid4().hex[:8], "name": "Plan", "monthly_price": "10.00"},
        headers=auth,
    )
    assert created.status_code == 201, created.text
    patched = await client.patch(
        f"{PLANS}/{created.json()['data']['id']}", json={"features": None}, headers=auth
    )
    assert set(_detail(patched)) == {"features"}
    nullable = [n for n, p in update.items() if {"type": "null"} in p.get("anyOf", [])]
    assert nullable, "the nullable columns stay nullable"


async def test_sort_is_the_enum_of_its_terms_and_nothing_else(reader, tenant_a, document):
    sort = next(p for p in document["paths"][CUSTOMERS]["get"]["parameters"] if p["name"] == "sort")
    one, many, null = sort["schema"]["anyOf"]
    assert set(one["enum"]) == {
        f"{sign}{name}" for name in ("code", "created_at", "grade", "name", "updated_at")
        for sign in ("", "-")
    }  # fmt: skip
    assert many["pattern"].startswith("^-?(?:code|") and null == {"type": "null"}
    headers = tenant_a["headers"]
    for unlisted in ("colour", "-colour", "code, name", " code", "code,", "--code"):
        answer = await reader.get(CUSTOMERS, params={"sort": unlisted}, headers=headers)
        assert "cannot sort by" in _detail(answer)["sort"]["message"], unlisted
    for listed in ("-code", "code,-created_at"):
        answer = await reader.get(CUSTOMERS, params={"sort": listed}, headers=headers)
        assert answer.status_code == 200, answer.text


async def test_search_only_where_a_field_is_searchable(reader, tenant_a, document):
    names = {p["name"] for p in document["paths"][ORDERS]["get"]["parameters"]}
    assert "search" in names  # order_no is searchable
    unsearchable = "/api/v1/tenants/srm/sales-order-items"
    names = {p["name"] for p in document["paths"][unsearchable]["get"]["parameters"]}
    assert "search" not in names
    answer = await reader.get(unsearchable, params={"search": "x"}, headers=tenant_a["headers"])
    assert _detail(answer)["search"]["message"] == "'search' is not a parameter of this request"


async def test_decimals_are_strings_with_their_digits_or_whole_numbers(client, tenant_a, document):
    amount = _schema(document, "TenantProductCreate")["properties"]["standard_price"]
    branches = amount["anyOf"]
    assert {b["type"] for b in branches} == {"integer", "string"}
    pattern = next(b["pattern"] for b in branches if b["type"] == "string")
    assert pattern == r"^\d{1,16}(\.\d{1,2}0*)?$"  # no sign: min 0
    headers = tenant_a["headers"]
    for bad in (9.5, "9.505", "1e2", "-1", " 9.50", True):
        body = {"code": "D" + uuid.uuid4().hex[:6], "name": "Widget", "standard_price": bad}
        response = await client.post("/api/v1/tenants/ivm/products", json=body, headers=headers)
        assert set(_detail(response)) == {"standard_price"}, bad
    for good in (9, "9", "9.5", "9.50", "9.5000"):
        body = {"code": "D" + uuid.uuid4().hex[:6], "name": "Widget", "standard_price": good}
        response = await client.post("/api/v1/tenants/ivm/products", json=body, headers=headers)
        assert response.status_code == 201, (good, response.text)


async def test_a_roles_permissions_are_codes_of_the_catalog(client, tenant_a, document):
    prop = _schema(document, "TenantRoleCreate")["properties"]["permissions"]
    assert prop["type"] == "array"
    codes = _schema(document, "TenantPermissionCode")["enum"]
    assert "crm.customers:read" in codes and "srm.sales_orders:status" in codes
    headers = tenant_a["headers"]
    code = "R" + uuid.uuid4().hex[:6]
    for bad in ({"a": 1}, ["crm.customers:fly"], "crm.customers:read", [7]):
        body = {"code": code, "name": "Role", "permissions": bad}
        response = await client.post(ROLES, json=body, headers=headers)
        assert {f.split(".")[0] for f in _detail(response)} == {"permissions"}, bad
    unknown = await client.post(
        ROLES, json={"code": code, "name": "Role", "permissions": ["crm.customers:fly"]},
        headers={**headers, "Accept-Language": "en"},
    )  # fmt: skip
    (problem,) = _detail(unknown).values()
    assert problem["field"] == "permissions.0"
    assert problem["message"] == "'crm.customers:fly' is not a permission code of this system"
    made = await client.post(
        ROLES, json={"code": code, "name": "Role", "permissions": ["crm.customers:read"]},
        headers=headers,
    )  # fmt: skip
    assert made.status_code == 201, made.text


@pytest.mark.parametrize("method", ["OPTIONS", "PUT", "POST"])
async def test_allow_lists_every_method_of_the_path(client, auth, document, method):
    path = f"{PLANS}/{uuid.uuid4()}"
    answer = await client.request(method, path, headers=auth)
    assert answer.status_code == 405
    assert answer.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    documented = {m.upper() for m in document["paths"][PLANS + "/{plan_id}"]}
    assert set(answer.headers["allow"].split(", ")) == documented == {"GET", "PATCH", "DELETE"}
