"""The app factory: runtime core plus the generated v1 aggregators of both scopes."""

from __future__ import annotations

import asyncio
import gc
import importlib
import importlib.util
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.engine import make_url

from runtime.data import catalog
from runtime.data.db import MANAGER, TENANT, Databases, listen_urls, resolve_urls
from runtime.data.models import ManagerBase, TenantBase
from runtime.data.tables import CONTRACT, TENANT_CONTRACT, manager_tables, tenant_tables
from runtime.hot.driverpool import DriverPool, Hot
from runtime.hot.path import HotPathMiddleware, routes_of
from runtime.hot.warmup import Activity, warm_up
from runtime.logic import extend, guards, rules
from runtime.logic.masters import keep_a_master
from runtime.logic.rules import known_codes
from runtime.security import policy
from runtime.security.authz import Cache, Listener, seed_catalog
from runtime.security.manager_auth import router as manager_auth_router
from runtime.security.manager_links import router as manager_links_router
from runtime.security.manager_mfa import router as manager_mfa_router
from runtime.security.permissions import MANAGER_RUNTIME_PERMISSIONS
from runtime.security.ratelimit import MemoryCounter, RateLimitMiddleware, RedisCounter
from runtime.security.systems import MANAGER_SYSTEM, TENANT_SYSTEM
from runtime.security.tenant_auth import router as tenant_auth_router
from runtime.security.tenant_links import router as tenant_links_router
from runtime.security.tenant_mfa import router as tenant_mfa_router
from runtime.security.tenant_sso import router as tenant_sso_router
from runtime.settings import Settings, get_settings
from runtime.tenancy.provisioning import router as tenancy_router
from runtime.web import contract, docs, handlers, openapi, querymodels, routes
from runtime.web.bodylimit import BodyLimitMiddleware
from runtime.web.context import language_var
from runtime.web.envelope import Envelope, error_payload, ok
from runtime.web.errors import DATABASE, DatabaseUnavailableError
from runtime.web.middleware import RequestContextMiddleware
from runtime.web.readretry import ReadRetryMiddleware
from runtime.web.stack import Api

API_PREFIX = "/api/v1"
AUTH_TAG = "관리자 > 인증 > 인증"
TENANT_AUTH_TAG = "테넌트 > 인증 > 인증"
TENANCY_TAG = "관리자 > 테넌트 관리 > 테넌트 운영"


def _generated(scope: str, module: str) -> ModuleType | None:
    """A generated module of a scope, or None when the scope has no specs yet."""
    name = f"generated.{scope}.{module}"
    if importlib.util.find_spec(f"generated.{scope}") is None:
        return None
    return importlib.import_module(name)


def _built(scope: str, module: str) -> ModuleType:
    """A generated module the app cannot do without."""
    found = _generated(scope, module)
    if found is None:
        raise RuntimeError(f"generated/{scope} is missing: run `cxg-gen build`")
    return found


def _hot_path(urls: dict[str, str], settings: Settings) -> Hot:
    """Driver connections for the hot read path, one small pool per database."""
    plain = {name: make_url(url).set(drivername="postgresql") for name, url in urls.items()}
    dsn = {name: url.render_as_string(hide_password=False) for name, url in plain.items()}
    size, pooled = settings.hot_pool_size, settings.db_pooler == "transaction"
    return Hot(
        pools={
            MANAGER: DriverPool(dsn[MANAGER], size, tenant=False, pooled=pooled),
            TENANT: DriverPool(
                dsn[TENANT],
                size,
                tenant=True,
                role=settings.tenant_app_role or None,
                pooled=pooled,
            ),
        }
    )


def create_app(
    settings: Settings | None = None, *, eager: bool = False, entities: bool = True
) -> FastAPI:
    """The app. Its generated routes are built on first use unless ``eager`` is set or the
    prebuilt OpenAPI document is stale (FastAPI then makes the document from every route).
    Without ``entities`` it has the hand-written routes only (for the document's build)."""
    settings = settings or get_settings()
    querymodels.make_unbounded()
    manager_v1, tenant_v1 = _built("manager", "v1"), _generated("tenants", "v1")
    manager_permissions = _generated("manager", "permissions")
    # the runtime's own tables only: every other model is imported when first needed
    catalog.load(ManagerBase, CONTRACT)
    tables = manager_tables(ManagerBase.metadata)  # fail fast when the specs break the contract
    extend.discover()  # the hand-owned modules under runtime/extensions
    guards.register(tables.users.fullname, "keep_a_master", keep_a_master(tables.users))
    if tenant_v1 is not None:
        catalog.load(TenantBase, TENANT_CONTRACT)
    tenant = tenant_tables(TenantBase.metadata) if tenant_v1 is not None else None
    if tenant is not None:  # a tenant role lists codes of the tenant catalog only
        permissions = getattr(_generated("tenants", "permissions"), "PERMISSIONS", ())
        rules.register(
            tenant.roles.fullname,
            "known_codes",
            known_codes("permissions", (d.code for d in permissions)),
        )
        # the tenant's MFA policy is one of its settings: only values it knows
        rules.register(tenant.settings.fullname, "mfa_policy", policy.setting_rule)
        guards.register(tenant.settings.fullname, "mfa_policy", policy.setting_guard)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        urls = resolve_urls(settings)
        databases = Databases(urls, settings)
        app.state.databases = databases
        app.state.hot = _hot_path(urls, settings) if settings.hot_path else None
        app.state.permission_caches = {MANAGER: Cache(), TENANT: Cache()}
        app.state.tenant_status_cache = Cache()
        # what a committed change on each database may make stale
        app.state.caches = {
            MANAGER: (app.state.permission_caches[MANAGER], app.state.tenant_status_cache),
            TENANT: (app.state.permission_caches[TENANT],),
        }
        listen = listen_urls(settings, urls)
        listeners = [
            Listener(databases.engines[db], *app.state.caches[db], url=listen[db])
            for db in app.state.caches
        ]
        for listener in listeners:
            await listener.start()
        await seed_catalog(
            databases.engines[MANAGER],
            tables,
            getattr(manager_permissions, "PERMISSIONS", ()) + MANAGER_RUNTIME_PERMISSIONS,
        )
        app.state.manager_tables = tables
        app.state.tenant_tables = tenant
        app.state.audit_tables = {
            MANAGER: tables.audit_logs,
            TENANT: tenant.audit_logs if tenant else None,
        }
        if app.state.hot is not None and settings.environment != "test":
            # the first burst of requests should not wait for connections to open (tests
            # start many apps side by side: theirs open as they are needed)
            for pool in app.state.hot.pools.values():
                await pool.fill()
        # What start-up built (hundreds of models, routes, schemas) lives as long as the
        # process: keep it out of the collector's full passes, which otherwise stall a
        # request now and then for a tenth of a second or more.
        gc.collect()
        gc.freeze()
        warming = None
        if settings.environment != "test":  # tests build what they use, as they use it
            warming = asyncio.create_task(
                warm_up(app.state.activity, hot_routes.values(), app.state.lazy_groups)
            )
        try:
            yield
        finally:
            if warming is not None:
                warming.cancel()
            if isinstance(counter, RedisCounter):
                await counter.close()
            for listener in listeners:
                await listener.stop()
            if app.state.hot is not None:
                await app.state.hot.close()
            await databases.dispose()

    tags = [
        {"name": AUTH_TAG, "description": "Sign-in and tokens of manager users"},
        {"name": TENANCY_TAG, "description": "Provisioning tenants and acting for them"},
        {"name": TENANT_AUTH_TAG, "description": "Sign-in and tokens of tenant users"},
    ]
    for v1 in (manager_v1, tenant_v1):
        tags += getattr(v1, "TAGS", [])
    document = None if eager else openapi.prebuilt(settings.data_dir / "openapi.verified")
    app = Api(
        title="CXG Platform API",
        version="1.0.0",
        description="CXG 멀티테넌트 SaaS 플랫폼 API (manager and tenant systems).",
        lifespan=lifespan,
        # FastAPI's docs pages load from a CDN: runtime/web/docs.py serves ours, with their files
        docs_url=None,
        redoc_url=None,
        # served from generated/openapi.json when `cxg-gen build` made it from this code
        openapi_url=None if document else "/openapi.json",
        openapi_tags=tags,
    )
    contract.install(app)  # servers, contact, license, default security, error examples
    if document:
        openapi.serve_prebuilt(app, document)
    else:
        docs.install(app)
    handlers.install(app)
    # innermost of the middlewares: rate limits, request ids and CORS apply to its answers too
    hot_routes = routes_of(
        f"{API_PREFIX}/manager",
        "manager",
        MANAGER_SYSTEM,
        ManagerBase,
        tables.audit_logs,
    )
    if tenant is not None:
        hot_routes |= routes_of(
            f"{API_PREFIX}/tenants",
            "tenants",
            TENANT_SYSTEM,
            TenantBase,
            tenant.audit_logs,
        )
    app.add_middleware(ReadRetryMiddleware)  # inside the hot path: the routers' reads only
    app.add_middleware(HotPathMiddleware, routes=hot_routes)
    app.state.hot_routes = hot_routes
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID"],
        )
    counter = RedisCounter(settings.redis_url) if settings.redis_url else MemoryCounter()
    app.add_middleware(RateLimitMiddleware, settings=settings, counter=counter)
    app.state.counter = counter  # also counts failed sign-ins (runtime.security.throttle)
    app.state.settings = settings
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.state.activity = Activity()  # requests in flight: the warm-up waits for none
    app.add_middleware(RequestContextMiddleware, activity=app.state.activity)

    scopes = [(f"{API_PREFIX}/manager", manager_v1)]
    for auth_router in (manager_auth_router, manager_mfa_router, manager_links_router):
        app.include_router(auth_router, prefix=f"{API_PREFIX}/manager/auth", tags=[AUTH_TAG])
    if tenant_v1 is not None:
        scopes.append((f"{API_PREFIX}/tenants", tenant_v1))
        app.include_router(tenancy_router, prefix=f"{API_PREFIX}/manager", tags=[TENANCY_TAG])
        for auth_router in (
            tenant_auth_router,
            tenant_mfa_router,
            tenant_links_router,
            tenant_sso_router,
        ):
            app.include_router(
                auth_router, prefix=f"{API_PREFIX}/tenants/auth", tags=[TENANT_AUTH_TAG]
            )
    app.state.lazy_groups = lazy_groups = []
    for prefix, v1 in scopes:
        resources = v1.RESOURCES
        if not entities:  # the domains' hand-owned actions stay
            resources = tuple(r for r in resources if not r.module.startswith("generated."))
        if document:  # lazily, after the hand-written routes (/manager/tenants/{id}/provision)
            lazy_groups += routes.mount_lazily(app, prefix, resources)
        else:
            routes.include_all(app, prefix, resources)

    @app.get(
        "/health",
        tags=["시스템 > 상태 > 헬스 체크"],
        summary="헬스 체크",
        response_model=Envelope[dict[str, Any]],
        operation_id="health",
        responses=contract.answers_of({DATABASE}, 200),  # 503: the error envelope
        openapi_extra={"security": []},
    )
    async def health(request: Request) -> Envelope[dict[str, Any]] | JSONResponse:
        """Whether both databases answer: 200 with each one's state, or 503 naming the one
        that is down. Needs no credential and is not rate-limited."""
        databases: Databases = request.app.state.databases
        status = {}
        for name, engine in databases.engines.items():
            try:
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
                status[name] = "ok"
            except Exception:  # noqa: BLE001 - any failure means "down"
                status[name] = "down"
        if all(v == "ok" for v in status.values()):
            return ok({"status": "ok", "databases": status})
        down = DatabaseUnavailableError(detail=status)
        body = error_payload(down.code, down.message(language_var.get()), status)
        return JSONResponse(body, status_code=down.status_code, headers=down.headers)

    return app
