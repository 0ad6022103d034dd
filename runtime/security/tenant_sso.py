"""Tenant single sign-on endpoints under /api/v1/tenants/auth/sso (runtime.security.sso holds
the flow, runtime.security.oidc the protocol)."""

from __future__ import annotations

from fastapi import Request
from pydantic import Field
from sqlalchemy import select

from runtime.data.db import TENANT
from runtime.deps import ManagerDb, tenant_status, unit_of_work
from runtime.security import sso
from runtime.security.signin import SignedIn
from runtime.security.signin_models import LOGIN_ANSWERS
from runtime.security.tenant_auth import tenant_accounts
from runtime.state import app_state
from runtime.web.contract import answers
from runtime.web.envelope import Envelope, ok
from runtime.web.errors import (
    NotFoundError,
    SsoAccountError,
    SsoAudienceError,
    SsoDomainError,
    SsoIssuerError,
    SsoNonceError,
    SsoProviderError,
    SsoSignatureError,
    SsoStateError,
    SsoTokenError,
    UnauthorizedError,
)
from runtime.web.router import audited_router
from runtime.web.schemas import Input

router = audited_router(scope="tenants", entity=None)

# the errors these endpoints raise themselves (runtime.web.contract.answers documents them)
START_RAISES = (NotFoundError, SsoProviderError)
CALLBACK_RAISES = (
    SsoStateError,
    SsoTokenError,
    SsoSignatureError,
    SsoAudienceError,
    SsoIssuerError,
    SsoNonceError,
    UnauthorizedError,
    SsoDomainError,
    SsoAccountError,
    SsoProviderError,
)


class SsoAuthorizeRequest(Input):
    tenant_code: str = Field(min_length=1, max_length=30, description="The company's tenant code.")
    provider: str | None = Field(
        None, min_length=1, max_length=50, description="The provider's code; none: the only one."
    )


class SsoCallbackRequest(Input):
    state: str = Field(min_length=1, max_length=200)
    code: str = Field(min_length=1, max_length=2000, description="The provider's code.")


@router.post(
    "/sso/authorize",
    response_model=Envelope[sso.SsoStart],
    summary="SSO 로그인 시작",
    description="Starts a single sign-on with the company's OpenID provider: the URL to send"
    " the browser to (authorization code with PKCE), and the state to give back to"
    " POST .../sso/callback.",
)
@answers(raises=START_RAISES)
async def authorize(
    data: SsoAuthorizeRequest, request: Request, mdb: ManagerDb
) -> Envelope[sso.SsoStart]:
    tenants = app_state(request).manager_tables.tenants
    tenant_id = await mdb.scalar(
        select(tenants.c.id).where(
            tenants.c.code == data.tenant_code,
            tenants.c.status == "ACTIVE",
            tenants.c.is_deleted.is_(False),
        )
    )
    if tenant_id is None:
        raise NotFoundError(sso.NO_PROVIDER, detail={"tenant_code": data.tenant_code})
    unit_of_work(request).bind_tenant(tenant_id)
    db = unit_of_work(request).session(TENANT)
    return ok(await sso.start(db, request, tenant_accounts(request, tenant_id), data.provider))


@router.post(
    "/sso/callback",
    response_model=Envelope[SignedIn],
    summary="SSO 로그인 완료",
    description=LOGIN_ANSWERS,
)
@answers(raises=CALLBACK_RAISES)
async def callback(data: SsoCallbackRequest, request: Request) -> Envelope[SignedIn]:
    tenant_id = sso.tenant_in(data.state)
    if await tenant_status(request, tenant_id) != "ACTIVE":
        raise SsoStateError(detail={"reason": "unknown"})
    unit_of_work(request).bind_tenant(tenant_id)
    db = unit_of_work(request).session(TENANT)
    accounts = tenant_accounts(request, tenant_id)
    return ok(await sso.finish(db, request, accounts, data.state, data.code))
