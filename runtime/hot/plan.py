"""What the generator tells the hot path about each entity (a :class:`ReadPlan` per entity in
generated/<scope>/reads.py), the two systems it serves, and the envelope it writes as bytes."""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from pydantic import BaseModel

from runtime.web.context import request_id_var
from runtime.web.envelope import timestamp
from runtime.web.schemas import ListParams, Page

S = TypeVar("S", bound=BaseModel)


@dataclass(frozen=True)
class ReadPlan:
    """What the generator knows about one entity's reads (see generator/readsql.py)."""

    key: str  # domain.table
    path: str  # relative to the scope: /crm/customers
    permission: str
    table: str
    select: str
    joins: str
    visible: str
    schemas: str  # the entity's schemas module, imported when first needed
    response_class: str
    item_class: str  # a row of a list: the Response, or a header's ListItem (without lines)
    page_class: str
    params_class: str
    filters: list[str] = field(default_factory=list)
    ranges: list[str] = field(default_factory=list)
    search: list[str] = field(default_factory=list)
    default_sort: str = "-created_at"
    lines: list[tuple[str, str, str]] = field(default_factory=list)  # (attribute, key, parent)
    create_class: str | None = None  # the body of a create this layer may answer
    references: list[tuple[str, str]] = field(default_factory=list)  # (field, domain.table)
    get: bool = True
    list: bool = True

    def _schema(self, name: str, kind: type[S]) -> type[S]:
        schema = getattr(importlib.import_module(self.schemas), name)
        if not (isinstance(schema, type) and issubclass(schema, kind)):
            raise TypeError(f"{self.schemas}.{name} is not a {kind.__name__}")
        return schema

    @cached_property
    def response(self) -> type[BaseModel]:
        return self._schema(self.response_class, BaseModel)

    @cached_property
    def item(self) -> type[BaseModel]:
        return self._schema(self.item_class, BaseModel)

    @cached_property
    def page(self) -> type[Page[Any]]:
        return self._schema(self.page_class, Page)

    @cached_property
    def params(self) -> type[ListParams]:
        return self._schema(self.params_class, ListParams)

    @cached_property
    def create(self) -> type[BaseModel] | None:
        return self._schema(self.create_class, BaseModel) if self.create_class else None


@dataclass(frozen=True)
class System:
    """What differs between the manager and the tenant system on the read path."""

    name: str  # the token's sys claim: manager | tenant
    database: str  # manager | tenant
    users: str
    sessions: str
    tenant_scoped: bool

    def live(self, first: int) -> tuple[str, str]:
        """FROM and WHERE of "the token's user and session are live" ($first: user id,
        then session id, then for tenants the tenant id)."""
        where = (
            f"u.id = ${first} AND s.id = ${first + 1} AND NOT u.is_deleted"
            " AND u.status = 'ACTIVE' AND s.status = 'ACTIVE' AND s.expires_at > now()"
        )
        if self.tenant_scoped:
            where += f" AND u.tenant_id = ${first + 2}"
        return f"{self.users} u JOIN {self.sessions} s ON s.user_id = u.id", where


MANAGER_SYSTEM = System("manager", "manager", "idam.users", "idam.sessions", False)


TENANT_SYSTEM = System("tenant", "tenant", "adm.users", "adm.sessions", True)


def envelope_bytes(data: bytes) -> bytes:
    request_id = request_id_var.get()
    stamp = timestamp()
    return b"".join(
        (
            b'{"success":true,"data":',
            data,
            b',"error":null,"request_id":',
            json.dumps(request_id).encode(),
            b',"timestamp":"',
            stamp.encode(),
            b'"}',
        )
    )
