"""Manager sign-in: register, login, refresh, me, change-password, logout.

Tokens belong to a session row (idam.sessions); logout revokes the session, so both its
access and refresh tokens stop working at once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request, status
from pydantic import BaseModel, EmailStr, Field
from sqlalchemy import insert, select, update

from runtime import audit
from runtime.audit import client_ip
from runtime.authz import load_permissions
from runtime.deps import CurrentManagerUser, ManagerDb
from runtime.envelope import Envelope, ok
from runtime.errors import AlreadyExistsError, ForbiddenError, UnauthorizedError, ValidationError
from runtime.principal import MANAGER
from runtime.router import audited_router
from runtime.security import (
    ACCESS,
    REFRESH,
    NewPassword,
    TokenError,
    api_key_digest,
    create_token,
    decode_token,
    hash_password,
    new_api_key,
    verify_against_dummy,
    verify_password,
)
from runtime.settings import get_settings
from runtime.tables import readable_columns

router = audited_router(scope="manager", entity=None)

BAD_LOGIN = {
    "ko": "사용자명 또는 비밀번호가 올바르지 않습니다.",
    "en": "Incorrect username or password.",
}
INACTIVE = {"ko": "사용할 수 없는 계정입니다.", "en": "This account cannot sign in."}
BAD_REFRESH = {
    "ko": "갱신 토큰이 유효하지 않거나 만료되었습니다.",
    "en": "The refresh token is invalid or expired.",
}
LOCKED = {
    "ko": "로그인 실패가 반복되어 계정이 잠겼습니다. 잠시 후 다시 시도하세요.",
    "en": "Too many failed logins: the account is locked for a while.",
}
REUSED = {
    "ko": "이미 사용된 갱신 토큰입니다. 다시 로그인하세요.",
    "en": "This refresh token was already used; sign in again.",
}
WRONG_PASSWORD = {
    "ko": "현재 비밀번호가 올바르지 않습니다.",
    "en": "The current password is incorrect.",
}


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class RegisterRequest(BaseModel):
    """Self-registration. Type, status and roles are not accepted: they are set here."""

    username: str = Field(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")
    email: EmailStr
    full_name: str = Field(min_length=1, max_length=100)
    password: NewPassword


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1)


class ChangePasswordRequest(BaseModel):
    current_password: str = Field(min_length=1, max_length=200)
    new_password: NewPassword


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")


class Message(BaseModel):
    message: str


def _tables(request: Request):
    return request.app.state.manager_tables


async def _issue(db, request: Request, user_id: uuid.UUID, session_id: uuid.UUID) -> TokenPair:
    """A new token pair; the session remembers its refresh token so an old one can't be reused."""
    settings = get_settings()
    refresh_id = uuid.uuid4().hex
    access = create_token(subject=user_id, token_type=ACCESS, session_id=session_id, system=MANAGER)
    refresh = create_token(
        subject=user_id,
        token_type=REFRESH,
        session_id=session_id,
        system=MANAGER,
        token_id=refresh_id,
    )
    sessions = _tables(request).sessions
    await db.execute(
        update(sessions).where(sessions.c.id == session_id).values(refresh_jti=refresh_id)
    )
    return TokenPair(
        access_token=access, refresh_token=refresh, expires_in=settings.access_token_minutes * 60
    )


async def _log_login(
    db,
    request: Request,
    *,
    username: str,
    user_id,
    success: bool,
    reason: str | None,
    attempt: str = "LOGIN",
) -> None:
    await db.execute(
        insert(_tables(request).login_logs).values(
            id=uuid.uuid4(),
            user_id=user_id,
            username=username[:100],
            attempt_type=attempt,
            success=success,
            failure_reason=reason,
            ip_address=client_ip(request),
            user_agent=(request.headers.get("user-agent") or "")[:500] or None,
        )
    )


async def _refuse(
    db, request: Request, username: str, user_id, reason: str, message, detail=None
) -> None:
    """Record the failed attempt (committed even though the request fails), then refuse."""
    await _log_login(db, request, username=username, user_id=user_id, success=False, reason=reason)
    await request.state.uow.commit()
    raise UnauthorizedError(message, detail=detail)


async def _audit(
    db, request: Request, actor, action: str, entity: str, entity_id, status_code: int = 200
) -> None:
    """Auth events go to the same audit trail as every other change."""
    await audit.record(
        db,
        _tables(request).audit_logs,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        request=request,
        status_code=status_code,
    )


async def _count_failure(db, request: Request, user) -> None:
    """One more failure; at the threshold the account locks for a while and the count restarts."""
    settings = get_settings()
    users = _tables(request).users
    attempts = (user.failed_login_attempts or 0) + 1
    values: dict[str, Any] = {"failed_login_attempts": attempts}
    if attempts >= settings.login_max_failures:
        values = {
            "failed_login_attempts": 0,
            "locked_until": datetime.now(UTC) + timedelta(minutes=settings.login_lock_minutes),
        }
    await db.execute(update(users).where(users.c.id == user.id).values(**values))


async def _user_view(db, request: Request, user_id: uuid.UUID) -> dict[str, Any]:
    users = _tables(request).users
    row = (await db.execute(select(*readable_columns(users)).where(users.c.id == user_id))).one()
    return dict(row._mapping)


@router.post(
    "/register",
    response_model=Envelope[dict[str, Any]],
    status_code=status.HTTP_201_CREATED,
    summary="회원가입",
)
async def register(data: RegisterRequest, request: Request, db: ManagerDb):
    users = _tables(request).users
    taken = await db.scalar(
        select(users.c.id).where(
            (users.c.username == data.username) | (users.c.email == data.email),
            users.c.is_deleted.is_(False),
        )
    )
    if taken:
        raise AlreadyExistsError(
            detail=[
                {
                    "field": "username",
                    "message": "already exists",
                    "source": "body",
                    "type": "unique",
                }
            ]
        )
    user_id = uuid.uuid4()
    await db.execute(
        insert(users).values(
            id=user_id,
            username=data.username,
            email=data.email,
            full_name=data.full_name,
            password=await hash_password(data.password),
            user_type="TENANT",  # never MASTER: administrators are made by administrators
            status="ACTIVE",
            created_by=user_id,
            updated_by=user_id,
        )
    )
    return ok(await _user_view(db, request, user_id))


@router.post("/login", response_model=Envelope[TokenPair], summary="로그인")
async def login(data: LoginRequest, request: Request, db: ManagerDb):
    users, sessions = _tables(request).users, _tables(request).sessions
    user = (
        await db.execute(
            select(
                users.c.id,
                users.c.password,
                users.c.status,
                users.c.failed_login_attempts,
                users.c.locked_until,
            )
            .where(users.c.username == data.username, users.c.is_deleted.is_(False))
            .with_for_update()
        )
    ).one_or_none()
    if user is None:
        await verify_against_dummy(data.password)  # same cost as a wrong password
        await _refuse(db, request, data.username, None, "UNKNOWN_USER", BAD_LOGIN)
    if user.locked_until and user.locked_until > datetime.now(UTC):
        await _refuse(
            db,
            request,
            data.username,
            user.id,
            "LOCKED",
            LOCKED,
            detail={"locked_until": user.locked_until.isoformat()},
        )
    if not await verify_password(data.password, user.password):
        await _count_failure(db, request, user)
        await _refuse(db, request, data.username, user.id, "BAD_PASSWORD", BAD_LOGIN)
    if user.status != "ACTIVE":
        await _refuse(db, request, data.username, user.id, f"STATUS_{user.status}", INACTIVE)
    now = datetime.now(UTC)
    session_id = uuid.uuid4()
    await db.execute(
        insert(sessions).values(
            id=session_id,
            user_id=user.id,
            status="ACTIVE",
            expires_at=now + timedelta(days=get_settings().refresh_token_days),
            ip_address=client_ip(request),
            user_agent=(request.headers.get("user-agent") or "")[:500] or None,
            last_activity_at=now,
            created_by=user.id,
            updated_by=user.id,
        )
    )
    await db.execute(
        update(users)
        .where(users.c.id == user.id)
        .values(last_login_at=now, failed_login_attempts=0, locked_until=None)
    )
    await _log_login(
        db, request, username=data.username, user_id=user.id, success=True, reason=None
    )
    return ok(await _issue(db, request, user.id, session_id))


@router.post("/refresh", response_model=Envelope[TokenPair], summary="토큰 갱신")
async def refresh(data: RefreshRequest, request: Request, db: ManagerDb):
    try:
        claims = decode_token(data.refresh_token, expected_type=REFRESH)
    except TokenError:
        raise UnauthorizedError(BAD_REFRESH) from None
    if claims.get("sys") != MANAGER:
        raise UnauthorizedError(BAD_REFRESH)
    users, sessions = _tables(request).users, _tables(request).sessions
    user_id, session_id = uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"])
    row = (
        await db.execute(
            select(
                sessions.c.status,
                sessions.c.refresh_jti,
                sessions.c.expires_at,
                users.c.status.label("user_status"),
                users.c.is_deleted,
            )
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.id == session_id, users.c.id == user_id)
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
            .where(sessions.c.id == session_id)
            .values(status="REVOKED", revoked_at=datetime.now(UTC))
        )
        await request.state.uow.commit()
        raise UnauthorizedError(REUSED)
    await db.execute(
        update(sessions)
        .where(sessions.c.id == session_id)
        .values(last_activity_at=datetime.now(UTC))
    )
    return ok(await _issue(db, request, user_id, session_id))


@router.get("/me", response_model=Envelope[dict[str, Any]], summary="현재 사용자 정보")
async def me(request: Request, actor: CurrentManagerUser, db: ManagerDb):
    return ok(await _user_view(db, request, actor.user_id))


@router.post("/change-password", response_model=Envelope[Message], summary="비밀번호 변경")
async def change_password(
    data: ChangePasswordRequest, request: Request, actor: CurrentManagerUser, db: ManagerDb
):
    users = _tables(request).users
    current = await db.scalar(select(users.c.password).where(users.c.id == actor.user_id))
    if not await verify_password(data.current_password, current):
        raise UnauthorizedError(WRONG_PASSWORD)
    await db.execute(
        update(users)
        .where(users.c.id == actor.user_id)
        .values(
            password=await hash_password(data.new_password),
            updated_by=actor.user_id,
            updated_at=datetime.now(UTC),
        )
    )
    # every other sign-in of this user ends; the current one goes on
    sessions = _tables(request).sessions
    await db.execute(
        update(sessions)
        .where(
            sessions.c.user_id == actor.user_id,
            sessions.c.id != actor.session_id,
            sessions.c.status == "ACTIVE",
        )
        .values(status="REVOKED", revoked_at=datetime.now(UTC))
    )
    await _audit(db, request, actor, "PASSWORD_CHANGE", "idam.users", actor.user_id)
    return ok(Message(message="비밀번호가 변경되었습니다."))


@router.post("/logout", response_model=Envelope[Message], summary="로그아웃")
async def logout(request: Request, actor: CurrentManagerUser, db: ManagerDb):
    sessions = _tables(request).sessions
    await db.execute(
        update(sessions)
        .where(sessions.c.id == actor.session_id)
        .values(status="REVOKED", revoked_at=datetime.now(UTC), updated_by=actor.user_id)
    )
    await _log_login(
        db,
        request,
        username=actor.username,
        user_id=actor.user_id,
        success=True,
        reason=None,
        attempt="LOGOUT",
    )
    await _audit(db, request, actor, "LOGOUT", "idam.sessions", actor.session_id)
    return ok(Message(message="로그아웃되었습니다."))


class ApiKeyRequest(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(
        min_length=1, max_length=500, description="Permission codes the key may use."
    )
    expires_at: datetime | None = Field(None, description="No expiry when absent.")


class IssuedApiKey(BaseModel):
    id: uuid.UUID
    name: str
    key: str = Field(description="Shown this once; only its digest is stored.")
    key_prefix: str
    scopes: list[str]
    expires_at: datetime | None


@router.post(
    "/api-keys",
    response_model=Envelope[IssuedApiKey],
    status_code=status.HTTP_201_CREATED,
    summary="API 키 발급",
)
async def issue_api_key(
    data: ApiKeyRequest, request: Request, actor: CurrentManagerUser, db: ManagerDb
):
    """A key for machine clients of the caller, limited to scopes the caller holds."""
    if actor.scopes is not None:
        raise ForbiddenError(
            {
                "ko": "API 키로는 API 키를 발급할 수 없습니다.",
                "en": "An API key cannot issue API keys.",
            }
        )
    tables = _tables(request)
    held = (
        None if actor.user_type == "MASTER" else await load_permissions(db, tables, actor.user_id)
    )
    catalog = set(
        await db.scalars(
            select(tables.permissions.c.code).where(tables.permissions.c.is_deleted.is_(False))
        )
    )
    unknown = sorted(set(data.scopes) - catalog)
    beyond = sorted(set(data.scopes) - held) if held is not None else []
    if unknown or beyond:
        raise ValidationError(
            detail=[
                {
                    "field": "scopes",
                    "source": "body",
                    "type": "scope",
                    "message": f"{code}: "
                    + ("unknown permission" if code in unknown else "not a permission you hold"),
                }
                for code in unknown + beyond
            ]
        )
    if data.expires_at is not None and data.expires_at <= datetime.now(UTC):
        raise ValidationError(
            detail=[
                {
                    "field": "expires_at",
                    "source": "body",
                    "type": "past",
                    "message": "must be in the future",
                }
            ]
        )
    key, prefix = new_api_key()
    key_id = uuid.uuid4()
    scopes = sorted(set(data.scopes))
    await db.execute(
        insert(tables.api_keys).values(
            id=key_id,
            name=data.name,
            user_id=actor.user_id,
            key_prefix=prefix,
            key_hash=api_key_digest(key),
            scopes=scopes,
            status="ACTIVE",
            expires_at=data.expires_at,
            created_by=actor.user_id,
            updated_by=actor.user_id,
        )
    )
    return ok(
        IssuedApiKey(
            id=key_id,
            name=data.name,
            key=key,
            key_prefix=prefix,
            scopes=scopes,
            expires_at=data.expires_at,
        )
    )
