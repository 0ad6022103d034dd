"""A unique rule the running server's models do not know (a migration applied after it started,
and no restart) is still named in the 409: its fields and its constraint come from what
PostgreSQL reports, not from the model in memory."""

from __future__ import annotations

import uuid

CUSTOMERS = "/api/v1/tenants/crm/customers"
INDEX = "uq_customers_tenant_id_phone"


async def test_a_unique_rule_made_after_start_is_named_from_the_database(client, tenant_a, owner):
    # only phones of this test's prefix: other tests' customers share the sample phone
    await owner.execute(
        f"CREATE UNIQUE INDEX {INDEX} ON crm.customers (tenant_id, phone)"
        " WHERE NOT is_deleted AND phone LIKE '+82 99 %'"
    )
    try:
        headers = tenant_a["headers"]
        phone = f"+82 99 {uuid.uuid4().int % 10**8:08d}"
        for code in ("A", "B"):
            body = {"code": f"{code}{uuid.uuid4().hex[:8]}", "name": "Dup", "phone": phone}
            answer = await client.post(CUSTOMERS, json=body, headers=headers)
        assert answer.status_code == 409, answer.text
        error = answer.json()["error"]
        assert error["code"] == "RESOURCE_ALREADY_EXISTS"
        assert error["detail"] == [
            {
                "field": "phone",
                "source": "body",
                "message": "already exists",
                "type": "unique",
                "constraint": INDEX,
            }
        ]
    finally:
        await owner.execute(f"DROP INDEX crm.{INDEX}")


async def test_a_known_unique_rule_names_its_fields_and_constraint(client, tenant_a):
    headers = tenant_a["headers"]
    code = f"C{uuid.uuid4().hex[:8]}"
    for _ in range(2):
        answer = await client.post(CUSTOMERS, json={"code": code, "name": "Twice"}, headers=headers)
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["detail"] == [
        {
            "field": "code",
            "source": "body",
            "message": "already exists",
            "type": "unique",
            "constraint": "uq_customers_tenant_id_code",
        }
    ]
