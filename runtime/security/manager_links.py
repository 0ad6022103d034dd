"""Manager e-mail verification and password reset under /api/v1/manager/auth (the rules are
runtime.security.links, shared by both systems)."""

from __future__ import annotations

from fastapi import BackgroundTasks, Request, status

from runtime.deps import CurrentManagerUser, ManagerDb
from runtime.security import account_mail
from runtime.security.manager_auth import manager_accounts
from runtime.security.signin_models import (
    Message,
    PasswordResetConfirm,
    PasswordResetRequest,
    TokenRequest,
)
from runtime.web.contract import answers
from runtime.web.envelope import Envelope, ok
from runtime.web.errors import ConflictError, LinkTokenError
from runtime.web.router import audited_router

router = audited_router(scope="manager", entity=None)

# the errors these endpoints raise themselves (runtime.web.contract.answers documents them)
TOKEN_RAISES = (LinkTokenError,)
VERIFY_RAISES = (ConflictError,)
# what the e-mail verification endpoints do, for the API document (the same in both systems)
ABOUT = {
    "verify_email": "Mails the signed-in account a link that confirms its e-mail address"
    " (valid for a limited time, used once).",
    "confirm_email": "Confirms the e-mail address with the token of the mailed link: the"
    " account's address is verified from then on.",
}


@router.post(
    "/verify-email",
    response_model=Envelope[Message],
    status_code=status.HTTP_202_ACCEPTED,
    summary="이메일 확인 메일 요청",
    description=ABOUT["verify_email"],
)
@answers(raises=VERIFY_RAISES)
async def verify_email(
    request: Request, background: BackgroundTasks, actor: CurrentManagerUser, db: ManagerDb
) -> Envelope[Message]:
    accounts = manager_accounts(request)
    return ok(await account_mail.request_verification(db, request, background, accounts, actor))


@router.post(
    "/verify-email/confirm",
    response_model=Envelope[Message],
    summary="이메일 확인",
    description=ABOUT["confirm_email"],
)
@answers(raises=TOKEN_RAISES)
async def confirm_email(data: TokenRequest, request: Request, db: ManagerDb) -> Envelope[Message]:
    return ok(
        await account_mail.confirm_verification(db, request, manager_accounts(request), data.token)
    )


@router.post(
    "/password-reset",
    response_model=Envelope[Message],
    status_code=status.HTTP_202_ACCEPTED,
    summary="비밀번호 재설정 메일 요청",
    description="The same answer whether or not an account has the address.",
)
async def password_reset(
    data: PasswordResetRequest, request: Request, background: BackgroundTasks, db: ManagerDb
) -> Envelope[Message]:
    accounts = manager_accounts(request)
    return ok(await account_mail.request_reset(db, request, background, accounts, data.email))


@router.post(
    "/password-reset/confirm",
    response_model=Envelope[Message],
    summary="비밀번호 재설정",
    description="Sets the new password and ends every session of the account.",
)
@answers(raises=TOKEN_RAISES)
async def confirm_password_reset(
    data: PasswordResetConfirm, request: Request, db: ManagerDb
) -> Envelope[Message]:
    accounts = manager_accounts(request)
    return ok(
        await account_mail.confirm_reset(db, request, accounts, data.token, data.new_password)
    )
