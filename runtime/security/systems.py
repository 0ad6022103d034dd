"""The two systems a token may belong to, and what differs between them on a request's way:
the token's system claim, the database, where users and sessions live, the tenant. Which
sessions are live is said here once, as SQL that the hot path runs in its statements and
the routers' authentication runs on its own (runtime.security.authn)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class System:
    name: str  # the token's sys claim: manager | tenant
    database: str  # manager | tenant
    users: str
    sessions: str
    tenant_scoped: bool

    def live_with(self, user: str, session: str, tenant: str) -> tuple[str, str]:
        """FROM and WHERE of "the token's user and session are live", with these
        placeholders for the user id, the session id and (tenants) the tenant id."""
        where = (
            f"u.id = {user} AND s.id = {session} AND NOT u.is_deleted"
            " AND u.status = 'ACTIVE' AND s.status = 'ACTIVE' AND s.expires_at > now()"
        )
        if self.tenant_scoped:
            where += f" AND u.tenant_id = {tenant}"
        return f"{self.users} u JOIN {self.sessions} s ON s.user_id = u.id", where

    def live(self, first: int) -> tuple[str, str]:
        """The same with positional parameters: $first the user id, then the session id,
        then (tenants) the tenant id."""
        return self.live_with(f"${first}", f"${first + 1}", f"${first + 2}")


MANAGER_SYSTEM = System("manager", "manager", "idam.users", "idam.sessions", False)


TENANT_SYSTEM = System("tenant", "tenant", "adm.users", "adm.sessions", True)
