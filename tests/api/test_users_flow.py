"""The IDAM users resource end to end, over HTTP, on real PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

USERS = "/api/v1/manager/idam/users"


def new_user(**overrides) -> dict:
    tag = uuid.uuid4().hex[:8]
    body = {
        "username": f"user_{tag}",
        "email": f"user_{tag}@cxg.example",
        "full_name": f"Kim {tag}",
        "password": "Str0ng-Passw0rd",
        "user_type": "TENANT",
    }
    body.update(overrides)
    return body


def assert_envelope(body: dict, *, success: bool) -> None:
    assert set(body) == {"success", "data", "error", "request_id", "timestamp"}
    assert body["success"] is success
    assert body["request_id"]
    if success:
        assert body["error"] is None
    else:
        assert body["data"] is None
        assert set(body["error"]) == {"code", "message", "detail"}


async def audit_rows(database_urls, entity_id):
    from runtime.data.db import async_url

    engine = create_async_engine(async_url(database_urls["manager"]))
    try:
        async with engine.connect() as conn:
            from generated.manager.models import metadata

            t = metadata.tables["audt.audit_logs"]
            rows = await conn.execute(
                select(t).where(t.c.entity_id == entity_id).order_by(t.c.created_at, t.c.action)
            )
            return [dict(r._mapping) for r in rows]
    finally:
        await engine.dispose()


async def test_user_lifecycle(client, auth, admin, database_urls):
    body = new_user(full_name="Lifecycle Person", phone="010-1234-5678")
    created = await client.post(USERS, json=body, headers=auth)
    assert created.status_code == 201, created.text
    payload = created.json()
    assert_envelope(payload, success=True)
    user = payload["data"]
    assert user["username"] == body["username"]
    assert user["status"] == "ACTIVE"
    assert "password" not in user and "mfa_secret" not in user
    user_id = user["id"]

    got = await client.get(f"{USERS}/{user_id}", headers=auth)
    assert got.status_code == 200
    assert got.json()["data"]["email"] == body["email"]
    assert "password" not in got.json()["data"]

    updated = await client.patch(
        f"{USERS}/{user_id}", json={"full_name": "Renamed Person"}, headers=auth
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["data"]["full_name"] == "Renamed Person"
    assert updated.json()["data"]["phone"] == "010-1234-5678"  # untouched fields stay

    locked = await client.patch(
        f"{USERS}/{user_id}/status", json={"status": "LOCKED"}, headers=auth
    )
    assert locked.status_code == 200, locked.text
    assert locked.json()["data"]["status"] == "LOCKED"

    deleted = await client.delete(f"{USERS}/{user_id}", headers=auth)
    assert deleted.status_code == 200
    assert deleted.json()["data"] == {"id": user_id, "deleted": True}

    gone = await client.get(f"{USERS}/{user_id}", headers=auth)
    assert gone.status_code == 404
    assert_envelope(gone.json(), success=False)
    assert gone.json()["error"]["code"] == "RESOURCE_NOT_FOUND"

    listed = await client.get(USERS, params={"search": body["username"]}, headers=auth)
    assert listed.json()["data"]["total"] == 0

    rows = await audit_rows(database_urls, uuid.UUID(user_id))
    assert [r["action"] for r in rows] == ["CREATE", "UPDATE", "STATUS_CHANGE", "DELETE"]
    assert {r["username"] for r in rows} == {admin["username"]}
    assert all(r["entity"] == "idam.users" for r in rows)
    assert all(r["request_id"] and r["client_ip"] == "203.0.113.7" for r in rows)
    assert len({r["request_id"] for r in rows}) == 4


async def test_list_pagination_search_and_filters(client, auth):
    tag = uuid.uuid4().hex[:6]
    made = []
    for i in range(7):
        body = new_user(
            username=f"pg_{tag}_{i}",
            email=f"pg_{tag}_{i}@cxg.example",
            full_name=f"Pager {tag} {i}",
            user_type="SYSTEM" if i % 3 == 0 else "TENANT",
        )
        r = await client.post(USERS, json=body, headers=auth)
        assert r.status_code == 201, r.text
        made.append(r.json()["data"])
    await client.patch(
        f"{USERS}/{made[1]['id']}/status", json={"status": "SUSPENDED"}, headers=auth
    )

    page1 = (
        await client.get(
            USERS, params={"search": f"pg_{tag}", "page_size": 3, "sort": "username"}, headers=auth
        )
    ).json()["data"]
    assert (page1["total"], page1["page"], page1["page_size"], page1["total_pages"]) == (7, 1, 3, 3)
    assert [u["username"] for u in page1["items"]] == [f"pg_{tag}_{i}" for i in range(3)]
    page3 = (
        await client.get(
            USERS,
            params={"search": f"pg_{tag}", "page_size": 3, "page": 3, "sort": "username"},
            headers=auth,
        )
    ).json()["data"]
    assert [u["username"] for u in page3["items"]] == [f"pg_{tag}_6"]

    # search is case-insensitive and covers full name and e-mail too
    by_name = (
        await client.get(USERS, params={"search": f"PAGER {tag.upper()}"}, headers=auth)
    ).json()["data"]
    assert by_name["total"] == 7
    by_mail = (await client.get(USERS, params={"search": f"{tag}_4@cxg"}, headers=auth)).json()[
        "data"
    ]
    assert [u["username"] for u in by_mail["items"]] == [f"pg_{tag}_4"]

    system = (
        await client.get(USERS, params={"search": f"pg_{tag}", "user_type": "SYSTEM"}, headers=auth)
    ).json()["data"]
    assert sorted(u["username"] for u in system["items"]) == [f"pg_{tag}_{i}" for i in (0, 3, 6)]
    suspended = (
        await client.get(USERS, params={"search": f"pg_{tag}", "status": "SUSPENDED"}, headers=auth)
    ).json()["data"]
    assert [u["id"] for u in suspended["items"]] == [made[1]["id"]]

    several = await client.get(
        USERS,
        params=[
            ("search", f"pg_{tag}"),
            ("status", "SUSPENDED"),
            ("status", "LOCKED"),
            ("user_type", "TENANT"),
        ],
        headers=auth,
    )
    assert [u["id"] for u in several.json()["data"]["items"]] == [made[1]["id"]]

    descending = (
        await client.get(
            USERS, params={"search": f"pg_{tag}", "sort": "-username", "page_size": 2}, headers=auth
        )
    ).json()["data"]
    assert [u["username"] for u in descending["items"]] == [f"pg_{tag}_6", f"pg_{tag}_5"]


async def test_duplicate_username_is_409(client, auth):
    body = new_user()
    assert (await client.post(USERS, json=body, headers=auth)).status_code == 201
    again = await client.post(USERS, json={**body, "email": "other_" + body["email"]}, headers=auth)
    assert again.status_code == 409
    assert_envelope(again.json(), success=False)
    assert again.json()["error"]["code"] == "RESOURCE_ALREADY_EXISTS"
    assert [d["field"] for d in again.json()["error"]["detail"]] == ["username"]


async def test_deleted_username_can_be_reused(client, auth):
    body = new_user()
    first = (await client.post(USERS, json=body, headers=auth)).json()["data"]
    assert (await client.delete(f"{USERS}/{first['id']}", headers=auth)).status_code == 200
    again = await client.post(USERS, json=body, headers=auth)
    assert again.status_code == 201, again.text
    assert again.json()["data"]["id"] != first["id"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "field"),
    [
        ("get", USERS + "/not-a-uuid", {}, "user_id"),
        ("post", USERS, {"json": new_user(user_type="ADMIN")}, "user_type"),
        ("post", USERS, {"json": new_user(password="weakpass")}, "password"),
        ("post", USERS, {"json": new_user(password="Aa1" + "가" * 30)}, "password"),
        ("post", USERS, {"json": new_user(email="not-an-email")}, "email"),
        ("get", USERS, {"params": {"page_size": 101}}, "page_size"),
        ("get", USERS, {"params": {"page": 0}}, "page"),
        ("get", USERS, {"params": {"status": "GONE"}}, "status"),
        ("get", USERS, {"params": {"sort": "password"}}, "sort"),
        # an id no user has, the same in every collection (xdist compares the workers')
        ("patch", USERS + "/" + str(uuid.UUID(int=1, version=4)), {"json": {"username": None}}, None),
    ],
)
async def test_bad_input_is_422_envelope(client, auth, method, path, kwargs, field):
    response = await getattr(client, method)(path, headers=auth, **kwargs)
    assert response.status_code == 422, response.text
    body = response.json()
    assert_envelope(body, success=False)
    assert body["error"]["code"] == "VALIDATION_ERROR"
    if field:
        assert field in [(d["field"] or "").split(".")[0] for d in body["error"]["detail"]]
    assert "Traceback" not in response.text


async def test_range_filter_on_audit_log(client, auth):
    body = new_user()
    created = (await client.post(USERS, json=body, headers=auth)).json()["data"]
    await client.patch(f"{USERS}/{created['id']}", json={"full_name": "Ranged"}, headers=auth)
    logs = "/api/v1/manager/audt/audit-logs"
    only_created = await client.get(
        logs,
        params={"entity_id": created["id"], "status_code_from": 201, "status_code_to": 201},
        headers=auth,
    )
    assert [r["action"] for r in only_created.json()["data"]["items"]] == ["CREATE"]
    both = await client.get(
        logs, params={"entity_id": created["id"], "status_code_from": 200}, headers=auth
    )
    assert sorted(r["action"] for r in both.json()["data"]["items"]) == ["CREATE", "UPDATE"]
    bad = await client.get(logs, params={"status_code_from": "abc"}, headers=auth)
    assert bad.status_code == 422
