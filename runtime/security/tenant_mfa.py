"""Tenant MFA endpoints under /api/v1/tenants/auth: the second step of a sign-in, and an
account's own TOTP (runtime.security.mfa holds the rules; both systems share them)."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import select

from runtime.data.db import TENANT
from runtime.deps import (
    CurrentTenantUser,
    EnrollingTenantUser,
    ManagerDb,
    TenantDb,
    enter_tenant,
    unit_of_work,
)
from runtime.security import mfa, mfa_signin
from runtime.security.accounts import Accounts
from runtime.security.mfa_models import (
    ABOUT,
    CONFIRM_RAISES,
    ENROL_RAISES,
    REAUTH_RAISES,
    VERIFY_RAISES,
    BackupCodes,
    ConfirmRequest,
    Enabled,
    Enrolment,
    EnrolRequest,
    MfaStatus,
    MfaVerifyRequest,
    ReauthRequest,
)
from runtime.security.principal import TENANT as TENANT_SYSTEM
from runtime.security.principal import Actor, tenant_of
from runtime.security.signin_models import TokenPair
from runtime.security.tenant_auth import tenant_accounts
from runtime.state import app_state
from runtime.web.contract import answers
from runtime.web.envelope import Envelope, ok
from runtime.web.errors import MfaChallengeError
from runtime.web.router import audited_router

router = audited_router(scope="tenants", entity=None)


def _accounts(request: Request, actor: Actor) -> Accounts:
    return tenant_accounts(request, tenant_of(actor))


@router.post(
    "/mfa/verify",
    response_model=Envelope[TokenPair],
    summary="다중 인증 코드 확인 (로그인 2단계)",
    description=ABOUT["verify"],
)
@answers(raises=VERIFY_RAISES)
async def verify(data: MfaVerifyRequest, request: Request) -> Envelope[TokenPair]:
    claims = mfa_signin.challenge_claims(data.mfa_token, TENANT_SYSTEM)
    tenant_id = await enter_tenant(request, claims, MfaChallengeError.messages)
    db = unit_of_work(request).session(TENANT)
    return ok(
        await mfa_signin.verify(db, request, tenant_accounts(request, tenant_id), claims, data)
    )


@router.get(
    "/mfa",
    response_model=Envelope[MfaStatus],
    summary="다중 인증 상태",
    description=ABOUT["status"],
)
async def mfa_status(
    request: Request, actor: EnrollingTenantUser, db: TenantDb
) -> Envelope[MfaStatus]:
    return ok(await mfa.status(db, request, _accounts(request, actor), actor))


@router.post(
    "/mfa/enrol",
    response_model=Envelope[Enrolment],
    summary="다중 인증 등록 시작",
    description=ABOUT["enrol"],
)
@answers(raises=ENROL_RAISES)
async def enrol(
    data: EnrolRequest, request: Request, actor: EnrollingTenantUser, db: TenantDb, mdb: ManagerDb
) -> Envelope[Enrolment]:
    tenants = app_state(request).manager_tables.tenants
    code = await mdb.scalar(select(tenants.c.code).where(tenants.c.id == tenant_of(actor)))
    accounts = tenant_accounts(request, tenant_of(actor), code)
    return ok(await mfa.enrol(db, request, accounts, actor, data.password))


@router.post(
    "/mfa/confirm",
    response_model=Envelope[Enabled],
    summary="다중 인증 등록 확인",
    description=ABOUT["confirm"],
)
@answers(raises=CONFIRM_RAISES)
async def confirm(
    data: ConfirmRequest, request: Request, actor: EnrollingTenantUser, db: TenantDb
) -> Envelope[Enabled]:
    return ok(await mfa.confirm(db, request, _accounts(request, actor), actor, data))


@router.post(
    "/mfa/disable",
    response_model=Envelope[MfaStatus],
    summary="다중 인증 해제",
    description=ABOUT["disable"],
)
@answers(raises=REAUTH_RAISES)
async def disable(
    data: ReauthRequest, request: Request, actor: CurrentTenantUser, db: TenantDb
) -> Envelope[MfaStatus]:
    return ok(await mfa.disable(db, request, _accounts(request, actor), actor, data))


@router.post(
    "/mfa/backup-codes",
    response_model=Envelope[BackupCodes],
    summary="백업 코드 재발급",
    description=ABOUT["backup_codes"],
)
@answers(raises=REAUTH_RAISES)
async def backup_codes(
    data: ReauthRequest, request: Request, actor: CurrentTenantUser, db: TenantDb
) -> Envelope[BackupCodes]:
    return ok(await mfa.new_backup_codes(db, request, _accounts(request, actor), actor, data))
