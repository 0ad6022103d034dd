"""An account's own TOTP, for both systems: enrol, confirm, disable, new backup codes, status.

Enrolling needs the password (a stolen access token must not be able to put the thief's
authenticator on the account); the secret is shown once and stored encrypted
(runtime.security.secretbox). Confirming with the first code turns MFA on, hands out ten
backup codes (shown once, stored as keyed digests) and ends the account's other sessions,
which were opened without a second factor. Disabling and replacing the backup codes need the
password and a current code. Every wrong password or code counts towards the lockout and the
throttle, as at sign-in; every step is written to the login log, and every change to the
audit log.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, NoReturn

from fastapi import Request
from sqlalchemy import ColumnElement, Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.security import policy, secretbox, throttle, totp
from runtime.security.accounts import (
    Accounts,
    account_columns,
    count_failure,
    is_locked,
    log_attempt,
    realm,
    record_audit,
    refuse,
    refuse_locked,
)
from runtime.security.credentials import verify_password
from runtime.security.mfa_models import (
    OWN_ACCOUNT_ONLY,
    STATE_MESSAGES,
    BackupCodes,
    ConfirmRequest,
    Enabled,
    Enrolment,
    MfaStatus,
    ReauthRequest,
)
from runtime.security.mfa_signin import prove
from runtime.security.principal import Actor
from runtime.security.signin import issue
from runtime.security.signin_models import WRONG_PASSWORD
from runtime.settings import get_settings
from runtime.web.errors import (
    ForbiddenError,
    MfaCodeError,
    MfaRequiredByPolicyError,
    MfaStateError,
)


def _state(name: str) -> NoReturn:
    raise MfaStateError(STATE_MESSAGES[name], detail={"mfa": name})


def own(actor: Actor) -> uuid.UUID:
    """The caller's session: MFA belongs to a person's own sign-in (no API key, no manager
    acting for a tenant)."""
    if actor.session_id is None or actor.scopes is not None or actor.user_type == "MANAGER":
        raise ForbiddenError(OWN_ACCOUNT_ONLY)
    return actor.session_id


async def _account(db: AsyncSession, accounts: Accounts, actor: Actor) -> Any:
    users = accounts.users
    return (
        await db.execute(
            select(*account_columns(users))
            .where(users.c.id == actor.user_id, *accounts.mine(users))
            .with_for_update()
        )
    ).one()


async def _password(
    db: AsyncSession,
    request: Request,
    accounts: Accounts,
    user: Any,
    password: str | None,
    attempt: str,
) -> None:
    """The account's password again (an account without one, SSO only, has none to give)."""
    await throttle.check(request, realm(accounts), user.username)
    if is_locked(user):
        await refuse_locked(db, request, accounts, user, attempt)
    if user.password is None:
        return
    if password is None or not await verify_password(password, user.password):
        await count_failure(db, accounts, user)
        await refuse(
            db,
            request,
            accounts,
            user.username,
            user.id,
            "BAD_PASSWORD",
            WRONG_PASSWORD,
            attempt=attempt,
        )


async def _done(
    db: AsyncSession,
    request: Request,
    accounts: Accounts,
    actor: Actor,
    attempt: str,
) -> None:
    """The step succeeded: the login log and the audit log say so."""
    await log_attempt(
        db,
        request,
        accounts,
        username=actor.username,
        user_id=actor.user_id,
        success=True,
        reason=None,
        attempt=attempt,
    )
    await record_audit(
        db, request, accounts, actor, attempt, accounts.users.fullname, actor.user_id
    )


def _set(accounts: Accounts, user_id: uuid.UUID, **values: Any) -> Any:
    users = accounts.users
    return (
        update(users)
        .where(users.c.id == user_id, *accounts.mine(users))
        .values(version=users.c.version + 1, updated_by=user_id, **values)
    )


async def status(db: AsyncSession, request: Request, accounts: Accounts, actor: Actor) -> MfaStatus:
    users, codes = accounts.users, accounts.backup_codes
    own(actor)
    row = (
        await db.execute(
            select(users.c.mfa_enabled, users.c.mfa_secret, users.c.user_type).where(
                users.c.id == actor.user_id, *accounts.mine(users)
            )
        )
    ).one()
    left = await db.scalar(
        select(func.count()).where(
            codes.c.user_id == actor.user_id, codes.c.used_at.is_(None), *accounts.mine(codes)
        )
    )
    return MfaStatus(
        enabled=row.mfa_enabled,
        pending=not row.mfa_enabled and row.mfa_secret is not None,
        required=await policy.requires_mfa(db, request, accounts, row.user_type),
        backup_codes_left=left or 0,
    )


async def enrol(
    db: AsyncSession, request: Request, accounts: Accounts, actor: Actor, password: str | None
) -> Enrolment:
    """A new secret (replacing one not confirmed yet), shown this once."""
    own(actor)
    user = await _account(db, accounts, actor)
    if user.mfa_enabled:
        _state("enabled")
    await _password(db, request, accounts, user, password, "MFA_ENROL")
    secret = totp.new_secret()
    await db.execute(
        _set(accounts, user.id, mfa_secret=secretbox.encrypt(secret), mfa_last_step=None)
    )
    await _done(db, request, accounts, actor, "MFA_ENROL")
    issuer = get_settings().mfa_issuer
    if accounts.tenant_code:
        issuer = f"{issuer} {accounts.tenant_code}"
    return Enrolment(
        secret=secret, otpauth_uri=totp.provisioning_uri(secret, user.username, issuer)
    )


async def _new_backup_codes(db: AsyncSession, accounts: Accounts, user_id: uuid.UUID) -> list[str]:
    codes = accounts.backup_codes
    await db.execute(delete(codes).where(codes.c.user_id == user_id, *accounts.mine(codes)))
    shown = totp.new_backup_codes()
    await db.execute(
        insert(codes),
        [
            accounts.stamp(
                {
                    "id": uuid.uuid4(),
                    "user_id": user_id,
                    "code_hash": secretbox.digest(totp.normal_backup_code(code)),
                    "created_by": user_id,
                    "updated_by": user_id,
                }
            )
            for code in shown
        ],
    )
    return shown


def _others(accounts: Accounts, actor: Actor, session_id: uuid.UUID) -> list[ColumnElement[bool]]:
    sessions: Table = accounts.sessions
    return [
        sessions.c.user_id == actor.user_id,
        sessions.c.id != session_id,
        sessions.c.status == "ACTIVE",
        *accounts.mine(sessions),
    ]


async def confirm(
    db: AsyncSession,
    request: Request,
    accounts: Accounts,
    actor: Actor,
    data: ConfirmRequest,
) -> Enabled:
    """The first code of the new secret turns MFA on. When the caller's token could only
    enrol (a policy), the answer carries the session's full token pair."""
    session_id = own(actor)
    user = await _account(db, accounts, actor)
    if user.mfa_enabled:
        _state("enabled")
    if user.mfa_secret is None:
        _state("not_enrolled")
    await throttle.check(request, realm(accounts), user.username)
    if is_locked(user):
        await refuse_locked(db, request, accounts, user, "MFA_ENABLE")
    step = totp.matching_step(secretbox.decrypt(user.mfa_secret), data.code)
    if step is None:
        await count_failure(db, accounts, user)
        await refuse(
            db,
            request,
            accounts,
            user.username,
            user.id,
            "BAD_MFA_CODE",
            None,
            attempt="MFA_ENABLE",
            error=MfaCodeError,
        )
    await db.execute(
        _set(accounts, user.id, mfa_enabled=True, mfa_last_step=step, failed_login_attempts=0)
    )
    shown = await _new_backup_codes(db, accounts, user.id)
    sessions = accounts.sessions
    await db.execute(
        update(sessions)
        .where(*_others(accounts, actor, session_id))
        .values(version=sessions.c.version + 1, status="REVOKED", revoked_at=datetime.now(UTC))
    )
    await _done(db, request, accounts, actor, "MFA_ENABLE")
    tokens = await issue(db, accounts, actor.user_id, session_id) if actor.enrolling else None
    return Enabled(backup_codes=shown, tokens=tokens)


async def _enabled_account(db: AsyncSession, accounts: Accounts, actor: Actor) -> Any:
    own(actor)
    user = await _account(db, accounts, actor)
    if not user.mfa_enabled:
        _state("not_enabled")
    return user


async def _reauthenticate(
    db: AsyncSession,
    request: Request,
    accounts: Accounts,
    user: Any,
    data: ReauthRequest,
    attempt: str,
) -> None:
    await _password(db, request, accounts, user, data.password, attempt)
    await prove(db, request, accounts, user, data, attempt)


async def disable(
    db: AsyncSession, request: Request, accounts: Accounts, actor: Actor, data: ReauthRequest
) -> MfaStatus:
    """MFA off: the secret and the backup codes are gone (a new enrolment starts afresh)."""
    user = await _enabled_account(db, accounts, actor)
    if await policy.requires_mfa(db, request, accounts, user.user_type):
        raise MfaRequiredByPolicyError()
    await _reauthenticate(db, request, accounts, user, data, "MFA_DISABLE")
    await db.execute(
        _set(accounts, user.id, mfa_enabled=False, mfa_secret=None, mfa_last_step=None)
    )
    codes = accounts.backup_codes
    await db.execute(delete(codes).where(codes.c.user_id == user.id, *accounts.mine(codes)))
    await _done(db, request, accounts, actor, "MFA_DISABLE")
    return MfaStatus(enabled=False, pending=False, required=False, backup_codes_left=0)


async def new_backup_codes(
    db: AsyncSession, request: Request, accounts: Accounts, actor: Actor, data: ReauthRequest
) -> BackupCodes:
    """Ten new backup codes; the old ones stop working."""
    user = await _enabled_account(db, accounts, actor)
    await _reauthenticate(db, request, accounts, user, data, "MFA_BACKUP_CODES")
    shown = await _new_backup_codes(db, accounts, user.id)
    await _done(db, request, accounts, actor, "MFA_BACKUP_CODES")
    return BackupCodes(backup_codes=shown)
