"""The contract of each operation as the API document states it: the errors it can answer,
the headers and links of its answers, its operation id, and the document's root.

Errors come from the classes of runtime.web.errors and the operation's facts: each class says
under which facts it can happen (``when``), each operation which facts are its own. The audited
route class (runtime.web.router) works out a route's facts from what it depends on (a
credential, a permission check, a body, If-Match, a path id...) and adds the ones its endpoint
declares with :func:`answers` (a unique field, a state machine, an editable document...); the
generator writes the same facts for the generated entities (generator/model/contract.py) and
asks this module for their answers (``python -m runtime.web.openapi``), so both documents
agree (tests/generator/test_apidoc.py) and a new error class needs no second list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from runtime.logic import extend, guards
from runtime.web import errors
from runtime.web.envelope import ErrorEnvelope

if TYPE_CHECKING:
    from fastapi import FastAPI

ETAG = "etag"  # the success answer carries the row's ETag
CREATED = "created"  # 201: the success answer carries Location (and ETag)

_ENVELOPE = "#/components/schemas/ErrorEnvelope"
_EXAMPLES = "#/components/examples/"
EXAMPLE_REQUEST_ID = "5f0c1c7e9a2b4d3e8f6a1b2c3d4e5f60"
EXAMPLE_TIME = "2026-12-01T09:30:00Z"

SUCCESS_HEADERS: dict[str, dict[str, dict[str, Any]]] = {
    ETAG: {
        "ETag": {
            "description": 'The row\'s version as a strong tag (`"3"`): send it as If-Match.',
            "required": True,
            "schema": {"type": "string"},
        }
    },
    CREATED: {
        "Location": {
            "description": "The path of the row just created.",
            "required": True,
            "schema": {"type": "string"},
        }
    },
}

# The document's root: where it is served, who answers for it, under which terms.
INFO = {
    "contact": {"name": "CXG platform team", "email": "platform@cxg.example"},
    "license": {"name": "Proprietary", "url": "https://cxg.example/terms"},
}
SERVERS = [{"url": "/", "description": "The server this document is served by."}]
ROOT_SECURITY: list[dict[str, list[str]]] = [{"HTTPBearer": []}]


def error_classes() -> list[type[errors.CXGError]]:
    """Every error class, by status then code (the first class of each code: a subclass that
    only repeats its code adds nothing). Those whose ``when`` is None are answers only of the
    endpoints that declare raising them."""
    found: dict[str, type[errors.CXGError]] = {}
    todo: list[type[errors.CXGError]] = [errors.CXGError]
    while todo:
        cls = todo.pop(0)
        found.setdefault(cls.code, cls)
        todo.extend(cls.__subclasses__())
    return sorted(found.values(), key=lambda c: (c.status_code, c.code))


def possible(
    facts: Iterable[str], raises: Iterable[type[errors.CXGError]] = ()
) -> list[type[errors.CXGError]]:
    """The errors an operation with these facts can answer, and the ones it raises itself."""
    have, own = frozenset(facts), {c.code for c in raises}
    return [
        cls
        for cls in error_classes()
        if cls.code in own or (cls.when is not None and (not cls.when or cls.when & have))
    ]


def example(cls: type[errors.CXGError]) -> dict[str, Any]:
    """The envelope of one error, as the document shows it."""
    return {
        "summary": cls.messages["en"],
        "value": {
            "success": False,
            "data": None,
            "error": {
                "code": cls.code,
                "message": cls.messages["ko"],
                "detail": cls.example_detail,
            },
            "request_id": EXAMPLE_REQUEST_ID,
            "timestamp": EXAMPLE_TIME,
        },
    }


def _headers(classes: list[type[errors.CXGError]]) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    for cls in classes:
        for name, (description, required) in cls.documented_headers.items():
            kind = "string" if name == "WWW-Authenticate" else "integer"
            headers.setdefault(
                name, {"description": description, "required": required, "schema": {"type": kind}}
            )
    return headers


def error_answers(
    facts: Iterable[str], raises: Iterable[type[errors.CXGError]] = ()
) -> dict[int | str, dict[str, Any]]:
    """The error answers by status, as FastAPI takes them (``responses=``)."""
    by_status: dict[int, list[type[errors.CXGError]]] = {}
    for cls in possible(facts, raises):
        by_status.setdefault(cls.status_code, []).append(cls)
    answers: dict[int | str, dict[str, Any]] = {}
    for status, classes in sorted(by_status.items()):
        answer: dict[str, Any] = {
            "model": ErrorEnvelope,
            "description": " ".join(f"`{c.code}`: {c.messages['en']}" for c in classes),
            "content": {
                "application/json": {
                    "examples": {c.code: {"$ref": _EXAMPLES + c.code} for c in classes}
                }
            },
        }
        headers = _headers(classes)
        if headers:
            answer["headers"] = headers
        answers[status] = answer
    return answers


def links(targets: Mapping[str, str]) -> dict[str, Any]:
    """Links from a create's answer to the operations that take the new row's id:
    ``targets`` maps each operation id to the path parameter the id goes in."""
    return {
        operation: {
            "operationId": operation,
            "parameters": {parameter: "$response.body#/data/id"},
            "description": f"`{parameter}` is the `data.id` of this answer.",
        }
        for operation, parameter in sorted(targets.items())
    }


def hand_ruled(scope: str, entity: str, methods: Iterable[str]) -> bool:
    """Whether hand-written rules registered for the entity (its hooks, guards) run on these
    methods of its generated endpoints, and so may refuse them."""
    return bool(set(methods) & (extend.hooked(scope, entity) | guards.guarded(entity)))


def for_generator(operations: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The answers of the generated operations, which `cxg-gen build` documents from its
    model: each given as its facts, scope, entity, method and success status, by operation
    id. The runtime adds what it registered (hooks, guards) and shapes the answers; the
    error examples come along for the document's components."""
    found: dict[str, Any] = {}
    for op_id, op in operations.items():
        facts = set(op["facts"])
        if hand_ruled(op["scope"], op["entity"], [op["method"]]):
            facts.add(errors.HAND_RULES)
        found[op_id] = in_document(answers_of(facts, op["success"], (), op.get("links")))
    return {
        "answers": found,
        "examples": {cls.code: example(cls) for cls in error_classes()},
    }


def answers_of(
    facts: Iterable[str],
    success: int,
    raises: Iterable[type[errors.CXGError]] = (),
    targets: Mapping[str, str] | None = None,
) -> dict[int | str, dict[str, Any]]:
    """Every answer an operation declares beyond its success's body (``responses=``)."""
    have = frozenset(facts)
    found = error_answers(have, raises)
    ok: dict[str, Any] = {}
    headers = {
        k: v for fact in (ETAG, CREATED) if fact in have for k, v in SUCCESS_HEADERS[fact].items()
    }
    if headers:
        ok["headers"] = headers
    if targets:
        ok["links"] = links(targets)
    if ok:
        found[success] = ok
    return found


def in_document(answers: Mapping[int | str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The same answers as the document writes them (what FastAPI makes of ``responses=``),
    without the success's own description and body."""
    written: dict[str, dict[str, Any]] = {}
    for status, answer in answers.items():
        answer = dict(answer)
        if answer.pop("model", None) is not None:
            content = answer["content"]["application/json"]
            answer["content"] = {"application/json": {"schema": {"$ref": _ENVELOPE}, **content}}
        written[str(status)] = answer
    return written


@dataclass(frozen=True)
class Declared:
    """What an endpoint says of itself (see :func:`answers`)."""

    facts: frozenset[str] = frozenset()
    raises: tuple[type[errors.CXGError], ...] = ()
    targets: Mapping[str, str] = field(default_factory=dict)


F = TypeVar("F", bound=Callable[..., Any])


def answers(
    *facts: str,
    raises: Iterable[type[errors.CXGError]] = (),
    links: Mapping[str, str] | None = None,
) -> Callable[[F], F]:
    """Mark an endpoint with the facts its route cannot see (a unique field, a state
    machine...), the errors its own code raises, and the operations its created row's id
    leads to (operation id -> path parameter). Put it under the route's decorator."""

    def mark(endpoint: F) -> F:
        endpoint.__cxg_answers__ = Declared(frozenset(facts), tuple(raises), dict(links or {}))  # type: ignore[attr-defined]
        return endpoint

    return mark


def declared(endpoint: Callable[..., Any]) -> Declared:
    found: Declared = getattr(endpoint, "__cxg_answers__", Declared())
    return found


def operation_id(path: str) -> str:
    """A hand-written route's operation id from its path: /api/v1/manager/auth/login ->
    manager_auth_login, /api/v1/manager/tenants/{tenant_id}/provision ->
    manager_tenants_provision."""
    parts = [p for p in path.removeprefix("/api/v1").split("/") if p and not p.startswith("{")]
    return re.sub(r"[^a-z0-9]+", "_", "_".join(parts).lower()).strip("_")


def finish(document: dict[str, Any]) -> dict[str, Any]:
    """The root of the document: servers, contact and license, the bearer scheme as the
    default security, and the error examples the operations point to."""
    document["info"] = {**document["info"], **INFO}
    document["servers"] = SERVERS
    document["security"] = ROOT_SECURITY
    by_code = {cls.code: cls for cls in error_classes()}
    components = document.setdefault("components", {})
    components["examples"] = {
        code: example(by_code[code]) for code in sorted(examples_named(document["paths"]))
    }
    return document


def examples_named(paths: dict[str, Any]) -> set[str]:
    """The codes of the error examples the operations point to."""
    return set(re.findall(r'"#/components/examples/([A-Z_]+)"', json.dumps(paths)))


def install(app: FastAPI) -> None:
    """FastAPI's own document (made when no current prebuilt one is served) finished the
    same way as the one `cxg-gen build` writes."""
    make = app.openapi

    def openapi() -> dict[str, Any]:
        document = make()
        return document if "security" in document else finish(document)

    app.openapi = openapi  # type: ignore[method-assign]
