"""Base classes of the generated schemas: pages, list parameters, partial updates."""

from __future__ import annotations

import math
import uuid
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

T = TypeVar("T")

MAX_PAGE_SIZE = 100


class ApiModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class UpdateModel(ApiModel):
    """PATCH bodies: every field optional; null only where the column allows it."""

    non_nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_null_for_required(self) -> UpdateModel:
        bad = sorted(
            n for n in self.model_fields_set & self.non_nullable if getattr(self, n) is None
        )
        if bad:
            raise ValueError(f"these fields cannot be null: {', '.join(bad)}")
        return self


class Page(ApiModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int
    total_pages: int

    @classmethod
    def from_result(cls, result: Any, item_model: type[BaseModel]) -> Page[T]:
        return cls(
            items=[item_model.model_validate(row) for row in result.items],
            total=result.total,
            page=result.page,
            page_size=result.page_size,
            total_pages=math.ceil(result.total / result.page_size) if result.total else 0,
        )


class ListParams(BaseModel):
    """Paging, search and sort; subclasses add the entity's filters."""

    sortable: ClassVar[frozenset[str]] = frozenset()
    searchable: ClassVar[bool] = False

    page: int = Field(1, ge=1, description="Page number, from 1.")
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE, description="Rows per page (max 100).")
    search: str | None = Field(
        None, min_length=1, max_length=100, description="Case-insensitive substring search."
    )
    sort: str | None = Field(
        None, max_length=200, description="Comma-separated fields; '-' for descending."
    )

    @field_validator("sort")
    @classmethod
    def _known_sort_fields(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for term in value.split(","):
            name = term.strip().removeprefix("-")
            if name not in cls.sortable:
                allowed = ", ".join(sorted(cls.sortable))
                raise ValueError(f"cannot sort by '{name}'; allowed: {allowed}")
        return value

    @model_validator(mode="after")
    def _search_supported(self) -> ListParams:
        if self.search is not None and not self.searchable:
            raise ValueError("this resource has no searchable fields")
        return self


class Deleted(ApiModel):
    id: uuid.UUID
    deleted: bool = True
