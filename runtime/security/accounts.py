"""An account system as the sign-in steps see it (:class:`Accounts`: the manager system's
tables, or one tenant's), and what every step does with an account: read and lock it, count
a failure towards the lockout, write the login log and the audit trail, refuse.

runtime.security.signin (password), mfa_signin (the second step), mfa (the account's own
TOTP) and signin_sessions (refresh, password change, logout) build on these.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from fastapi import Request
from sqlalchemy import ColumnElement, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.data import audit
from runtime.data.audit import client_ip
from runtime.data.tables import readable_columns
from runtime.security import throttle
from runtime.security.principal import Actor
from runtime.security.signin_models import LOCKED
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
    backup_codes: Table
    account_tokens: Table
    tenant_id: uuid.UUID | None = None
    tenant_code: str | None = None  # names the company in authenticator apps

    def mine(self, table: Table) -> list[ColumnElement[bool]]:
        return [table.c.tenant_id == self.tenant_id] if self.tenant_id else []

    def stamp(self, values: dict[str, Any]) -> dict[str, Any]:
        return {**values, "tenant_id": self.tenant_id} if self.tenant_id else values

    def claims(self) -> dict[str, str]:
        return {"tid": str(self.tenant_id)} if self.tenant_id else {}


# failed sign-ins that are guesses: counted by runtime.security.throttle
GUESSES = frozenset({"UNKNOWN_USER", "BAD_PASSWORD", "BAD_MFA_CODE", "REUSED_MFA_CODE"})


def realm(accounts: Accounts) -> str:
    """Whose accounts: the manager system's, or one tenant's."""
    return f"{accounts.system}:{accounts.tenant_id or ''}"


def user_agent(request: Request) -> str | None:
    return (request.headers.get("user-agent") or "")[:500] or None


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
                    "user_agent": user_agent(request),
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
    message: dict[str, str] | None,
    detail: Any = None,
    *,
    attempt: str = "LOGIN",
    error: type[UnauthorizedError] = UnauthorizedError,
) -> NoReturn:
    """Record the failed attempt (committed even though the request fails), then refuse."""
    if reason in GUESSES:
        await throttle.failed(request, realm(accounts), username)
    await log_attempt(
        db,
        request,
        accounts,
        username=username,
        user_id=user_id,
        success=False,
        reason=reason,
        attempt=attempt,
    )
    await request.state.uow.commit()
    raise error(message, detail=detail)


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


async def count_failure(db: AsyncSession, accounts: Accounts, user: Any) -> None:
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


def is_locked(user: Any) -> bool:
    return bool(user.locked_until and user.locked_until > datetime.now(UTC))


async def refuse_locked(
    db: AsyncSession, request: Request, accounts: Accounts, user: Any, attempt: str
) -> NoReturn:
    await refuse(
        db,
        request,
        accounts,
        user.username,
        user.id,
        "LOCKED",
        LOCKED,
        detail={"locked_until": user.locked_until.isoformat()},
        attempt=attempt,
    )


def account_columns(users: Table) -> list[ColumnElement[Any]]:
    """What every sign-in step reads of the account (locked for the step's transaction)."""
    return [
        users.c.id,
        users.c.username,
        users.c.password,
        users.c.status,
        users.c.user_type,
        users.c.failed_login_attempts,
        users.c.locked_until,
        users.c.mfa_enabled,
        users.c.mfa_secret,
        users.c.mfa_last_step,
    ]


def actor_of(accounts: Accounts, user: Any) -> Actor:
    """The account as the principal of what it does without a session (an e-mail link, a
    single sign-on): who the audit trail names."""
    return Actor(
        user_id=user.id,
        username=user.username,
        system=accounts.system,
        user_type=user.user_type,
        tenant_id=accounts.tenant_id,
    )
