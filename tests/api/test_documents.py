"""Header/line documents: a header created with its lines in one transaction, lines as a
sub-resource of their header, and the whole document rolled back when one line is bad.

In IDAM a role is the header of its role_permissions and a user of its user_roles.
"""

from __future__ import annotations

import uuid

from tests.api.test_references import ROLES, make_role
from tests.api.test_users_flow import USERS, new_user

PERMISSIONS = "/api/v1/manager/idam/permissions"


async def make_permission(client, auth) -> dict:
    tag = uuid.uuid4().hex[:8]
    body = {
        "code": f"demo.t_{tag}:read",
        "name": f"Read {tag}",
        "resource": "demo",
        "action": "read",
    }
    response = await client.post(PERMISSIONS, json=body, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def role_body(**extra) -> dict:
    code = "DOC_" + uuid.uuid4().hex[:8].upper()
    return {"code": code, "name": f"Role {code}", **extra}


async def test_header_created_with_its_lines(client, auth):
    perms = [await make_permission(client, auth) for _ in range(2)]
    body = role_body(permissions=[{"permission_id": p["id"]} for p in perms])
    created = await client.post(ROLES, json=body, headers=auth)
    assert created.status_code == 201, created.text
    role = created.json()["data"]
    assert sorted(line["permission_id"] for line in role["permissions"]) == sorted(
        p["id"] for p in perms
    )
    assert all(line["role_id"] == role["id"] for line in role["permissions"])

    detail = await client.get(f"{ROLES}/{role['id']}", headers=auth)
    assert len(detail.json()["data"]["permissions"]) == 2
    lines = await client.get(f"{ROLES}/{role['id']}/permissions", headers=auth)
    assert lines.status_code == 200
    assert sorted(line["id"] for line in lines.json()["data"]["items"]) == sorted(
        line["id"] for line in role["permissions"]
    )


async def test_one_bad_line_rolls_back_the_whole_document(client, auth):
    good = await make_permission(client, auth)
    body = role_body(
        permissions=[{"permission_id": good["id"]}, {"permission_id": str(uuid.uuid4())}]
    )
    refused = await client.post(ROLES, json=body, headers=auth)
    assert refused.status_code == 422, refused.text
    assert [d["field"] for d in refused.json()["error"]["detail"]] == [
        "permissions.1.permission_id"
    ]
    listed = await client.get(ROLES, params={"search": body["code"]}, headers=auth)
    assert listed.json()["data"]["total"] == 0  # the header is not there either
    links = await client.get(
        "/api/v1/manager/idam/role-permissions", params={"permission_id": good["id"]}, headers=auth
    )
    assert links.json()["data"]["total"] == 0  # nor the good line


async def test_duplicate_line_is_409_naming_the_line(client, auth):
    perm = await make_permission(client, auth)
    body = role_body(permissions=[{"permission_id": perm["id"]}] * 2)
    refused = await client.post(ROLES, json=body, headers=auth)
    assert refused.status_code == 409, refused.text
    fields = [d["field"] for d in refused.json()["error"]["detail"]]
    assert fields and all(f.startswith("permissions.1") for f in fields)


async def test_lines_sub_resource(client, auth):
    role = await make_role(client, auth)
    perm = await make_permission(client, auth)
    added = await client.post(
        f"{ROLES}/{role['id']}/permissions", json={"permission_id": perm["id"]}, headers=auth
    )
    assert added.status_code == 201, added.text
    assert added.json()["data"]["role_id"] == role["id"]
    audit = await client.get(
        "/api/v1/manager/audt/audit-logs",
        params={"entity_id": added.json()["data"]["id"]},
        headers=auth,
    )
    assert [(r["entity"], r["action"]) for r in audit.json()["data"]["items"]] == [
        ("idam.role_permissions", "CREATE")
    ]
    listed = await client.get(f"{ROLES}/{role['id']}/permissions", headers=auth)
    assert [line["permission_id"] for line in listed.json()["data"]["items"]] == [perm["id"]]
    # the header must exist (and be live) for its lines to be reachable
    missing = await client.get(f"{ROLES}/{uuid.uuid4()}/permissions", headers=auth)
    assert missing.status_code == 404
    await client.delete(f"{ROLES}/{role['id']}", headers=auth)
    gone = await client.post(
        f"{ROLES}/{role['id']}/permissions", json={"permission_id": perm["id"]}, headers=auth
    )
    assert gone.status_code == 404


async def test_user_created_with_roles(client, auth):
    roles = [await make_role(client, auth) for _ in range(2)]
    body = new_user(roles=[{"role_id": r["id"]} for r in roles])
    created = await client.post(USERS, json=body, headers=auth)
    assert created.status_code == 201, created.text
    user = created.json()["data"]
    assert sorted(r["role_id"] for r in user["roles"]) == sorted(r["id"] for r in roles)
    listed = await client.get(f"{USERS}/{user['id']}/roles", headers=auth)
    assert listed.json()["data"]["total"] == 2


async def test_tenants_path_override_and_invoice_with_items(client, auth):
    tenant = await client.post(
        "/api/v1/manager/tenants",
        headers=auth,
        json={"code": "acme" + uuid.uuid4().hex[:6], "name": "ACME", "business_no": "123-45-67890"},
    )
    assert tenant.status_code == 201, tenant.text
    tenant_id = tenant.json()["data"]["id"]
    body = {
        "invoice_no": "INV-" + uuid.uuid4().hex[:8],
        "target_tenant_id": tenant_id,
        "invoice_date": "2026-11-01",
        "due_date": "2026-11-30",
        "total_amount": "33000",
        "items": [
            {
                "line_no": 1,
                "description": "Standard plan",
                "unit_price": "30000",
                "amount": "30000",
            },
            {"line_no": 2, "description": "VAT", "unit_price": "3000", "amount": "3000"},
        ],
    }
    invoice = await client.post("/api/v1/manager/bill/invoices", json=body, headers=auth)
    assert invoice.status_code == 201, invoice.text
    data = invoice.json()["data"]
    assert data["currency"] == "KRW" and data["status"] == "PENDING"
    assert data["target_tenant_name"] == "ACME"
    assert [(i["line_no"], i["amount"]) for i in data["items"]] == [(1, "30000.00"), (2, "3000.00")]
    items = await client.get(f"/api/v1/manager/bill/invoices/{data['id']}/items", headers=auth)
    assert [i["description"] for i in items.json()["data"]["items"]] == ["Standard plan", "VAT"]
    same_line = await client.post(
        f"/api/v1/manager/bill/invoices/{data['id']}/items",
        headers=auth,
        json={"line_no": 2, "description": "dup", "unit_price": "1", "amount": "1"},
    )
    assert same_line.status_code == 409


SALES_ORDERS = "/api/v1/tenants/srm/sales-orders"


async def _order(client, headers, customer_id: str, **extra):
    return await client.post(
        SALES_ORDERS,
        json={"customer_id": customer_id, "order_date": "2026-11-24", **extra},
        headers=headers,
    )


async def _customer(client, headers) -> str:
    created = await client.post(
        "/api/v1/tenants/crm/customers",
        json={"code": "N" + uuid.uuid4().hex[:8], "name": "Numbered"},
        headers=headers,
    )
    return created.json()["data"]["id"]


async def test_documents_are_numbered_per_tenant_without_gaps(client, auth):
    from datetime import UTC, datetime

    from tests.conftest import new_tenant

    a, b = await new_tenant(client, auth), await new_tenant(client, auth)
    month = datetime.now(UTC).strftime("%Y%m")
    customer_a = await _customer(client, a["headers"])
    first = await _order(client, a["headers"], customer_a)
    assert first.status_code == 201, first.text
    assert first.json()["data"]["order_no"] == f"SO-{month}-00001"
    # a document that fails (one bad line) rolls back its number with it
    failed = await _order(
        client,
        a["headers"],
        customer_a,
        items=[
            {
                "line_no": 1,
                "product_id": str(uuid.uuid4()),
                "quantity": "1",
                "unit_price": "10",
            }
        ],
    )
    assert failed.status_code == 422, failed.text
    assert failed.json()["error"]["detail"][0]["field"] == "items.0.product_id"
    second = await _order(client, a["headers"], customer_a)
    assert second.json()["data"]["order_no"] == f"SO-{month}-00002"
    # an explicit number is kept, and does not move the counter
    manual = await _order(client, a["headers"], customer_a, order_no="LEGACY-1")
    assert manual.json()["data"]["order_no"] == "LEGACY-1"
    third = await _order(client, a["headers"], customer_a)
    assert third.json()["data"]["order_no"] == f"SO-{month}-00003"
    # another tenant counts on its own
    other = await _order(client, b["headers"], await _customer(client, b["headers"]))
    assert other.json()["data"]["order_no"] == f"SO-{month}-00001"
    # and a number taken by hand is refused like any duplicate
    clash = await _order(client, a["headers"], customer_a, order_no=f"SO-{month}-00001")
    assert clash.status_code == 409
    counters = await client.get(
        "/api/v1/tenants/adm/document-sequences",
        params={"code": "srm.sales_orders.order_no"},
        headers=a["headers"],
    )
    assert [c["last_value"] for c in counters.json()["data"]["items"]] == [3]


async def test_concurrent_documents_never_share_a_number(client, tenant_b):
    import asyncio

    customer = await _customer(client, tenant_b["headers"])
    responses = await asyncio.gather(
        *(_order(client, tenant_b["headers"], customer) for _ in range(6))
    )
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    numbers = [r.json()["data"]["order_no"] for r in responses]
    assert len(set(numbers)) == 6
    sequence = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert sequence == list(range(sequence[0], sequence[0] + 6))  # no gaps


async def test_tenant_order_with_its_items_in_one_request(client, tenant_a):
    headers = tenant_a["headers"]
    customer = await _customer(client, headers)
    product = await client.post(
        "/api/v1/tenants/ivm/products",
        json={"code": "P" + uuid.uuid4().hex[:8], "name": "Widget"},
        headers=headers,
    )
    assert product.status_code == 201, product.text
    product_id = product.json()["data"]["id"]

    def line(no: int, product: str = product_id) -> dict:
        return {
            "line_no": no,
            "product_id": product,
            "quantity": "2",
            "unit_price": "1500",
        }

    order_no = "SO-T-" + uuid.uuid4().hex[:6]
    created = await _order(client, headers, customer, order_no=order_no, items=[line(1), line(2)])
    assert created.status_code == 201, created.text
    order = created.json()["data"]
    assert [i["line_no"] for i in order["items"]] == [1, 2]
    assert {i["product_name"] for i in order["items"]} == {"Widget"}
    items_url = f"{SALES_ORDERS}/{order['id']}/items"
    assert (await client.get(items_url, headers=headers)).json()["data"]["total"] == 2
    added = await client.post(items_url, json=line(3), headers=headers)
    assert added.status_code == 201, added.text
    assert added.json()["data"]["sales_order_id"] == order["id"]
    assert (await client.get(items_url, headers=headers)).json()["data"]["total"] == 3

    # one bad line (a product that does not exist) and nothing of the document is kept
    bad_no = "SO-T-" + uuid.uuid4().hex[:6]
    refused = await _order(
        client, headers, customer, order_no=bad_no, items=[line(1), line(2, str(uuid.uuid4()))]
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["detail"][0]["field"] == "items.1.product_id"
    found = await client.get(SALES_ORDERS, params={"search": bad_no}, headers=headers)
    assert found.json()["data"]["total"] == 0


async def test_a_detail_shows_the_first_lines_and_counts_them_all(
    client, reader, tenant_a, monkeypatch
):
    """A header's detail is bounded (runtime.reads.compose.LINES_LIMIT lines) and says how many there are."""
    from tests.api.test_extensions import _order

    headers = tenant_a["headers"]
    order, _ = await _order(client, headers, lines=5)
    monkeypatch.setattr("runtime.reads.compose.LINES_LIMIT", 3)
    url = f"/api/v1/tenants/srm/sales-orders/{order['id']}"
    detail = await reader.get(url, headers=headers)
    assert detail.status_code == 200, detail.text
    data = detail.json()["data"]
    assert [line["line_no"] for line in data["items"]] == [1, 2, 3]
    assert data["items_total"] == 5
    # the lines themselves are a page, like every list: all of them, a page at a time
    lines = await reader.get(f"{url}/items", params={"page_size": 2}, headers=headers)
    assert lines.status_code == 200, lines.text
    page = lines.json()["data"]
    assert [line["line_no"] for line in page["items"]] == [1, 2]
    assert {k: page[k] for k in ("total", "page", "page_size", "total_pages", "count")} == {
        "total": 5,
        "page": 1,
        "page_size": 2,
        "total_pages": 3,
        "count": "exact",
    }
    rest = await reader.get(
        f"{url}/items", params={"page_size": 2, "cursor": page["next_cursor"]}, headers=headers
    )
    assert [line["line_no"] for line in rest.json()["data"]["items"]] == [3, 4]
    last = await reader.get(
        f"{url}/items", params={"sort": "-line_no", "page_size": 1}, headers=headers
    )
    assert [line["line_no"] for line in last.json()["data"]["items"]] == [5]
    # the header comes from the path: its reference is no parameter here (422, not ignored)
    other = await reader.get(
        f"{url}/items", params={"sales_order_id": str(uuid.uuid4())}, headers=headers
    )
    assert other.status_code == 422, other.text
    assert other.json()["error"]["detail"][0]["field"] == "sales_order_id"


async def test_list_items_leave_out_the_lines_a_detail_embeds(client, reader, tenant_a):
    """A header's list shows rows, not documents: no lines, no count of them (null or not);
    its detail carries both."""
    from tests.api.test_extensions import _order

    headers = tenant_a["headers"]
    order, _ = await _order(client, headers, lines=2)
    listed = await reader.get(SALES_ORDERS, params={"search": order["order_no"]}, headers=headers)
    assert listed.status_code == 200, listed.text
    (row,) = listed.json()["data"]["items"]
    assert row["id"] == order["id"]
    assert "items" not in row and "items_total" not in row
    detail = (await reader.get(f"{SALES_ORDERS}/{order['id']}", headers=headers)).json()["data"]
    assert len(detail["items"]) == detail["items_total"] == 2
    assert {k: v for k, v in detail.items() if k not in ("items", "items_total")} == row
