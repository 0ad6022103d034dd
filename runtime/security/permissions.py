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


def holds(codes: frozenset[str] | None, code: str) -> bool:
    """Whether ``codes`` (None: not known yet) grant ``code``."""
    return codes is not None and (code in codes or ALL <= codes)
