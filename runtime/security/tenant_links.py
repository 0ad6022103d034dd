"""Tenant e-mail verification and password reset under /api/v1/tenants/auth (the rules are
runtime.security.links, shared by both systems). The confirm endpoints find the tenant in the
token itself; the reset request by its tenant code."""

from __future__ import annotations

from fastapi import BackgroundTasks, Request, status
from sqlalchemy import select

from runtime.data.db import TENANT
from runtime.deps import CurrentTenantUser, ManagerDb, TenantDb, tenant_status, unit_of_work
from runtime.security import account_mail, links
from runtime.security.accounts import Accounts
from runtime.security.manager_links import ABOUT, TOKEN_RAISES, VERIFY_RAISES
from runtime.security.principal import tenant_of
from runtime.security.signin_models import (
    Message,
    PasswordResetConfirm,
    TenantPasswordResetRequest,
    TokenRequest,
)
from runtime.security.tenant_auth import tenant_accounts
from runtime.state import app_state
from runtime.web.contract import answers
from runtime.web.envelope import Envelope, ok
from runtime.web.errors import LinkTokenError
from runtime.web.router import audited_router

router = audited_router(scope="tenants", entity=None)


async def _token_tenant(request: Request, token: str) -> Accounts:
    """The accounts of the active tenant a token names (TOKEN_INVALID otherwise); the
    request's tenant transaction is bound to it."""
    tenant_id = links.tenant_in(token)
    if await tenant_status(request, tenant_id) != "ACTIVE":
        raise LinkTokenError(detail={"reason": "unknown"})
    unit_of_work(request).bind_tenant(tenant_id)
    return tenant_accounts(request, tenant_id)


@router.post(
    "/verify-email",
    response_model=Envelope[Message],
    status_code=status.HTTP_202_ACCEPTED,
    summary="이메일 확인 메일 요청",
    description=ABOUT["verify_email"],
)
@answers(raises=VERIFY_RAISES)
async def verify_email(
    request: Request, background: BackgroundTasks, actor: CurrentTenantUser, db: TenantDb
) -> Envelope[Message]:
    accounts = tenant_accounts(request, tenant_of(actor))
    return ok(await account_mail.request_verification(db, request, background, accounts, actor))


@router.post(
    "/verify-email/confirm",
    response_model=Envelope[Message],
    summary="이메일 확인",
    description=ABOUT["confirm_email"],
)
@answers(raises=TOKEN_RAISES)
async def confirm_email(data: TokenRequest, request: Request) -> Envelope[Message]:
    accounts = await _token_tenant(request, data.token)
    db = unit_of_work(request).session(TENANT)
    return ok(await account_mail.confirm_verification(db, request, accounts, data.token))


@router.post(
    "/password-reset",
    response_model=Envelope[Message],
    status_code=status.HTTP_202_ACCEPTED,
    summary="비밀번호 재설정 메일 요청",
    description="The same answer whether or not an account of the tenant has the address.",
)
async def password_reset(
    data: TenantPasswordResetRequest,
    request: Request,
    background: BackgroundTasks,
    mdb: ManagerDb,
) -> Envelope[Message]:
    tenants = app_state(request).manager_tables.tenants
    tenant_id = await mdb.scalar(
        select(tenants.c.id).where(
            tenants.c.code == data.tenant_code,
            tenants.c.status == "ACTIVE",
            tenants.c.is_deleted.is_(False),
        )
    )
    if tenant_id is None:
        return ok(await account_mail.request_reset(mdb, request, background, None, data.email))
    unit_of_work(request).bind_tenant(tenant_id)
    db = unit_of_work(request).session(TENANT)
    accounts = tenant_accounts(request, tenant_id)
    return ok(await account_mail.request_reset(db, request, background, accounts, data.email))


@router.post(
    "/password-reset/confirm",
    response_model=Envelope[Message],
    summary="비밀번호 재설정",
    description="Sets the new password and ends every session of the account.",
)
@answers(raises=TOKEN_RAISES)
async def confirm_password_reset(data: PasswordResetConfirm, request: Request) -> Envelope[Message]:
    accounts = await _token_tenant(request, data.token)
    db = unit_of_work(request).session(TENANT)
    return ok(
        await account_mail.confirm_reset(db, request, accounts, data.token, data.new_password)
    )
