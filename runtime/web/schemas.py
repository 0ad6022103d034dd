"""Base classes of the generated schemas: pages, list parameters, partial updates."""

from __future__ import annotations

import math
import re
import uuid
import warnings
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.warnings import UnsupportedFieldAttributeWarning
from pydantic_core import PydanticCustomError

from runtime.data.paging import EXACT_UP_TO, CountMode, decode_cursor, sort_terms

T = TypeVar("T", bound=BaseModel)  # the items of a page: generated response models

SORT_WORDS = "One of the terms, or several joined by commas ('-' first: descending)."
MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000_000

# Integers as the columns hold them (filters are bounded like bodies: out of range is a 422)
Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]


MAX_JSON_DEPTH = 32  # nesting of a JSON value: far more than any document needs


def _without_nul(value: Any, depth: int = 0) -> Any:
    """PostgreSQL text cannot hold U+0000: refuse it in any string, however deep (JSON);
    and refuse JSON nested deeper than MAX_JSON_DEPTH (serialisers stop at a few hundred)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text may not contain the NUL character (U+0000)")
    elif isinstance(value, dict | list | tuple):
        if depth >= MAX_JSON_DEPTH:
            raise ValueError(f"JSON may not be nested more than {MAX_JSON_DEPTH} levels deep")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            _without_nul(key, depth)
            _without_nul(item, depth + 1)
    return value


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


def _as_written(kind: str, value: Any) -> Any:
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
        ok = (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, str) and re.fullmatch(pattern, value) is not None
        )
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
    allowed = frozenset(get_args(alias.__value__))

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


class Input(BaseModel):
    """What a client sends (bodies and query parameters): nothing the model does not name
    (a field the server owns, a typo, a filter that does not exist: 422, not silence), no
    NUL characters anywhere, and in a body each value in the JSON type the document gives it
    (``written``: field -> kind, see ``_as_written``; query strings are text and convert)."""

    model_config = ConfigDict(extra="forbid")
    written: ClassVar[dict[str, str]] = {}
    non_nullable: ClassVar[frozenset[str]] = frozenset()  # never null (PATCH: UpdateModel)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any, info: ValidationInfo) -> Any:
        kind = cls.written.get(info.field_name or "")
        if kind is not None:
            _as_written(kind, value)
        if value is None and info.field_name in cls.non_nullable:
            raise PydanticCustomError("not_null", "cannot be null (leave it out to keep it)")
        return _without_nul(value)


class ApiModel(BaseModel):
    # an answer always carries every property (runtime.web.envelope.Output)
    model_config = ConfigDict(
        from_attributes=True, json_schema_serialization_defaults_required=True
    )


# The generated schemas (~1,000 models) are built on first use, or by runtime.hot.warmup: start-up
# need not wait for their validators. Hand-written routes keep theirs eager (FastAPI wraps
# the models of a route when the route is made; see runtime.web.routes.complete_models).
DEFERRED = ConfigDict(defer_build=True)
# FastAPI hands a body model to Pydantic as `Annotated[Model, FieldInfo(alias=<parameter>)]`
# and reads the alias itself. Built at once, Pydantic stays quiet about it; built later (the
# model is deferred), it warns that the alias has no effect there, which is true and
# harmless (pydantic#12356). Only that message is silenced.
warnings.filterwarnings(
    "ignore",
    message=r"The 'alias' attribute with value '[a-z_]+' was provided to the `Field\(\)` function",
    category=UnsupportedFieldAttributeWarning,
)


class EntityModel(ApiModel):
    """Base of the generated schemas of an entity."""

    model_config = DEFERRED


class UpdateModel(Input, EntityModel):
    """PATCH bodies: every field optional; null only where the column allows it (the
    generated field's type says which: a NOT NULL column's field is not nullable)."""

    status_field: ClassVar[str | None] = None  # changed only at PATCH /{id}/<status_field>

    @model_validator(mode="before")
    @classmethod
    def _status_has_its_own_endpoint(cls, data: Any) -> Any:
        if cls.status_field and isinstance(data, dict) and cls.status_field in data:
            raise PydanticCustomError(
                "status_elsewhere",
                "'{field}' changes only through PATCH .../{field}, which checks the move",
                {"field": cls.status_field},
            )
        return data


class Page(EntityModel, Generic[T]):
    items: list[T]
    total: int | None = Field(description="Matching rows; null with count=none.")
    page: int
    page_size: int
    total_pages: int | None
    count: CountMode = Field(
        "exact", description="What total is: an exact count, the planner's estimate, or none."
    )
    next_cursor: str | None = Field(
        None, description="Pass as ?cursor= for the next page (keyset); null on the last page."
    )

    @classmethod
    def from_result(cls, result: Any, item_model: type[T]) -> Self:
        return cls(
            items=[item_model.model_validate(row) for row in result.items],
            total=result.total,
            page=result.page,
            page_size=result.page_size,
            total_pages=pages(result.total, result.page_size),
            count=result.count,
            next_cursor=result.next_cursor,
        )


def pages(total: int | None, page_size: int) -> int | None:
    if total is None:
        return None
    return math.ceil(total / page_size) if total else 0


class ListParams(Input):
    """Paging, search and sort; subclasses add the entity's filters."""

    model_config = DEFERRED

    sortable: ClassVar[frozenset[str]] = frozenset()
    default_sort: ClassVar[str] = "-created_at"
    # sortable fields that are never null: the ones a keyset cursor can continue from
    keyset_sortable: ClassVar[frozenset[str]] = frozenset({"created_at", "updated_at"})

    # bounded so that (page - 1) * page_size always fits PostgreSQL's OFFSET (bigint)
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1 (keyset: cursor).")
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE, description="Rows per page (max 100).")
    # each entity's own names its terms (one of them, or several joined by commas)
    sort: str | None = Field(None, max_length=200, description=SORT_WORDS)
    cursor: str | None = Field(
        None,
        max_length=2000,
        description="The next_cursor of the previous page: continue after it (keyset paging).",
    )
    count: CountMode | None = Field(
        None,
        description=(
            "exact, estimated (the planner's estimate) or none. Default: exact up to"
            f" {EXACT_UP_TO:,} rows, estimated beyond."
        ),
    )

    @field_validator("sort")
    @classmethod
    def _known_sort_fields(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for term in value.split(","):
            name = term.removeprefix("-")
            if name not in cls.sortable:
                allowed = ", ".join(sorted(cls.sortable))
                raise ValueError(f"cannot sort by '{name}'; allowed: {allowed}")
        return value

    @model_validator(mode="after")
    def _cursor_fits(self) -> ListParams:
        if self.cursor is None:
            return self
        if self.page != 1:
            raise ValueError("cursor and page cannot be combined")
        sort, _ = decode_cursor(self.cursor)  # ValueError: not one of ours
        if sort != self.order:
            raise ValueError(f"the cursor continues sort={sort}; send the same sort")
        unkeyable = [c for c, _ in sort_terms(sort)[:-1] if c not in self.keyset_sortable]
        if unkeyable:
            raise ValueError(f"keyset pages need sort fields that are never empty: {unkeyable}")
        return self

    @property
    def order(self) -> str:
        return self.sort or self.default_sort


class SearchableListParams(ListParams):
    """The list of an entity with searchable fields: ``search`` too (elsewhere it is an
    unknown parameter, 422)."""

    model_config = DEFERRED

    search: str | None = Field(
        None, min_length=1, max_length=100, description="Case-insensitive substring search."
    )


def absent() -> Any:
    """The default of a PATCH field whose column is NOT NULL: left out, it is None, which
    only means "not sent" (model_fields_set); sent, null is refused like any other wrong
    type, and the document shows no default."""
    return None


class Deleted(ApiModel):
    id: uuid.UUID
    deleted: bool = True
