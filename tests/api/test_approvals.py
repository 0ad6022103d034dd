"""The approval domain (apm) end to end over HTTP: an approval line of two approvers takes a
leave request (a document whose status declares `approval:`) to APPROVED, a rejection takes
another to REJECTED; each step is decided by its own approver only, the actions are
permission-checked, audited under their own names and confined to the caller's tenant, and
the document's approved state cannot be reached around the approval."""

from __future__ import annotations

import uuid

import pytest

from tests.api.test_tenant_permissions import make_tenant_user

T = "/api/v1/tenants"
REQUESTS = f"{T}/apm/approval-requests"
DECIDE = [
    "apm.approval_requests:read",
    "apm.approval_requests:approve",
    "apm.approval_requests:reject",
]


@pytest.fixture
async def flow(client, tenant_a) -> dict:
    """Two approvers, a line naming them in order, and a leave request to decide."""
    admin = tenant_a["headers"]
    first = await make_tenant_user(client, tenant_a, DECIDE)
    second = await make_tenant_user(client, tenant_a, DECIDE)
    line = await client.post(
        f"{T}/apm/approval-lines",
        json={
            "code": "AL" + uuid.uuid4().hex[:8],
            "name": "Leave: team lead, then HR",
            "document_type": "hrm.leave_requests",
            "steps": [
                {"step_no": 1, "approver_id": first["user_id"]},
                {"step_no": 2, "approver_id": second["user_id"]},
            ],
        },
        headers=admin,
    )
    assert line.status_code == 201, line.text
    return {"admin": admin, "first": first, "second": second, "line": line.json()["data"]}


async def leave_request(client, admin) -> dict:
    employee = await client.post(
        f"{T}/hrm/employees",
        json={"employee_no": "E" + uuid.uuid4().hex[:8], "name": "Kim", "hire_date": "2024-03-01"},
        headers=admin,
    )
    assert employee.status_code == 201, employee.text
    leave = await client.post(
        f"{T}/hrm/leave-requests",
        json={
            "employee_id": employee.json()["data"]["id"],
            "start_date": "2026-12-01",
            "end_date": "2026-12-03",
            "days": "3",
        },
        headers=admin,
    )
    assert leave.status_code == 201, leave.text
    return leave.json()["data"]


async def ask(client, flow: dict, leave: dict):
    return await client.post(
        REQUESTS,
        json={
            "approval_line_id": flow["line"]["id"],
            "document_type": "hrm.leave_requests",
            "document_id": leave["id"],
            "title": "Leave in December",
        },
        headers=flow["admin"],
    )


async def status_of(client, admin, leave: dict) -> str:
    got = await client.get(f"{T}/hrm/leave-requests/{leave['id']}", headers=admin)
    return got.json()["data"]["status"]


async def test_two_approvers_in_order_approve_the_document(client, flow):
    admin, first, second = flow["admin"], flow["first"], flow["second"]
    leave = await leave_request(client, admin)
    # the approved state is the approval's to take, whoever asks
    direct = await client.patch(
        f"{T}/hrm/leave-requests/{leave['id']}/status", json={"status": "APPROVED"}, headers=admin
    )
    assert direct.status_code == 409, direct.text
    assert direct.json()["error"]["code"] == "APPROVAL_REQUIRED"

    asked = await ask(client, flow, leave)
    assert asked.status_code == 201, asked.text
    request = asked.json()["data"]
    assert request["status"] == "PENDING" and request["current_step"] == 1
    assert request["request_no"].startswith("AR-")
    assert [(s["step_no"], s["approver_id"], s["decision"]) for s in request["steps"]] == [
        (1, first["user_id"], "PENDING"),
        (2, second["user_id"], "PENDING"),
    ]
    assert (await ask(client, flow, leave)).status_code == 409  # one pending request a document

    url = f"{REQUESTS}/{request['id']}"
    # the second approver acting out of turn, and the admin who holds every code: 403
    for headers in (second["headers"], admin):
        early = await client.post(f"{url}/approve", json={}, headers=headers)
        assert early.status_code == 403, early.text
        assert early.json()["error"]["detail"]["reason"] == "not_the_current_approver"
    step_one = await client.post(f"{url}/approve", json={"comment": "ok"}, headers=first["headers"])
    assert step_one.status_code == 200, step_one.text
    assert step_one.json()["data"]["current_step"] == 2
    assert step_one.json()["data"]["status"] == "PENDING"
    assert await status_of(client, admin, leave) == "REQUESTED"
    again = await client.post(f"{url}/approve", json={}, headers=first["headers"])
    assert again.status_code == 403  # the first step is decided; it is the second's turn

    step_two = await client.post(f"{url}/approve", json={}, headers=second["headers"])
    assert step_two.status_code == 200, step_two.text
    done = step_two.json()["data"]
    assert done["status"] == "APPROVED" and done["decided_at"]
    assert [(s["decision"], s["comment"]) for s in done["steps"]] == [
        ("APPROVED", "ok"),
        ("APPROVED", None),
    ]
    assert await status_of(client, admin, leave) == "APPROVED"
    closed = await client.post(f"{url}/reject", json={}, headers=second["headers"])
    assert closed.status_code == 409, closed.text

    audit = await client.get(f"{T}/audt/audit-logs", params={"page_size": 100}, headers=admin)
    rows = [(r["action"], r["entity"], r["entity_id"]) for r in audit.json()["data"]["items"]]
    assert rows.count(("APPROVE", "apm.approval_requests", request["id"])) == 2
    assert ("STATUS_CHANGE", "hrm.leave_requests", leave["id"]) in rows


async def test_a_rejection_ends_the_request_and_rejects_the_document(client, flow):
    admin, first = flow["admin"], flow["first"]
    leave = await leave_request(client, admin)
    request = (await ask(client, flow, leave)).json()["data"]
    rejected = await client.post(
        f"{REQUESTS}/{request['id']}/reject", json={"comment": "busy"}, headers=first["headers"]
    )
    assert rejected.status_code == 200, rejected.text
    data = rejected.json()["data"]
    assert data["status"] == "REJECTED"
    assert [s["decision"] for s in data["steps"]] == ["REJECTED", "SKIPPED"]
    assert await status_of(client, admin, leave) == "REJECTED"
    # a request is decided by the actions only, and the document is settled
    forced = await client.patch(
        f"{REQUESTS}/{request['id']}/status", json={"status": "APPROVED"}, headers=admin
    )
    assert forced.status_code == 409, forced.text
    assert (await ask(client, flow, leave)).status_code == 409  # REJECTED awaits no approval


async def test_the_actions_need_their_codes_and_stay_in_the_tenant(
    client, flow, tenant_a, tenant_b
):
    leave = await leave_request(client, flow["admin"])
    request = (await ask(client, flow, leave)).json()["data"]
    reader = await make_tenant_user(client, tenant_a, ["apm.approval_requests:read"])
    denied = await client.post(
        f"{REQUESTS}/{request['id']}/approve", json={}, headers=reader["headers"]
    )
    assert denied.status_code == 403, denied.text
    assert denied.json()["error"]["detail"] == {"permission": "apm.approval_requests:approve"}
    elsewhere = await client.post(
        f"{REQUESTS}/{request['id']}/approve", json={}, headers=tenant_b["headers"]
    )
    assert elsewhere.status_code == 404, elsewhere.text
    unknown = await client.post(
        f"{REQUESTS}/{uuid.uuid4()}/approve", json={}, headers=flow["first"]["headers"]
    )
    assert unknown.status_code == 404
    got = await client.get(f"{REQUESTS}/{request['id']}", headers=flow["admin"])
    assert got.json()["data"]["status"] == "PENDING"
    assert got.json()["data"]["steps_total"] == 2


async def test_a_request_checks_what_it_carries(client, flow):
    admin = flow["admin"]
    leave = await leave_request(client, admin)
    customer = await client.post(
        f"{T}/crm/customers", json={"code": "C" + uuid.uuid4().hex[:8], "name": "C"}, headers=admin
    )

    async def refused(document_type: str, document_id: str) -> list[tuple[str, str]]:
        answer = await client.post(
            REQUESTS,
            json={
                "approval_line_id": flow["line"]["id"],
                "document_type": document_type,
                "document_id": document_id,
                "title": "Wrong",
            },
            headers=admin,
        )
        assert answer.status_code == 422, answer.text
        return [(d["field"], d["type"]) for d in answer.json()["error"]["detail"]]

    # the id is checked against the entity named, like any reference
    assert await refused("srm.sales_orders", leave["id"]) == [
        ("document_id", "reference_not_found")
    ]
    assert await refused("hrm.leave_requests", str(uuid.uuid4())) == [
        ("document_id", "reference_not_found")
    ]
    assert await refused("xyz.things", leave["id"]) == [("document_type", "unknown_entity")]
    # a live row, but of another type than the line approves
    customer_id = customer.json()["data"]["id"]
    assert await refused("crm.customers", customer_id) == [("document_type", "wrong_document_type")]
    steps = await client.get(f"{T}/apm/approval-request-steps", headers=admin)
    assert steps.status_code == 200  # readable, never written by clients
    posted = await client.post(f"{T}/apm/approval-request-steps", json={}, headers=admin)
    assert posted.status_code == 405


async def test_an_approval_line_needs_an_approver(client, tenant_a):
    empty = await client.post(
        f"{T}/apm/approval-lines",
        json={
            "code": "E" + uuid.uuid4().hex[:8],
            "name": "Nobody",
            "document_type": "hrm.leave_requests",
        },
        headers=tenant_a["headers"],
    )
    assert empty.status_code == 422, empty.text
    assert empty.json()["error"]["detail"][0]["field"] == "steps"


def test_every_action_is_an_audit_action_of_its_scope():
    """An action is audited under its own name: the audit log of its scope must accept it."""
    from tests.api.test_every_entity import PROJECT

    actions = [(e, a) for e in PROJECT.entities for a in e.actions]
    assert actions  # apm declares some
    for entity, action in actions:
        (audit,) = [
            x for x in PROJECT.entities if x.scope == entity.scope and x.key == "audt.audit_logs"
        ]
        (field,) = [f for f in audit.fields if f.name == "action"]
        assert action.name.upper() in field.enum_values, f"{entity.key}:{action.name}"
