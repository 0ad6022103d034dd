"""Generated routes are built on first use, group by group, or by the warm-up while idle
(runtime.web.routes, runtime.hot.warmup): a fresh app answers at once and answers the same."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from runtime.hot.warmup import QUIET_S, warm_up
from runtime.web.routes import LazyGroup
from tests.conftest import login

MANAGER = "/api/v1/manager"


@pytest.fixture
async def fresh(database_urls, admin):
    """A new app with nothing built yet; every request goes through the routers."""
    from runtime.app import create_app
    from runtime.settings import get_settings

    app = create_app(get_settings().model_copy(update={"hot_path": False}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://fresh") as client:
            yield app, client


def _groups(app) -> dict[str, LazyGroup]:
    return {group.prefix: group for group in app.state.lazy_groups}


async def test_a_group_is_built_by_its_first_request_and_only_it(fresh, admin):
    app, client = fresh
    groups = _groups(app)
    assert len(groups) > 20 and not any(g.built for g in groups.values())

    token = (await login(client, admin["username"], admin["password"]))["access_token"]
    assert not any(g.built for g in groups.values())  # sign-in is hand-written
    answer = await client.get(f"{MANAGER}/idam/users", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json()["data"]["total"] >= 1
    assert [p for p, g in groups.items() if g.built] == [f"{MANAGER}/idam"]


async def test_a_group_built_ahead_leaves_nothing_to_build_for_its_first_request(
    fresh, admin, monkeypatch
):
    """FastAPI builds an included route's dependencies and models again the first time a
    request is matched against it; a group built ahead (as the warm-up does, piece by piece)
    has done that too, so its first request builds no route."""
    import fastapi.routing

    app, client = fresh
    group = _groups(app)[f"{MANAGER}/idam"]
    while not group.build_one():
        pass
    built = []
    populate = fastapi.routing._populate_api_route_state
    monkeypatch.setattr(
        fastapi.routing,
        "_populate_api_route_state",
        lambda route, path, *a, **k: built.append(path) or populate(route, path, *a, **k),
    )
    token = (await login(client, admin["username"], admin["password"]))["access_token"]
    answer = await client.get(f"{MANAGER}/idam/users", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert built == []


async def test_lookups_inside_and_outside_a_group_answer_with_the_envelope(fresh, admin):
    app, client = fresh
    token = (await login(client, admin["username"], admin["password"]))["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    unknown_in_group = await client.get(f"{MANAGER}/idam/no-such-thing", headers=headers)
    assert unknown_in_group.status_code == 404
    assert unknown_in_group.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
    wrong_method = await client.put(f"{MANAGER}/idam/users", headers=headers, json={})
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    unknown_group = await client.get(f"{MANAGER}/no-such-domain/users", headers=headers)
    assert unknown_group.status_code == 404
    assert unknown_group.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
    # the group's own prefix, with nothing after it, is no resource either
    bare = await client.get(f"{MANAGER}/idam", headers=headers)
    assert bare.status_code == 404


async def test_warm_up_waits_for_requests_then_builds_everything(fresh):
    app, _ = fresh
    groups, hot = list(_groups(app).values()), list(app.state.hot_routes.values())
    activity = app.state.activity
    activity.begin()  # as if a request were being answered
    try:
        warming = asyncio.create_task(warm_up(activity, hot, groups))
        await asyncio.sleep(0.1)
        assert not any(g.built for g in groups)
        assert not any("create" in route.__dict__ for route in hot)  # nothing prepared
    finally:
        activity.end()
    # a steady load: short requests one after another, none in flight most of the time, but
    # never a pause as long as QUIET_S (for four times that)
    assert QUIET_S >= 0.05
    for _ in range(20):
        activity.begin()
        activity.end()
        await asyncio.sleep(0.02)
    assert not any(g.built for g in groups)
    assert not any("create" in route.__dict__ for route in hot)
    await asyncio.wait_for(warming, timeout=120)
    assert all(g.built for g in groups)
    for route in hot:
        assert "create" in route.__dict__ and "list_fields" in route.__dict__
        assert route.plan.params.__pydantic_complete__  # the list's parameters: built


async def test_requests_are_counted_while_in_flight(fresh):
    """The warm-up's notion of idle: the request context middleware counts requests."""
    app, client = fresh

    @app.get("/probe-in-flight")
    async def probe() -> dict:
        return {"in_flight": app.state.activity.in_flight}

    first, second = await asyncio.gather(
        client.get("/probe-in-flight"), client.get("/probe-in-flight")
    )
    assert {first.json()["in_flight"], second.json()["in_flight"]} <= {1, 2}
    assert app.state.activity.in_flight == 0
