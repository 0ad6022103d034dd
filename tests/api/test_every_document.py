"""Every document of the specs (a header whose create takes its lines), driven by the model: the
header made with its lines in one request, the lines under it as a page, a line added there,
one bad line refusing the whole document, and a list of headers without the lines. A new
domain's documents are covered with no test written (tests/api/spec_driven.py).
"""

from __future__ import annotations

import uuid

import pytest

from generator.load.spec import FieldType
from generator.model import Entity, LineCollection
from tests.api.spec_driven import ENTITIES, PROJECT, by_entity, url
from tests.api.test_every_entity import _apart, valid_body

DOCUMENTS = [e for e in PROJECT.entities if e.has("create") and e.create_lines]
PAGE = {"items", "total", "page", "page_size", "total_pages", "count", "next_cursor"}


def line_entity(header: Entity, lines: LineCollection) -> Entity:
    return ENTITIES[(header.scope.name, lines.key)]


async def line_bodies(client, auth, header: Entity, lines: LineCollection, n: int) -> list[dict]:
    child = line_entity(header, lines)
    return [
        await valid_body(client, auth, child, _apart(child, i), without=lines.parent_field)
        for i in range(n)
    ]


def breakable(child: Entity, lines: LineCollection) -> tuple[str, object] | None:
    """A field of a line and a value that makes the line bad: a reference to no row, else
    a required field left out (None)."""
    for f in child.line_fields:
        if f.kind is FieldType.ref and f.name != lines.parent_field:
            return f.name, str(uuid.uuid4())
    for f in child.line_fields:
        if f.create_required:
            return f.name, None
    return None


async def count(client, entity: Entity, auth: dict) -> int:
    listed = await client.get(url(entity), params={"count": "exact", "page_size": 1}, headers=auth)
    assert listed.status_code == 200, listed.text
    return int(listed.json()["data"]["total"])


@pytest.mark.parametrize("header", by_entity(DOCUMENTS))
async def test_document(client, headers_of, header: Entity):
    auth = headers_of[header.scope.name]
    body = await valid_body(client, auth, header)
    sent, sizes = {}, {c.attribute: max(2, c.min_lines) for c in header.create_lines}
    for lines in header.create_lines:
        sent[lines.attribute] = await line_bodies(
            client, auth, header, lines, sizes[lines.attribute]
        )
    made = await client.post(url(header), json={**body, **sent}, headers=auth)
    assert made.status_code == 201, made.text
    document = made.json()["data"]
    base = f"{url(header)}/{document['id']}"

    detail = await client.get(base, headers=auth)
    assert detail.status_code == 200, detail.text
    shown = detail.json()["data"]
    for lines in header.create_lines:
        n = sizes[lines.attribute]
        made_lines = document[lines.attribute]
        assert len(made_lines) == len(shown[lines.attribute]) == n, lines.attribute
        assert shown[f"{lines.attribute}_total"] == n
        assert all(line[lines.parent_field] == document["id"] for line in made_lines)

        # the lines under their header: a page, like every list
        page = await client.get(f"{base}/{lines.segment}", headers=auth)
        assert page.status_code == 200, page.text
        data = page.json()["data"]
        assert set(data) == PAGE
        assert data["total"] == n and data["next_cursor"] is None
        assert sorted(i["id"] for i in data["items"]) == sorted(i["id"] for i in made_lines)

        child = line_entity(header, lines)
        if child.has("create"):
            third = await valid_body(
                client, auth, child, _apart(child, n), without=lines.parent_field
            )
            added = await client.post(f"{base}/{lines.segment}", json=third, headers=auth)
            assert added.status_code == 201, added.text
            assert added.json()["data"][lines.parent_field] == document["id"]
            again = await client.get(f"{base}/{lines.segment}", headers=auth)
            assert again.json()["data"]["total"] == n + 1

    # a list of headers shows rows, not documents: no lines, no count of them
    listed = await client.get(url(header), params={"page_size": 100}, headers=auth)
    row = next(i for i in listed.json()["data"]["items"] if i["id"] == document["id"])
    for lines in header.lines:
        assert lines.attribute not in row and f"{lines.attribute}_total" not in row

    # one bad line and nothing of the document is kept, the error naming the line
    lines = header.create_lines[0]
    child = line_entity(header, lines)
    broken = breakable(child, lines)
    assert broken is not None, f"{child.key} has no field a line can get wrong"
    name, value = broken
    bad = await line_bodies(client, auth, header, lines, max(2, lines.min_lines))
    if value is None:
        del bad[1][name]
    else:
        bad[1][name] = value
    body = await valid_body(client, auth, header)
    before = await count(client, header, auth)
    refused = await client.post(url(header), json={**body, lines.attribute: bad}, headers=auth)
    assert refused.status_code == 422, refused.text
    fields = [d["field"] for d in refused.json()["error"]["detail"]]
    assert f"{lines.attribute}.1.{name}" in fields, fields
    assert await count(client, header, auth) == before
