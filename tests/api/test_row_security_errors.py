"""A row that row-level security refuses is the caller's 403 ROW_SECURITY_VIOLATION, never a
500: classified from the real error PostgreSQL (or, on Citus, the worker) raises, whether it
comes straight from the driver or through SQLAlchemy's unit of work. A missing grant, the
same SQLSTATE for another reason, stays a server fault."""

from __future__ import annotations

import json
import uuid

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from runtime.tenancy import context
from runtime.web.errors import InternalError, RowSecurityError
from runtime.web.handlers import classify, render

APP_ROLE = "cxg_app"
INSERT = (
    "INSERT INTO crm.customers (id, tenant_id, code, name, customer_type, grade, status)"
    " VALUES (gen_random_uuid(), '{tenant}', '{code}', 'x', 'CORPORATE', 'NORMAL', 'ACTIVE')"
)


def _answer(exc: BaseException) -> tuple[int, dict]:
    response = render(classify(exc))
    return response.status_code, json.loads(bytes(response.body))["error"]


async def test_a_refused_row_from_the_driver_is_403(owner, tenant_a, tenant_b):
    with pytest.raises(asyncpg.InsufficientPrivilegeError) as caught:
        async with owner.transaction():
            await owner.execute(context.statements(uuid.UUID(tenant_a["id"]), APP_ROLE))
            code = "RLS" + uuid.uuid4().hex[:6]
            await owner.execute(INSERT.format(tenant=tenant_b["id"], code=code))
    assert "row-level security" in str(caught.value)
    assert isinstance(classify(caught.value), RowSecurityError)
    status, error = _answer(caught.value)
    assert (status, error["code"]) == (403, "ROW_SECURITY_VIOLATION")


async def test_a_refused_row_in_the_unit_of_work_is_403(app, tenant_a, tenant_b):
    """The ORM path's tenant context (SET LOCAL of tenant and role) is what refuses it."""
    from runtime.data.db import TENANT, UnitOfWork

    unit = UnitOfWork(app.state.databases, tenant_id=uuid.UUID(tenant_a["id"]))
    try:
        db = unit.session(TENANT)
        mine = await db.execute(text("SELECT current_user, current_setting('cxg.tenant_id')"))
        assert tuple(mine.one()) == (APP_ROLE, tenant_a["id"])
        with pytest.raises(DBAPIError) as caught:
            code = "RLS" + uuid.uuid4().hex[:6]
            await db.execute(text(INSERT.format(tenant=tenant_b["id"], code=code)))
    finally:
        await unit.close()
    status, error = _answer(caught.value)
    assert (status, error["code"]) == (403, "ROW_SECURITY_VIOLATION")


async def test_a_missing_grant_stays_a_server_fault(owner):
    with pytest.raises(asyncpg.InsufficientPrivilegeError) as caught:
        async with owner.transaction():
            await owner.execute(f'SET LOCAL ROLE "{APP_ROLE}"')
            await owner.fetch("SELECT * FROM public.alembic_version")
    assert caught.value.sqlstate == "42501" and "permission denied" in str(caught.value)
    assert isinstance(classify(caught.value), InternalError)
    assert _answer(caught.value)[0] == 500
