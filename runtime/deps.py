"""What generated and hand-owned code imports to get a database session and a checked
principal: the one documented interface over runtime.data.sessions (database), runtime.security.authn
(authentication) and runtime.security.access (authorization).

    db: ManagerDb / TenantDb                       the request's session (tenant: under RLS)
    actor: Annotated[Actor, manager_permission(code)] / tenant_permission(code)
    actor: CurrentManagerUser / CurrentTenantUser  signed in, no code required
    actor: EnrollingManagerUser / ...TenantUser    the same, or a token that can only enrol in
                                                   MFA (the enrolment endpoints, logout)
"""

from runtime.data.sessions import ManagerDb, TenantDb, unit_of_work
from runtime.security.access import manager_permission, tenant_permission
from runtime.security.authn import (
    INACTIVE_TENANT,
    INVALID_TOKEN,
    Credentials,
    CurrentManagerUser,
    CurrentTenantUser,
    EnrollingManagerUser,
    EnrollingTenantUser,
    current_manager_actor,
    current_tenant_actor,
    enter_tenant,
    tenant_status,
    token_claims,
)
from runtime.security.codes import manager_codes

__all__ = [
    "INACTIVE_TENANT",
    "INVALID_TOKEN",
    "Credentials",
    "CurrentManagerUser",
    "CurrentTenantUser",
    "EnrollingManagerUser",
    "EnrollingTenantUser",
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
