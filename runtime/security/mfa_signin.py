"""The second step of a sign-in, for both systems: the code (or backup code) that turns the
challenge of the password step (runtime.security.signin) into a token pair.

The challenge is a signed token of its own type (``typ: mfa``): it names the account and the
id the session will have, lives ``CXG_MFA_CHALLENGE_MINUTES``, and grants nothing (every
endpoint but the verify step asks for an access token). It works once: the session it names
exists after the first success. A wrong code counts like a wrong password, towards the
account's lockout and the address's throttle, and the password step of an account with MFA
does not reset that count, so knowing the password buys no extra guesses.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.security import secretbox, throttle, totp
from runtime.security.accounts import (
    Accounts,
    account_columns,
    count_failure,
    is_locked,
    realm,
    refuse,
    refuse_locked,
)
from runtime.security.credentials import MFA_CHALLENGE, TokenError, decode_token
from runtime.security.mfa_models import SecondFactor
from runtime.security.signin import open_session
from runtime.security.signin_models import TokenPair
from runtime.web.errors import MfaChallengeError, MfaCodeError, MfaCodeReusedError

# what check_factor answers for a refused code: (login-log reason, error)
Refusal = tuple[str, type[MfaCodeError] | type[MfaCodeReusedError]]


def challenge_claims(token: str, system: str) -> dict[str, Any]:
    """The claims of a live challenge of ``system``, or 401 MFA_CHALLENGE_INVALID."""
    try:
        claims = decode_token(token, expected_type=MFA_CHALLENGE)
    except TokenError:
        raise MfaChallengeError() from None
    if claims.get("sys") != system:
        raise MfaChallengeError()
    return claims


async def check_factor(
    db: AsyncSession, accounts: Accounts, user: Any, factor: SecondFactor
) -> Refusal | None:
    """None when the code is good, and then it is spent: its time step (and every earlier
    one) or the backup code cannot be used again. Otherwise what to refuse with."""
    if "code" in factor.model_fields_set:  # else backup_code: SecondFactor holds exactly one
        if not user.mfa_secret:
            return "BAD_MFA_CODE", MfaCodeError
        step = totp.matching_step(secretbox.decrypt(user.mfa_secret), factor.code)
        if step is None:
            return "BAD_MFA_CODE", MfaCodeError
        if user.mfa_last_step is not None and step <= user.mfa_last_step:
            return "REUSED_MFA_CODE", MfaCodeReusedError
        users = accounts.users
        await db.execute(
            update(users)
            .where(users.c.id == user.id, *accounts.mine(users))
            .values(version=users.c.version + 1, mfa_last_step=step)
        )
        return None
    codes = accounts.backup_codes
    candidates = secretbox.digests(totp.normal_backup_code(factor.backup_code))
    found = (
        await db.execute(
            select(codes.c.id, codes.c.used_at).where(
                codes.c.user_id == user.id,
                codes.c.code_hash.in_(candidates),
                *accounts.mine(codes),
            )
        )
    ).first()
    if found is None:
        return "BAD_MFA_CODE", MfaCodeError
    if found.used_at is not None:
        return "REUSED_MFA_CODE", MfaCodeReusedError
    await db.execute(
        update(codes)
        .where(codes.c.id == found.id, *accounts.mine(codes))
        .values(version=codes.c.version + 1, used_at=datetime.now(UTC))
    )
    return None


async def prove(
    db: AsyncSession,
    request: Request,
    accounts: Accounts,
    user: Any,
    factor: SecondFactor,
    attempt: str,
) -> None:
    """The second factor of ``user`` (locked for this transaction), or a refusal that counts
    as a failed attempt."""
    if is_locked(user):
        await refuse_locked(db, request, accounts, user, attempt)
    refusal = await check_factor(db, accounts, user, factor)
    if refusal is not None:
        reason, error = refusal
        await count_failure(db, accounts, user)
        await refuse(
            db,
            request,
            accounts,
            user.username,
            user.id,
            reason,
            None,
            attempt=attempt,
            error=error,
        )


async def verify(
    db: AsyncSession,
    request: Request,
    accounts: Accounts,
    claims: dict[str, Any],
    factor: SecondFactor,
) -> TokenPair:
    """The challenge's account, its code good: the session the challenge named, opened."""
    users, sessions = accounts.users, accounts.sessions
    user_id, session_id = uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"])
    user = (
        await db.execute(
            select(*account_columns(users))
            .where(users.c.id == user_id, users.c.is_deleted.is_(False), *accounts.mine(users))
            .with_for_update()
        )
    ).one_or_none()
    if user is None or user.status != "ACTIVE" or not user.mfa_enabled:
        raise MfaChallengeError()
    await throttle.check(request, realm(accounts), user.username)
    used = await db.scalar(
        select(sessions.c.id).where(sessions.c.id == session_id, *accounts.mine(sessions))
    )
    if used is not None:
        raise MfaChallengeError(detail={"reason": "used"})
    await prove(db, request, accounts, user, factor, "MFA_VERIFY")
    return await open_session(
        db, request, accounts, user, attempt="MFA_VERIFY", session_id=session_id
    )
