"""Authorization: the ``Depends()`` that make an endpoint require a permission code. Each check
is marked with the code it requires (``permission``), which the audited route class documents as
``x-permission`` and the permission tests read."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request

from runtime.data.db import TENANT
from runtime.data.sessions import ManagerDb, TenantDb
from runtime.security.authn import CurrentManagerUser, CurrentTenantUser
from runtime.security.authz import load_tenant_permissions
from runtime.security.codes import cached_codes, manager_codes
from runtime.security.permissions import holds
from runtime.security.principal import ACTING_MANAGER, Actor, tenant_of
from runtime.state import tenant_tables
from runtime.web.errors import ForbiddenError


def _named(check: Any, code: str) -> Any:
    check.__name__ = f"require_{code.replace('.', '_').replace(':', '_')}"
    check.permission = code  # what the route requires, for docs and the permission tests
    return Depends(check)


def manager_permission(code: str) -> Any:
    """Depends() for a manager endpoint that requires ``code``.

    MASTER users hold every manager permission; everyone else holds what their roles grant
    (cached per process, see runtime.security.authz). An API key is further limited to its scopes.
    """

    async def check(request: Request, actor: CurrentManagerUser, db: ManagerDb) -> Actor:
        if actor.scopes is not None and code not in actor.scopes:
            raise ForbiddenError(detail={"permission": code})  # beyond what the key allows
        if not holds(await manager_codes(request, actor, db), code):
            raise ForbiddenError(detail={"permission": code})
        return actor

    return _named(check, code)


def tenant_permission(code: str) -> Any:
    """Depends() for a tenant endpoint that requires ``code``.

    A tenant administrator (role TENANT_ADMIN) and a manager acting for the tenant hold every
    tenant permission; everyone else holds what their adm roles list (cached per process).
    """

    async def check(request: Request, actor: CurrentTenantUser, db: TenantDb) -> Actor:
        if actor.user_type == ACTING_MANAGER:
            return actor
        tables, tenant_id = tenant_tables(request), tenant_of(actor)
        codes = await cached_codes(
            request,
            TENANT,
            actor.user_id,
            lambda: load_tenant_permissions(db, tables, tenant_id, actor.user_id),
        )
        if not holds(codes, code):
            raise ForbiddenError(detail={"permission": code})
        return actor

    return _named(check, code)
