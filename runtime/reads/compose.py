"""The statements of an entity's reads, composed in one place from its plan and the caller's
parameters: what is visible (live rows of the caller's tenant), filters, ranges, search, the
order, keyset cursors, the count modes, a header's lines and the names of referenced rows.

Each statement returns rows whose JSON PostgreSQL has written (``row_to_json``), in the
response's field order and forms; runtime.reads.answer glues them into the envelope. A
statement may start with a head (the hot path's "the session is live" check): then it
returns no row at all when the head finds none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from runtime.data import paging
from runtime.reads.plan import ReadPlan, plans
from runtime.web.schemas import ListParams

LINES_LIMIT = 1000  # a header's detail shows at most this many lines (and how many in all)
ROW = "row_to_json(r)::text"  # each row's JSON, r being its response columns (below)


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def order_by(sort: str, alias: str = "t") -> str:
    """The sort's terms, then id the way the last term runs (paging.sort_terms): a total
    order, so pages never overlap, and the default order is one index range."""
    terms = paging.sort_terms(sort)
    return ", ".join(f"{alias}.{c} {'DESC' if desc else 'ASC'}" for c, desc in terms)


@dataclass(frozen=True)
class Head:
    """What a statement checks before the data: selected columns, FROM and WHERE, and how
    many parameters it takes ($1..$n)."""

    select: str
    source: str
    where: str
    args: int


class Args:
    """Parameters of a statement being composed, numbered from ``first``."""

    def __init__(self, first: int) -> None:
        self.first = first
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${self.first + len(self.values) - 1}"


class Statements:
    """One entity's reads in one system (tenant-scoped or not)."""

    def __init__(
        self, plan: ReadPlan, tenant_scoped: bool, lines: list[tuple[str, Statements, str]]
    ):
        self.plan, self.tenant_scoped, self.lines = plan, tenant_scoped, lines

    def shown(self, where: str) -> str:
        """The rows ``where`` keeps, as their response columns (a derived table, named r, for
        row_to_json). Written as a plain subquery, not a lateral one over the table: Citus
        13.2's planner crashes on a lateral subquery without FROM under row-level security."""
        plan = self.plan
        return f"(SELECT {plan.row} FROM {plan.table} t {plan.joins} WHERE {where}) r"

    def _mine(self, tenant: str | None) -> str:
        """Visible rows of the tenant whose id is the parameter ``tenant``."""
        return self.plan.visible + (f" AND t.tenant_id = {tenant}" if tenant else "")

    # -- one row ----------------------------------------------------------------------------

    def detail(self, head: Head | None = None) -> str:
        """The row (``$k``: its id; ``$k+1``: the tenant), its version and its lines' JSON and
        totals (_cxg_l<i>, _cxg_n<i>); k follows the head's parameters."""
        k = head.args + 1 if head else 1
        tenant = f"${k + 1}" if self.tenant_scoped else None
        select = [f"{ROW} AS _cxg_row", "r.version AS _cxg_version"]
        joins = []
        for i, (_, line, parent) in enumerate(self.lines):
            select += [f"l{i}.j AS _cxg_l{i}", f"l{i}.n AS _cxg_n{i}"]
            joins.append(f" LEFT JOIN LATERAL ({line.lines_of(parent, k)}) l{i} ON true")
        row = self.shown(f"t.id = ${k} AND {self._mine(tenant)}")
        data = f"SELECT {', '.join(select)} FROM {row}{''.join(joins)}"
        if head is None:
            return data
        return (
            f"SELECT h.*, d.* FROM (SELECT {head.select} FROM {head.source} WHERE {head.where}) h"
            f" LEFT JOIN LATERAL ({data}) d ON true"
        )

    def lines_of(self, parent: str, k: int = 1) -> str:
        """The lines of the header whose id is $k (tenant: $k+1), in this entity's default
        order, at most LINES_LIMIT of them, as one JSON array's inside, and their count."""
        tenant = f"${k + 1}" if self.tenant_scoped else None
        order = order_by(self.plan.default_sort)
        mine = f"t.{parent} = ${k} AND {self._mine(tenant)}"
        return (
            f"SELECT string_agg({ROW}, ',' ORDER BY k._cxg_i) AS j,"
            " coalesce(max(k._cxg_n), 0) AS n FROM"
            f" (SELECT t.id AS _cxg_id, row_number() OVER (ORDER BY {order}) AS _cxg_i,"
            f" count(*) OVER () AS _cxg_n FROM {self.plan.table} t WHERE {mine}"
            f" ORDER BY {order} LIMIT {LINES_LIMIT}) k"
            f" JOIN {self.shown(mine)} ON r.id = k._cxg_id"
        )

    # -- a page ----------------------------------------------------------------------------

    def where(
        self,
        params: ListParams,
        tenant: str | None,
        arg: Args,
        fixed: Mapping[str, Any] | None = None,
    ) -> str:
        """The conditions of a list: visible rows of the tenant (``tenant``: its parameter),
        ``fixed`` equalities the caller decides (a header's lines: its reference, from the
        path), the parameters."""
        plan = self.plan
        conditions = [self._mine(tenant)]
        conditions += [f"t.{name} = {arg(value)}" for name, value in (fixed or {}).items()]
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
            matches = " OR ".join(f"t.{c} ILIKE {pattern} ESCAPE '\\'" for c in plan.search)
            conditions.append(f"({matches})")
        return " AND ".join(conditions)

    def page(
        self,
        params: ListParams,
        tenant: Any,
        cursor: list[Any] | None,
        head: Head | None = None,
        fixed: Mapping[str, Any] | None = None,
    ) -> tuple[str, list[Any]]:
        """One statement, one row (none when the head finds nothing): the total as the count
        mode asks, the page's rows' JSON joined in order (_cxg_items, null when no row
        matches), their number (_cxg_n) and the last one's sort keys (_cxg_k<i>, for the next
        cursor). ``cursor``: the typed values a keyset page continues
        after (then the offset is 0)."""
        arg = Args(head.args + 1 if head else 1)
        mine = arg(tenant) if self.tenant_scoped else None
        where = self.where(params, mine, arg, fixed)
        mode, sort = params.count, params.order
        source = f"{self.plan.table} t WHERE {where}"
        if mode in ("none", "estimated"):
            total = "NULL::bigint"
        elif mode == "exact":
            total = f"(SELECT count(*) FROM {source})"
        else:  # exact while that is cheap (runtime.data.paging)
            total = (
                f"CASE WHEN {self._small()} THEN (SELECT count(*) FROM {source})"
                f" ELSE (SELECT count(*) FROM (SELECT 1 FROM {source}"
                f" LIMIT {paging.EXACT_UP_TO + 1}) s) END"
            )
        terms = paging.sort_terms(sort)
        # the page's bounds are written in (whole numbers, checked by ListParams): with them as
        # parameters PostgreSQL would plan every execution anew rather than keep one plan
        offset = (params.page - 1) * params.page_size
        if cursor is not None:
            where += " AND " + _after(terms, cursor, arg)
            offset = 0
        keys = ", ".join(f"t.{c} AS _cxg_k{i}" for i, (c, _) in enumerate(terms))
        # the page's ids and sort keys first, then the JSON of those rows only (joined by id),
        # put back in the page's order once
        keys_out = ", ".join(f"k._cxg_k{i}" for i in range(len(terms)))
        ordered = ", ".join(
            f"k._cxg_k{i} {'DESC' if d else 'ASC'}" for i, (_, d) in enumerate(terms)
        )
        rows = (
            f"SELECT {ROW} AS _cxg_row, {keys_out}"
            f" FROM (SELECT t.id AS _cxg_id, {keys} FROM {self.plan.table} t WHERE {where}"
            f" ORDER BY {order_by(sort)} LIMIT {int(params.page_size)} OFFSET {int(offset)}) k"
            f" JOIN {self.shown(self._mine(mine))} ON r.id = k._cxg_id ORDER BY {ordered}"
        )
        # one row back, as PostgreSQL can give it: the rows' JSON joined in the page's order,
        # how many, and the last row's sort keys (the next cursor). The aggregates read the
        # ordered subquery's rows in its order (as PostgreSQL documents for a sorted
        # subquery), so no aggregate sorts again; decoding twenty records of sort keys cost
        # the driver more than the rest of the answer
        last = ", ".join(
            f"(array_agg(q._cxg_k{i}))[count(*)] AS _cxg_k{i}" for i in range(len(terms))
        )
        gathered = (
            f"SELECT string_agg(q._cxg_row, ',') AS _cxg_items,"
            f" count(*) AS _cxg_n, {last} FROM ({rows}) q"
        )
        counted = f"{total} AS _cxg_total, {self._small()} AS _cxg_all"
        if head is None:
            counted = f"SELECT {counted}"
        else:
            counted = f"SELECT {head.select}, {counted} FROM {head.source} WHERE {head.where}"
        return f"SELECT h.*, p.* FROM ({counted}) h CROSS JOIN LATERAL ({gathered}) p", arg.values

    def _small(self) -> str:
        """Whether the planner holds the whole table small enough to count it all (0 or -1: it
        does not know, as for a table never analysed or a distributed table's shell)."""
        return (
            f"coalesce((SELECT reltuples BETWEEN 1 AND {paging.COUNT_ALL_UP_TO} FROM pg_class"
            f" WHERE oid = '{self.plan.table}'::regclass), false)"
        )

    def estimate(
        self, params: ListParams, tenant: Any, fixed: Mapping[str, Any] | None = None
    ) -> tuple[str, list[Any]]:
        """The planner's estimate of the matching rows (EXPLAIN: nothing is read)."""
        arg = Args(1)
        where = self.where(params, arg(tenant) if self.tenant_scoped else None, arg, fixed)
        return f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {self.plan.table} t WHERE {where}", arg.values


def _after(terms: list[tuple[str, bool]], values: list[Any], arg: Callable[[Any], str]) -> str:
    """Rows after a keyset cursor's values, in the terms' order (paging.keyset)."""

    def compare(column: str, op: str, value: Any) -> str:
        return f"t.{column} {op} {arg(value)}"

    def compare_rows(columns: list[str], op: str, row: list[Any]) -> str:
        names = ", ".join(f"t.{c}" for c in columns)
        return f"({names}) {op} ({', '.join(arg(v) for v in row)})"

    groups = paging.keyset(terms, values, compare, compare_rows)
    return "(" + " OR ".join(f"({' AND '.join(g)})" for g in groups) + ")"


@cache
def statements(scope: str, key: str) -> Statements:
    """The composed reads of entity ``key`` of a scope (manager | tenants), built once."""
    plan = plans(scope)[key]
    lines = [(a, statements(scope, line), parent) for a, line, parent in plan.lines]
    return Statements(plan, scope == "tenants", lines)
