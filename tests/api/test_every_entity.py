"""Every entity of the specs, driven by the spec model itself (no hand-kept list): create a
valid row (parents first), read it, list it with each declared filter, sort and search,
update it, change its status, delete it. A spec added later is covered with no test edit.
"""

from __future__ import annotations

import importlib.util
import re
import uuid
from datetime import datetime
from decimal import Decimal

import jwt
import pytest

from generator.load.spec import FieldType
from generator.model import Entity, Field
from generator.model.types import TYPES
from tests.api.spec_driven import ENTITIES, PREFIX, PROJECT, ROOT, by_entity, ident, url

__all__ = ["ENTITIES", "PREFIX", "PROJECT", "ROOT", "url"]  # what other suites import here
SERVED = [e for e in PROJECT.entities if e.exposed]
INTERNAL = [e for e in PROJECT.entities if not e.exposed]  # the runtime's own (operations: [])
CREATABLE = [e for e in SERVED if e.has("create")]
READ_ONLY = [e for e in SERVED if not e.has("create")]
TAG_ROOT = {"manager": "관리자 > ", "tenants": "테넌트 > "}


def tenant_of(headers: dict) -> str:
    token = headers["Authorization"].removeprefix("Bearer ")
    return jwt.decode(token, options={"verify_signature": False})["tid"]


def _text_candidates(tag: str) -> list[str]:
    return [f"v{tag}", f"V_{tag.upper()}", f"dom.tbl_{tag}:read", f"Value {tag}"]


def sample(field: Field, tag: str) -> object:
    """A valid value for ``field`` (within its declared limits): its example, else its type's
    sample (generator.model.types.TYPES), else text made to fit its length and pattern."""
    if field.example is not None:
        return field.example
    kind = field.kind
    if kind is FieldType.enum:
        return field.enum_values[0]
    if kind in (FieldType.integer, FieldType.bigint):
        low, high = field.minimum, field.maximum
        return 7 if (low is None or low <= 7) and (high is None or 7 <= high) else int(low or 0)
    given = TYPES[kind].sample
    if given is not None:
        return _filled(given, tag)
    for candidate in _text_candidates(tag):
        candidate = candidate[: field.max_length] if field.max_length else candidate
        if not field.pattern or re.fullmatch(field.pattern, candidate):
            return candidate
    raise AssertionError(f"no sample value matches the pattern of {field.name}")


def _filled(value: object, tag: str) -> object:
    if isinstance(value, str):
        return value.format(tag=tag, uuid=uuid.uuid4())
    if isinstance(value, dict):
        return {k: _filled(v, tag) for k, v in value.items()}
    return value


async def valid_body(
    client,
    auth,
    entity: Entity,
    overrides: dict | None = None,
    chain: tuple[str, ...] = (),
    without: str | None = None,
) -> dict:
    """A valid create body: referenced parents are created first unless ``overrides`` names
    the reference's value. Optional references are filled too, except where they would
    loop back (an account's parent account). A row named by entity and id (``refers_by``) is
    made first as well; lines a header needs (``min_lines``) are sent with it. ``without``
    leaves a field out (a line's header, given by the header's create)."""
    tag = uuid.uuid4().hex[:10]
    overrides = overrides or {}
    chain = (*chain, entity.key)
    body = {}
    for field in entity.create_fields:
        if field.name == without:
            continue
        if field.name in overrides:
            body[field.name] = overrides[field.name]
        elif field.numbering:  # left to the tenant's counter, so numbering is exercised too
            continue
        elif field.kind is FieldType.ref:
            if not field.create_required and field.ref_entity in chain:
                continue
            parent = ENTITIES[(entity.scope.name, field.ref_entity)]
            body[field.name] = (await create_row(client, auth, parent, chain))[1]["id"]
        elif field.refers_by:  # the id of a row of the entity named by an earlier field
            named = ENTITIES[(entity.scope.name, body[field.refers_by])]
            body[field.name] = (await create_row(client, auth, named, chain))[1]["id"]
        elif field.create_required:
            body[field.name] = sample(field, tag)
        else:  # optional: filled when a generic value fits, so responses show it round-trip
            try:
                body[field.name] = sample(field, tag)
            except AssertionError:
                continue
    for lines in entity.create_lines:
        if not lines.min_lines:
            continue
        child = ENTITIES[(entity.scope.name, lines.key)]
        body[lines.attribute] = [
            await valid_body(
                client,
                auth,
                child,
                _apart(child, position),
                chain=chain,
                without=lines.parent_field,
            )
            for position in range(lines.min_lines)
        ]
    return body


def _apart(line: Entity, position: int) -> dict:
    """Values that keep a header's own lines clear of a line the matrix adds later with
    sample values: unique integers (a line number) from the top of their range."""
    unique = {name for rule in line.uniques for name in rule.fields}
    return {
        f.name: int(f.maximum or 1000) - position
        for f in line.create_fields
        if f.name in unique and f.kind in (FieldType.integer, FieldType.bigint)
    }


# Bookkeeping a client must not set: refused by name (422) before every row the matrix creates.
FORGED = {
    "id": "00000000-0000-4000-8000-000000000001",
    "tenant_id": "00000000-0000-4000-8000-000000000002",
    "created_by": "00000000-0000-4000-8000-000000000003",
    "updated_by": "00000000-0000-4000-8000-000000000003",
    "is_deleted": True,
    "deleted_at": "2026-01-01T00:00:00Z",
}


async def create_row(
    client, auth, entity: Entity, chain: tuple[str, ...] = ()
) -> tuple[dict, dict]:
    """POST a valid row (creating referenced parents first); return (body, response data)."""
    body = await valid_body(client, auth, entity, chain=chain)
    forged = await client.post(url(entity), json={**FORGED, **body}, headers=auth)
    assert forged.status_code == 422, f"{entity.key}: {forged.text}"
    refused = {d["field"] for d in forged.json()["error"]["detail"]}
    assert refused == set(FORGED), f"{entity.key}: {refused}"
    response = await client.post(url(entity), json=body, headers=auth)
    assert response.status_code == 201, f"{entity.key}: {response.text}"
    return body, response.json()["data"]


def same(field: Field, sent: object, got: object) -> bool:
    if field.kind in (FieldType.decimal, FieldType.money):
        return Decimal(str(sent)) == Decimal(str(got))
    if field.kind is FieldType.datetime:
        return datetime.fromisoformat(str(sent)) == datetime.fromisoformat(str(got))
    return sent == got


def changed(field: Field, value: object) -> object:
    kind = field.kind
    if kind is FieldType.boolean:
        return not value
    if kind in (FieldType.integer, FieldType.bigint):
        low = int(field.minimum) if field.minimum is not None else -(2**31)
        high = int(field.maximum) if field.maximum is not None else 2**31 - 1
        return next((c for c in (8, low, high) if low <= c <= high and c != value), None)
    if kind is FieldType.enum:
        return field.enum_values[-1]
    if kind in (FieldType.string, FieldType.text):
        try:
            return sample(field, uuid.uuid4().hex[:10])
        except AssertionError:  # no generic value fits its pattern
            return None
    return None


def status_target(field: Field, current: str) -> str:
    """A status the row may move to from ``current``: along its state machine when it has one."""
    if field.transitions:
        return field.moves[current][0]
    return field.enum_values[-1]


async def assert_sort_order(client, base: str, auth: dict, name: str) -> None:
    """``sort=<name>`` and ``sort=-<name>`` list the same rows in exactly opposite orders,
    ties and empty values included (the tie-breaking id runs the way the sort does): beyond
    one page, the first page one way is the last page the other way, reversed."""
    pages = {}
    for sort in (name, f"-{name}"):
        listed = await client.get(
            base, params={"sort": sort, "page_size": 100, "count": "exact"}, headers=auth
        )
        assert listed.status_code == 200, f"sort={sort}: {listed.text}"
        pages[sort] = listed.json()["data"]
    total = pages[name]["total"]
    ascending = [i["id"] for i in pages[name]["items"]]
    last = await client.get(
        base,
        params={"sort": f"-{name}", "page_size": 100, "page": max(1, -(-total // 100))},
        headers=auth,
    )
    descending_end = [i["id"] for i in last.json()["data"]["items"]]
    assert ascending[: len(descending_end)] == descending_end[::-1], f"sort={name}"
    if total <= 100:
        assert ascending == [i["id"] for i in pages[f"-{name}"]["items"]][::-1], f"sort={name}"


@pytest.mark.parametrize("entity", by_entity(CREATABLE))
async def test_crud(client, headers_of, entity: Entity):
    auth = headers_of[entity.scope.name]
    body, row = await create_row(client, auth, entity)
    # mass assignment: the forged bookkeeping was refused (create_row), and nothing of it stuck
    assert row["id"] != FORGED["id"]
    assert row["created_by"] != FORGED["created_by"]
    if entity.scope.name == "tenants":
        assert row["tenant_id"] == tenant_of(auth)
    for field in entity.create_fields:
        if field.name not in body:
            continue
        if field.in_response:
            assert same(field, body[field.name], row[field.name]), field.name
        else:
            assert field.name not in row
    base = url(entity)
    row_url = f"{base}/{row['id']}"

    got = await client.get(row_url, headers=auth)
    assert got.status_code == 200 and got.json()["data"]["id"] == row["id"]

    for field in entity.filter_fields:
        if row[field.name] is None:  # an optional reference left empty: nothing to filter by
            continue
        listed = await client.get(
            base,
            params={
                field.name: (
                    str(row[field.name]).lower()
                    if isinstance(row[field.name], bool)
                    else row[field.name]
                ),
                "page_size": 100,
            },
            headers=auth,
        )
        assert listed.status_code == 200, listed.text
        items = listed.json()["data"]["items"]
        assert row["id"] in [i["id"] for i in items], field.name
        assert all(same(field, row[field.name], i[field.name]) for i in items), field.name
    for name in entity.sort_fields:
        await assert_sort_order(client, base, auth, name)
    for field in entity.search_fields:
        if row[field.name] is None:  # a read-only field the API never fills
            continue
        needle = str(row[field.name])[1:8].upper()
        listed = await client.get(base, params={"search": needle, "page_size": 100}, headers=auth)
        assert row["id"] in [i["id"] for i in listed.json()["data"]["items"]], field.name

    if entity.has("update"):
        candidates = [
            f
            for f in entity.update_fields
            if f.in_response
            and f.kind is not FieldType.ref
            and changed(f, row.get(f.name)) is not None
        ]
        if candidates:
            field = candidates[-1]
            value = changed(field, row[field.name])
            updated = await client.patch(row_url, json={field.name: value}, headers=auth)
            assert updated.status_code == 200, updated.text
            assert same(field, value, updated.json()["data"][field.name])

    if entity.status_field:
        status = entity.status_field
        target = status_target(status, row[status.name])
        moved = await client.patch(
            f"{row_url}/{status.name}", json={status.name: target}, headers=auth
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["data"][status.name] == target

    if entity.has("delete"):
        assert (await client.delete(row_url, headers=auth)).status_code == 200
        assert (await client.get(row_url, headers=auth)).status_code == 404
        listed = await client.get(base, params={"page_size": 100}, headers=auth)
        assert row["id"] not in [i["id"] for i in listed.json()["data"]["items"]]


@pytest.mark.parametrize("entity", by_entity(READ_ONLY))
async def test_read_only_resources(client, headers_of, entity: Entity):
    auth = headers_of[entity.scope.name]
    # make sure there is something to read: a mutation and a sign-in leave rows everywhere
    roles = "idam.roles" if entity.scope.name == "manager" else "adm.roles"
    await create_row(client, auth, ENTITIES[(entity.scope.name, roles)])
    if entity.scope.name == "manager":
        await client.post(
            "/api/v1/manager/auth/api-keys",
            headers=auth,  # keys are issued there
            json={"name": "matrix", "scopes": ["idam.users:read"]},
        )
    listed = await client.get(url(entity), params={"page_size": 5}, headers=auth)
    assert listed.status_code == 200, listed.text
    page = listed.json()["data"]
    assert page["total"] == 0 or len(page["items"]) >= 1
    if page["items"]:  # rows written by the system (audit, sessions, login history, keys)
        first = page["items"][0]
        got = await client.get(f"{url(entity)}/{first['id']}", headers=auth)
        assert got.status_code == 200 and got.json()["data"] == first
    missing = await client.get(f"{url(entity)}/{uuid.uuid4()}", headers=auth)
    assert missing.status_code == 404
    for name in entity.sort_fields:
        await assert_sort_order(client, url(entity), auth, name)
    assert (await client.post(url(entity), json={}, headers=auth)).status_code == 405


def test_the_matrix_is_every_spec_file():
    """The matrix is driven by the loaded model: it must be every table spec on disk, so a spec
    the loader dropped (or one in the wrong folder) cannot leave a table untested."""
    on_disk = {
        f"{path.parts[-3]}:{path.parts[-2]}.{path.stem}"
        for path in (ROOT / "specs").glob("*/*/*.yaml")
        if path.name != "_domain.yaml"
    }
    assert {ident(e) for e in PROJECT.entities} == on_disk
    assert len(on_disk) >= 100


async def test_openapi_lists_every_resource_under_its_korean_tag(client):
    spec = (await client.get("/openapi.json")).json()
    for entity in SERVED:
        path = url(entity)
        assert path in spec["paths"], path
        operations = spec["paths"][path]
        for operation in operations.values():
            assert operation["tags"] == [entity.tag], path
        assert entity.tag.count(" > ") == 2
        assert entity.tag.startswith(TAG_ROOT[entity.scope.name])


@pytest.mark.parametrize("entity", INTERNAL, ids=ident)
async def test_the_runtimes_own_tables_have_no_endpoint(client, headers_of, entity: Entity):
    """A table with `operations: []` (backup codes, one-time tokens) is never served: no
    route, no schema or tag in the document, no permission code; only its model exists."""
    auth = headers_of[entity.scope.name]
    for method in ("GET", "POST"):
        answer = await client.request(method, url(entity), json={}, headers=auth)
        assert answer.status_code in (404, 405), f"{method} {url(entity)}: {answer.text}"
    assert (await client.get(f"{url(entity)}/{uuid.uuid4()}", headers=auth)).status_code == 404
    spec = (await client.get("/openapi.json")).json()
    assert not [p for p in spec["paths"] if p.startswith(url(entity))]
    assert entity.tag not in {t["name"] for t in spec["tags"]}
    assert not [name for name in spec["components"]["schemas"] if entity.schema_name in name]
    assert entity.permissions == []
    assert importlib.util.find_spec(f"{entity.package}.model") is not None
    assert importlib.util.find_spec(f"{entity.package}.router") is None
