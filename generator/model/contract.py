"""The contract of each generated operation, decided on the model: its facts (which decide the
errors it can answer, runtime.web.errors says under which facts each happens), the
description the document gives it, and the links from a create to the operations that take
the new row's id.

The router template writes the facts the route cannot see for itself (a unique field, a state
machine, an editable document, the ETag it sends) with ``@answers(...)``; the route class adds
what it sees (a credential, a permission check, a body, If-Match, a path id: runtime.web.router)
and the hand-written rules the runtime registers (hooks, guards). The document's writer takes
the whole set from here and the answers from the runtime (generator/render/openapi.py).
"""

from __future__ import annotations

from generator.model.base import Endpoint, Frozen
from generator.model.entity import Entity

# the names runtime.web.errors and runtime.web.contract give the facts
AUTHENTICATED, FULL_CREDENTIAL = "authenticated", "full_credential"
PERMISSION, INPUT = "permission", "input"
DATABASE, RATE_LIMITED, TENANT_WRITE = "database", "rate_limited", "tenant_write"
ROW, IF_MATCH, CREATED, HAND_RULES = "row", "if_match", "created", "hand_rules"
UNIQUE, RESTRICTED, TRANSITIONS = "unique", "restricted", "transitions"
EDITABLE, APPROVAL, ETAG = "editable", "approval", "etag"
# the facts a generated route states itself (the rest its route class sees)
DECLARED = (UNIQUE, RESTRICTED, TRANSITIONS, EDITABLE, APPROVAL, ETAG)

API_PREFIX = "/api/v1"
_WRITES = ("create", "update", "change_status", "delete", "create_in_parent")
_ONE_ROW = ("get", "update", "change_status", "delete", "list_of_parent", "create_in_parent")


class Operation(Frozen):
    """One generated operation as the document and its route state it."""

    endpoint: Endpoint
    facts: tuple[str, ...]  # sorted; without the runtime's hand-written rules
    description: str
    links: tuple[tuple[str, str], ...] = ()  # (operation id, path parameter) the new id fits
    location: str | None = None  # a create's: the path its new row is read at, less the id

    @property
    def declared(self) -> tuple[str, ...]:
        return tuple(f for f in self.facts if f in DECLARED)

    @property
    def link_map(self) -> dict[str, str]:
        return dict(self.links)

    @property
    def answers_args(self) -> str:
        """The arguments of the route's ``@answers(...)`` (runtime.web.contract.answers)."""
        args = [repr(fact) for fact in self.declared]
        if self.links:
            args.append(f"links={self.link_map!r}")
        return ", ".join(args)


def restricted(entities: list[Entity]) -> frozenset[str]:
    """Keys of the entities whose delete live references may refuse (409): a ``restrict``
    reference, or a ``cascade`` one whose rows may themselves be refused."""
    refs: dict[str, list[tuple[str, str]]] = {}
    for e in entities:
        for f in e.ref_fields:
            if f.ref_entity and f.foreign_key:
                refs.setdefault(f.ref_entity, []).append((e.key, (f.on_delete or "").upper()))
    found: set[str] = set()

    def refused(key: str, seen: frozenset[str]) -> bool:
        for referrer, rule in refs.get(key, []):
            if rule in ("RESTRICT", "NO ACTION", ""):
                return True
            if rule == "CASCADE" and referrer not in seen and refused(referrer, seen | {key}):
                return True
        return False

    for e in entities:
        if refused(e.key, frozenset()):
            found.add(e.key)
    return frozenset(found)


def _unique(e: Entity, kind: str, by_key: dict[str, Entity]) -> bool:
    if kind == "update":
        names = {f.name for f in e.update_fields}
        return any(set(u.fields) & names for u in e.uniques)
    if kind == "create":
        lines = [by_key[c.key] for c in e.create_lines if c.key in by_key]
        return bool(e.uniques) or any(line.uniques for line in lines)
    return kind == "create_in_parent" and bool(e.uniques)


def _editable(e: Entity, kind: str) -> bool:
    own = e.lifecycle is not None and bool(e.lifecycle.editable)
    if kind == "update":
        return own or e.locked_by is not None
    return kind in ("create", "delete", "create_in_parent") and e.locked_by is not None


def facts(e: Entity, kind: str, by_key: dict[str, Entity], refused: frozenset[str]) -> set[str]:
    found = {AUTHENTICATED, FULL_CREDENTIAL, PERMISSION, INPUT, DATABASE, RATE_LIMITED}
    if kind in _ONE_ROW:
        found.add(ROW)
    if kind in ("update", "change_status", "delete"):
        found.add(IF_MATCH)
    if kind in ("get", "create", "update", "change_status", "create_in_parent"):
        found.add(ETAG)
    if kind in ("create", "create_in_parent"):
        found.add(CREATED)
    if kind in _WRITES and e.scope.tenant_scoped:
        found.add(TENANT_WRITE)
    if _unique(e, kind, by_key):
        found.add(UNIQUE)
    if kind == "delete" and e.key in refused:
        found.add(RESTRICTED)
    if _editable(e, kind):
        found.add(EDITABLE)
    status = e.status_field
    if kind == "change_status" and status is not None:
        if status.transitions:
            found.add(TRANSITIONS)
        if status.approval:
            found.add(APPROVAL)
    return found


def _links(e: Entity, kind: str, entities: list[Entity]) -> tuple[tuple[str, str], ...]:
    """From a create: the entity's operations on one row, and those of its children (lines
    and sub-resources) that take it as their parent."""
    if kind not in ("create", "create_in_parent"):
        return ()
    param = e.id_param
    own = ("get", "update", "change_status", "delete")
    found = [(p.operation_id, param) for p in e.endpoints if p.kind in own]
    for child in entities:
        parent = child.parent_field
        if parent is not None and parent.ref_entity == e.key:
            for p in child.endpoints:
                if p.kind in ("list_of_parent", "create_in_parent"):
                    found.append((p.operation_id, parent.name))
    return tuple(sorted(set(found)))


def _states(moves: dict[str, list[str]]) -> str:
    return "; ".join(f"{a} → {', '.join(b)}" for a, b in moves.items() if b)


def describe(e: Entity, kind: str, found: set[str]) -> str:
    """What the operation does, in a few sentences (the spec's description first)."""
    label, lines = e.label_en.lower(), ", ".join(c.attribute for c in e.create_lines)
    status = e.status_field
    words: dict[str, str] = {
        "list": f"One page of {label} rows. Sort by {', '.join(e.sort_fields)} (`-` for"
        f" descending; default `{e.default_sort}`)."
        + (f" Search in {', '.join(f.name for f in e.search_fields)}." if e.search_fields else "")
        + (f" Filters: {', '.join(f.name for f in e.filter_fields)}." if e.filter_fields else "")
        + " `cursor` continues a sort by keyset; `count` says how `total` is made.",
        "create": f"Creates a {label}"
        + (f", with its {lines} in the same transaction" if lines else "")
        + ". Answers 201 with the row, its `ETag` and its `Location`.",
        "get": f"One {label} by its id, with its `ETag`"
        + (" and its first 1,000 lines (`*_total` counts them all)" if e.lines else "")
        + ".",
        "update": "Changes the fields sent and nothing else. With `If-Match` the change is"
        " made only if the row still has that ETag (else 412).",
        "delete": (
            "Deletes the row: hidden from every read and its unique values freed."
            if e.soft_delete
            else "Deletes the row for good."
        )
        + " References to it follow their `on_delete` rule. With `If-Match` only if the row"
        " still has that ETag (else 412).",
        "list_of_parent": f"The {label} rows of one parent, in order (at most 1,000; the"
        f" {e.plural} list filtered by the parent pages through all of them).",
        "create_in_parent": f"Adds a {label} to the parent named in the path. Answers 201"
        " with the row, its `ETag` and its `Location`.",
    }
    if status is not None:
        moves = _states(status.moves) if status.transitions else "any value to any other"
        words["change_status"] = (
            f"Moves `{status.name}` ({moves})." + " With `If-Match` only if the row still has"
            " that ETag (else 412)."
        )
        if status.approval:
            words["change_status"] += (
                " " + ", ".join(s for s in status.approval if s) + " are reached only when an"
                " approval request ends (409 `APPROVAL_REQUIRED`)."
            )
    text = words[kind]
    if EDITABLE in found:
        text += (
            " Only while the document is editable (409 `DOCUMENT_LOCKED` otherwise)."
            if kind == "update" and e.lifecycle is not None and e.lifecycle.editable
            else " Only while its header is editable (409 `DOCUMENT_LOCKED` otherwise)."
        )
    if RESTRICTED in found:
        text += " 409 `CONFLICT` while live rows still refer to it with `restrict`."
    return f"{e.description.strip()}\n\n{text}" if e.description else text


def operations(e: Entity, entities: list[Entity], refused: frozenset[str]) -> list[Operation]:
    """The generated operations of ``e`` (not its hand-written actions), with their contract.
    ``entities`` are those of its scope, ``refused`` what :func:`restricted` found there."""
    by_key = {x.key: x for x in entities}
    found = []
    for endpoint in e.endpoints:
        if endpoint.kind == "action":
            continue
        have = facts(e, endpoint.kind, by_key, refused)
        found.append(
            Operation(
                endpoint=endpoint,
                facts=tuple(sorted(have)),
                description=describe(e, endpoint.kind, have),
                links=_links(e, endpoint.kind, entities),
                location=(
                    f"{API_PREFIX}/{e.scoped_path}"
                    if endpoint.kind in ("create", "create_in_parent")
                    else None
                ),
            )
        )
    return found
