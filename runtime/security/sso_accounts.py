"""Which tenant account a verified single sign-on identity signs in to (runtime.security.sso):
its link (``sso_provider`` = the provider's code, ``sso_subject`` = ``sub``, the one stable
identifier a provider promises), else the account with the address the provider vouches for
(``email_verified``; linking on an unverified address would let anyone who can register that
address at the provider take the account), which is then linked, else a new account when
the provider creates users: user type USER, the provider's role, no password. The address
must be in the provider's allowed domains (none listed: any). Links and new accounts are
audited (SSO_LINK, SSO_SIGNUP).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from typing import Any

from fastapi import Request
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.security.accounts import Accounts, account_columns, actor_of, record_audit
from runtime.state import tenant_tables
from runtime.web.errors import SsoAccountError, SsoDomainError


def _address(claims: dict[str, Any]) -> tuple[str, bool]:
    email = str(claims.get("email") or "").strip().lower()
    return email, claims.get("email_verified") in (True, "true")


async def account_for(
    db: AsyncSession, request: Request, accounts: Accounts, provider: Any, claims: dict[str, Any]
) -> Any:
    """The account this identity signs in to: linked, matched by address, or made."""
    users = accounts.users
    email, verified = _address(claims)
    domain = email.rpartition("@")[2]
    if provider.allowed_domains and domain not in provider.allowed_domains:
        raise SsoDomainError(detail={"domain": domain or None})
    live = [users.c.is_deleted.is_(False), *accounts.mine(users)]
    linked = (
        await db.execute(
            select(*account_columns(users))
            .where(
                users.c.sso_provider == provider.code, users.c.sso_subject == claims["sub"], *live
            )
            .with_for_update()
        )
    ).one_or_none()
    if linked is not None:
        return linked
    if not email or not verified:
        raise SsoAccountError(detail={"reason": "the provider did not vouch for an address"})
    found = (
        await db.execute(
            select(*account_columns(users), users.c.sso_subject)
            .where(func.lower(users.c.email) == email, *live)
            .with_for_update()
        )
    ).one_or_none()
    if found is not None:
        if found.sso_subject is not None:
            raise SsoAccountError(detail={"reason": "the account is linked to another identity"})
        await _link(db, request, accounts, found, provider, claims)
        return found
    if not provider.create_users:
        raise SsoAccountError(detail={"reason": "no account has this address"})
    return await _create(db, request, accounts, provider, claims, email)


async def _link(
    db: AsyncSession,
    request: Request,
    accounts: Accounts,
    user: Any,
    provider: Any,
    claims: dict[str, Any],
) -> None:
    users = accounts.users
    await db.execute(
        update(users)
        .where(users.c.id == user.id, *accounts.mine(users))
        .values(
            version=users.c.version + 1,
            sso_provider=provider.code,
            sso_subject=claims["sub"],
            email_verified=True,
        )
    )
    actor = actor_of(accounts, user)
    await record_audit(db, request, accounts, actor, "SSO_LINK", users.fullname, user.id)


async def _free_username(db: AsyncSession, accounts: Accounts, email: str, sub: str) -> str:
    users = accounts.users
    base = re.sub(r"[^A-Za-z0-9._-]", "", email.partition("@")[0])[:80] or "user"
    base = base if len(base) >= 3 else f"{base}-sso"
    for candidate in (base, f"{base}-{hashlib.sha256(sub.encode()).hexdigest()[:6]}"):
        taken = await db.scalar(
            select(users.c.id).where(
                users.c.username == candidate, users.c.is_deleted.is_(False), *accounts.mine(users)
            )
        )
        if taken is None:
            return candidate
    return f"{base}-{secrets.token_hex(4)}"


async def _create(
    db: AsyncSession,
    request: Request,
    accounts: Accounts,
    provider: Any,
    claims: dict[str, Any],
    email: str,
) -> Any:
    users, user_id = accounts.users, uuid.uuid4()
    username = await _free_username(db, accounts, email, claims["sub"])
    await db.execute(
        insert(users).values(
            **accounts.stamp(
                {
                    "id": user_id,
                    "username": username,
                    "email": email,
                    "full_name": str(claims.get("name") or username)[:100],
                    "password": None,
                    "user_type": "USER",
                    "status": "ACTIVE",
                    "email_verified": True,
                    "sso_provider": provider.code,
                    "sso_subject": claims["sub"],
                    "created_by": user_id,
                    "updated_by": user_id,
                }
            )
        )
    )
    if provider.default_role_id is not None:
        roles = tenant_tables(request).user_roles
        await db.execute(
            insert(roles).values(
                **accounts.stamp(
                    {
                        "id": uuid.uuid4(),
                        "user_id": user_id,
                        "role_id": provider.default_role_id,
                        "created_by": user_id,
                        "updated_by": user_id,
                    }
                )
            )
        )
    user = (
        await db.execute(
            select(*account_columns(users)).where(users.c.id == user_id, *accounts.mine(users))
        )
    ).one()
    await record_audit(
        db, request, accounts, actor_of(accounts, user), "SSO_SIGNUP", users.fullname, user_id
    )
    return user
