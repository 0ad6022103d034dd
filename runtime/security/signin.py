"""Sign-in with a password, the same for both systems: the password checked (the same answer,
at the same cost, for an unknown user), failures counted, then the session and its token
pair, or the second step for an account with MFA (runtime.security.mfa_signin).

The manager and tenant auth routers are thin layers over these functions and over
runtime.security.accounts, which describes each system's account tables.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import Request
from pydantic import Field
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from typing_extensions import TypeAliasType

from runtime.data.audit import client_ip
from runtime.security import policy, throttle
from runtime.security.accounts import (
    Accounts,
    account_columns,
    count_failure,
    is_locked,
    log_attempt,
    realm,
    refuse,
    refuse_locked,
    user_agent,
)
from runtime.security.credentials import (
    ACCESS,
    MFA_CHALLENGE,
    REFRESH,
    create_token,
    verify_against_dummy,
    verify_password,
)
from runtime.security.mfa_models import MfaChallenge, MfaEnrolmentRequired
from runtime.security.signin_models import BAD_LOGIN, INACTIVE, LoginRequest, TokenPair
from runtime.settings import get_settings

# What a first factor (a password, an identity provider) leads to: a named, titled alias, so
# the document's component is Envelope_SignedIn_ (a client's EnvelopeSignedIn), not a name
# spelled from the three members, and it has a title of its own as every component does.
SignedIn = TypeAliasType(
    "SignedIn",
    Annotated[TokenPair | MfaChallenge | MfaEnrolmentRequired, Field(title="SignedIn")],
)


async def issue(
    db: AsyncSession, accounts: Accounts, user_id: uuid.UUID, session_id: uuid.UUID
) -> TokenPair:
    """A new token pair; the session remembers its refresh token so an old one can't be reused."""
    settings = get_settings()
    refresh_id = uuid.uuid4().hex
    token = partial(
        create_token,
        subject=user_id,
        session_id=session_id,
        system=accounts.system,
        extra=accounts.claims(),
    )
    access = token(token_type=ACCESS)
    refresh = token(token_type=REFRESH, token_id=refresh_id)
    sessions = accounts.sessions
    await db.execute(
        update(sessions)
        .where(sessions.c.id == session_id, *accounts.mine(sessions))
        .values(version=sessions.c.version + 1, refresh_jti=refresh_id)
    )
    return TokenPair(
        access_token=access, refresh_token=refresh, expires_in=settings.access_token_minutes * 60
    )


async def sign_in(
    db: AsyncSession, request: Request, accounts: Accounts, data: LoginRequest
) -> SignedIn:
    """Check the password (same answer for an unknown user) and count failures; then what
    :func:`after_first_factor` answers."""
    await throttle.check(request, realm(accounts), data.username)
    users = accounts.users
    user = (
        await db.execute(
            select(*account_columns(users))
            .where(
                users.c.username == data.username,
                users.c.is_deleted.is_(False),
                *accounts.mine(users),
            )
            .with_for_update()
        )
    ).one_or_none()
    if user is None:
        await verify_against_dummy(data.password)  # same cost as a wrong password
        await refuse(db, request, accounts, data.username, None, "UNKNOWN_USER", BAD_LOGIN)
    if is_locked(user):
        await refuse_locked(db, request, accounts, user, "LOGIN")
    if not await verify_password(data.password, user.password):
        await count_failure(db, accounts, user)
        await refuse(db, request, accounts, data.username, user.id, "BAD_PASSWORD", BAD_LOGIN)
    if user.status != "ACTIVE":
        await refuse(
            db, request, accounts, data.username, user.id, f"STATUS_{user.status}", INACTIVE
        )
    return await after_first_factor(db, request, accounts, user)


async def _start(
    db: AsyncSession,
    request: Request,
    accounts: Accounts,
    user: Any,
    attempt: str,
    session_id: uuid.UUID | None,
) -> uuid.UUID:
    """A new session of ``user``; the failure count back to zero; the login log says so."""
    users, sessions = accounts.users, accounts.sessions
    now = datetime.now(UTC)
    session_id = session_id or uuid.uuid4()
    await db.execute(
        insert(sessions).values(
            **accounts.stamp(
                {
                    "id": session_id,
                    "user_id": user.id,
                    "status": "ACTIVE",
                    "expires_at": now + timedelta(days=get_settings().refresh_token_days),
                    "ip_address": client_ip(request),
                    "user_agent": user_agent(request),
                    "last_activity_at": now,
                    "created_by": user.id,
                    "updated_by": user.id,
                }
            )
        )
    )
    await db.execute(
        update(users)
        .where(users.c.id == user.id, *accounts.mine(users))
        .values(
            version=users.c.version + 1,
            last_login_at=now,
            failed_login_attempts=0,
            locked_until=None,
        )
    )
    await log_attempt(
        db,
        request,
        accounts,
        username=user.username,
        user_id=user.id,
        success=True,
        reason=None,
        attempt=attempt,
    )
    return session_id


async def open_session(
    db: AsyncSession,
    request: Request,
    accounts: Accounts,
    user: Any,
    *,
    attempt: str = "LOGIN",
    session_id: uuid.UUID | None = None,
) -> TokenPair:
    """The sign-in is complete: a session and its token pair."""
    session_id = await _start(db, request, accounts, user, attempt, session_id)
    return await issue(db, accounts, user.id, session_id)


async def enrolment_session(
    db: AsyncSession, request: Request, accounts: Accounts, user: Any, attempt: str
) -> MfaEnrolmentRequired:
    """A session whose token can only enrol in MFA (runtime.security.policy): no refresh token;
    confirming the enrolment gives the session its token pair."""
    session_id = await _start(db, request, accounts, user, attempt, None)
    token = create_token(
        subject=user.id,
        token_type=ACCESS,
        session_id=session_id,
        system=accounts.system,
        extra={**accounts.claims(), "scope": policy.ENROLMENT_SCOPE},
    )
    return MfaEnrolmentRequired(
        access_token=token, expires_in=get_settings().access_token_minutes * 60
    )


async def after_first_factor(
    db: AsyncSession, request: Request, accounts: Accounts, user: Any, attempt: str = "LOGIN"
) -> SignedIn:
    """The password (or the identity provider) vouched for ``user``: a challenge when the
    account has a second factor; a session that can only enrol when a policy requires one and
    the account has none; else the session."""
    if user.mfa_enabled:
        return await challenge(db, request, accounts, user)
    if await policy.requires_mfa(db, request, accounts, user.user_type):
        return await enrolment_session(db, request, accounts, user, attempt)
    return await open_session(db, request, accounts, user, attempt=attempt)


async def challenge(
    db: AsyncSession, request: Request, accounts: Accounts, user: Any
) -> MfaChallenge:
    minutes = get_settings().mfa_challenge_minutes
    token = create_token(
        subject=user.id,
        token_type=MFA_CHALLENGE,
        session_id=uuid.uuid4(),  # the session a correct code opens
        system=accounts.system,
        extra=accounts.claims(),
        lifetime=timedelta(minutes=minutes),
    )
    await log_attempt(
        db,
        request,
        accounts,
        username=user.username,
        user_id=user.id,
        success=True,
        reason=None,
        attempt="MFA_CHALLENGE",
    )
    return MfaChallenge(mfa_token=token, expires_in=minutes * 60)
