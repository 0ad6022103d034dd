"""E-mail verification and password reset, for both systems, over the one-time tokens of
runtime.security.links.

A reset request answers the same whether or not the address belongs to an account (and the
mail leaves after the response, so neither the answer nor its timing tells). A reset ends
every session of the account, lifts a lockout and verifies the address; it does not touch
MFA (the next sign-in still asks for the code). An account without a password (SSO only) gets
no reset mail. Mails are in the account's language (runtime.mail.messages); every step is
written to the login log, and every change to the audit log.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import BackgroundTasks, Request
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.mail import messages
from runtime.security.accounts import Accounts, actor_of, log_attempt, record_audit
from runtime.security.credentials import hash_password
from runtime.security.links import RESET, VERIFY, account_columns, redeem, send
from runtime.security.principal import Actor
from runtime.security.signin_models import Message
from runtime.web.errors import ConflictError

ALREADY_VERIFIED = {
    "ko": "이미 확인된 이메일 주소입니다.",
    "en": "The address is already verified.",
}
SENT = {
    "ko": "메일을 보냈습니다. 받은 편지함을 확인하세요.",
    "en": "A mail is on its way; check the inbox.",
}
RESET_SENT = {
    "ko": "해당 주소의 계정이 있으면 비밀번호 재설정 메일을 보냈습니다.",
    "en": "If an account has that address, a mail to reset its password is on its way.",
}
VERIFIED = {"ko": "이메일 주소가 확인되었습니다.", "en": "The e-mail address is verified."}
RESET_DONE = {
    "ko": "비밀번호가 변경되었습니다. 새 비밀번호로 로그인하세요.",
    "en": "The password is changed; sign in with the new one.",
}


def _say(request: Request, text: dict[str, str]) -> Message:
    lang = messages.language(None, request.headers.get("accept-language"))
    return Message(message=text.get(lang, text["ko"]))


async def request_verification(
    db: AsyncSession,
    request: Request,
    background: BackgroundTasks,
    accounts: Accounts,
    actor: Actor,
) -> Message:
    """A verification mail to the caller's own address."""
    users = accounts.users
    user = (
        await db.execute(
            select(*account_columns(accounts)).where(
                users.c.id == actor.user_id, *accounts.mine(users)
            )
        )
    ).one()
    if user.email_verified:
        raise ConflictError(ALREADY_VERIFIED, detail={"email": user.email})
    await send(db, request, background, accounts, user, VERIFY)
    return _say(request, SENT)


async def request_reset(
    db: AsyncSession,
    request: Request,
    background: BackgroundTasks,
    accounts: Accounts | None,
    email: str,
) -> Message:
    """A reset mail when an active account has ``email``; the same answer either way.
    ``accounts`` is None when the tenant code named no active tenant."""
    if accounts is not None:
        users = accounts.users
        user = (
            await db.execute(
                select(*account_columns(accounts)).where(
                    users.c.email == email,
                    users.c.is_deleted.is_(False),
                    users.c.status == "ACTIVE",
                    *accounts.mine(users),
                )
            )
        ).one_or_none()
        # an account without a password signs in through its company's identity provider
        if user is not None and user.password is not None:
            if await send(db, request, background, accounts, user, RESET):
                await log_attempt(
                    db,
                    request,
                    accounts,
                    username=user.username,
                    user_id=user.id,
                    success=True,
                    reason=None,
                    attempt="PASSWORD_RESET_REQUEST",
                )
    return _say(request, RESET_SENT)


async def _record(
    db: AsyncSession, request: Request, accounts: Accounts, user: Any, event: str
) -> None:
    await log_attempt(
        db,
        request,
        accounts,
        username=user.username,
        user_id=user.id,
        success=True,
        reason=None,
        attempt=event,
    )
    actor = actor_of(accounts, user)
    request.state.actor = actor
    await record_audit(db, request, accounts, actor, event, accounts.users.fullname, user.id)


async def confirm_verification(
    db: AsyncSession, request: Request, accounts: Accounts, token: str
) -> Message:
    user = await redeem(db, accounts, token, VERIFY)
    users = accounts.users
    await db.execute(
        update(users)
        .where(users.c.id == user.id, *accounts.mine(users))
        .values(version=users.c.version + 1, email_verified=True, updated_by=user.id)
    )
    await _record(db, request, accounts, user, VERIFY)
    return _say(request, VERIFIED)


async def confirm_reset(
    db: AsyncSession, request: Request, accounts: Accounts, token: str, new_password: str
) -> Message:
    """The new password; every session of the account ends, a lockout is lifted, and the
    address is verified (the mail reached it)."""
    user = await redeem(db, accounts, token, RESET)
    users, sessions = accounts.users, accounts.sessions
    now = datetime.now(UTC)
    await db.execute(
        update(users)
        .where(users.c.id == user.id, *accounts.mine(users))
        .values(
            version=users.c.version + 1,
            password=await hash_password(new_password),
            failed_login_attempts=0,
            locked_until=None,
            email_verified=True,
            updated_by=user.id,
            updated_at=now,
        )
    )
    await db.execute(
        update(sessions)
        .where(
            sessions.c.user_id == user.id, sessions.c.status == "ACTIVE", *accounts.mine(sessions)
        )
        .values(version=sessions.c.version + 1, status="REVOKED", revoked_at=now)
    )
    await _record(db, request, accounts, user, RESET)
    return _say(request, RESET_DONE)
