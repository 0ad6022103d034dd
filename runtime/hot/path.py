"""The hot read path: lists and gets answered from precompiled SQL on the driver connection.

Most requests an API serves are reads of one row or one page. For those the generator writes
the SQL out (generated/<scope>/reads.py), and this ASGI layer answers them with no route
search, no dependency solving and no ORM: look the path up in a dict, verify the token,
run one statement that checks the session is live *and* fetches the row (two for a counted
page), check the cached permission codes, serialise with the generated response model.

Every wall stays up: the token is verified, the session is checked in the same statement (so
a logout takes effect on the very next request, on every worker), the permission comes from
the same per-process cache the routers use, tenant rows are confined by ``tenant_id`` and by
row-level security (the connection runs as the application role with the tenant set).

The layer only ever answers success. Whatever it cannot answer for certain — no token, an
unknown or inactive tenant, a permission not cached yet, a missing row, bad parameters, any
database error — it passes on, untouched, to the generated routers, which answer it the
long way with the right error. So the two paths cannot disagree on an error, and a test
compares their successes (tests/api/test_hot_path.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from sqlalchemy import Table
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.data import catalog
from runtime.hot.create import is_json
from runtime.hot.driverpool import Hot
from runtime.hot.read import Route
from runtime.reads.compose import statements
from runtime.reads.plan import plans
from runtime.security.credentials import ACCESS, TokenError, TokenIds, decode_with_ids
from runtime.security.permissions import holds
from runtime.security.systems import System
from runtime.state import app_state
from runtime.web.envelope import envelope_bytes
from runtime.web.versions import etag

Answer = tuple[bytes, int | None]  # the body, and the row's version when it is one row
Handler = Callable[[Scope, Hot], Awaitable[Answer | None]]
COLD = "cxg.cold"  # in the scope: (database, user, tenant) whose caches are not filled yet
Caller = tuple[str, uuid.UUID, uuid.UUID | None]  # what COLD holds: database, user, tenant
WARM_WAIT = 5.0  # seconds a request waits for another to fill its caller's caches
CREATED = "cxg.created"  # in the scope: the path of the row a hot create made (Location)


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            text = value.decode("latin-1")
            return text[7:] if text[:7].lower() == "bearer " else None
    return None


class HotPathMiddleware:
    """Answers the generated lists, gets and simple creates it can; passes the rest on."""

    def __init__(self, app: ASGIApp, routes: dict[str, Route]) -> None:
        self.app = app
        self.routes = routes
        # callers whose permission codes or tenant status are not cached yet, with the one
        # request that is filling those caches the long way
        self._warming: dict[Caller, asyncio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["method"] == "GET":
                answer = await self._answer_warm(scope, self._read)
                if answer is not None:
                    return await _respond(send, 200, *answer)
            elif scope["method"] == "POST":
                route = self.routes.get(scope["path"])
                if route is not None and route.create is not None and is_json(scope):
                    request = await _request_body(receive)
                    answer = await self._answer_warm(
                        scope, lambda scope, hot: self._create(scope, hot, request)
                    )
                    if answer is not None:
                        return await _respond(send, 201, *answer, location=scope.get(CREATED))
                    receive = _replay(request, receive)
        cold = scope.get(COLD)
        if cold is None or cold in self._warming:
            await self.app(scope, receive, send)
            return
        # The first request of a caller whose caches are cold fills them the long way; its
        # twins wait for it (_answer_warm) rather than all taking the long way at once.
        self._warming[cold] = asyncio.Event()
        try:
            await self.app(scope, receive, send)
        finally:
            self._warming.pop(cold).set()

    async def _answer_warm(self, scope: Scope, handler: Handler) -> Answer | None:
        """The hot answer; when the caller's caches are cold and another request is already
        filling them, the hot answer after it did (a burst of a new caller's requests, as
        after start-up, costs one trip the long way, not one per request)."""
        answer = await self._answer(scope, handler)
        cold: Caller | None = scope.get(COLD)
        filling = self._warming.get(cold) if answer is None and cold is not None else None
        if filling is None:
            return answer
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(filling.wait(), WARM_WAIT)
        scope.pop(COLD, None)
        return await self._answer(scope, handler)

    async def _answer(self, scope: Scope, handler: Handler) -> Answer | None:
        hot: Hot | None = getattr(app_state(scope), "hot", None)
        if hot is None:
            return None
        try:
            answer = await handler(scope, hot)
        except Exception:  # noqa: BLE001 - the long way answers (and reports) it properly
            answer = None
        if answer is None:
            hot.passed += 1
        else:
            hot.served += 1
        return answer

    def _caller(
        self, scope: Scope, system: System
    ) -> tuple[TokenIds, frozenset[str] | None] | None:
        """The ids of the request's verified token and the caller's cached codes."""
        token = _bearer(scope)
        if not token:
            return None
        try:
            claims, ids = decode_with_ids(token, expected_type=ACCESS)
        except TokenError:
            return None
        if claims.get("sys") != system.name or claims.get("act") or claims.get("scope"):
            # another system's token, a manager acting for a tenant, or a token that can
            # only enrol in MFA (the routers refuse it: runtime.security.authn.token_claims)
            return None
        state = app_state(scope)
        cold: Caller = (system.database, ids.user, ids.tenant)
        if system.tenant_scoped:
            if ids.tenant is None:
                return None
            status = state.tenant_status_cache.get(ids.tenant)
            if status is None:
                scope[COLD] = cold
            if status != "ACTIVE":
                return None
        codes = state.permission_caches[system.database].get(ids.user)
        if codes is None:
            scope[COLD] = cold
        return ids, codes

    async def _read(self, scope: Scope, hot: Hot) -> Answer | None:
        path: str = scope["path"]
        route, row_id = self.routes.get(path), None
        if route is None:
            base, _, last = path.rpartition("/")
            route = self.routes.get(base)
            if route is None or not route.plan.get:
                return None
            try:
                row_id = uuid.UUID(last)
            except ValueError:
                return None
        elif not route.plan.list:
            return None
        known = self._caller(scope, route.system)
        if known is None:
            return None
        ids, codes = known
        if row_id is not None:
            return await route.get(hot, ids, row_id, codes)
        body = await route.list(hot, ids, scope.get("query_string", b""), codes)
        return None if body is None else (body, None)

    async def _create(self, scope: Scope, hot: Hot, request: bytes) -> Answer | None:
        route = self.routes[scope["path"]]
        statement = route.create
        if statement is None or not statement.eligible():
            return None
        if hot.pools[route.system.database].citus is not False:
            # on Citus (or not known yet) the one-statement create goes the long way: Citus
            # runs its INSERT ... SELECT through COPY, which row-level security refuses
            return None
        known = self._caller(scope, route.system)
        if known is None:
            return None
        ids, codes = known
        values = statement.values(request)
        if values is None:
            return None  # the long way names what is wrong with the body
        auth = route._auth_args(ids)
        allowed = holds(codes, f"{route.plan.key}:create")
        if route.system.tenant_scoped and not allowed:
            return None
        args = [*auth, allowed, *values, *statement.request_args(scope)]
        tenant = ids.tenant if route.system.tenant_scoped else None
        record = await hot.run(
            route.system.database, tenant, lambda conn: conn.fetchrow(statement.sql, *args)
        )
        if record is None:
            return None  # nothing was written: a dead session, a permission, a reference
        scope[CREATED] = f"{scope['path']}/{record['_cxg_id']}"  # as the router's create says it
        return envelope_bytes(record["_cxg_row"].encode()), record["_cxg_version"]


async def _respond(
    send: Send, status: int, body: bytes, version: int | None, location: str | None = None
) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if version is not None:  # a single row: its ETag, as the routers send it
        headers.append((b"etag", etag(version).encode()))
    if location is not None:
        headers.append((b"location", location.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _request_body(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the already-read body to the long way, then carries on."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def routes_of(
    prefix: str, scope: str, system: System, base: type[Any], audit: Table | None
) -> dict[str, Route]:
    """The hot routes of a scope (manager | tenants). Their tables are looked up by name in
    ``base``'s database when a route first needs them (runtime.data.catalog imports the
    model then)."""
    table = partial(catalog.table, base)
    routes = [Route(statements(scope, key), system, table, audit) for key in plans(scope)]
    return {f"{prefix}{route.plan.path}": route for route in routes}
