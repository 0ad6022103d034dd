"""The audited router: one unit of work per request, one audit row per successful mutation.

Endpoint authors do nothing: the route class opens the request's sessions, runs the
endpoint, writes the audit row in the same transaction as the change and commits once.
Any error rolls everything back, audit row included.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

from fastapi import APIRouter, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from runtime.data import audit
from runtime.data.db import UnitOfWork
from runtime.security.authz import AUTHZ_ENTITIES, notify_change
from runtime.state import app_state, audit_table
from runtime.web.envelope import ERROR_RESPONSES

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SCOPE_DATABASE = {"manager": "manager", "tenants": "tenant"}


class UnitOfWorkRoute(APIRoute):
    """Runs the endpoint inside a unit of work; audits mutations when ``entity`` is set.

    The permission code a route requires is documented from the dependency that checks it
    (``x-permission`` in the API document), so no endpoint restates it.
    """

    scope_name: ClassVar[str | None] = None
    entity: ClassVar[str | None] = None

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        code = required_permission(self.dependant)
        if code is not None:
            self.openapi_extra = {**(self.openapi_extra or {}), "x-permission": code}

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        mutating = bool(self.methods and self.methods & MUTATING)
        entity = self.entity
        database = SCOPE_DATABASE.get(self.scope_name or "manager", "manager")

        async def run(request: Request) -> Response:
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
        route_class=audited_route(scope=scope, entity=entity), responses=ERROR_RESPONSES
    )
