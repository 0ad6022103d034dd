"""Declarative bases and the columns every table has.

Mixins come from the scope (tenant_id) and the spec's ``soft_delete`` flag, never from each
spec. Constraint names follow one convention so migrations stay stable.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Integer, MetaData, Uuid, func, text
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class ManagerBase(DeclarativeBase):
    """Tables of the manager database (mgmt_db)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TenantBase(DeclarativeBase):
    """Tables of the tenant database (tnnt_db)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class RecordMixin:
    """Primary key, timestamps and who created/updated the row."""

    # Fetch server-generated values (timestamps) with RETURNING: async code must never
    # lazy-load an expired attribute.
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[uuid.UUID] = mapped_column(
        Uuid,
        primary_key=True,
        default=uuid.uuid4,
        server_default=text("gen_random_uuid()"),
        sort_order=-10,
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False, sort_order=10
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True),
        server_default=func.now(),
        onupdate=func.now(),
        nullable=False,
        sort_order=10,
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, sort_order=10)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, sort_order=10)
    # raised by one on every change; the ETag of the row (runtime.web.versions)
    version: Mapped[int] = mapped_column(
        Integer, server_default=text("1"), nullable=False, sort_order=10
    )


class SoftDeleteMixin:
    """Rows are marked deleted, never removed; reads skip them."""

    is_deleted: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false"), nullable=False, sort_order=11
    )
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), sort_order=11)
    deleted_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, sort_order=11)


class TenantMixin:
    """The owning tenant: always taken from the caller's token, never from a request body.

    The table's primary key is (tenant_id, id) and its foreign keys to other tenant tables
    carry tenant_id too (the generated models declare them): the database refuses a reference
    into another tenant, and the schema can be distributed by tenant_id (Citus). The ORM's
    identity is the same pair, so the UPDATE and DELETE it issues name the tenant as well and
    route to one node. An API id stays one UUID, unique by itself.
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        # first in the key: the index behind it serves every tenant-prefixed lookup
        return mapped_column(Uuid, primary_key=True, sort_order=-11)


def is_soft_delete(model: type) -> bool:
    return issubclass(model, SoftDeleteMixin)


def is_tenant_scoped(model: type) -> bool:
    return issubclass(model, TenantMixin)


def same_tenant(model: type[Any], actor: Any) -> list[Any]:
    """The condition that keeps a statement on a tenant table in the actor's tenant: the
    application's wall, and what routes the statement to one node on a distributed database.
    Nothing for manager tables; no row at all for an actor without a tenant."""
    if not is_tenant_scoped(model):
        return []
    if actor.tenant_id is None:
        return [model.id.is_(None)]
    return [model.tenant_id == actor.tenant_id]
