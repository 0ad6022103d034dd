"""Manager MFA endpoints under /api/v1/manager/auth: the second step of a sign-in, and an
account's own TOTP (runtime.security.mfa holds the rules; both systems share them)."""

from __future__ import annotations

from fastapi import Request

from runtime.deps import CurrentManagerUser, EnrollingManagerUser, ManagerDb
from runtime.security import mfa, mfa_signin
from runtime.security.manager_auth import manager_accounts
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
from runtime.security.principal import MANAGER
from runtime.security.signin_models import TokenPair
from runtime.web.contract import answers
from runtime.web.envelope import Envelope, ok
from runtime.web.router import audited_router

router = audited_router(scope="manager", entity=None)


@router.post(
    "/mfa/verify",
    response_model=Envelope[TokenPair],
    summary="다중 인증 코드 확인 (로그인 2단계)",
    description=ABOUT["verify"],
)
@answers(raises=VERIFY_RAISES)
async def verify(data: MfaVerifyRequest, request: Request, db: ManagerDb) -> Envelope[TokenPair]:
    claims = mfa_signin.challenge_claims(data.mfa_token, MANAGER)
    return ok(await mfa_signin.verify(db, request, manager_accounts(request), claims, data))


@router.get(
    "/mfa",
    response_model=Envelope[MfaStatus],
    summary="다중 인증 상태",
    description=ABOUT["status"],
)
async def mfa_status(
    request: Request, actor: EnrollingManagerUser, db: ManagerDb
) -> Envelope[MfaStatus]:
    return ok(await mfa.status(db, request, manager_accounts(request), actor))


@router.post(
    "/mfa/enrol",
    response_model=Envelope[Enrolment],
    summary="다중 인증 등록 시작",
    description=ABOUT["enrol"],
)
@answers(raises=ENROL_RAISES)
async def enrol(
    data: EnrolRequest, request: Request, actor: EnrollingManagerUser, db: ManagerDb
) -> Envelope[Enrolment]:
    return ok(await mfa.enrol(db, request, manager_accounts(request), actor, data.password))


@router.post(
    "/mfa/confirm",
    response_model=Envelope[Enabled],
    summary="다중 인증 등록 확인",
    description=ABOUT["confirm"],
)
@answers(raises=CONFIRM_RAISES)
async def confirm(
    data: ConfirmRequest, request: Request, actor: EnrollingManagerUser, db: ManagerDb
) -> Envelope[Enabled]:
    return ok(await mfa.confirm(db, request, manager_accounts(request), actor, data))


@router.post(
    "/mfa/disable",
    response_model=Envelope[MfaStatus],
    summary="다중 인증 해제",
    description=ABOUT["disable"],
)
@answers(raises=REAUTH_RAISES)
async def disable(
    data: ReauthRequest, request: Request, actor: CurrentManagerUser, db: ManagerDb
) -> Envelope[MfaStatus]:
    return ok(await mfa.disable(db, request, manager_accounts(request), actor, data))


@router.post(
    "/mfa/backup-codes",
    response_model=Envelope[BackupCodes],
    summary="백업 코드 재발급",
    description=ABOUT["backup_codes"],
)
@answers(raises=REAUTH_RAISES)
async def backup_codes(
    data: ReauthRequest, request: Request, actor: CurrentManagerUser, db: ManagerDb
) -> Envelope[BackupCodes]:
    return ok(await mfa.new_backup_codes(db, request, manager_accounts(request), actor, data))
