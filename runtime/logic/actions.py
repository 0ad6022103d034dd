"""Custom endpoints: the ``actions:`` a spec declares, written by hand.

An entity's spec names its actions (``actions: {approve: {label: ...}}``); each becomes a
permission code ``<domain>.<table>:<action>`` in the generated catalog. Their endpoints live in
one hand-owned module per domain, ``runtime/extensions/<scope>/<domain>/_actions.py``
(``cxg-gen extend <scope> <domain>`` writes its skeleton once), whose ``router`` the generated v1
aggregator mounts under ``/<domain>``. The interface, all of it here and in runtime.web.errors:

    router = ActionRouter("tenants", "apm")

    @router.action("approval_requests", "approve", "/approval-requests/{request_id}/approve")
    async def approve(request_id: UUID, body: Decision, db: TenantDb, actor: ActionActor): ...

``action`` refuses, at import, an action the spec does not declare. Every action route requires
its permission code (403 PERMISSION_DENIED naming it, documented as ``x-permission``), runs in
the request's unit of work (``db`` is inside the caller's tenant, under row-level security) and,
when it answers 2xx, is audited in the same transaction with the action's name as the audit
action (APPROVE). Rows are read with runtime.data.crud.get_live, so another tenant's id is a 404.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from runtime.deps import manager_permission, tenant_permission
from runtime.security.principal import Actor
from runtime.web.router import audited_route

PERMISSION = {"manager": manager_permission, "tenants": tenant_permission}
MODULE = "_actions"  # runtime/extensions/<scope>/<domain>/_actions.py


class ActionError(Exception):
    """An action the specs do not declare (the app refuses to start with it)."""


def _acting(request: Request) -> Actor:
    actor: Actor = request.state.actor  # set by the permission check, which runs first
    return actor


# The caller, once the action's permission check passed.
ActionActor = Annotated[Actor, Depends(_acting)]


class ActionRouter(APIRouter):
    """The router of a domain's custom endpoints; see the module's docstring."""

    def __init__(self, scope: str, domain: str) -> None:
        super().__init__()
        if scope not in PERMISSION:
            raise ActionError(f"unknown scope {scope!r} (manager or tenants)")
        self.scope, self.domain = scope, domain
        catalog = importlib.import_module(f"generated.{scope}.permissions").PERMISSIONS
        self._labels = {d.code: d.label for d in catalog}
        resources = importlib.import_module(f"generated.{scope}.v1").RESOURCES
        self._tags = {r.module: r.tag for r in resources if r.tag}

    def action(
        self,
        entity: str,
        name: str,
        path: str,
        *,
        method: str = "POST",
        status_code: int = 200,
        **options: Any,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register the endpoint of ``<domain>.<entity>:<name>`` at ``path`` (under the
        domain). ``options`` go to FastAPI (response_model, description, ...)."""
        key = f"{self.domain}.{entity}"
        code = f"{key}:{name}"
        if code not in self._labels:
            raise ActionError(
                f"{code} is not declared: add `actions: {{{name}: ...}}` to"
                f" specs/{self.scope}/{self.domain}/{entity}.yaml and run `cxg-gen build`"
            )
        tag = self._tags.get(f"generated.{self.scope}.{key}.router")

        def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
            self.add_api_route(
                path,
                endpoint,
                methods=[method],
                status_code=status_code,
                dependencies=[PERMISSION[self.scope](code), Depends(_audited_as(name))],
                route_class_override=audited_route(scope=self.scope, entity=key),
                summary=options.pop("summary", self._labels[code]),
                operation_id=f"{self.scope}_{self.domain}_{entity}_{name}",
                tags=[tag] if tag else None,
                **options,
            )
            return endpoint

        return register


def _audited_as(name: str) -> Callable[[Request], None]:
    def audit_action(request: Request) -> None:
        request.state.audit_action = name.upper()

    return audit_action
