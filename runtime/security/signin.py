"""Sign-in mechanics both systems share: login with lockout, token pairs bound to a session,
refresh rotation with reuse detection, password change, logout, login history.

A system is described by its ``Accounts``: its user, session, login-log and audit tables, and
for the tenant system the tenant every query is confined to. The manager and tenant auth
routers are thin layers over these functions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, NoReturn

from fastapi import Request
from sqlalchemy import ColumnElement, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.data import audit
from runtime.data.audit import client_ip
from runtime.data.tables import readable_columns
from runtime.security import throttle
from runtime.security.credentials import (
    ACCESS,
    REFRESH,
    create_token,
    verify_against_dummy,
    verify_password,
)
from runtime.security.principal import Actor
from runtime.security.signin_models import (
    BAD_LOGIN,
    INACTIVE,
    LOCKED,
    LoginRequest,
    TokenPair,
)
from runtime.settings import get_settings
from runtime.web.errors import UnauthorizedError


@dataclass(frozen=True)
class Accounts:
    """One system's account tables; ``tenant_id`` confines them to one tenant."""

    system: str
    users: Table
    sessions: Table
    login_logs: Table
    audit_logs: Table
    tenant_id: uuid.UUID | None = None

    def mine(self, table: Table) -> list[ColumnElement[bool]]:
        return [table.c.tenant_id == self.tenant_id] if self.tenant_id else []

    def stamp(self, values: dict[str, Any]) -> dict[str, Any]:
        return {**values, "tenant_id": self.tenant_id} if self.tenant_id else values

    def claims(self) -> dict[str, str]:
        return {"tid": str(self.tenant_id)} if self.tenant_id else {}


# failed sign-ins that are guesses: counted by runtime.security.throttle
GUESSES = frozenset({"UNKNOWN_USER", "BAD_PASSWORD"})


def realm(accounts: Accounts) -> str:
    """Whose accounts: the manager system's, or one tenant's."""
    return f"{accounts.system}:{accounts.tenant_id or ''}"


def _agent(request: Request) -> str | None:
    return (request.headers.get("user-agent") or "")[:500] or None


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


async def log_attempt(
    db: AsyncSession,
    request: Request,
    accounts: Accounts,
    *,
    username: str,
    user_id: uuid.UUID | None,
    success: bool,
    reason: str | None,
    attempt: str = "LOGIN",
) -> None:
    await db.execute(
        insert(accounts.login_logs).values(
            **accounts.stamp(
                {
                    "id": uuid.uuid4(),
                    "user_id": user_id,
                    "username": username[:100],
                    "attempt_type": attempt,
                    "success": success,
                    "failure_reason": reason,
                    "ip_address": client_ip(request),
                    "user_agent": _agent(request),
                }
            )
        )
    )


async def refuse(
    db: AsyncSession,
    request: Request,
    accounts: Accounts,
    username: str,
    user_id: uuid.UUID | None,
    reason: str,
    message: dict[str, str],
    detail: Any = None,
) -> NoReturn:
    """Record the failed attempt (committed even though the request fails), then refuse."""
    if reason in GUESSES:
        await throttle.failed(request, realm(accounts), username)
    await log_attempt(
        db, request, accounts, username=username, user_id=user_id, success=False, reason=reason
    )
    await request.state.uow.commit()
    raise UnauthorizedError(message, detail=detail)


async def record_audit(
    db: AsyncSession,
    request: Request,
    accounts: Accounts,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: uuid.UUID | None,
) -> None:
    """Auth events go to the same audit trail as every other change."""
    await audit.record(
        db,
        accounts.audit_logs,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        request=request,
        status_code=200,
    )


async def _count_failure(db: AsyncSession, accounts: Accounts, user: Any) -> None:
    """One more failure; at the threshold the account locks for a while and the count restarts."""
    settings = get_settings()
    users = accounts.users
    attempts = (user.failed_login_attempts or 0) + 1
    values: dict[str, Any] = {"failed_login_attempts": attempts}
    if attempts >= settings.login_max_failures:
        values = {
            "failed_login_attempts": 0,
            "locked_until": datetime.now(UTC) + timedelta(minutes=settings.login_lock_minutes),
        }
    await db.execute(
        update(users)
        .where(users.c.id == user.id, *accounts.mine(users))
        .values(version=users.c.version + 1, **values)
    )


async def user_view(db: AsyncSession, accounts: Accounts, user_id: uuid.UUID) -> dict[str, Any]:
    users = accounts.users
    row = (
        await db.execute(
            select(*readable_columns(users)).where(users.c.id == user_id, *accounts.mine(users))
        )
    ).one()
    return dict(row._mapping)


async def sign_in(
    db: AsyncSession, request: Request, accounts: Accounts, data: LoginRequest
) -> TokenPair:
    """Check the password (same answer for an unknown user), count failures, open a session."""
    await throttle.check(request, realm(accounts), data.username)
    users, sessions = accounts.users, accounts.sessions
    user = (
        await db.execute(
            select(
                users.c.id,
                users.c.password,
                users.c.status,
                users.c.failed_login_attempts,
                users.c.locked_until,
            )
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
    if user.locked_until and user.locked_until > datetime.now(UTC):
        await refuse(
            db,
            request,
            accounts,
            data.username,
            user.id,
            "LOCKED",
            LOCKED,
            detail={"locked_until": user.locked_until.isoformat()},
        )
    if not await verify_password(data.password, user.password):
        await _count_failure(db, accounts, user)
        await refuse(db, request, accounts, data.username, user.id, "BAD_PASSWORD", BAD_LOGIN)
    if user.status != "ACTIVE":
        await refuse(
            db, request, accounts, data.username, user.id, f"STATUS_{user.status}", INACTIVE
        )
    now = datetime.now(UTC)
    session_id = uuid.uuid4()
    await db.execute(
        insert(sessions).values(
            **accounts.stamp(
                {
                    "id": session_id,
                    "user_id": user.id,
                    "status": "ACTIVE",
                    "expires_at": now + timedelta(days=get_settings().refresh_token_days),
                    "ip_address": client_ip(request),
                    "user_agent": _agent(request),
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
        db, request, accounts, username=data.username, user_id=user.id, success=True, reason=None
    )
    return await issue(db, accounts, user.id, session_id)
