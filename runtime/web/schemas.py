"""Base classes of the generated schemas: pages, list parameters, partial updates."""

from __future__ import annotations

import math
import uuid
import warnings
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.warnings import UnsupportedFieldAttributeWarning
from pydantic_core import PydanticCustomError

from runtime.data.paging import EXACT_UP_TO, CountMode, decode_cursor, sort_terms
from runtime.web.written import as_written

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
            raise PydanticCustomError(
                "nul_character", "text may not contain the NUL character (U+0000)"
            )
    elif isinstance(value, dict | list | tuple):
        if depth >= MAX_JSON_DEPTH:
            raise ValueError(f"JSON may not be nested more than {MAX_JSON_DEPTH} levels deep")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            _without_nul(key, depth)
            _without_nul(item, depth + 1)
    return value


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
            as_written(kind, value)
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
            raise _cursor("cursor and page cannot be combined")
        try:
            sort, _ = decode_cursor(self.cursor)
        except ValueError as exc:  # not one of ours
            raise _cursor(str(exc)) from None
        if sort != self.order:
            raise _cursor(f"the cursor continues sort={sort}; send the same sort")
        unkeyable = [c for c, _ in sort_terms(sort)[:-1] if c not in self.keyset_sortable]
        if unkeyable:
            raise _cursor(f"keyset pages need sort fields that are never empty: {unkeyable}")
        return self

    @property
    def order(self) -> str:
        return self.sort or self.default_sort


def _cursor(message: str) -> PydanticCustomError:
    """A cursor that does not fit the request: the field named, the reason its own type (an
    opaque value the document cannot describe)."""
    return PydanticCustomError("cursor", "{message}", {"field": "cursor", "message": message})


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
