"""Single sign-on with OpenID Connect for a tenant's accounts: the tenant configures its
identity providers (``adm.identity_providers``), its users sign in there.

``start`` records an attempt (``adm.sso_requests``: the state as its SHA-256, the nonce, the
PKCE verifier encrypted) and answers the provider's authorization URL; the front end sends
the browser there and, back at its redirect URI, posts the state and the code to
``finish``. The state starts with the tenant's id (the callback knows which tenant to enter)
and works once, for ``STATE_MINUTES``; the ID token is verified by runtime.security.oidc.

The identity is matched to an account by its link (``sso_provider`` = the provider's code,
``sso_subject`` = ``sub``), else by the address when the provider vouches for it
(``email_verified``), which links the account; else, when the provider creates users, a new
account of user type USER with the provider's role, without a password (it signs in by SSO
only). The address must be in the provider's allowed domains. What follows is what follows
any first factor (runtime.security.signin.after_first_factor): an account with MFA is asked
for its code, and an MFA policy applies, since a provider's own factors are not something
the ID token tells reliably.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import httpx
from fastapi import Request
from pydantic import BaseModel
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.security import oidc, secretbox
from runtime.security.accounts import (
    Accounts,
    is_locked,
    log_attempt,
    refuse,
    refuse_locked,
)
from runtime.security.signin import SignedIn, after_first_factor
from runtime.security.signin_models import INACTIVE
from runtime.security.sso_accounts import account_for
from runtime.state import tenant_tables
from runtime.web.errors import (
    CXGError,
    NotFoundError,
    SsoStateError,
)

STATE_MINUTES = 10
NO_PROVIDER = {
    "ko": "이 회사의 SSO 제공자를 찾을 수 없습니다.",
    "en": "This company has no such identity provider.",
}


class SsoStart(BaseModel):
    """Send the browser to ``authorization_url``; the provider sends it back to the redirect
    URI with ``code`` and ``state``, which go to POST .../auth/sso/callback."""

    authorization_url: str
    state: str
    expires_in: int


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def tenant_in(state: str) -> uuid.UUID:
    prefix, dot, _ = state.partition(".")
    try:
        if not dot:
            raise ValueError(state)
        return uuid.UUID(hex=prefix)
    except ValueError:
        raise SsoStateError(detail={"reason": "unknown"}) from None


def _client(row: Any) -> oidc.Client:
    return oidc.Client(
        issuer=row.issuer,
        client_id=row.client_id,
        client_secret=secretbox.decrypt(row.client_secret),
        redirect_uri=row.redirect_uri,
        scopes=row.scopes,
    )


async def _provider(
    db: AsyncSession, request: Request, accounts: Accounts, *where: Any
) -> list[Any]:
    providers = tenant_tables(request).identity_providers
    found = await db.execute(
        select(providers).where(
            providers.c.status == "ACTIVE",
            providers.c.is_deleted.is_(False),
            *accounts.mine(providers),
            *where,
        )
    )
    return list(found.all())


async def start(
    db: AsyncSession, request: Request, accounts: Accounts, code: str | None
) -> SsoStart:
    """An attempt at the provider ``code`` (or the tenant's only one)."""
    providers = tenant_tables(request).identity_providers
    rows = await _provider(db, request, accounts, *([providers.c.code == code] if code else []))
    if len(rows) != 1:
        raise NotFoundError(NO_PROVIDER, detail={"provider": code})
    row = rows[0]
    client = _client(row)
    async with httpx.AsyncClient() as http:
        meta = await oidc.metadata(http, client.issuer)
    assert accounts.tenant_id is not None  # tenant accounts only
    state = f"{accounts.tenant_id.hex}.{secrets.token_urlsafe(32)}"
    nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    attempts = tenant_tables(request).sso_requests
    await db.execute(
        insert(attempts).values(
            **accounts.stamp(
                {
                    "id": uuid.uuid4(),
                    "provider_id": row.id,
                    "state_hash": _digest(state),
                    "nonce": nonce,
                    "code_verifier": secretbox.encrypt(verifier),
                    "expires_at": datetime.now(UTC) + timedelta(minutes=STATE_MINUTES),
                }
            )
        )
    )
    return SsoStart(
        authorization_url=oidc.authorization_url(meta, client, state, nonce, verifier),
        state=state,
        expires_in=STATE_MINUTES * 60,
    )


async def _attempt(db: AsyncSession, request: Request, accounts: Accounts, state: str) -> Any:
    """The attempt ``state`` names, spent now (one callback per attempt, whatever follows)."""
    attempts = tenant_tables(request).sso_requests
    row = (
        await db.execute(
            select(attempts)
            .where(attempts.c.state_hash == _digest(state), *accounts.mine(attempts))
            .with_for_update()
        )
    ).one_or_none()
    if row is None:
        raise SsoStateError(detail={"reason": "unknown"})
    if row.used_at is not None:
        raise SsoStateError(detail={"reason": "used"})
    if row.expires_at <= datetime.now(UTC):
        raise SsoStateError(detail={"reason": "expired"})
    await db.execute(
        update(attempts)
        .where(attempts.c.id == row.id, *accounts.mine(attempts))
        .values(version=attempts.c.version + 1, used_at=datetime.now(UTC))
    )
    return row


async def finish(
    db: AsyncSession, request: Request, accounts: Accounts, state: str, code: str
) -> SignedIn:
    attempt = await _attempt(db, request, accounts, state)
    rows = await _provider(
        db, request, accounts, tenant_tables(request).identity_providers.c.id == attempt.provider_id
    )
    if not rows:
        raise SsoStateError(detail={"reason": "provider"})
    provider = rows[0]
    client, who = _client(provider), "(sso)"
    try:
        async with httpx.AsyncClient() as http:
            meta = await oidc.metadata(http, client.issuer)
            verifier = secretbox.decrypt(attempt.code_verifier)
            token = await oidc.exchange(http, meta, client, code, verifier)
            claims = await oidc.verify(http, meta, client, token, attempt.nonce)
            claims = await oidc.completed(http, meta, claims, token)
        who = str(claims.get("email") or claims["sub"])[:100]
        user = await account_for(db, request, accounts, provider, claims)
    except CXGError as error:  # recorded in the login log, with the attempt spent
        await refuse_with(db, request, accounts, who, error)
    if user.status != "ACTIVE":
        await refuse(
            db,
            request,
            accounts,
            user.username,
            user.id,
            f"STATUS_{user.status}",
            INACTIVE,
            attempt="SSO_LOGIN",
        )
    if is_locked(user):
        await refuse_locked(db, request, accounts, user, "SSO_LOGIN")
    return await after_first_factor(db, request, accounts, user, attempt="SSO_LOGIN")


async def refuse_with(
    db: AsyncSession, request: Request, accounts: Accounts, who: str, error: CXGError
) -> NoReturn:
    """Record the failed sign-in (committed, the attempt spent with it), then refuse."""
    await log_attempt(
        db,
        request,
        accounts,
        username=who,
        user_id=None,
        success=False,
        reason=error.code,
        attempt="SSO_LOGIN",
    )
    await request.state.uow.commit()
    raise error
