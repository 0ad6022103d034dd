"""How a client writes each value the JSON types cannot carry on their own, exactly as the API
document says it, checked before Pydantic converts anything: a body's dates, date-times
(RFC 3339, with the offset), UUIDs and decimals (a string with their digits, or a whole
number), its integers and booleans as JSON numbers and booleans; a query string's filters in
the same forms. Pydantic's lax mode would read the integer -2525 as a date-time, "0" as a
date, "12" as an integer, "yes" as true, "1e2" as a decimal; the document says none of that.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, get_args, get_origin

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

# How a body writes a value the JSON types cannot carry, exactly as the API document says
# (format date, date-time, uuid; a decimal as a string with its pattern): the server takes
# nothing else, so the integer -2525 is no date-time and "12" no integer.
_TEXT_FORMS = {
    "date": (re.compile(r"\d{4}-\d{2}-\d{2}"), "a date (YYYY-MM-DD)"),
    "datetime": (
        re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"),
        "a date-time with its offset (RFC 3339: 2026-01-15T09:30:00Z)",
    ),
    "uuid": (
        re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
        "a UUID (8-4-4-4-12 hexadecimal digits)",
    ),
}


def as_written(kind: str, value: Any) -> Any:
    """Refuse a value of the wrong JSON type for a field of ``kind`` (Pydantic's lax mode
    would convert it): integer, boolean, date, datetime, uuid or decimal:<pattern>."""
    if value is None:
        return value
    if kind == "integer":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        wanted = "an integer (a JSON number, not a string)"
    elif kind == "boolean":
        ok, wanted = isinstance(value, bool), "true or false"
    elif kind.startswith("decimal:"):
        pattern = kind.removeprefix("decimal:")
        whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        ok = (whole and not isinstance(value, bool)) or (
            isinstance(value, str) and re.fullmatch(pattern, value) is not None
        )  # a JSON integer may be written 484.0 (JSON Schema counts it an integer too)
        wanted = f"a decimal: a string matching {pattern} or a whole number"
    else:
        form, wanted = _TEXT_FORMS[kind]
        ok = isinstance(value, str) and form.fullmatch(value) is not None
    if not ok:
        raise PydanticCustomError("written_as", "must be {wanted}", {"wanted": wanted})
    return value


def _as_queried(kind: str, value: Any) -> Any:
    """A filter value from the query string, refused unless written as the document says
    (Pydantic would read "0" as a date, "yes" as true, "1e2" as a decimal)."""
    if isinstance(value, str):
        if kind == "boolean":
            ok = value in ("true", "false")
        elif kind == "integer":
            ok = re.fullmatch(r"-?[0-9]+", value) is not None
        elif kind.startswith("decimal:"):
            ok = re.fullmatch(kind.removeprefix("decimal:"), value) is not None
        else:
            ok = _TEXT_FORMS[kind][0].fullmatch(value) is not None
        if not ok:
            raise PydanticCustomError("written_as", "must be written as the document says")
    return value


def listed_in(alias: Any, what: str) -> BeforeValidator:
    """A value of a long closed list (a named Literal), refused with a short message naming
    it rather than every value the list allows."""
    values = alias.__value__
    if get_origin(values) is Annotated:  # the Literal under its title
        values = get_args(values)[0]
    allowed = frozenset(get_args(values))

    def check(value: Any) -> Any:
        if isinstance(value, str) and value not in allowed:
            raise PydanticCustomError(
                "listed_in", "'{value}' is not {what}", {"value": value, "what": what}
            )
        return value

    return BeforeValidator(check)


def queried_as(kind: str) -> BeforeValidator:
    """The check of a filter's values (each of a list too), for its annotation."""
    return BeforeValidator(lambda value: _as_queried(kind, value))


