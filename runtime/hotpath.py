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
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import asyncpg
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import MetaData, Table
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.context import request_id_var
from runtime.crud import LINES_LIMIT, ApplicationCheck
from runtime.hotcreate import CreateStatement, is_json
from runtime.paging import EXACT_UP_TO, decode_cursor, keyset, next_cursor, sort_terms, typed
from runtime.permissions import ALL
from runtime.schemas import pages
from runtime.security import ACCESS, TokenError, decode_token

# asyncpg raises these when the connection under a statement is gone: the read is retried
# once on a new connection (a restarted server, a dropped idle connection).
CONNECTION_LOST = (
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.InternalClientError,  # a protocol left mid-operation by a terminated backend
    ConnectionError,
    OSError,
)


APPLICATION_NAME = "cxg-hot-path"  # how its connections show in pg_stat_activity


@dataclass(frozen=True)
class ReadPlan:
    """What the generator knows about one entity's reads (see generator/readsql.py)."""

    key: str  # domain.table
    path: str  # relative to the scope: /crm/customers
    permission: str
    table: str
    select: str
    joins: str
    visible: str
    response: type[BaseModel]
    page: type[BaseModel]
    params: type[BaseModel]
    filters: list[str] = field(default_factory=list)
    ranges: list[str] = field(default_factory=list)
    search: list[str] = field(default_factory=list)
    default_sort: str = "-created_at"
    lines: list[tuple[str, str, str]] = field(default_factory=list)  # (attribute, key, parent)
    create: type[BaseModel] | None = None  # the body of a create this layer may answer
    references: list[tuple[str, str]] = field(default_factory=list)  # (field, domain.table)
    get: bool = True
    list: bool = True


@dataclass(frozen=True)
class System:
    """What differs between the manager and the tenant system on the read path."""

    name: str  # the token's sys claim: manager | tenant
    database: str  # manager | tenant
    users: str
    sessions: str
    tenant_scoped: bool

    def live(self, first: int) -> tuple[str, str]:
        """FROM and WHERE of "the token's user and session are live" ($first: user id,
        then session id, then for tenants the tenant id)."""
        where = (
            f"u.id = ${first} AND s.id = ${first + 1} AND NOT u.is_deleted"
            " AND u.status = 'ACTIVE' AND s.status = 'ACTIVE' AND s.expires_at > now()"
        )
        if self.tenant_scoped:
            where += f" AND u.tenant_id = ${first + 2}"
        return f"{self.users} u JOIN {self.sessions} s ON s.user_id = u.id", where


MANAGER_SYSTEM = System("manager", "manager", "idam.users", "idam.sessions", False)
TENANT_SYSTEM = System("tenant", "tenant", "adm.users", "adm.sessions", True)


class Connection(asyncpg.Connection):
    """A driver connection that remembers which tenant it was last set to."""

    tenant: uuid.UUID | None = None


class DriverPool:
    """A small pool of asyncpg connections kept for the hot path.

    asyncpg's own pool runs a reset round trip on every release; these connections hold
    only what this module sets (the role once, the tenant when it changes), so they need none.
    """

    def __init__(self, dsn: str, size: int, *, tenant: bool, role: str | None = None):
        self.dsn, self.size, self.role, self.tenant = dsn, size, role, tenant
        self._idle: asyncio.LifoQueue[Connection] = asyncio.LifoQueue()
        self._opened = 0
        self._all: set[Connection] = set()

    async def _connect(self) -> Connection:
        conn = await asyncpg.connect(
            self.dsn,
            connection_class=Connection,
            statement_cache_size=1024,
            server_settings={"application_name": APPLICATION_NAME},
        )
        for kind in ("json", "jsonb"):  # as SQLAlchemy returns them: decoded
            await conn.set_type_codec(
                kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
            )
        if self.role:
            await conn.execute("SELECT set_config('role', $1, false)", self.role)
        self._all.add(conn)
        return conn

    async def acquire(self) -> Connection:
        if self._idle.empty() and self._opened < self.size:
            self._opened += 1
            try:
                return await self._connect()
            except BaseException:
                self._opened -= 1
                raise
        conn = await self._idle.get()
        if conn.is_closed():
            self._discard(conn)
            return await self.acquire()
        return conn

    def release(self, conn: Connection, *, broken: bool = False) -> None:
        if broken or conn.is_closed():
            self._discard(conn)
            if not conn.is_closed():
                conn.terminate()
            return
        self._idle.put_nowait(conn)

    def _discard(self, conn: Connection) -> None:
        if conn in self._all:
            self._all.discard(conn)
            self._opened -= 1

    async def close(self) -> None:
        for conn in list(self._all):
            await conn.close()
        self._all.clear()


async def enter_tenant(conn: Connection, tenant: uuid.UUID | None) -> None:
    """Row-level security reads cxg.tenant_id: set it when this connection last served
    another tenant (session-level; every use of these connections sets it first)."""
    if conn.tenant != tenant:
        conn.tenant = None  # unknown until the statement returns
        await conn.execute(
            "SELECT set_config('cxg.tenant_id', $1, false)", str(tenant) if tenant else ""
        )
        conn.tenant = tenant


@dataclass
class Hot:
    """The hot path's state in a running app: its pools and how often it answered."""

    pools: dict[str, DriverPool]
    served: int = 0
    passed: int = 0

    async def run(self, database: str, tenant: str | None, work) -> Any:
        """``work(conn)`` on a pooled connection; once more on a new one if the old one died."""
        pool = self.pools[database]
        for attempt in (1, 2):
            conn = await pool.acquire()
            try:
                if pool.tenant:
                    await enter_tenant(conn, tenant)
                result = await work(conn)
            except CONNECTION_LOST:
                pool.release(conn, broken=True)
                if attempt == 2:
                    raise
                continue
            except BaseException:
                pool.release(conn, broken=conn.is_closed() or conn.is_in_transaction())
                raise
            pool.release(conn)
            return result
        raise AssertionError("unreachable")

    async def close(self) -> None:
        for pool in self.pools.values():
            await pool.close()


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            text = value.decode("latin-1")
            return text[7:] if text[:7].lower() == "bearer " else None
    return None


def _holds(codes: frozenset[str] | None, code: str) -> bool:
    return codes is not None and (code in codes or ALL <= codes)


def _envelope(data: bytes) -> bytes:
    request_id = request_id_var.get()
    stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return b"".join(
        (
            b'{"success":true,"data":',
            data,
            b',"error":null,"request_id":',
            json.dumps(request_id).encode(),
            b',"timestamp":"',
            stamp.encode(),
            b'"}',
        )
    )


def _order(sort: str) -> str:
    """ORDER BY as runtime.crud.order_by says it: the terms, then id the way the last runs."""
    terms, direction = [], "ASC"
    for term in sort.split(","):
        term = term.strip()
        direction = "DESC" if term.startswith("-") else "ASC"
        terms.append(f"t.{term.removeprefix('-')} {direction}")
    return ", ".join([*terms, f"t.id {direction}"])


class Route:
    """One entity's reads in one system, with its statements composed once."""

    def __init__(self, plan: ReadPlan, system: System):
        self.plan, self.system = plan, system
        self.lines: list[tuple[str, Route, str]] = []  # resolved by routes_of
        self.create: CreateStatement | None = None  # likewise
        self.types: dict[str, type] = {}  # the columns' Python types, for keyset cursors
        live_from, live_where = system.live(1)
        n = 4 if system.tenant_scoped else 3  # the row's own parameters start here
        tenant = " AND t.tenant_id = $3" if system.tenant_scoped else ""
        self.live_from, self.live_where = live_from, live_where
        self.first_param = n
        # with and without the application's tenant condition (tests switch it off to show
        # that row-level security alone confines every read; see runtime.crud)
        rows = f"({plan.table} t {plan.joins})" if plan.joins else f"{plan.table} t"
        self.get_sql = {
            check: (
                f"SELECT u.user_type AS _cxg_user_type, t.id IS NOT NULL AS _cxg_found,"
                f" {plan.select} FROM {live_from} LEFT JOIN {rows}"
                f" ON t.id = ${n} AND {plan.visible}{tenant if check else ''}"
                f" WHERE {live_where}"
            )
            for check in (True, False)
        }
        self.adapter_fields = plan.params.model_fields
        self.list_fields = {
            name for name, f in self.adapter_fields.items() if _is_list(f.annotation)
        }

    # -- get ------------------------------------------------------------------------------

    def lines_sql(self, parent_field: str, check: bool) -> str:
        """A header's lines, as its detail shows them: in order, at most LINES_LIMIT."""
        plan = self.plan
        tenant = " AND t.tenant_id = $2" if self.system.tenant_scoped and check else ""
        return (
            f"SELECT {plan.select} FROM {plan.table} t {plan.joins}"
            f" WHERE t.{parent_field} = $1 AND {plan.visible}{tenant}"
            f" ORDER BY {_order(plan.default_sort)} LIMIT {LINES_LIMIT}"
        )

    async def get(self, hot: Hot, claims: dict, row_id: uuid.UUID, codes) -> bytes | None:
        args = self._auth_args(claims)
        tenant = args[2] if self.system.tenant_scoped else None
        check = ApplicationCheck.enabled

        async def work(conn: Connection):
            record = await conn.fetchrow(self.get_sql[check], *args, row_id)
            if record is None or not record["_cxg_found"]:
                return None, {}  # a dead session (401) or no such row (404): the long way
            if not self._allowed(record["_cxg_user_type"], codes):
                return None, {}
            lines = {}
            for attribute, line, parent_field in self.lines:
                extra = [tenant] if tenant is not None and check else []
                rows = await conn.fetch(line.lines_sql(parent_field, check), row_id, *extra)
                lines[attribute] = [line.plan.response.model_validate(dict(r)) for r in rows]
            return record, lines

        record, lines = await hot.run(self.system.database, tenant, work)
        if record is None:
            return None
        row = self.plan.response.model_validate({**dict(record), **lines})
        return _envelope(row.__pydantic_serializer__.to_json(row))

    # -- list -----------------------------------------------------------------------------

    def _params(self, query: bytes) -> BaseModel | None:
        values: dict[str, Any] = {}
        for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if key not in self.adapter_fields:
                return None  # not a parameter of this list: let the router judge it
            if key in self.list_fields:
                values.setdefault(key, []).append(value)
            else:
                values[key] = value
        try:
            return self.plan.params.model_validate(values)
        except PydanticValidationError:
            return None

    def _where(self, params: Any, tenant: Any, first: int) -> tuple[str, list[Any]]:
        plan, args = self.plan, []
        conditions = [plan.visible]

        def arg(value: Any) -> str:
            args.append(value)
            return f"${first + len(args) - 1}"

        if self.system.tenant_scoped and ApplicationCheck.enabled:
            conditions.append(f"t.tenant_id = {arg(tenant)}")
        for name in plan.filters:
            value = getattr(params, name, None)
            if isinstance(value, list):
                conditions.append(f"t.{name} = ANY({arg(value)})")
            elif value is not None:
                conditions.append(f"t.{name} = {arg(value)}")
        for name in plan.ranges:
            low, high = getattr(params, f"{name}_from", None), getattr(params, f"{name}_to", None)
            if low is not None:
                conditions.append(f"t.{name} >= {arg(low)}")
            if high is not None:
                conditions.append(f"t.{name} <= {arg(high)}")
        if params.search and plan.search:
            pattern = arg(f"%{_escape_like(params.search)}%")
            conditions.append(
                "(" + " OR ".join(f"t.{c} ILIKE {pattern} ESCAPE '\\'" for c in plan.search) + ")"
            )
        return " AND ".join(conditions), args

    async def list(self, hot: Hot, claims: dict, query: bytes, codes) -> bytes | None:
        params = self._params(query)
        if params is None:
            return None
        auth = self._auth_args(claims)
        tenant = auth[2] if self.system.tenant_scoped else None
        table, mode, sort = self.plan.table, params.count, params.order
        count_where, count_args = self._where(params, tenant, self.first_param)
        if mode in ("none", "estimated"):
            total_sql, count_args = "NULL::bigint", []
        elif mode == "exact":
            total_sql = f"(SELECT count(*) FROM {table} t WHERE {count_where})"
        else:  # exact while that is cheap (runtime.paging)
            total_sql = (
                f"(SELECT count(*) FROM (SELECT 1 FROM {table} t WHERE {count_where}"
                f" LIMIT {EXACT_UP_TO + 1}) s)"
            )
        count_sql = (
            f"SELECT u.user_type AS _cxg_user_type, {total_sql} AS _cxg_total"
            f" FROM {self.live_from} WHERE {self.live_where}"
        )
        where, args = self._where(params, tenant, 1)
        estimate_sql = f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {table} t WHERE {where}"
        estimate_args = list(args)
        size, offset = params.page_size, (params.page - 1) * params.page_size
        if params.cursor:
            terms = sort_terms(sort)
            try:
                values = typed(decode_cursor(params.cursor)[1], [self.types[c] for c, _ in terms])
            except (ValueError, KeyError):
                return None  # the long way names what is wrong with the cursor

            def compare(column: str, op: str, value: Any) -> str:
                args.append(value)
                return f"t.{column} {op} ${len(args)}"

            def compare_rows(columns: list[str], op: str, row: list[Any]) -> str:
                params = []
                for value in row:
                    args.append(value)
                    params.append(f"${len(args)}")
                names = ", ".join(f"t.{c}" for c in columns)
                return f"({names}) {op} ({', '.join(params)})"

            groups = keyset(terms, values, compare, compare_rows)
            where += " AND (" + " OR ".join(f"({' AND '.join(g)})" for g in groups) + ")"
            offset = 0
        n = len(args)
        page_sql = (
            f"SELECT {self.plan.select} FROM {table} t {self.plan.joins}"
            f" WHERE {where} ORDER BY {_order(sort)} LIMIT ${n + 1} OFFSET ${n + 2}"
        )

        async def work(conn: Connection):
            head = await conn.fetchrow(count_sql, *auth, *count_args)
            if head is None or not self._allowed(head["_cxg_user_type"], codes):
                return None, [], None
            rows = await conn.fetch(page_sql, *args, size, offset)
            total, counted = head["_cxg_total"], "none" if mode == "none" else "exact"
            if mode == "estimated" or (mode is None and total > EXACT_UP_TO):
                plan = await conn.fetchval(estimate_sql, *estimate_args)
                total = max(int(plan[0]["Plan"]["Plan Rows"]), total or 0)
                counted = "estimated"
            return (total, counted), rows, None

        head, rows, _ = await hot.run(self.system.database, tenant, work)
        if head is None:
            return None
        total, counted = head
        page = self.plan.page(
            items=[self.plan.response.model_validate(dict(r)) for r in rows],
            total=total,
            page=params.page,
            page_size=size,
            total_pages=pages(total, size),
            count=counted,
            next_cursor=next_cursor(sort, rows[-1] if rows else None, size, len(rows)),
        )
        return _envelope(page.__pydantic_serializer__.to_json(page))

    # -- shared ---------------------------------------------------------------------------

    def _auth_args(self, claims: dict) -> list[Any]:
        args: list[Any] = [uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"])]
        if self.system.tenant_scoped:
            args.append(uuid.UUID(str(claims["tid"])))
        return args

    def _allowed(self, user_type: str, codes) -> bool:
        if self.system is MANAGER_SYSTEM and user_type == "MASTER":
            return True
        return _holds(codes, self.plan.permission)


def _is_list(annotation: Any) -> bool:
    return "list[" in repr(annotation)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class HotPathMiddleware:
    """Answers the generated lists, gets and simple creates it can; passes the rest on."""

    def __init__(self, app: ASGIApp, routes: dict[str, Route]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["method"] == "GET":
                body = await self._answer(scope, self._read)
                if body is not None:
                    return await _respond(send, 200, body)
            elif scope["method"] == "POST":
                route = self.routes.get(scope["path"])
                if route is not None and route.create is not None and is_json(scope):
                    request = await _request_body(receive)
                    body = await self._answer(scope, lambda *a: self._create(*a, request))
                    if body is not None:
                        return await _respond(send, 201, body)
                    receive = _replay(request, receive)
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, handler) -> bytes | None:
        hot: Hot | None = getattr(scope["app"].state, "hot", None)
        if hot is None:
            return None
        try:
            body = await handler(scope, hot)
        except Exception:  # noqa: BLE001 - the long way answers (and reports) it properly
            body = None
        if body is None:
            hot.passed += 1
        else:
            hot.served += 1
        return body

    def _claims(self, scope: Scope, system: System) -> tuple[dict, Any] | None:
        """The verified claims of the request's token and the caller's cached codes."""
        token = _bearer(scope)
        if not token:
            return None
        try:
            claims = decode_token(token, expected_type=ACCESS)
        except TokenError:
            return None
        if claims.get("sys") != system.name or claims.get("act"):
            return None  # another system's token, or a manager acting for a tenant
        state = scope["app"].state
        if system.tenant_scoped:
            tenant_id = uuid.UUID(str(claims.get("tid")))
            if state.tenant_status_cache.get(tenant_id) != "ACTIVE":
                return None
        return claims, state.permission_caches[system.database].get(uuid.UUID(claims["sub"]))

    async def _read(self, scope: Scope, hot: Hot) -> bytes | None:
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
        known = self._claims(scope, route.system)
        if known is None:
            return None
        claims, codes = known
        if row_id is not None:
            return await route.get(hot, claims, row_id, codes)
        return await route.list(hot, claims, scope.get("query_string", b""), codes)

    async def _create(self, scope: Scope, hot: Hot, request: bytes) -> bytes | None:
        route = self.routes[scope["path"]]
        statement = route.create
        if statement is None or not statement.eligible():
            return None
        known = self._claims(scope, route.system)
        if known is None:
            return None
        claims, codes = known
        values = statement.values(request)
        if values is None:
            return None  # the long way names what is wrong with the body
        auth = route._auth_args(claims)
        allowed = _holds(codes, f"{route.plan.key}:create")
        if route.system.tenant_scoped and not allowed:
            return None
        args = [*auth, allowed, *values, *statement.request_args(scope)]
        tenant = auth[2] if route.system.tenant_scoped else None
        record = await hot.run(
            route.system.database, tenant, lambda conn: conn.fetchrow(statement.sql, *args)
        )
        if record is None:
            return None  # nothing was written: a dead session, a permission, a reference
        row = route.plan.response.model_validate(dict(record))
        return _envelope(row.__pydantic_serializer__.to_json(row))


async def _respond(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
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
    prefix: str, plans, system: System, metadata: MetaData, audit: Table | None
) -> dict[str, Route]:
    routes = {plan.key: Route(plan, system) for plan in plans}
    for route in routes.values():
        route.lines = [(a, routes[key], parent) for a, key, parent in route.plan.lines]
        route.types = _python_types(metadata.tables[route.plan.key])
        if route.plan.create is not None and audit is not None:
            targets = {key: metadata.tables[key] for _, key in route.plan.references}
            route.create = CreateStatement(route, metadata.tables[route.plan.key], audit, targets)
    return {f"{prefix}{route.plan.path}": route for route in routes.values()}


def _python_types(table: Table) -> dict[str, type]:
    types = {}
    for column in table.columns:
        try:
            types[column.name] = column.type.python_type
        except NotImplementedError:  # no Python type to compare with (a cursor never needs it)
            continue
    return types
