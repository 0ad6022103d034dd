"""Every entity with a hand-owned hook module (runtime/extensions/<scope>/<domain>/<table>.py),
driven by the model: each generated write of the entity calls its hooks, in the request's
transaction, with the row and the values, and what ``before_create`` leaves in the values is
what the row stores. The module's own hooks run for real (wrapped, to see the calls); a hook
it does not define is stood in for, so the generated code is shown to call all four. A new
domain's hook is covered with no test written (tests/api/spec_driven.py).
"""

from __future__ import annotations

import importlib
import uuid
from typing import Any

import pytest
from pydantic_core import to_jsonable_python

from generator.load.spec import FieldType
from generator.model import Entity
from runtime.logic.extend import HOOKS
from tests.api.spec_driven import PROJECT, by_entity, hook_module, url
from tests.api.test_every_entity import changed, same, status_target, valid_body

EXTENDED = [e for e in PROJECT.entities if hook_module(e).is_file() and e.has("create")]


class Calls:
    """The hooks the module was called with, in order: (hook, row id or values, action)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any, Any]] = []

    def of(self, hook: str) -> list[tuple[Any, Any]]:
        return [(what, action) for name, what, action in self.seen if name == hook]

    def clear(self) -> None:
        self.seen.clear()


def spy(module: Any, monkeypatch: pytest.MonkeyPatch) -> Calls:
    calls = Calls()
    for hook in HOOKS:
        original = getattr(module, hook, None)

        def wrapped(*args: Any, _hook: str = hook, _original: Any = original) -> Any:
            async def call() -> None:
                if _original is not None:
                    await _original(*args)
                if _hook == "before_create":  # as the hook left them, as JSON shows them
                    calls.seen.append((_hook, to_jsonable_python(args[1]), None))
                elif _hook == "before_update":
                    calls.seen.append((_hook, (args[1].id, dict(args[2])), None))
                elif _hook == "before_delete":
                    calls.seen.append((_hook, args[1].id, None))
                else:
                    calls.seen.append((_hook, args[1].id, args[2]))

            return call()

        monkeypatch.setattr(module, hook, wrapped, raising=False)
    return calls


@pytest.mark.parametrize("entity", by_entity(EXTENDED))
async def test_hooks(client, headers_of, monkeypatch, entity: Entity):
    auth = headers_of[entity.scope.name]
    module = importlib.import_module(
        f"runtime.extensions.{entity.scope.name}.{entity.domain}.{entity.table}"
    )
    body = await valid_body(client, auth, entity)  # parents first: their hooks are not these
    calls = spy(module, monkeypatch)
    made = await client.post(url(entity), json=body, headers=auth)
    assert made.status_code == 201, made.text
    row = made.json()["data"]
    ((values, _),) = calls.of("before_create")
    assert set(body) - {c.attribute for c in entity.create_lines} <= set(values)
    for field in entity.response_fields:  # what the hook left is what is stored
        if field.name in values and field.kind is not FieldType.password:
            assert same(field, values[field.name], row[field.name]), field.name
    assert (uuid.UUID(row["id"]), "CREATE") in calls.of("after_write")
    base = f"{url(entity)}/{row['id']}"

    fields = [
        f
        for f in entity.update_fields
        if f.in_response and f.kind is not FieldType.ref and changed(f, row.get(f.name)) is not None
    ]
    if entity.has("update") and fields:
        calls.clear()
        edit = {fields[-1].name: changed(fields[-1], row[fields[-1].name])}
        updated = await client.patch(base, json=edit, headers=auth)
        assert updated.status_code == 200, updated.text
        ((seen, _),) = calls.of("before_update")
        assert seen[0] == uuid.UUID(row["id"]) and set(edit) <= set(seen[1])
        assert calls.of("after_write") == [(uuid.UUID(row["id"]), "UPDATE")]

    if entity.status_field:
        calls.clear()
        status = entity.status_field
        target = status_target(status, row[status.name])
        moved = await client.patch(
            f"{base}/{status.name}", json={status.name: target}, headers=auth
        )
        assert moved.status_code == 200, moved.text
        ((seen, _),) = calls.of("before_update")
        assert seen == (uuid.UUID(row["id"]), {status.name: target})
        assert calls.of("after_write") == [(uuid.UUID(row["id"]), "UPDATE")]

    if entity.has("delete"):
        calls.clear()
        assert (await client.delete(base, headers=auth)).status_code == 200
        assert calls.of("before_delete") == [(uuid.UUID(row["id"]), None)]
        assert (uuid.UUID(row["id"]), "DELETE") in calls.of("after_write")
