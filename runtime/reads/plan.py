"""What the generator says about one entity's reads (a :class:`ReadPlan` per entity in
generated/<scope>/reads.py) and the statements composed from it, per scope, once."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache, cached_property
from typing import TypeVar
from uuid import UUID

from pydantic import BaseModel

from runtime.web.schemas import ListParams

S = TypeVar("S", bound=BaseModel)

PYTHON_TYPES: dict[str, type] = {
    "int": int,
    "Decimal": Decimal,
    "date": date,
    "datetime": datetime,
    "UUID": UUID,
    "bool": bool,
    "str": str,
}


@dataclass(frozen=True)
class ReadPlan:
    """One entity's reads as the generator wrote them (see generator/model/reads.py)."""

    key: str  # domain.table
    path: str  # relative to the scope: /crm/customers
    permission: str
    table: str
    row: str  # the response's columns, in its order, as their JSON shows them
    joins: str
    visible: str
    schemas: str  # the entity's schemas module, imported when first needed
    params_class: str
    filters: list[str] = field(default_factory=list)
    ranges: list[str] = field(default_factory=list)
    search: list[str] = field(default_factory=list)
    default_sort: str = "-created_at"
    lines: list[tuple[str, str, str]] = field(default_factory=list)  # (attribute, key, parent)
    cursor_types: dict[str, str] = field(default_factory=dict)  # column -> Python type name
    create_class: str | None = None  # the body of a create the hot path may answer
    references: list[tuple[str, str]] = field(default_factory=list)  # (field, domain.table)
    get: bool = True
    list: bool = True

    def _schema(self, name: str, kind: type[S]) -> type[S]:
        schema = getattr(importlib.import_module(self.schemas), name)
        if not (isinstance(schema, type) and issubclass(schema, kind)):
            raise TypeError(f"{self.schemas}.{name} is not a {kind.__name__}")
        return schema

    @cached_property
    def params(self) -> type[ListParams]:
        return self._schema(self.params_class, ListParams)

    @cached_property
    def create(self) -> type[BaseModel] | None:
        return self._schema(self.create_class, BaseModel) if self.create_class else None

    @cached_property
    def types(self) -> dict[str, type]:
        return {name: PYTHON_TYPES[kind] for name, kind in self.cursor_types.items()}


@cache
def plans(scope: str) -> dict[str, ReadPlan]:
    """Every entity's plan of a scope (manager | tenants), by key."""
    module = importlib.import_module(f"generated.{scope}.reads")
    return {plan.key: plan for plan in module.PLANS}
