"""Paging shared by both ways a list is answered (runtime.data.crud and runtime.hot.path).

Keyset pages: a page's ``next_cursor`` names where it ended (the sort and the last row's
values of the sort's columns and id); ``?cursor=`` continues from there with one index range
scan, however deep, where ``?page=5000`` would read and skip 100,000 rows first.

Counting: ``?count=exact`` counts every matching row; ``estimated`` asks the planner;
``none`` skips the total. The default counts every matching row while the table is small (the
planner's size of the whole table at most ``COUNT_ALL_UP_TO`` rows: counting all costs no more
than counting to a bound), else exactly up to ``EXACT_UP_TO`` rows (a bounded index scan) and
estimates beyond, so page 1 of a million-row list stays as fast as page 1 of a small one;
``count`` in the answer says which it was.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

CountMode = Literal["exact", "estimated", "none"]

EXACT_UP_TO = 10_000  # the default counts exactly up to here
COUNT_ALL_UP_TO = 100_000  # ... or all, in a table the planner holds no bigger than this


def sort_terms(sort: str) -> list[tuple[str, bool]]:
    """(column, descending) of each term, then id, which runs the way the last term does."""
    terms = [
        (term.strip().removeprefix("-"), term.strip().startswith("-")) for term in sort.split(",")
    ]
    return [*terms, ("id", terms[-1][1])]


def encode_cursor(sort: str, values: Sequence[Any]) -> str:
    payload = json.dumps({"s": sort, "v": [_plain(v) for v in values]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, list[Any]]:
    """The sort and the values a cursor carries (as JSON values); ValueError when it is not
    a cursor this API made."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValueError("not a cursor from this API") from None
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("s"), str)
        or not isinstance(payload.get("v"), list)
    ):
        raise ValueError("not a cursor from this API")
    return payload["s"], payload["v"]


def typed(values: list[Any], types: Sequence[type]) -> list[Any]:
    """A cursor's JSON values as the columns' Python types (ValueError when they do not fit)."""
    if len(values) != len(types):
        raise ValueError("the cursor does not fit this sort")
    out = []
    for value, kind in zip(values, types, strict=True):
        if value is None:
            raise ValueError("the cursor does not fit this sort")
        out.append(_parse(value, kind))
    return out


def keyset(
    terms: list[tuple[str, bool]],
    values: list[Any],
    compare: Callable[[str, str, Any], Any],
    compare_rows: Callable[[list[str], str, list[Any]], Any],
) -> list[list[Any]]:
    """Rows after the cursor, as OR-of-AND groups of comparisons in the caller's dialect.

    When every term runs one way (always so for a one-field sort, since id follows it) this
    is one row comparison, (a, id) > (x, y), which an index on (a, id) answers as a range;
    mixed directions spell it out: (a > x) or (a = x and b < y) or ...
    """
    if len({descending for _, descending in terms}) == 1:
        op = "<" if terms[0][1] else ">"
        return [[compare_rows([column for column, _ in terms], op, values)]]
    groups = []
    for i, (column, descending) in enumerate(terms):
        group = [compare(c, "=", v) for (c, _), v in zip(terms[:i], values[:i], strict=True)]
        group.append(compare(column, "<" if descending else ">", values[i]))
        groups.append(group)
    return groups


def next_cursor(sort: str, row: Any, page_size: int, count: int) -> str | None:
    """Where the next page starts, when this one was full."""
    if count < page_size:
        return None
    return encode_cursor(sort, [_get(row, column) for column, _ in sort_terms(sort)])


def _get(row: Any, column: str) -> Any:
    return row[column] if isinstance(row, dict) or hasattr(row, "keys") else getattr(row, column)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    return value


def _parse(value: Any, kind: type) -> Any:
    try:
        if kind is datetime:
            return datetime.fromisoformat(value)
        if kind is date:
            return date.fromisoformat(value)
        if kind is Decimal:
            return Decimal(str(value))
        if kind is UUID:
            return UUID(str(value))
        if kind is bool and isinstance(value, bool):
            return value
        if kind is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind is str and isinstance(value, str):
            return value
    except (TypeError, ValueError, ArithmeticError):
        pass
    raise ValueError("the cursor does not fit this sort")
