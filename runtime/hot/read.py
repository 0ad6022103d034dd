"""The hot path's reads: what the generator knows of each entity's list and detail
(generated/<scope>/reads.py), and the statements composed from it once per process.

See runtime.hot.path for the layer that answers with them, and why it answers only success.
"""

from __future__ import annotations

import builtins
import uuid
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl

from asyncpg import Record
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from pydantic.fields import FieldInfo
from sqlalchemy import Table

from runtime.data.paging import (
    EXACT_UP_TO,
    CountMode,
    decode_cursor,
    keyset,
    next_cursor,
    sort_terms,
    typed,
)
from runtime.data.reading import LINES_LIMIT, escape_like
from runtime.hot.create import CreateStatement
from runtime.hot.driverpool import Connection, Hot
from runtime.hot.plan import MANAGER_SYSTEM, ReadPlan, System, envelope_bytes
from runtime.security.permissions import holds
from runtime.web.schemas import ListParams, pages


def _order(sort: str) -> str:
    """ORDER BY as runtime.data.reading.order_by says it (the terms of paging.sort_terms)."""
    return ", ".join(f"t.{c} {'DESC' if desc else 'ASC'}" for c, desc in sort_terms(sort))


class Route:
    """One entity's reads in one system, with its statements composed once."""

    def __init__(self, plan: ReadPlan, system: System):
        self.plan, self.system = plan, system
        self.lines: list[tuple[str, Route, str]] = []  # resolved by routes_of
        # (table, audit, targets), likewise
        self.creating: tuple[Table, Table, dict[str, Table]] | None = None
        self.types: dict[str, type] = {}  # the columns' Python types, for keyset cursors
        live_from, live_where = system.live(1)
        n = 4 if system.tenant_scoped else 3  # the row's own parameters start here
        tenant = " AND t.tenant_id = $3" if system.tenant_scoped else ""
        self.live_from, self.live_where = live_from, live_where
        self.first_param = n
        rows = f"({plan.table} t {plan.joins})" if plan.joins else f"{plan.table} t"
        self.get_sql = (
            f"SELECT u.user_type AS _cxg_user_type, t.id IS NOT NULL AS _cxg_found,"
            f" {plan.select} FROM {live_from} LEFT JOIN {rows}"
            f" ON t.id = ${n} AND {plan.visible}{tenant}"
            f" WHERE {live_where}"
        )

    # Composed on first use: the schemas they read are imported then (see ReadPlan).

    def prepare(self) -> None:
        """Build now what the first request would: the schemas and the create statement."""
        plan = self.plan
        for model in (plan.response, plan.page, plan.params, plan.create):
            if model is not None and not model.__pydantic_complete__:
                model.model_rebuild(force=True)
        _ = self.create, self.list_fields

    @cached_property
    def create(self) -> CreateStatement | None:
        return CreateStatement(self, *self.creating) if self.creating else None

    @cached_property
    def adapter_fields(self) -> dict[str, FieldInfo]:
        return self.plan.params.model_fields

    @cached_property
    def list_fields(self) -> set[str]:
        return {name for name, f in self.adapter_fields.items() if _is_list(f.annotation)}

    # -- get ------------------------------------------------------------------------------

    def lines_sql(self, parent_field: str) -> str:
        """A header's lines, as its detail shows them: in order, at most LINES_LIMIT, each
        row with the count of them all (_cxg_lines)."""
        plan = self.plan
        tenant = " AND t.tenant_id = $2" if self.system.tenant_scoped else ""
        return (
            f"SELECT {plan.select}, count(*) OVER () AS _cxg_lines FROM {plan.table} t"
            f" {plan.joins} WHERE t.{parent_field} = $1 AND {plan.visible}{tenant}"
            f" ORDER BY {_order(plan.default_sort)} LIMIT {LINES_LIMIT}"
        )

    async def get(
        self, hot: Hot, claims: dict[str, Any], row_id: uuid.UUID, codes: frozenset[str] | None
    ) -> tuple[bytes, int] | None:
        """The detail's body and the row's version (its ETag), or None: the long way."""
        args = self._auth_args(claims)
        tenant = args[2] if self.system.tenant_scoped else None

        async def work(conn: Connection) -> tuple[Record | None, dict[str, list[BaseModel] | int]]:
            record = await conn.fetchrow(self.get_sql, *args, row_id)
            if record is None or not record["_cxg_found"]:
                return None, {}  # a dead session (401) or no such row (404): the long way
            if not self._allowed(record["_cxg_user_type"], codes):
                return None, {}
            lines: dict[str, list[BaseModel] | int] = {}
            for attribute, line, parent_field in self.lines:
                extra = [tenant] if tenant is not None else []
                rows = await conn.fetch(line.lines_sql(parent_field), row_id, *extra)
                lines[attribute] = [line.plan.response.model_validate(dict(r)) for r in rows]
                lines[f"{attribute}_total"] = rows[0]["_cxg_lines"] if rows else 0
            return record, lines

        record, lines = await hot.run(self.system.database, tenant, work)
        if record is None:
            return None
        row = self.plan.response.model_validate({**dict(record), **lines})
        return envelope_bytes(row.__pydantic_serializer__.to_json(row)), record["version"]

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

    def _where(self, params: ListParams, tenant: Any, first: int) -> tuple[str, list[Any]]:
        plan, args = self.plan, []
        conditions = [plan.visible]

        def arg(value: Any) -> str:
            args.append(value)
            return f"${first + len(args) - 1}"

        if self.system.tenant_scoped:
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
        search = getattr(params, "search", None)  # only lists with searchable fields take it
        if search and plan.search:
            pattern = arg(f"%{escape_like(search)}%")
            conditions.append(
                "(" + " OR ".join(f"t.{c} ILIKE {pattern} ESCAPE '\\'" for c in plan.search) + ")"
            )
        return " AND ".join(conditions), args

    async def list(
        self, hot: Hot, claims: dict[str, Any], query: bytes, codes: frozenset[str] | None
    ) -> bytes | None:
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
        else:  # exact while that is cheap (runtime.data.paging)
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

        async def work(
            conn: Connection,
        ) -> tuple[tuple[int | None, CountMode] | None, list[Record], None]:
            head = await conn.fetchrow(count_sql, *auth, *count_args)
            if head is None or not self._allowed(head["_cxg_user_type"], codes):
                return None, [], None
            rows = await conn.fetch(page_sql, *args, size, offset)
            total = head["_cxg_total"]
            counted: CountMode = "none" if mode == "none" else "exact"
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
        return envelope_bytes(page.__pydantic_serializer__.to_json(page))

    # -- shared ---------------------------------------------------------------------------

    # builtins.list: in this class, list is the method above
    def _auth_args(self, claims: dict[str, Any]) -> builtins.list[Any]:
        args: list[Any] = [uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"])]
        if self.system.tenant_scoped:
            args.append(uuid.UUID(str(claims["tid"])))
        return args

    def _allowed(self, user_type: str, codes: frozenset[str] | None) -> bool:
        if self.system is MANAGER_SYSTEM and user_type == "MASTER":
            return True
        return holds(codes, self.plan.permission)


def _is_list(annotation: Any) -> bool:
    return "list[" in repr(annotation)
