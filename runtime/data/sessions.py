"""The request's database sessions: one unit of work per request, whose sessions the
``ManagerDb`` and ``TenantDb`` dependencies hand out (the tenant one bound to the caller's tenant)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.data.db import MANAGER, TENANT, UnitOfWork
from runtime.state import app_state


def unit_of_work(request: Request) -> UnitOfWork:
    uow = getattr(request.state, "uow", None)
    if uow is None:  # a route outside the audited router: still one unit of work
        uow = UnitOfWork(app_state(request).databases)
        request.state.uow = uow
    return uow


async def manager_session(request: Request) -> AsyncSession:
    return unit_of_work(request).session(MANAGER)


async def tenant_session(request: Request) -> AsyncSession:
    return unit_of_work(request).session(TENANT)


ManagerDb = Annotated[AsyncSession, Depends(manager_session)]


TenantDb = Annotated[AsyncSession, Depends(tenant_session)]
