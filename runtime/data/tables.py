"""Tables the runtime itself reads and writes, found by name in the generated metadata.

The runtime never imports a generated entity. It relies on a small contract instead: the
specs of each system must define these tables with at least these columns. The app checks
the contracts at start-up and fails with a clear message when a spec breaks one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, MetaData, Table

USERS = {
    "id",
    "username",
    "email",
    "password",
    "full_name",
    "user_type",
    "status",
    "last_login_at",
    "failed_login_attempts",
    "locked_until",
    "is_deleted",
    "mfa_enabled",
    "mfa_secret",
    "mfa_last_step",
    "email_verified",
    "locale",
    "sso_provider",
    "sso_subject",
}
SESSIONS = {
    "id",
    "user_id",
    "status",
    "expires_at",
    "ip_address",
    "user_agent",
    "revoked_at",
    "last_activity_at",
    "refresh_jti",
}
LOGIN_LOGS = {
    "id",
    "user_id",
    "username",
    "attempt_type",
    "success",
    "failure_reason",
    "ip_address",
    "user_agent",
}
BACKUP_CODES = {"id", "user_id", "code_hash", "used_at"}
ACCOUNT_TOKENS = {"id", "user_id", "purpose", "token_hash", "email", "expires_at", "used_at"}
AUDIT_LOGS = {
    "id",
    "user_id",
    "username",
    "action",
    "entity",
    "entity_id",
    "method",
    "path",
    "status_code",
    "request_id",
    "client_ip",
    "user_agent",
}

CONTRACT: dict[str, set[str]] = {
    "idam.users": USERS,
    "idam.sessions": SESSIONS,
    "idam.login_logs": LOGIN_LOGS,
    "idam.mfa_backup_codes": BACKUP_CODES,
    "idam.account_tokens": ACCOUNT_TOKENS,
    "idam.api_keys": {
        "id",
        "user_id",
        "key_prefix",
        "key_hash",
        "scopes",
        "status",
        "expires_at",
        "last_used_at",
        "is_deleted",
    },
    "idam.roles": {"id", "code", "status", "is_deleted"},
    "idam.permissions": {
        "id",
        "code",
        "name",
        "resource",
        "action",
        "scope",
        "is_system",
        "is_deleted",
    },
    "idam.user_roles": {"id", "user_id", "role_id", "expires_at"},
    "idam.role_permissions": {"id", "role_id", "permission_id"},
    "audt.audit_logs": AUDIT_LOGS,
    "tnnt.tenants": {"id", "code", "name", "status", "is_deleted"},
}
# The tenant system: every table also has tenant_id (the scope adds it).
TENANT_CONTRACT: dict[str, set[str]] = {
    "adm.users": USERS,
    "adm.sessions": SESSIONS,
    "adm.login_logs": LOGIN_LOGS,
    "adm.mfa_backup_codes": BACKUP_CODES,
    "adm.account_tokens": ACCOUNT_TOKENS,
    "adm.settings": {"id", "setting_key", "setting_value", "is_deleted"},  # the MFA policy
    "adm.identity_providers": {
        "id",
        "code",
        "issuer",
        "client_id",
        "client_secret",
        "redirect_uri",
        "scopes",
        "allowed_domains",
        "create_users",
        "default_role_id",
        "status",
        "is_deleted",
    },
    "adm.sso_requests": {
        "id",
        "provider_id",
        "state_hash",
        "nonce",
        "code_verifier",
        "expires_at",
        "used_at",
    },
    "adm.roles": {"id", "code", "permissions", "status", "is_deleted"},
    "adm.user_roles": {"id", "user_id", "role_id"},
    "audt.audit_logs": AUDIT_LOGS,
}


class ContractError(RuntimeError):
    pass


@dataclass(frozen=True)
class ManagerTables:
    users: Table
    sessions: Table
    login_logs: Table
    audit_logs: Table
    roles: Table
    permissions: Table
    user_roles: Table
    role_permissions: Table
    api_keys: Table
    tenants: Table
    backup_codes: Table
    account_tokens: Table


@dataclass(frozen=True)
class TenantTables:
    users: Table
    sessions: Table
    login_logs: Table
    audit_logs: Table
    roles: Table
    user_roles: Table
    backup_codes: Table
    account_tokens: Table
    settings: Table
    identity_providers: Table
    sso_requests: Table


def _check(metadata: MetaData, contract: dict[str, set[str]], scope: str) -> None:
    problems = []
    for name, columns in contract.items():
        table = metadata.tables.get(name)
        if table is None:
            problems.append(f"missing table {name} (specs/{scope}/{name.replace('.', '/')}.yaml)")
            continue
        missing = columns - set(table.columns.keys())
        if missing:
            problems.append(f"table {name} lacks column(s): {', '.join(sorted(missing))}")
    if problems:
        raise ContractError(f"the {scope} specs break the runtime contract: " + "; ".join(problems))


def manager_tables(metadata: MetaData) -> ManagerTables:
    _check(metadata, CONTRACT, "manager")
    t = metadata.tables
    return ManagerTables(
        users=t["idam.users"],
        sessions=t["idam.sessions"],
        login_logs=t["idam.login_logs"],
        audit_logs=t["audt.audit_logs"],
        roles=t["idam.roles"],
        permissions=t["idam.permissions"],
        user_roles=t["idam.user_roles"],
        role_permissions=t["idam.role_permissions"],
        api_keys=t["idam.api_keys"],
        tenants=t["tnnt.tenants"],
        backup_codes=t["idam.mfa_backup_codes"],
        account_tokens=t["idam.account_tokens"],
    )


def tenant_tables(metadata: MetaData) -> TenantTables:
    _check(metadata, TENANT_CONTRACT, "tenants")
    t = metadata.tables
    return TenantTables(
        users=t["adm.users"],
        sessions=t["adm.sessions"],
        login_logs=t["adm.login_logs"],
        audit_logs=t["audt.audit_logs"],
        roles=t["adm.roles"],
        user_roles=t["adm.user_roles"],
        backup_codes=t["adm.mfa_backup_codes"],
        account_tokens=t["adm.account_tokens"],
        settings=t["adm.settings"],
        identity_providers=t["adm.identity_providers"],
        sso_requests=t["adm.sso_requests"],
    )


def readable_columns(table: Table) -> list[Column[Any]]:
    """Columns a client may see: not write-only (password, secrets), not soft-delete state."""
    hidden = {"is_deleted", "deleted_at", "deleted_by"}
    return [c for c in table.columns if not c.info.get("write_only") and c.name not in hidden]
