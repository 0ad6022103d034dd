"""One entity's reads on the hot path: the statements of runtime.reads, with the check that
the token's user and session are live in the same statement (its head), run on the hot
path's own connections. Anything it cannot answer for certain, it leaves to the routers."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable
from functools import cached_property
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from pydantic import ValidationError as PydanticValidationError
from pydantic.fields import FieldInfo
from sqlalchemy import Table

from runtime.hot.create import CreateStatement
from runtime.hot.driverpool import Connection, Hot
from runtime.reads import answer
from runtime.reads.compose import Head, Statements
from runtime.reads.plan import ReadPlan
from runtime.security.credentials import TokenIds
from runtime.security.permissions import holds_as
from runtime.security.systems import System
from runtime.web.envelope import envelope_bytes
from runtime.web.schemas import ListParams

LISTINGS_KEPT = 256  # query strings whose page statement a route remembers (emptied when full)
TENANT = object()  # in a remembered statement's parameters: the caller's tenant goes here
_UNKNOWN = object()


class Listing(NamedTuple):
    """A list's parameters and its page statement, with TENANT where the tenant goes (the
    head's parameters come first)."""

    params: ListParams
    sql: str
    args: tuple[Any, ...]


class Route:
    """One entity's reads (and simple create) in one system."""

    def __init__(
        self,
        reads: Statements,
        system: System,
        table: Callable[[str], Table],
        audit: Table | None,
    ):
        self.reads, self.plan, self.system = reads, reads.plan, system
        self.table, self.audit = table, audit  # a table by name, its model imported if need be
        self._listings: dict[bytes, Listing | None] = {}
        live_from, live_where = system.live(1)
        self.head = Head(
            "u.user_type AS _cxg_user_type", live_from, live_where, 3 if system.tenant_scoped else 2
        )

    def prepare(self) -> None:
        """Build now what the first request would: the list's parameters and the create."""
        params = self.plan.params
        if not params.__pydantic_complete__:
            params.model_rebuild(force=True)
        _ = self.create, self.list_fields

    @cached_property
    def create(self) -> CreateStatement | None:
        plan = self.plan
        if plan.create_class is None or self.audit is None:
            return None
        targets = {key: self.table(key) for _, key in plan.references}
        return CreateStatement(self, self.table(plan.key), self.audit, targets)

    @cached_property
    def adapter_fields(self) -> dict[str, FieldInfo]:
        return self.plan.params.model_fields

    @cached_property
    def list_fields(self) -> set[str]:
        return {name for name, f in self.adapter_fields.items() if _is_list(f.annotation)}

    # -- get ------------------------------------------------------------------------------

    async def get(
        self, hot: Hot, ids: TokenIds, row_id: uuid.UUID, codes: frozenset[str] | None
    ) -> tuple[bytes, int] | None:
        """The detail's body and the row's version (its ETag), or None: the long way."""
        auth = self._auth_args(ids)
        tenant = ids.tenant if self.system.tenant_scoped else None

        async def work(conn: Connection) -> Any:
            return await answer.detail(conn, self.reads, row_id, tenant, self.head, tuple(auth))

        record = await hot.run(self.system.database, tenant, work)
        # a dead session (401), no such row (404) or no permission (403): the long way
        if record is None or record["_cxg_row"] is None:
            return None
        if not self._allowed(record["_cxg_user_type"], codes):
            return None
        body = answer.detail_json(self.reads, record)
        return envelope_bytes(body.encode()), record["_cxg_version"]

    # -- list -----------------------------------------------------------------------------

    def _params(self, query: bytes) -> ListParams | None:
        values: dict[str, Any] = {}
        for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if key not in self.adapter_fields:
                return None  # not a parameter of this list: let the router judge it
            if key in self.list_fields:
                values.setdefault(key, []).append(value)
            elif key in values:
                return None  # one value given twice: the router refuses it
            else:
                values[key] = value
        try:
            return self.plan.params.model_validate(values)
        except PydanticValidationError:
            return None

    def _listing(self, query: bytes) -> Listing | None:
        """The page statement of a query string, composed once: a screen asks for the same
        few pages again and again (None: the long way answers it)."""
        known = self._listings.get(query, _UNKNOWN)
        if known is _UNKNOWN:
            known = self._compose(query)
            if len(self._listings) >= LISTINGS_KEPT:
                self._listings.clear()
            self._listings[query] = known
        return known  # type: ignore[return-value]  # not _UNKNOWN any more

    def forget(self) -> None:
        """Compose every statement anew (their bounds changed: tests of runtime.data.paging)."""
        self._listings.clear()

    def _compose(self, query: bytes) -> Listing | None:
        params = self._params(query)
        if params is None:
            return None
        try:
            cursor = answer.cursor_values(self.reads, params)
        except ValueError:
            return None  # the long way names what is wrong with the cursor
        sql, args = self.reads.page(params, TENANT, cursor, self.head)
        return Listing(params, sql, tuple(args))

    async def list(
        self, hot: Hot, ids: TokenIds, query: bytes, codes: frozenset[str] | None
    ) -> bytes | None:
        listing = self._listing(query)
        if listing is None:
            return None
        tenant = ids.tenant if self.system.tenant_scoped else None
        args = [*self._auth_args(ids), *(tenant if a is TENANT else a for a in listing.args)]
        params = listing.params

        async def work(conn: Connection) -> str | None:
            records = await conn.fetch(listing.sql, *args)
            if not records or not self._allowed(records[0]["_cxg_user_type"], codes):
                return None
            return await answer.page_json(conn, self.reads, params, tenant, records)

        body = await hot.run(self.system.database, tenant, work)
        return None if body is None else envelope_bytes(body.encode())

    # -- shared ---------------------------------------------------------------------------

    # builtins.list: in this class, list is the method above
    def _auth_args(self, ids: TokenIds) -> builtins.list[Any]:
        if self.system.tenant_scoped:
            return [ids.user, ids.session, ids.tenant]
        return [ids.user, ids.session]

    def _allowed(self, user_type: str, codes: frozenset[str] | None) -> bool:
        return holds_as(self.system.name, user_type, codes, self.plan.permission)


def _is_list(annotation: Any) -> bool:
    return "list[" in repr(annotation)


__all__ = ["ReadPlan", "Route"]
