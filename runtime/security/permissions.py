"""Permission codes: ``<domain>.<table>:<action>``, catalogued per scope by the generator."""

from __future__ import annotations

from typing import NamedTuple


class PermissionDef(NamedTuple):
    code: str
    label: str


# Codes of runtime endpoints (not generated from a spec), seeded with the manager catalog.
ACT_FOR_TENANT = "tnnt.tenants:act"
PROVISION_TENANT = "tnnt.tenants:provision"
MANAGER_RUNTIME_PERMISSIONS: tuple[PermissionDef, ...] = (
    PermissionDef(ACT_FOR_TENANT, "테넌트 대리 접근"),
    PermissionDef(PROVISION_TENANT, "테넌트 관리자 생성"),
)

# A tenant user holding an active role with this code holds every tenant permission.
TENANT_ADMIN_ROLE = "TENANT_ADMIN"
ALL = frozenset({"*"})


MASTER = "MASTER"  # the manager system's administrators


def holds(codes: frozenset[str] | None, code: str) -> bool:
    """Whether ``codes`` (None: not known yet) grant ``code``."""
    return codes is not None and (code in codes or ALL <= codes)


def holds_every(system: str, user_type: str | None) -> bool:
    """The one rule above the roles: a MASTER of the manager system holds every manager
    permission (the routers' checks, the hot path, the hot create's SQL: master_sql)."""
    return system == "manager" and user_type == MASTER


def holds_as(system: str, user_type: str | None, codes: frozenset[str] | None, code: str) -> bool:
    """Whether a user of ``system`` of this type, holding ``codes``, holds ``code``."""
    return holds_every(system, user_type) or holds(codes, code)


def master_sql(user_type: str) -> str:
    """holds_every, in SQL over a manager user's user_type column."""
    return f"{user_type} = '{MASTER}'"
