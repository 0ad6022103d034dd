"""The hot create: a simple POST as one statement that writes the row and its audit row.

For an entity whose create needs nothing but its values (no lines, no hashed or numbered
fields, no write rules, not an authorization table), the whole create is one statement:

    WITH actor AS (the token's user, if the user and the session are live),
         row   AS (INSERT ... SELECT <values> FROM actor
                   WHERE <the caller may create> AND <every reference names a live row of the
                   caller's tenant>  RETURNING *),
         audit AS (INSERT INTO audt.audit_logs ... FROM row, actor)
    SELECT <the response's columns> FROM row ...

One statement is one transaction: the row and its audit row are written together or not at
all. When the statement writes nothing (a dead session, a permission, a missing reference) or
fails (a duplicate, a constraint), nothing was written and the request goes the long way,
which answers it with the right error, as runtime.hot.path does for every read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql
from starlette.types import Scope

from runtime.data.audit import valid_address
from runtime.logic import extend, rules
from runtime.reads.compose import ROW
from runtime.security.authz import AUTHZ_ENTITIES
from runtime.security.permissions import master_sql

if TYPE_CHECKING:
    from runtime.hot.read import Route

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]  # SQLAlchemy leaves it unannotated


def sql_type(table: Table, column: str) -> str:
    return table.c[column].type.compile(dialect=_DIALECT)


class CreateStatement:
    """The create statement of one entity, composed once per process."""

    def __init__(self, route: Route, table: Table, audit: Table, targets: dict[str, Table]):
        plan, system = route.plan, route.system
        model = plan.create
        assert model is not None  # routes_of gives a create only to a plan with a create class
        self.key, self.model, self.table = plan.key, model, table
        self.fields = [n for n in model.model_fields if n in table.c]
        live_from, live_where = system.live(1)
        tenant = system.tenant_scoped
        args = 4 if tenant else 3  # $3: tenant; the next: may-create flag, then the values
        self.allowed_param = f"${args}"
        placeholders = {name: f"${args + 1 + i}" for i, name in enumerate(self.fields)}
        base = args + 1 + len(self.fields)  # path, request id, client address, user agent
        path, request_id, client, agent = (f"${base + i}" for i in range(4))
        columns = [*self.fields, "created_by", "updated_by", *(["tenant_id"] if tenant else [])]
        values = [f"{placeholders[n]}::{sql_type(table, n)}" for n in self.fields]
        values += ["$1", "$1", *(["$3"] if tenant else [])]
        # a MASTER holds every manager permission; anyone else what the cache says they hold
        checks = [
            f"{self.allowed_param}::boolean"
            if tenant
            else f"({master_sql('actor.user_type')} OR {self.allowed_param}::boolean)"
        ]
        for name, target in plan.references:
            ref = targets[target]
            live = ["r.id = {p}::uuid"]
            if "is_deleted" in ref.c:
                live.append("NOT r.is_deleted")
            if tenant:
                live.append("r.tenant_id = $3")
            where = " AND ".join(live).format(p=placeholders[name])
            checks.append(
                f"({placeholders[name]}::uuid IS NULL"
                f" OR EXISTS (SELECT 1 FROM {ref.fullname} r WHERE {where}))"
            )
        audit_columns = [
            "user_id", "username", "action", "entity", "entity_id", "method", "path",
            "status_code", "request_id", "client_ip", "user_agent", "created_by",
        ]  # fmt: skip
        audit_values = [
            "$1", "actor.username", "'CREATE'", f"'{plan.key}'", "row.id", "'POST'",
            f"{path}::varchar", "201", f"{request_id}::varchar", f"{client}::varchar",
            f"{agent}::varchar", "$1",
        ]  # fmt: skip
        if tenant and "tenant_id" in audit.c:
            audit_columns.append("tenant_id")
            audit_values.append("$3")
        self.sql = (
            f"WITH actor AS (SELECT u.user_type, u.username FROM {live_from} WHERE {live_where}),"
            f" row AS (INSERT INTO {table.fullname} ({', '.join(columns)})"
            f" SELECT {', '.join(values)} FROM actor WHERE {' AND '.join(checks)} RETURNING *),"
            f" audit AS (INSERT INTO {audit.fullname} ({', '.join(audit_columns)})"
            f" SELECT {', '.join(audit_values)} FROM row, actor)"
            f" SELECT {ROW} AS _cxg_row, r.id AS _cxg_id, r.version AS _cxg_version"
            f" FROM (SELECT {plan.row} FROM row t {plan.joins}) r"
        )

    def eligible(self) -> bool:
        """Rules registered at start-up (runtime.logic.rules), extension modules (runtime.logic.extend) and
        authorization tables go the long way."""
        return (
            self.key not in AUTHZ_ENTITIES
            and not rules.has_rules(self.table.fullname)
            and not extend.is_extended(self.table)
        )

    def values(self, body: bytes) -> list[Any] | None:
        try:
            data = self.model.model_validate_json(body)
        except PydanticValidationError:
            return None
        dumped = data.model_dump()
        return [dumped[name] for name in self.fields]

    def request_args(self, scope: Scope) -> list[Any]:
        headers = dict(scope["headers"])
        agent = headers.get(b"user-agent", b"").decode("latin-1")[:500] or None
        client = scope.get("client")
        return [
            scope["path"][:500],
            scope.get("state", {}).get("request_id"),
            valid_address(client[0] if client else None),
            agent,
        ]


def is_json(scope: Scope) -> bool:
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == b"content-type":
            return value.split(b";")[0].strip().lower() == b"application/json"
    return False
