"""E-mail verification and password reset, for both systems: single-use tokens sent by mail.

A token is 256 random bits (for a tenant account, prefixed by the tenant's id, so the
anonymous confirm endpoints know which tenant to enter), stored as its SHA-256 only, bound
to the account, the purpose and the address it was sent to, and spent by its first use. A
verification link works for ``CXG_EMAIL_VERIFICATION_HOURS``, a reset link for
``CXG_PASSWORD_RESET_MINUTES``. A reset request answers the same whether or not the address
belongs to an account, and the mail leaves after the response, so neither the answer nor
its timing tells. A reset ends every session of the account and lifts a lockout; it does
not touch MFA (the next sign-in still asks for the code). Mails are in the account's
language (runtime.mail.messages); every step is written to the login log, and every change
to the audit log.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import BackgroundTasks, Request
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.mail import messages, smtp
from runtime.security.accounts import Accounts, log_attempt, record_audit
from runtime.security.credentials import hash_password
from runtime.security.principal import Actor
from runtime.security.signin_models import Message
from runtime.state import app_state
from runtime.web.errors import ConflictError, LinkTokenError

VERIFY = "EMAIL_VERIFICATION"
RESET = "PASSWORD_RESET"
PAGES = {VERIFY: "verify-email", RESET: "reset-password"}
RESEND_SECONDS = 60  # at most one mail of a kind per account per minute

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


def unverify_a_new_address(row: Any, values: dict[str, Any]) -> None:
    """A user's update (the users' extension hooks): a new address is not verified."""
    new = values.get("email")
    if new is not None and str(new).lower() != str(row.email).lower():
        values["email_verified"] = False


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(tenant_id: uuid.UUID | None) -> str:
    secret = secrets.token_urlsafe(32)
    return f"{tenant_id.hex}.{secret}" if tenant_id else secret


def tenant_in(token: str) -> uuid.UUID:
    """The tenant a tenant account's token names, or TOKEN_INVALID."""
    prefix, dot, _ = token.partition(".")
    try:
        if not dot:
            raise ValueError(token)
        return uuid.UUID(hex=prefix)
    except ValueError:
        raise LinkTokenError(detail={"reason": "unknown"}) from None


def _say(request: Request, text: dict[str, str]) -> Message:
    lang = messages.language(None, request.headers.get("accept-language"))
    return Message(message=text.get(lang, text["ko"]))


def _actor(accounts: Accounts, user: Any) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        system=accounts.system,
        user_type=user.user_type,
        tenant_id=accounts.tenant_id,
    )


async def _mail(
    db: AsyncSession,
    request: Request,
    background: BackgroundTasks,
    accounts: Accounts,
    user: Any,
    purpose: str,
) -> bool:
    """A new token and its mail (sent once the transaction is committed); nothing when one
    of the kind went out to the account within the last minute."""
    tokens = accounts.account_tokens
    now = datetime.now(UTC)
    recent = await db.scalar(
        select(tokens.c.id).where(
            tokens.c.user_id == user.id,
            tokens.c.purpose == purpose,
            tokens.c.created_at > now - timedelta(seconds=RESEND_SECONDS),
            *accounts.mine(tokens),
        )
    )
    if recent is not None:
        return False
    settings = app_state(request).settings
    minutes = (
        settings.email_verification_hours * 60
        if purpose == VERIFY
        else settings.password_reset_minutes
    )
    token = new_token(accounts.tenant_id)
    await db.execute(
        insert(tokens).values(
            **accounts.stamp(
                {
                    "id": uuid.uuid4(),
                    "user_id": user.id,
                    "purpose": purpose,
                    "token_hash": digest(token),
                    "email": user.email,
                    "expires_at": now + timedelta(minutes=minutes),
                    "created_by": user.id,
                    "updated_by": user.id,
                }
            )
        )
    )
    lang = messages.language(user.locale, request.headers.get("accept-language"))
    message = messages.compose(
        purpose,
        lang,
        sender=settings.mail_from,
        to=user.email,
        name=user.full_name or user.username,
        link=f"{settings.mail_link_base.rstrip('/')}/{PAGES[purpose]}?token={token}",
        valid_minutes=minutes,
    )
    background.add_task(smtp.send, settings, message)
    return True


def _account_columns(accounts: Accounts) -> list[Any]:
    users = accounts.users
    return [
        users.c.id,
        users.c.username,
        users.c.email,
        users.c.full_name,
        users.c.user_type,
        users.c.status,
        users.c.password,
        users.c.locale,
        users.c.email_verified,
    ]


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
            select(*_account_columns(accounts)).where(
                users.c.id == actor.user_id, *accounts.mine(users)
            )
        )
    ).one()
    if user.email_verified:
        raise ConflictError(ALREADY_VERIFIED, detail={"email": user.email})
    await _mail(db, request, background, accounts, user, VERIFY)
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
                select(*_account_columns(accounts)).where(
                    users.c.email == email,
                    users.c.is_deleted.is_(False),
                    users.c.status == "ACTIVE",
                    *accounts.mine(users),
                )
            )
        ).one_or_none()
        # an account without a password signs in through its company's identity provider
        if user is not None and user.password is not None:
            if await _mail(db, request, background, accounts, user, RESET):
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


async def _redeem(db: AsyncSession, accounts: Accounts, token: str, purpose: str) -> Any:
    """The account a live token of ``purpose`` names, the token spent; or TOKEN_INVALID."""
    tokens, users = accounts.account_tokens, accounts.users
    row = (
        await db.execute(
            select(
                tokens.c.id, tokens.c.user_id, tokens.c.email, tokens.c.expires_at, tokens.c.used_at
            )
            .where(
                tokens.c.token_hash == digest(token),
                tokens.c.purpose == purpose,
                *accounts.mine(tokens),
            )
            .with_for_update()
        )
    ).one_or_none()
    if row is None:
        raise LinkTokenError(detail={"reason": "unknown"})
    if row.used_at is not None:
        raise LinkTokenError(detail={"reason": "used"})
    if row.expires_at <= datetime.now(UTC):
        raise LinkTokenError(detail={"reason": "expired"})
    user = (
        await db.execute(
            select(*_account_columns(accounts))
            .where(
                users.c.id == row.user_id,
                users.c.is_deleted.is_(False),
                users.c.status == "ACTIVE",
                *accounts.mine(users),
            )
            .with_for_update()
        )
    ).one_or_none()
    if user is None:
        raise LinkTokenError(detail={"reason": "account"})
    if user.email != row.email:
        raise LinkTokenError(detail={"reason": "address changed"})
    # this token, and any other of its kind for the account, are spent
    await db.execute(
        update(tokens)
        .where(
            tokens.c.user_id == user.id,
            tokens.c.purpose == purpose,
            tokens.c.used_at.is_(None),
            *accounts.mine(tokens),
        )
        .values(version=tokens.c.version + 1, used_at=datetime.now(UTC))
    )
    return user


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
    actor = _actor(accounts, user)
    request.state.actor = actor
    await record_audit(db, request, accounts, actor, event, accounts.users.fullname, user.id)


async def confirm_verification(
    db: AsyncSession, request: Request, accounts: Accounts, token: str
) -> Message:
    user = await _redeem(db, accounts, token, VERIFY)
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
    user = await _redeem(db, accounts, token, RESET)
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
