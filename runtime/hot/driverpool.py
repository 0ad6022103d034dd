"""Driver connections for the hot path: a small pool of plain asyncpg connections.

The hot path (runtime.hot.path) runs its statements here rather than through the ORM's pool:
no reset round trip on release, the tenant set at session level and re-set only when a
connection serves another tenant, and a read retried once when its connection died. Behind a
transaction pooler (CXG_DB_POOLER=transaction) nothing is kept in the session, and on Citus a
session-level setting never reaches the workers: there each use is one transaction that sets
the tenant and the role first, as SET LOCAL (runtime.tenancy.context).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import asyncpg

from runtime.tenancy import context

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
T = TypeVar("T")


class Connection(asyncpg.Connection):  # type: ignore[misc]  # asyncpg ships no types: Any
    """A driver connection that remembers which tenant it was last set to."""

    tenant: uuid.UUID | None = None


class DriverPool:
    """A small pool of asyncpg connections kept for the hot path.

    asyncpg's own pool runs a reset round trip on every release; these connections hold
    only what this module sets (the role once, the tenant when it changes), so they need none.
    A released connection goes straight to the longest waiting request: with a queue, a
    request arriving just then could take it first and send the woken one to the back of the
    line again, which under load made a few requests wait many turns (the tail latency).
    """

    def __init__(
        self, dsn: str, size: int, *, tenant: bool, role: str | None = None, pooled: bool = False
    ):
        self.dsn, self.size, self.role, self.tenant = dsn, size, role, tenant
        # behind a transaction pooler: no session state, no prepared statement kept
        self.pooled = pooled
        self.citus: bool | None = None  # the database has the Citus extension (first connect)
        self._idle: list[Connection] = []  # the last released is used first (warm)
        self._waiters: deque[asyncio.Future[Connection | None]] = deque()
        self._opened = 0
        self._all: set[Connection] = set()

    async def _connect(self) -> Connection:
        conn: Connection = await asyncpg.connect(
            self.dsn,
            connection_class=Connection,
            statement_cache_size=0 if self.pooled else 1024,
            server_settings={"application_name": APPLICATION_NAME},
        )
        for kind in ("json", "jsonb"):  # as SQLAlchemy returns them: decoded
            await conn.set_type_codec(
                kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
            )
        if self.citus is None:
            self.citus = bool(
                await conn.fetchval(
                    "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')"
                )
            )
        if self.role and not self.pooled:
            await conn.execute("SELECT set_config('role', $1, false)", self.role)
        if not self.pooled and not self.citus:
            # A statement's plan for any parameters from its first use: PostgreSQL would plan
            # the first five uses for their values (0.5-0.9 ms each for a read with its head,
            # against 0.15-0.2 for the generic plan it then keeps), and a fresh process's first
            # burst paid that on every connection at once. The reads are index ranges whose
            # plan does not depend on the values. (Citus plans its own way.)
            await conn.execute("SET plan_cache_mode = force_generic_plan")
        self._all.add(conn)
        return conn

    async def acquire(self) -> Connection:
        while True:
            conn: Connection | None
            if self._idle:
                conn = self._idle.pop()
            elif self._opened < self.size:
                self._opened += 1
                try:
                    return await self._connect()
                except BaseException:
                    self._opened -= 1
                    self._hand(None)
                    raise
            else:
                waiter = asyncio.get_running_loop().create_future()
                self._waiters.append(waiter)
                try:
                    conn = await waiter
                except asyncio.CancelledError:
                    if waiter.done() and not waiter.cancelled():  # handed over as it was cancelled
                        handed = waiter.result()
                        if handed is None:
                            self._hand(None)
                        else:
                            self.release(handed)
                    elif waiter in self._waiters:
                        self._waiters.remove(waiter)
                    raise
                if conn is None:  # a connection was dropped: there is room to open one
                    continue
            if conn.is_closed():
                self._discard(conn)
                continue
            return conn

    def release(self, conn: Connection, *, broken: bool = False) -> None:
        if broken or conn.is_closed():
            self._discard(conn)
            if not conn.is_closed():
                conn.terminate()
            self._hand(None)
            return
        if not self._hand(conn):
            self._idle.append(conn)

    def _hand(self, conn: Connection | None) -> bool:
        """Give ``conn`` to the longest waiting request, if one waits (None: there is room
        for it to open a connection itself)."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return True
        return False

    def _discard(self, conn: Connection) -> None:
        if conn in self._all:
            self._all.discard(conn)
            self._opened -= 1

    async def fill(self) -> None:
        """Open every connection now rather than under the first burst of requests."""
        missing = self.size - self._opened
        self._opened += missing
        results = await asyncio.gather(
            *(self._connect() for _ in range(missing)), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                self._opened -= 1  # opened later, when a request needs it
            else:
                self.release(result)

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


async def in_tenant_transaction(
    conn: Connection,
    pool: DriverPool,
    tenant: uuid.UUID | None,
    work: Callable[[Connection], Awaitable[T]],
) -> T:
    """Behind a transaction pooler the next statement may run on another server connection,
    and on Citus only a SET LOCAL in a transaction block reaches the workers: the work runs in
    one transaction that sets the role and the tenant first (both local to it). Without Citus
    it is begun in the same round trip; on Citus the settings go in a query of their own (the
    text Citus replays on each worker must hold nothing else)."""
    settings = context.statements(tenant, pool.role or "")
    if pool.citus:
        await conn.execute("BEGIN")
        await conn.execute(settings)
    else:
        await conn.execute(f"BEGIN; {settings}")
    result = await work(conn)  # on an error the connection is dropped: the pooler rolls back
    await conn.execute("COMMIT")
    return result


@dataclass
class Hot:
    """The hot path's state in a running app: its pools and how often it answered."""

    pools: dict[str, DriverPool]
    served: int = 0
    passed: int = 0

    async def run(
        self, database: str, tenant: uuid.UUID | None, work: Callable[[Connection], Awaitable[T]]
    ) -> T:
        """``work(conn)`` on a pooled connection; once more on a new one if the old one died."""
        pool = self.pools[database]
        for attempt in (1, 2):
            conn = await pool.acquire()
            try:
                if pool.tenant and (pool.pooled or pool.citus):
                    result = await in_tenant_transaction(conn, pool, tenant, work)
                else:
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
