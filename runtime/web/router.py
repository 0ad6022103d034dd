"""The audited router: one unit of work per request, one audit row per successful mutation.

Endpoint authors do nothing: the route class opens the request's sessions, runs the
endpoint, writes the audit row in the same transaction as the change and commits once.
Any error rolls everything back, audit row included.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Coroutine
from types import UnionType
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from fastapi import APIRouter, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security.base import SecurityBase
from fastapi.utils import create_model_field
from pydantic import BaseModel

from runtime.data import audit
from runtime.data.db import UnitOfWork
from runtime.security.authz import AUTHZ_ENTITIES, notify_change
from runtime.state import app_state, audit_table
from runtime.web import contract, errors

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SCOPE_DATABASE = {"manager": "manager", "tenants": "tenant"}


class UnitOfWorkRoute(APIRoute):
    """Runs the endpoint inside a unit of work; audits mutations when ``entity`` is set.

    The permission code a route requires is documented from the dependency that checks it
    (``x-permission`` in the API document), so no endpoint restates it; so are the errors it
    can answer, from its facts (runtime.web.contract), and ``security: []`` when it needs no
    credential. A route without an operation id gets one from its path.
    """

    scope_name: ClassVar[str | None] = None
    entity: ClassVar[str | None] = None

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        own = contract.declared(endpoint)
        facts = own.facts | self._facts()
        answers = contract.answers_of(facts, self.status_code or 200, own.raises, own.targets)
        for status, answer in answers.items():
            if answer.get("model") is not None:
                self.response_fields[status] = create_model_field(
                    name=f"Response_{status}_{self.unique_id}",
                    type_=answer["model"],
                    mode="serialization",
                )
        self.responses = {**answers, **self.responses}
        extra = dict(self.openapi_extra or {})
        code = required_permission(self.dependant)
        if code is not None:
            extra["x-permission"] = code
        if errors.AUTHENTICATED not in facts:
            extra["security"] = []
        self.openapi_extra = extra or None

    def _facts(self) -> frozenset[str]:
        """What the route itself shows, read off the dependencies FastAPI solves for it."""
        facts = {errors.DATABASE, errors.RATE_LIMITED}
        params = _params(self.dependant)
        if _authenticated(self.dependant):
            facts.add(errors.AUTHENTICATED)
            if not _accepts_enrolment(self.dependant):
                facts.add(errors.FULL_CREDENTIAL)
            # a tenant token may be a manager's acting for the tenant: its permission is checked
            if self.scope_name == "tenants":
                facts.add(errors.PERMISSION)
        if required_permission(self.dependant):
            facts.add(errors.PERMISSION)
        if any(params.values()):
            facts.add(errors.INPUT)
        if params["path"]:
            facts.add(errors.ROW)
        if any(p.alias == "if-match" for p in params["header"]):
            facts.add(errors.IF_MATCH)
        if self.status_code == 201:
            facts.add(contract.CREATED)
        methods = self.methods or set()
        if self.entity and methods & MUTATING:
            if self.scope_name == "tenants":
                facts.add(errors.TENANT_WRITE)
            if contract.hand_ruled(self.scope_name or "manager", self.entity, methods):
                facts.add(errors.HAND_RULES)
        return frozenset(facts)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        mutating = bool(self.methods and self.methods & MUTATING)
        entity = self.entity
        database = SCOPE_DATABASE.get(self.scope_name or "manager", "manager")

        single = _single_valued(self.dependant)

        async def run(request: Request) -> Response:
            if single:
                _refuse_repeated(request, single)
            uow = UnitOfWork(app_state(request).databases)
            request.state.uow = uow
            try:
                response = await handler(request)
                if mutating and response.status_code < 400:
                    if entity:
                        await audit.record(
                            uow.session(database),
                            audit_table(request, database),
                            actor=getattr(request.state, "actor", None),
                            action=getattr(request.state, "audit_action", None)
                            or audit.action_for(request.method, request.url.path),
                            entity=entity,
                            entity_id=audit.target_id(request, response),
                            request=request,
                            status_code=response.status_code,
                        )
                    if entity in AUTHZ_ENTITIES:
                        await notify_change(uow.session(database))
                    await uow.commit()
                    if entity in AUTHZ_ENTITIES:  # this process need not wait for NOTIFY
                        for cache in app_state(request).caches[database]:
                            cache.clear()
                return response
            finally:
                await uow.close()

        return run


def _walk(dependant: Dependant) -> list[Dependant]:
    found, todo = [], [dependant]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(current.dependencies)
    return found


def _params(dependant: Dependant) -> dict[str, list[Any]]:
    params: dict[str, list[Any]] = {"path": [], "query": [], "header": [], "body": []}
    for d in _walk(dependant):
        params["path"] += d.path_params
        params["query"] += d.query_params + d.cookie_params
        params["header"] += d.header_params
        params["body"] += d.body_params
    return params


def _is_list(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is list:
        return True
    if origin is Annotated:
        return _is_list(get_args(annotation)[0])
    return origin in (Union, UnionType) and any(_is_list(a) for a in get_args(annotation))


def _single_valued(dependant: Dependant) -> frozenset[str]:
    """The query parameters that take one value (a list's paging, sort, scalar filters)."""
    names: set[str] = set()
    for d in _walk(dependant):
        for field in d.query_params:
            annotation = field.field_info.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                fields = annotation.model_fields.items()
                names |= {f.alias or n for n, f in fields if not _is_list(f.annotation)}
            elif not _is_list(annotation):
                names.add(field.alias)
    return frozenset(names)


def _refuse_repeated(request: Request, single: frozenset[str]) -> None:
    """A parameter that takes one value, given twice, is refused (422) rather than read as
    whichever came last: the document says it is one value."""
    counts = Counter(name for name, _ in request.query_params.multi_items())
    repeated = sorted(name for name, n in counts.items() if n > 1 and name in single)
    if repeated:
        raise errors.ValidationError(
            detail=[
                {"field": name, "source": "query", "message": "given more than once",
                 "type": "repeated"}
                for name in repeated
            ]
        )  # fmt: skip


def _authenticated(dependant: Dependant) -> bool:
    """A credential is required: a security scheme is among the dependencies."""
    return any(isinstance(d.call, SecurityBase) for d in _walk(dependant))


def _accepts_enrolment(dependant: Dependant) -> bool:
    """A dependency takes a token that may only enrol in MFA (runtime.security.authn marks
    those with ``accepts_enrolment``): the route cannot answer MFA_ENROLMENT_REQUIRED."""
    return any(getattr(d.call, "accepts_enrolment", False) for d in _walk(dependant))


def required_permission(dependant: Dependant) -> str | None:
    """The code of the permission check among a route's dependencies (runtime.security.access marks
    its checks with ``permission``), searched depth first."""
    for sub in dependant.dependencies:
        code = getattr(sub.call, "permission", None) or required_permission(sub)
        if code:
            return code
    return None


def audited_route(*, scope: str, entity: str | None) -> type[UnitOfWorkRoute]:
    """The route class that runs in a unit of work and audits ``entity`` mutations."""
    return type(
        f"AuditedRoute_{(entity or scope).replace('.', '_')}",
        (UnitOfWorkRoute,),
        {"scope_name": scope, "entity": entity},
    )


def audited_router(*, scope: str, entity: str | None) -> APIRouter:
    """An APIRouter whose routes run in a unit of work and audit ``entity`` mutations."""
    return APIRouter(
        route_class=audited_route(scope=scope, entity=entity),
        generate_unique_id_function=path_operation_id,
    )


def path_operation_id(route: APIRoute) -> str:
    """The operation id of a route that names none, from its whole path (the router's own
    path is only its tail)."""
    return contract.operation_id(route.path_format)
