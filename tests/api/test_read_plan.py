"""One read plan, two ways (runtime.reads): for every entity of both systems, a matrix of list
requests made from its plan — each filter, each range, the search, every sortable field both
ways, a keyset cursor, every count mode — and its detail, answered by the hot path and by the
routers (a second app with the hot path off, on the same databases), must give the same bytes.
The hot path must really have answered each one."""

from __future__ import annotations

from typing import Any

import pytest

from generator.model import Entity
from tests.api.spec_driven import by_entity
from tests.api.test_every_entity import PROJECT, create_row, url
from tests.api.test_hot_path import hot

READABLE = [e for e in PROJECT.entities if e.has("list")]
ENVELOPE_HEAD = b'{"success":true,"data":'
ENVELOPE_TAIL = b',"error":null,"request_id":'


def data_bytes(response: Any) -> bytes:
    """The data of a success envelope as sent, byte for byte."""
    body: bytes = response.content
    assert response.status_code == 200, response.text
    assert body.startswith(ENVELOPE_HEAD), body[:80]
    return body[len(ENVELOPE_HEAD) : body.rindex(ENVELOPE_TAIL)]


def _value(row: dict[str, Any], name: str) -> Any:
    value = row.get(name)
    return None if isinstance(value, dict | list) else value


def matrix(entity: Entity, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The list requests of the plan's every parameter, with values from ``row``."""
    queries: list[dict[str, Any]] = [{}]
    for f in entity.filter_fields:
        value = _value(row, f.name)
        if value is not None:
            queries.append({f.name: value})
    for f in entity.range_fields:
        value = _value(row, f.name)
        if value is not None:
            queries += [{f"{f.name}_from": value}, {f"{f.name}_to": value}]
    for f in entity.search_fields:
        value = _value(row, f.name)
        if isinstance(value, str) and len(value) > 2:
            queries.append({"search": value[1:-1]})
            break
    for name in entity.sort_fields:
        queries += [{"sort": name}, {"sort": f"-{name}"}]
    for mode in ("exact", "estimated", "none"):
        queries.append({"count": mode})
    return queries


async def _both(client, long_way, path: str, params: dict[str, Any], auth) -> tuple[bytes, bytes]:
    before = hot(client).served
    fast = await client.get(path, params=params, headers=auth)
    assert hot(client).served == before + 1, f"{path} {params}: not answered by the hot path"
    slow = await long_way.get(path, params=params, headers=auth)
    return data_bytes(fast), data_bytes(slow)


@pytest.mark.parametrize("entity", by_entity(READABLE))
async def test_the_plan_answers_the_same_bytes_both_ways(client, long_way, headers_of, entity):
    auth = headers_of[entity.scope.name]
    if entity.has("create"):
        await create_row(client, auth, entity)
        await create_row(client, auth, entity)
    base = url(entity)
    await client.get(base, headers=auth)  # warms the permission cache
    first = (await client.get(base, params={"page_size": 1}, headers=auth)).json()["data"]
    row = first["items"][0] if first["items"] else {}
    for params in matrix(entity, row):
        fast, slow = await _both(client, long_way, base, params, auth)
        assert fast == slow, (entity.key, params)
    if first["next_cursor"]:  # a keyset page, continued both ways
        params = {"page_size": 1, "cursor": first["next_cursor"]}
        fast, slow = await _both(client, long_way, base, params, auth)
        assert fast == slow, (entity.key, params)
    if entity.has("get") and row:
        fast, slow = await _both(client, long_way, f"{base}/{row['id']}", {}, auth)
        assert fast == slow, entity.key


def _response_model(entity: Entity) -> Any:
    import importlib

    module = importlib.import_module(entity.schemas_module)
    model = getattr(module, entity.schema_class("Response"))
    if not model.__pydantic_complete__:
        model.model_rebuild(force=True)
    return model


@pytest.mark.parametrize("entity", by_entity(READABLE))
async def test_the_plan_writes_each_row_as_its_response_model_does(client, headers_of, entity):
    """PostgreSQL writes the rows' JSON: the same keys in the same order, and the same forms
    (times in UTC with Z, decimals as strings) as the entity's response model writes them; a
    JSON field may differ in white space only."""
    import json

    auth = headers_of[entity.scope.name]
    if entity.has("create"):
        await create_row(client, auth, entity)
    answer = await client.get(url(entity), params={"page_size": 5}, headers=auth)
    raw_items = json.loads(data_bytes(answer), object_pairs_hook=list)[0][1]
    model = _response_model(entity)
    json_fields = {f.name for f in entity.fields if f.kind.value == "json"}
    for pairs in raw_items:
        raw = json.dumps(dict(pairs), separators=(",", ":"), ensure_ascii=False)
        item = dict(pairs)
        redone = model.model_validate(item).model_dump_json(exclude_unset=True)
        assert [k for k, _ in pairs] == list(json.loads(redone)), entity.key
        if not json_fields:
            assert raw == redone, entity.key
        else:
            assert json.loads(raw) == json.loads(redone), entity.key
