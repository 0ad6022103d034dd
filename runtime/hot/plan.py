"""The two systems the hot path serves, and what differs between them on its way: the
token's system claim, the database, where users and sessions live, the tenant."""

from __future__ import annotations

from dataclasses import dataclass


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
