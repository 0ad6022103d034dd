"""A signed-in session over its life: refresh with rotation and reuse detection, password
change (which ends the other sessions), logout."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.security import policy
from runtime.security.accounts import Accounts, log_attempt, record_audit
from runtime.security.credentials import (
    REFRESH,
    TokenError,
    decode_token,
    hash_password,
    verify_password,
)
from runtime.security.principal import Actor
from runtime.security.signin import issue
from runtime.security.signin_models import (
    BAD_REFRESH,
    REUSED,
    WRONG_PASSWORD,
    ChangePasswordRequest,
    Message,
    TokenPair,
)
from runtime.web.errors import MfaEnrolmentRequiredError, UnauthorizedError

ENROL_TO_REFRESH = {
    "ko": "다중 인증이 필요한 계정입니다. 다시 로그인하여 다중 인증을 등록하세요.",
    "en": "This account must use MFA: sign in again and set it up.",
}


def refresh_claims(token: str, system: str) -> dict[str, Any]:
    """The claims of a valid refresh token of ``system``, or 401."""
    try:
        claims = decode_token(token, expected_type=REFRESH)
    except TokenError:
        raise UnauthorizedError(BAD_REFRESH) from None
    if claims.get("sys") != system:
        raise UnauthorizedError(BAD_REFRESH)
    return claims


async def rotate(
    db: AsyncSession, request: Request, accounts: Accounts, claims: dict[str, Any]
) -> TokenPair:
    """A new pair for a live session; an already used refresh token ends the session."""
    users, sessions = accounts.users, accounts.sessions
    user_id, session_id = uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"])
    row = (
        await db.execute(
            select(
                sessions.c.status,
                sessions.c.refresh_jti,
                sessions.c.expires_at,
                users.c.status.label("user_status"),
                users.c.is_deleted,
                users.c.user_type,
                users.c.mfa_enabled,
            )
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.id == session_id, users.c.id == user_id, *accounts.mine(sessions))
        )
    ).one_or_none()
    if (
        row is None
        or row.status != "ACTIVE"
        or row.expires_at <= datetime.now(UTC)
        or row.user_status != "ACTIVE"
        or row.is_deleted
    ):
        raise UnauthorizedError(BAD_REFRESH)
    if claims.get("jti") != row.refresh_jti:
        # An old refresh token came back: someone may hold a stolen copy. End the session.
        await db.execute(
            update(sessions)
            .where(sessions.c.id == session_id, *accounts.mine(sessions))
            .values(version=sessions.c.version + 1, status="REVOKED", revoked_at=datetime.now(UTC))
        )
        await request.state.uow.commit()
        raise UnauthorizedError(REUSED)
    if not row.mfa_enabled and await policy.requires_mfa(db, request, accounts, row.user_type):
        # a session from before the policy: its access token runs out, and a new sign-in
        # leads to enrolment (runtime.security.policy)
        raise MfaEnrolmentRequiredError(ENROL_TO_REFRESH)
    await db.execute(
        update(sessions)
        .where(sessions.c.id == session_id, *accounts.mine(sessions))
        .values(version=sessions.c.version + 1, last_activity_at=datetime.now(UTC))
    )
    return await issue(db, accounts, user_id, session_id)


async def change_password(
    db: AsyncSession,
    request: Request,
    accounts: Accounts,
    actor: Actor,
    data: ChangePasswordRequest,
) -> Message:
    """New password; every other session of the user ends, the current one goes on."""
    users, sessions = accounts.users, accounts.sessions
    current = await db.scalar(
        select(users.c.password).where(users.c.id == actor.user_id, *accounts.mine(users))
    )
    if not await verify_password(data.current_password, current):
        raise UnauthorizedError(WRONG_PASSWORD)
    now = datetime.now(UTC)
    await db.execute(
        update(users)
        .where(users.c.id == actor.user_id, *accounts.mine(users))
        .values(
            version=users.c.version + 1,
            password=await hash_password(data.new_password),
            updated_by=actor.user_id,
            updated_at=now,
        )
    )
    await db.execute(
        update(sessions)
        .where(
            sessions.c.user_id == actor.user_id,
            sessions.c.id != actor.session_id,
            sessions.c.status == "ACTIVE",
            *accounts.mine(sessions),
        )
        .values(version=sessions.c.version + 1, status="REVOKED", revoked_at=now)
    )
    await record_audit(
        db, request, accounts, actor, "PASSWORD_CHANGE", users.fullname, actor.user_id
    )
    return Message(message="비밀번호가 변경되었습니다.")


async def sign_out(db: AsyncSession, request: Request, accounts: Accounts, actor: Actor) -> Message:
    """Revoke the caller's session: its access and refresh tokens stop working at once."""
    sessions = accounts.sessions
    await db.execute(
        update(sessions)
        .where(sessions.c.id == actor.session_id, *accounts.mine(sessions))
        .values(
            version=sessions.c.version + 1,
            status="REVOKED",
            revoked_at=datetime.now(UTC),
            updated_by=actor.user_id,
        )
    )
    await log_attempt(
        db,
        request,
        accounts,
        username=actor.username,
        user_id=actor.user_id,
        success=True,
        reason=None,
        attempt="LOGOUT",
    )
    await record_audit(db, request, accounts, actor, "LOGOUT", sessions.fullname, actor.session_id)
    return Message(message="로그아웃되었습니다.")
