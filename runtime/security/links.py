"""One-time tokens sent by mail, for both systems: made, mailed and redeemed (the flows that
use them are runtime.security.account_mail).

A token is 256 random bits (for a tenant account, prefixed by the tenant's id, so the
anonymous confirm endpoints know which tenant to enter), stored as its SHA-256 only, bound
to the account, the purpose and the address it was sent to, and spent by its first use,
together with every other unused token of its kind for the account. A verification link
works for ``CXG_EMAIL_VERIFICATION_HOURS``, a reset link for ``CXG_PASSWORD_RESET_MINUTES``;
at most one mail of a kind leaves for an account per minute.
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
from runtime.security.accounts import Accounts
from runtime.state import app_state
from runtime.web.errors import LinkTokenError

VERIFY = "EMAIL_VERIFICATION"
RESET = "PASSWORD_RESET"
PAGES = {VERIFY: "verify-email", RESET: "reset-password"}
RESEND_SECONDS = 60  # at most one mail of a kind per account per minute


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


async def send(
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


def account_columns(accounts: Accounts) -> list[Any]:
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


async def redeem(db: AsyncSession, accounts: Accounts, token: str, purpose: str) -> Any:
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
            select(*account_columns(accounts))
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
