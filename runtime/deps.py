"""What generated and hand-owned code imports to get a database session and a checked
principal: the one documented interface over runtime.sessions (database), runtime.authn
(authentication) and runtime.access (authorization).

    db: ManagerDb / TenantDb                       the request's session (tenant: under RLS)
    actor: Annotated[Actor, manager_permission(code)] / tenant_permission(code)
    actor: CurrentManagerUser / CurrentTenantUser  signed in, no code required
"""

from runtime.access import manager_permission, tenant_permission
from runtime.authn import (
    INACTIVE_TENANT,
    INVALID_TOKEN,
    Credentials,
    CurrentManagerUser,
    CurrentTenantUser,
    current_manager_actor,
    current_tenant_actor,
    enter_tenant,
    tenant_status,
    token_claims,
)
from runtime.codes import manager_codes
from runtime.sessions import ManagerDb, TenantDb, unit_of_work

__all__ = [
    "INACTIVE_TENANT",
    "INVALID_TOKEN",
    "Credentials",
    "CurrentManagerUser",
    "CurrentTenantUser",
    "ManagerDb",
    "TenantDb",
    "current_manager_actor",
    "current_tenant_actor",
    "enter_tenant",
    "manager_codes",
    "manager_permission",
    "tenant_permission",
    "tenant_status",
    "token_claims",
    "unit_of_work",
]
