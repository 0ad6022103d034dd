"""Manager endpoints that reach into a tenant: provisioning its first administrator, and
acting for it.

Both are audited in the manager audit trail (PROVISION, ACT_FOR_TENANT) and require their
own permission codes, which only MASTER holds unless a role grants them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Request, Response, status
from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.data.db import TENANT
from runtime.deps import ManagerDb, manager_permission, unit_of_work
from runtime.security import accounts, signin_models
from runtime.security.credentials import ACCESS, create_token, hash_password
from runtime.security.permissions import ACT_FOR_TENANT, PROVISION_TENANT, TENANT_ADMIN_ROLE
from runtime.security.principal import MANAGER, Actor
from runtime.security.principal import TENANT as TENANT_SYSTEM_NAME
from runtime.security.tenant_auth import tenant_accounts
from runtime.settings import get_settings
from runtime.state import app_state, tenant_tables
from runtime.web.contract import answers
from runtime.web.envelope import Envelope, Output, ok
from runtime.web.errors import ConflictError, ForbiddenError, NotFoundError
from runtime.web.router import audited_router

router = audited_router(scope="manager", entity="tnnt.tenants")

NOT_ACTIVE = {
    "ko": "활성 상태의 테넌트가 아닙니다.",
    "en": "The tenant is not active.",
}
ALREADY_PROVISIONED = {
    "ko": "이미 사용자가 있는 테넌트입니다.",
    "en": "The tenant already has users.",
}


class ProvisionRequest(signin_models.NewAccount):
    """The tenant's first administrator."""


class Provisioned(Output):
    tenant_id: uuid.UUID
    tenant_code: str
    tenant_status: str
    admin: dict[str, Any]


class ActToken(Output):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    tenant_id: uuid.UUID


async def _tenant(db: AsyncSession, request: Request, tenant_id: uuid.UUID) -> Row[Any, Any, Any]:
    tenants = app_state(request).manager_tables.tenants
    row = (
        await db.execute(
            select(tenants.c.id, tenants.c.code, tenants.c.status)
            .where(tenants.c.id == tenant_id, tenants.c.is_deleted.is_(False))
            .with_for_update()
        )
    ).one_or_none()
    if row is None:
        raise NotFoundError(detail={"id": str(tenant_id)})
    return row


@router.post(
    "/tenants/{tenant_id}/provision",
    response_model=Envelope[Provisioned],
    status_code=status.HTTP_201_CREATED,
    summary="테넌트 관리자 생성",
    openapi_extra={"x-permission": PROVISION_TENANT},
)
@answers(raises=[ConflictError])
async def provision(
    tenant_id: uuid.UUID,
    data: ProvisionRequest,
    request: Request,
    db: ManagerDb,
    actor: Annotated[Actor, manager_permission(PROVISION_TENANT)],
    response: Response,
) -> Envelope[Provisioned]:
    """Create the tenant's first administrator (role TENANT_ADMIN) and activate a pending
    tenant. Refused once the tenant has users: from then on its administrators manage it."""
    request.state.audit_action = "PROVISION"
    tenant = await _tenant(db, request, tenant_id)
    if tenant.status not in ("PENDING", "ACTIVE"):
        raise ConflictError(NOT_ACTIVE, detail={"status": tenant.status})
    uow = unit_of_work(request)
    uow.bind_tenant(tenant_id)
    tdb = uow.session(TENANT)
    tables = tenant_tables(request)
    users, roles = tables.users, tables.roles
    # the tenant filter is explicit here too: row-level security is the second wall, not the first
    if await tdb.scalar(
        select(func.count()).select_from(users).where(users.c.tenant_id == tenant_id)
    ):
        raise ConflictError(ALREADY_PROVISIONED)
    stamp = {"tenant_id": tenant_id, "created_by": actor.user_id, "updated_by": actor.user_id}
    role_id = await tdb.scalar(
        select(roles.c.id).where(
            roles.c.tenant_id == tenant_id,
            roles.c.code == TENANT_ADMIN_ROLE,
            roles.c.is_deleted.is_(False),
        )
    )
    if role_id is None:
        role_id = uuid.uuid4()
        await tdb.execute(
            insert(roles).values(
                id=role_id,
                code=TENANT_ADMIN_ROLE,
                name="테넌트 관리자",
                description="Holds every permission of this tenant.",
                permissions=[],
                status="ACTIVE",
                **stamp,
            )
        )
    user_id = uuid.uuid4()
    await tdb.execute(
        insert(users).values(
            id=user_id,
            username=data.username,
            email=data.email,
            full_name=data.full_name,
            password=await hash_password(data.password),
            user_type="ADMIN",
            status="ACTIVE",
            **stamp,
        )
    )
    await tdb.execute(
        insert(tables.user_roles).values(id=uuid.uuid4(), user_id=user_id, role_id=role_id, **stamp)
    )
    tenant_status = tenant.status
    if tenant_status == "PENDING":
        tenants = app_state(request).manager_tables.tenants
        await db.execute(
            update(tenants)
            .where(tenants.c.id == tenant_id)
            .values(
                version=tenants.c.version + 1,
                status="ACTIVE",
                updated_by=actor.user_id,
                updated_at=datetime.now(UTC),
            )
        )
        tenant_status = "ACTIVE"
    admin = await accounts.user_view(tdb, tenant_accounts(request, tenant_id), user_id)
    response.headers["Location"] = f"/api/v1/tenants/adm/users/{user_id}"  # the tenant's view
    return ok(
        Provisioned(
            tenant_id=tenant_id, tenant_code=tenant.code, tenant_status=tenant_status, admin=admin
        )
    )


@router.post(
    "/tenants/{tenant_id}/act-token",
    response_model=Envelope[ActToken],
    summary="테넌트 대리 접근 토큰 발급",
    openapi_extra={"x-permission": ACT_FOR_TENANT},
)
@answers(raises=[ConflictError])
async def act_token(
    tenant_id: uuid.UUID,
    request: Request,
    db: ManagerDb,
    actor: Annotated[Actor, manager_permission(ACT_FOR_TENANT)],
) -> Envelope[ActToken]:
    """A short-lived tenant token for a manager user (support, migration). It works on the
    tenant endpoints of this tenant only, as long as the user stays signed in and keeps the
    permission; its use is audited in the tenant's trail under the manager's name."""
    request.state.audit_action = "ACT_FOR_TENANT"
    if actor.session_id is None:
        raise ForbiddenError(detail={"reason": "an API key cannot act for a tenant"})
    tenant = await _tenant(db, request, tenant_id)
    if tenant.status != "ACTIVE":
        raise ConflictError(NOT_ACTIVE, detail={"status": tenant.status})
    token = create_token(
        subject=actor.user_id,
        token_type=ACCESS,
        session_id=actor.session_id,
        system=TENANT_SYSTEM_NAME,
        extra={"tid": str(tenant_id), "act": MANAGER},
    )
    minutes = get_settings().access_token_minutes
    return ok(ActToken(access_token=token, expires_in=minutes * 60, tenant_id=tenant_id))
