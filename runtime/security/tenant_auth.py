"""Tenant sign-in: login with tenant code, refresh, me, change-password, logout.

The same mechanics as the manager system (runtime.security.signin), on the tenant database's adm
tables and confined to the tenant the tenant code names. A suspended or closed tenant's
users cannot sign in, and their tokens stop working (runtime.security.authn.current_tenant_actor).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from pydantic import Field
from sqlalchemy import select

from runtime.data.db import TENANT
from runtime.deps import (
    INACTIVE_TENANT,
    CurrentTenantUser,
    EnrollingTenantUser,
    ManagerDb,
    TenantDb,
    enter_tenant,
    unit_of_work,
)
from runtime.security import accounts as accounts_
from runtime.security import signin, signin_models, signin_sessions, throttle
from runtime.security.accounts import Accounts
from runtime.security.credentials import verify_against_dummy
from runtime.security.principal import ACTING_MANAGER, Actor, tenant_of
from runtime.security.principal import TENANT as TENANT_SYSTEM
from runtime.security.signin import SignedIn
from runtime.security.signin_models import (
    ChangePasswordRequest,
    LoginRequest,
    Message,
    RefreshRequest,
    TokenPair,
)
from runtime.state import app_state, tenant_tables
from runtime.web.contract import answers
from runtime.web.envelope import Envelope, ok
from runtime.web.errors import ForbiddenError, UnauthorizedError
from runtime.web.router import audited_router
from runtime.web.schemas import Input

router = audited_router(scope="tenants", entity=None)

NO_ACCOUNT = {
    "ko": "테넌트를 대리하는 관리자에게는 테넌트 계정이 없습니다.",
    "en": "A manager acting for a tenant has no tenant account.",
}


class TenantLoginRequest(Input):
    tenant_code: str = Field(min_length=1, max_length=30, description="The company's tenant code.")
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


def tenant_accounts(
    request: Request, tenant_id: uuid.UUID, tenant_code: str | None = None
) -> Accounts:
    t = tenant_tables(request)
    return Accounts(
        system=TENANT_SYSTEM,
        users=t.users,
        sessions=t.sessions,
        login_logs=t.login_logs,
        audit_logs=t.audit_logs,
        backup_codes=t.backup_codes,
        account_tokens=t.account_tokens,
        tenant_id=tenant_id,
        tenant_code=tenant_code,
    )


def _own_account(actor: Actor) -> Actor:
    if actor.user_type == ACTING_MANAGER:
        raise ForbiddenError(NO_ACCOUNT)
    return actor


@router.post(
    "/login",
    response_model=Envelope[SignedIn],
    summary="로그인",
    description=signin_models.LOGIN_ANSWERS,
)
@answers(raises=[UnauthorizedError])
async def login(data: TenantLoginRequest, request: Request, mdb: ManagerDb) -> Envelope[SignedIn]:
    tenants = app_state(request).manager_tables.tenants
    tenant = (
        await mdb.execute(
            select(tenants.c.id, tenants.c.status).where(
                tenants.c.code == data.tenant_code, tenants.c.is_deleted.is_(False)
            )
        )
    ).one_or_none()
    unknown = f"tenant-code:{data.tenant_code}"
    if tenant is None:  # answered like a wrong password, at the same cost
        await throttle.check(request, unknown, data.username)
        await verify_against_dummy(data.password)
        await throttle.failed(request, unknown, data.username)
        raise UnauthorizedError(signin_models.BAD_LOGIN)
    uow = unit_of_work(request)
    uow.bind_tenant(tenant.id)
    db = uow.session(TENANT)
    accounts = tenant_accounts(request, tenant.id)
    if tenant.status != "ACTIVE":
        await accounts_.refuse(
            db, request, accounts, data.username, None, f"TENANT_{tenant.status}", INACTIVE_TENANT
        )
    credentials = LoginRequest(username=data.username, password=data.password)
    return ok(await signin.sign_in(db, request, accounts, credentials))


@router.post("/refresh", response_model=Envelope[TokenPair], summary="토큰 갱신")
@answers(raises=[UnauthorizedError])
async def refresh(data: RefreshRequest, request: Request) -> Envelope[TokenPair]:
    """A new token pair for a refresh token, which is used up: presenting it again ends the
    session."""
    claims = signin_sessions.refresh_claims(data.refresh_token, TENANT_SYSTEM)
    tenant_id = await enter_tenant(request, claims, signin_models.BAD_REFRESH)
    accounts = tenant_accounts(request, tenant_id)
    db = unit_of_work(request).session(TENANT)
    return ok(await signin_sessions.rotate(db, request, accounts, claims))


@router.get("/me", response_model=Envelope[dict[str, Any]], summary="현재 사용자 정보")
async def me(request: Request, actor: CurrentTenantUser, db: TenantDb) -> Envelope[dict[str, Any]]:
    """The signed-in user's account (a manager acting for the tenant has none: 403)."""
    actor = _own_account(actor)
    return ok(
        await accounts_.user_view(db, tenant_accounts(request, tenant_of(actor)), actor.user_id)
    )


@router.post("/change-password", response_model=Envelope[Message], summary="비밀번호 변경")
async def change_password(
    data: ChangePasswordRequest, request: Request, actor: CurrentTenantUser, db: TenantDb
) -> Envelope[Message]:
    """Change your password (the current one is checked); every other session ends."""
    actor = _own_account(actor)
    accounts = tenant_accounts(request, tenant_of(actor))
    return ok(await signin_sessions.change_password(db, request, accounts, actor, data))


@router.post("/logout", response_model=Envelope[Message], summary="로그아웃")
async def logout(request: Request, actor: EnrollingTenantUser, db: TenantDb) -> Envelope[Message]:
    """End the session: its access and refresh tokens stop working at once."""
    actor = _own_account(actor)
    return ok(
        await signin_sessions.sign_out(
            db, request, tenant_accounts(request, tenant_of(actor)), actor
        )
    )
