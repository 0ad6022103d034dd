"""Every status of the specs, driven by the model: a new row starts at the default (create
refuses the field); a state machine takes only its listed moves (409 naming the allowed ones),
leaves approval states to approvals, locks what it says outside its editable states and ends
in states nothing leaves; a status without ``transitions:`` takes any move, as documented.
A new domain's statuses are covered with no test written (tests/api/spec_driven.py).
"""

from __future__ import annotations

from collections import deque

import pytest

from generator.load.spec import FieldType
from generator.model import Entity, Field
from tests.api.spec_driven import PROJECT, by_entity, url
from tests.api.test_every_entity import changed, valid_body

STATUSES = [e for e in PROJECT.entities if e.status_field and e.has("create")]


def gated(field: Field) -> set[str]:
    """The states only the end of an approval request reaches (runtime/logic/approvals.py)."""
    return {s for s in field.approval or () if s is not None}


def walk_to_an_end(field: Field) -> list[str]:
    """The shortest walk from the initial state to a state nothing leaves, through moves a
    client may take; [] when every reachable state can be left."""
    start = str(field.default_value)
    moves = field.moves
    came_from: dict[str, str | None] = {start: None}
    todo = deque([start])
    while todo:
        state = todo.popleft()
        if not moves[state] and state != start:
            walk = [state]
            while came_from[walk[-1]] != start:
                walk.append(str(came_from[walk[-1]]))
            return walk[::-1]
        for target in moves[state]:
            if target not in came_from and target not in gated(field):
                came_from[target] = state
                todo.append(target)
    return []


@pytest.mark.parametrize("entity", by_entity(STATUSES))
async def test_status(client, headers_of, entity: Entity):
    auth = headers_of[entity.scope.name]
    status = entity.status_field
    assert status is not None
    name = status.name
    body = await valid_body(client, auth, entity)
    chosen = await client.post(
        url(entity), json={**body, name: status.enum_values[-1]}, headers=auth
    )
    assert chosen.status_code == 422, chosen.text
    assert [d["field"] for d in chosen.json()["error"]["detail"]] == [name]
    made = await client.post(url(entity), json=body, headers=auth)
    assert made.status_code == 201, made.text
    row = made.json()["data"]
    assert row[name] == status.default_value
    status_url = f"{url(entity)}/{row['id']}/{name}"

    async def move(target: str) -> dict:
        answer = await client.patch(status_url, json={name: target}, headers=auth)
        assert answer.status_code == 200, f"{row[name]} -> {target}: {answer.text}"
        assert answer.json()["data"][name] == target
        return dict(answer.json()["data"])

    async def refused(target: str, code: str) -> dict:
        answer = await client.patch(status_url, json={name: target}, headers=auth)
        assert answer.status_code == 409, f"{row[name]} -> {target}: {answer.text}"
        error = answer.json()["error"]
        assert error["code"] == code, error
        return dict(error)

    if not status.transitions:  # any move, there and back
        for target in [*status.enum_values[1:], status.enum_values[0]]:
            row = await move(target)
        return

    moves = status.moves
    here = row[name]
    error = await refused(here, "INVALID_TRANSITION")  # never listed: moving to itself
    assert error["detail"] == {"field": name, "from": here, "to": here, "allowed": moves[here]}
    for target in sorted(gated(status) & set(moves[here])):
        await refused(target, "APPROVAL_REQUIRED")
    for target in walk_to_an_end(status):
        row = await move(target)
    if not moves[row[name]]:  # an end: nothing leaves it
        for target in status.enum_values:
            error = await refused(target, "INVALID_TRANSITION")
            assert error["detail"]["allowed"] == []
    elif not walk_to_an_end(status):  # no end: every state can be left; one move shows it
        row = await move(moves[row[name]][0])
    if status.editable and row[name] not in status.editable and entity.has("update"):
        fields = [
            f
            for f in entity.update_fields
            if f.kind is not FieldType.ref and changed(f, row.get(f.name)) is not None
        ]
        if fields:  # settled: its fields no longer change
            edit = {fields[-1].name: changed(fields[-1], row[fields[-1].name])}
            locked = await client.patch(f"{url(entity)}/{row['id']}", json=edit, headers=auth)
            assert locked.status_code == 409, locked.text
            assert locked.json()["error"]["code"] == "DOCUMENT_LOCKED"
