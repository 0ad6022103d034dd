"""References carry their target's display name, fetched once per page (no N+1)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from tests.api.test_references import make_role
from tests.api.test_users_flow import USERS, new_user

USER_ROLES = "/api/v1/manager/idam/user-roles"


@contextmanager
def count_queries(app):
    engine = app.state.databases.engines["manager"].sync_engine
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_display_names_without_n_plus_one(app, client, auth):
    role = await make_role(client, auth)
    users = []
    for _ in range(6):
        body = new_user(full_name="Display Person", roles=[{"role_id": role["id"]}])
        created = await client.post(USERS, json=body, headers=auth)
        assert created.status_code == 201, created.text
        users.append(created.json()["data"])
        assert created.json()["data"]["roles"][0]["role_name"] == role["name"]

    counts = {}
    for size in (2, 6):
        with count_queries(app) as statements:
            listed = await client.get(
                USER_ROLES, params={"role_id": role["id"], "page_size": size}, headers=auth
            )
        items = listed.json()["data"]["items"]
        assert len(items) == size
        assert {i["role_name"] for i in items} == {role["name"]}
        assert {i["user_name"] for i in items} == {"Display Person"}
        counts[size] = len(statements)
    assert counts[2] == counts[6]  # the same queries for 2 rows as for 6

    one = await client.get(f"{USER_ROLES}/{items[0]['id']}", headers=auth)
    assert one.json()["data"]["role_name"] == role["name"]
