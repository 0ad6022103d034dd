"""Authentication: who is calling. A bearer token (verified, its session live) or an API key
for the manager system; a tenant token whose tenant is active, or a manager acting for it,
for the tenant system. The principal lands in ``request.state.actor`` for the audit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.data.db import MANAGER, TENANT
from runtime.data.sessions import ManagerDb, unit_of_work
from runtime.security import systems
from runtime.security.codes import manager_codes
from runtime.security.credentials import ACCESS, TokenError, api_key_digest, decode_token
from runtime.security.permissions import ACT_FOR_TENANT, holds
from runtime.security.policy import ENROLMENT_SCOPE
from runtime.security.principal import ACTING_MANAGER, Actor
from runtime.security.principal import MANAGER as MANAGER_SYSTEM
from runtime.security.principal import TENANT as TENANT_SYSTEM
from runtime.state import app_state
from runtime.web.errors import ForbiddenError, MfaEnrolmentRequiredError, UnauthorizedError

bearer = HTTPBearer(auto_error=False, description="Access token from POST .../auth/login")


INVALID_TOKEN = {
    "ko": "인증 토큰이 유효하지 않거나 만료되었습니다.",
    "en": "The access token is invalid or expired.",
}


MISSING_TOKEN = {"ko": "인증 토큰이 필요합니다.", "en": "An access token is required."}


INACTIVE_TENANT = {
    "ko": "사용이 중지되었거나 해지된 테넌트입니다.",
    "en": "This tenant is suspended or closed.",
}


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def token_claims(
    credentials: HTTPAuthorizationCredentials | None, system: str, *, enrolling: bool = False
) -> dict[str, Any]:
    """The claims of a valid access token of ``system``. A token that can only enrol in MFA
    is 403 MFA_ENROLMENT_REQUIRED unless ``enrolling`` (the enrolment endpoints)."""
    if credentials is None or not credentials.credentials:
        raise UnauthorizedError(MISSING_TOKEN)
    try:
        claims = decode_token(credentials.credentials, expected_type=ACCESS)
    except TokenError:
        raise UnauthorizedError(INVALID_TOKEN) from None
    if claims.get("sys") != system:
        raise UnauthorizedError(INVALID_TOKEN, detail={"reason": "wrong system"})
    if claims.get("scope") is not None and not (enrolling and claims["scope"] == ENROLMENT_SCOPE):
        raise MfaEnrolmentRequiredError()
    return claims


api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key from POST .../auth/api-keys"
)


ApiKeyValue = Annotated[str | None, Depends(api_key_header)]


INVALID_KEY = {
    "ko": "API 키가 유효하지 않거나 만료되었습니다.",
    "en": "The API key is invalid, revoked or expired.",
}


async def api_key_actor(request: Request, key: str, db: AsyncSession) -> Actor:
    """A machine client: the key's owner, limited to the key's scopes."""
    tables = app_state(request).manager_tables
    keys, users = tables.api_keys, tables.users
    row = (
        await db.execute(
            select(
                keys.c.id,
                keys.c.user_id,
                keys.c.scopes,
                keys.c.status,
                keys.c.expires_at,
                keys.c.is_deleted,
                users.c.username,
                users.c.user_type,
                users.c.status.label("user_status"),
                users.c.is_deleted.label("user_deleted"),
            )
            .join(users, users.c.id == keys.c.user_id)
            .where(keys.c.key_hash == api_key_digest(key))
        )
    ).one_or_none()
    if (
        row is None
        or row.is_deleted
        or row.status != "ACTIVE"
        or (row.expires_at is not None and row.expires_at <= datetime.now(UTC))
        or row.user_deleted
        or row.user_status != "ACTIVE"
    ):
        raise UnauthorizedError(INVALID_KEY)
    actor = Actor(
        user_id=row.user_id,
        username=row.username,
        system=MANAGER_SYSTEM,
        user_type=row.user_type,
        scopes=frozenset(row.scopes or ()),
    )
    request.state.actor = actor
    return actor


async def _live_user(
    db: AsyncSession,
    system: systems.System,
    claims: dict[str, Any],
    tenant_id: uuid.UUID | None = None,
) -> Any:
    """The user a token names, provided the user and the token's session are both live (the
    same condition the hot path's statements carry: System.live_with)."""
    live_from, live_where = system.live_with(":user", ":session", ":tenant")
    params: dict[str, Any] = {"user": uuid.UUID(claims["sub"]), "session": uuid.UUID(claims["sid"])}
    if system.tenant_scoped:
        params["tenant"] = tenant_id
    statement = text(f"SELECT u.username, u.user_type FROM {live_from} WHERE {live_where}")
    row = (await db.execute(statement, params)).one_or_none()
    if row is None:
        raise UnauthorizedError(INVALID_TOKEN)
    return row


async def _manager_user(request: Request, claims: dict[str, Any], db: AsyncSession) -> Actor:
    """The manager user and live session a token names, or 401."""
    row = await _live_user(db, systems.MANAGER_SYSTEM, claims)
    return Actor(
        user_id=uuid.UUID(claims["sub"]),
        username=row.username,
        system=MANAGER_SYSTEM,
        user_type=row.user_type,
        session_id=uuid.UUID(claims["sid"]),
        enrolling=claims.get("scope") == ENROLMENT_SCOPE,
    )


async def _manager_actor(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None,
    api_key: str | None,
    db: AsyncSession,
    enrolling: bool,
) -> Actor:
    if credentials is None and api_key:
        return await api_key_actor(request, api_key, db)
    claims = token_claims(credentials, MANAGER_SYSTEM, enrolling=enrolling)
    actor = await _manager_user(request, claims, db)
    request.state.actor = actor
    return actor


async def current_manager_actor(
    request: Request, credentials: Credentials, api_key: ApiKeyValue, db: ManagerDb
) -> Actor:
    """A live manager user with a live session (the token alone is not enough: logout),
    or a machine client with a live API key."""
    return await _manager_actor(request, credentials, api_key, db, enrolling=False)


async def enrolling_manager_actor(
    request: Request, credentials: Credentials, api_key: ApiKeyValue, db: ManagerDb
) -> Actor:
    """The same, and also a token that can only enrol in MFA (the enrolment endpoints)."""
    return await _manager_actor(request, credentials, api_key, db, enrolling=True)


CurrentManagerUser = Annotated[Actor, Depends(current_manager_actor)]
enrolling_manager_actor.accepts_enrolment = True  # type: ignore[attr-defined]
EnrollingManagerUser = Annotated[Actor, Depends(enrolling_manager_actor)]


async def tenant_status(request: Request, tenant_id: uuid.UUID) -> str:
    """ACTIVE, SUSPENDED, ... or DELETED; cached, and dropped whenever a tenant changes."""
    cache = app_state(request).tenant_status_cache
    status = cache.get(tenant_id)
    if status is None:
        seen = cache.generation
        tenants = app_state(request).manager_tables.tenants
        db = unit_of_work(request).session(MANAGER)
        row = (
            await db.execute(
                select(tenants.c.status, tenants.c.is_deleted).where(tenants.c.id == tenant_id)
            )
        ).one_or_none()
        status = "DELETED" if row is None or row.is_deleted else row.status
        cache.put(tenant_id, status, seen)
    return status


async def enter_tenant(
    request: Request, claims: dict[str, Any], invalid: dict[str, str]
) -> uuid.UUID:
    """The tenant a verified token names (``invalid`` when it names none), provided it is
    active; the request's tenant transaction is bound to it from here on."""
    try:
        tenant_id = uuid.UUID(str(claims.get("tid")))
    except ValueError:
        raise UnauthorizedError(invalid) from None
    if await tenant_status(request, tenant_id) != "ACTIVE":
        raise UnauthorizedError(INACTIVE_TENANT, detail={"reason": "tenant not active"})
    unit_of_work(request).bind_tenant(tenant_id)
    return tenant_id


async def _acting_manager(request: Request, claims: dict[str, Any], tenant_id: uuid.UUID) -> Actor:
    """A manager user acting for a tenant: still signed in and still allowed to."""
    db = unit_of_work(request).session(MANAGER)
    manager = await _manager_user(request, claims, db)
    if not holds(await manager_codes(request, manager, db), ACT_FOR_TENANT):
        raise ForbiddenError(detail={"permission": ACT_FOR_TENANT})
    return Actor(
        user_id=manager.user_id,
        username=f"{manager.username} (manager)"[:100],
        system=TENANT_SYSTEM,
        user_type=ACTING_MANAGER,
        session_id=manager.session_id,
        tenant_id=tenant_id,
    )


async def current_tenant_actor(request: Request, credentials: Credentials) -> Actor:
    """A tenant principal. ``tenant_id`` comes only from the signed token; the tenant must be
    active and the session live. From here on the request's tenant transaction is bound to
    that tenant (row-level security)."""
    return await _tenant_actor(request, credentials, enrolling=False)


async def enrolling_tenant_actor(request: Request, credentials: Credentials) -> Actor:
    """The same, and also a token that can only enrol in MFA (the enrolment endpoints)."""
    return await _tenant_actor(request, credentials, enrolling=True)


async def _tenant_actor(
    request: Request, credentials: HTTPAuthorizationCredentials | None, enrolling: bool
) -> Actor:
    claims = token_claims(credentials, TENANT_SYSTEM, enrolling=enrolling)
    tenant_id = await enter_tenant(request, claims, INVALID_TOKEN)
    uow = unit_of_work(request)
    if claims.get("act") == MANAGER_SYSTEM:
        actor = await _acting_manager(request, claims, tenant_id)
    else:
        actor = await _tenant_user(request, claims, tenant_id, uow.session(TENANT))
    request.state.actor = actor
    return actor


async def _tenant_user(
    request: Request, claims: dict[str, Any], tenant_id: uuid.UUID, db: AsyncSession
) -> Actor:
    row = await _live_user(db, systems.TENANT_SYSTEM, claims, tenant_id)
    return Actor(
        user_id=uuid.UUID(claims["sub"]),
        username=row.username,
        system=TENANT_SYSTEM,
        user_type=row.user_type,
        session_id=uuid.UUID(claims["sid"]),
        tenant_id=tenant_id,
        enrolling=claims.get("scope") == ENROLMENT_SCOPE,
    )


CurrentTenantUser = Annotated[Actor, Depends(current_tenant_actor)]
enrolling_tenant_actor.accepts_enrolment = True  # type: ignore[attr-defined]
EnrollingTenantUser = Annotated[Actor, Depends(enrolling_tenant_actor)]
