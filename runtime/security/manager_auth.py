"""Manager sign-in: register, login, refresh, me, change-password, logout, API keys.

Tokens belong to a session row (idam.sessions); logout revokes the session, so both its
access and refresh tokens stop working at once. The mechanics are shared with the tenant
system (runtime.security.signin).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response, status
from pydantic import Field
from sqlalchemy import insert, select

from runtime.data.tables import ManagerTables
from runtime.deps import CurrentManagerUser, EnrollingManagerUser, ManagerDb
from runtime.security import accounts, signin, signin_models, signin_sessions
from runtime.security.authz import load_permissions
from runtime.security.credentials import api_key_digest, hash_password, new_api_key
from runtime.security.permissions import holds_every
from runtime.security.principal import MANAGER
from runtime.security.signin import SignedIn
from runtime.security.signin_models import (
    ChangePasswordRequest,
    LoginRequest,
    Message,
    RefreshRequest,
    TokenPair,
)
from runtime.state import app_state
from runtime.web.contract import answers
from runtime.web.envelope import Envelope, Output, ok
from runtime.web.errors import (
    AlreadyExistsError,
    ForbiddenError,
    UnauthorizedError,
    ValidationError,
)
from runtime.web.router import audited_router
from runtime.web.schemas import Input

router = audited_router(scope="manager", entity=None)
# where the rows these endpoints create are read (the Location of their answers)
USERS_PATH = "/api/v1/manager/idam/users"
API_KEYS_PATH = "/api/v1/manager/idam/api-keys"


class RegisterRequest(signin_models.NewAccount):
    """Self-registration. Type, status and roles are not accepted: they are set here."""


def _tables(request: Request) -> ManagerTables:
    return app_state(request).manager_tables


def manager_accounts(request: Request) -> accounts.Accounts:
    t = _tables(request)
    return accounts.Accounts(
        system=MANAGER,
        users=t.users,
        sessions=t.sessions,
        login_logs=t.login_logs,
        audit_logs=t.audit_logs,
        backup_codes=t.backup_codes,
        account_tokens=t.account_tokens,
    )


@router.post(
    "/register",
    response_model=Envelope[dict[str, Any]],
    status_code=status.HTTP_201_CREATED,
    summary="회원가입",
)
@answers(raises=[AlreadyExistsError])
async def register(
    data: RegisterRequest, request: Request, db: ManagerDb, response: Response
) -> Envelope[dict[str, Any]]:
    """Create a manager account for yourself: never a MASTER, with no roles (an
    administrator grants them). 409 when the username or e-mail address is taken."""
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
    response.headers["Location"] = f"{USERS_PATH}/{user_id}"
    return ok(await accounts.user_view(db, manager_accounts(request), user_id))


@router.post(
    "/login",
    response_model=Envelope[SignedIn],
    summary="로그인",
    description=signin_models.LOGIN_ANSWERS,
)
@answers(raises=[UnauthorizedError])
async def login(data: LoginRequest, request: Request, db: ManagerDb) -> Envelope[SignedIn]:
    return ok(await signin.sign_in(db, request, manager_accounts(request), data))


@router.post("/refresh", response_model=Envelope[TokenPair], summary="토큰 갱신")
@answers(raises=[UnauthorizedError])
async def refresh(data: RefreshRequest, request: Request, db: ManagerDb) -> Envelope[TokenPair]:
    """A new token pair for a refresh token, which is used up: presenting it again ends the
    session."""
    claims = signin_sessions.refresh_claims(data.refresh_token, MANAGER)
    return ok(await signin_sessions.rotate(db, request, manager_accounts(request), claims))


@router.get("/me", response_model=Envelope[dict[str, Any]], summary="현재 사용자 정보")
async def me(
    request: Request, actor: CurrentManagerUser, db: ManagerDb
) -> Envelope[dict[str, Any]]:
    """The signed-in user's account."""
    return ok(await accounts.user_view(db, manager_accounts(request), actor.user_id))


@router.post("/change-password", response_model=Envelope[Message], summary="비밀번호 변경")
async def change_password(
    data: ChangePasswordRequest, request: Request, actor: CurrentManagerUser, db: ManagerDb
) -> Envelope[Message]:
    """Change your password (the current one is checked); every other session ends."""
    return ok(
        await signin_sessions.change_password(db, request, manager_accounts(request), actor, data)
    )


@router.post("/logout", response_model=Envelope[Message], summary="로그아웃")
async def logout(request: Request, actor: EnrollingManagerUser, db: ManagerDb) -> Envelope[Message]:
    """End the session: its access and refresh tokens stop working at once."""
    return ok(await signin_sessions.sign_out(db, request, manager_accounts(request), actor))


class ApiKeyRequest(Input):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(
        min_length=1, max_length=500, description="Permission codes the key may use."
    )
    expires_at: datetime | None = Field(None, description="No expiry when absent.")


class IssuedApiKey(Output):
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
@answers(raises=[ForbiddenError])
async def issue_api_key(
    data: ApiKeyRequest,
    request: Request,
    actor: CurrentManagerUser,
    db: ManagerDb,
    response: Response,
) -> Envelope[IssuedApiKey]:
    """A key for machine clients of the caller, limited to scopes the caller holds; shown
    once. An API key cannot issue keys (403)."""
    if actor.scopes is not None:
        raise ForbiddenError(
            {
                "ko": "API 키로는 API 키를 발급할 수 없습니다.",
                "en": "An API key cannot issue API keys.",
            }
        )
    tables = _tables(request)
    held = (
        None
        if holds_every(MANAGER, actor.user_type)
        else await load_permissions(db, tables, actor.user_id)
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
    response.headers["Location"] = f"{API_KEYS_PATH}/{key_id}"
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
