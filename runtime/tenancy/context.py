"""The tenant context of a transaction, in the form Citus carries to its worker nodes.

Row-level security compares each row's ``tenant_id`` with the setting ``cxg.tenant_id``
(runtime.tenancy.rls). On one PostgreSQL server any way of setting it would do; on Citus the
policies run on the workers, inside the transactions the coordinator opens there, and the
coordinator sends them only what it is told to propagate: a ``SET LOCAL`` inside a transaction
block while ``citus.propagate_set_commands = 'local'``. A ``set_config()`` call, or a setting
made at session level, stays on the coordinator, and the workers then see no tenant (RLS
admits no row, so every insert is refused).

So every tenant transaction starts with ``statements()``: ``SET LOCAL`` of the Citus setting,
the tenant and the application role. On a server without Citus the first one sets a
placeholder that nothing reads, which is harmless; the others work as ``set_config(...,
true)`` did. All three are local to the transaction, so a pooled connection (or a transaction
pooler's server connection) never carries them into the next one.

Citus stores the text of the query a propagated ``SET LOCAL`` arrived in and replays it on
every worker that joins the transaction, so that text must hold nothing but these settings:
it is sent on its own, never in one string with ``BEGIN`` or a query.
"""

from __future__ import annotations

import re
import uuid

# Not propagated itself (Citus never sends it); it must come first: it turns propagation on
# for the SET LOCAL statements after it.
PROPAGATE = "SET LOCAL citus.propagate_set_commands = 'local'"
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")  # as runtime.settings accepts it
# the transaction's tenant as row-level security reads it (none set: NULL, no row)
TENANT_OF_TRANSACTION = "NULLIF(current_setting('cxg.tenant_id', true), '')::uuid"


def tenant_condition(on_citus: bool) -> str:
    """The condition of the tenant policies (runtime.tenancy.rls).

    On plain PostgreSQL the setting is read in a scalar subquery, once per statement (an
    InitPlan) rather than once per row it filters, and compared as ``= ANY (ARRAY[...])``. The
    plain ``=`` joined the statement's own ``tenant_id = $n`` in one equivalence class, so the
    planner compared the two values in a gating node that every row of a scan then passed
    through (a quarter of a page's count over 10,000 rows); the array form stays a second
    condition of the same index scan, resolved once when the scan starts. Citus refuses
    subqueries in the policies of distributed tables: there it is bare."""
    if on_citus:
        return f"tenant_id = {TENANT_OF_TRANSACTION}"
    return f"tenant_id = ANY (ARRAY[(SELECT {TENANT_OF_TRANSACTION})])"


def tenant_settings(tenant: uuid.UUID | None, role: str) -> str:
    """``SET LOCAL`` of the tenant (empty: no tenant, RLS admits nothing) and, if named, the
    role. Literals, since SET takes no parameters: a UUID and a checked role name only."""
    if tenant is not None and not isinstance(tenant, uuid.UUID):
        raise TypeError("the tenant of a transaction is a UUID")
    parts = [f"SET LOCAL cxg.tenant_id = '{tenant or ''}'"]
    if role:
        if not ROLE_NAME.match(role):
            raise ValueError(f"not a role name: {role!r}")
        parts.append(f'SET LOCAL ROLE "{role}"')
    return "; ".join(parts)


def statements(tenant: uuid.UUID | None, role: str) -> str:
    """Everything a tenant transaction sets first, as one string of SET LOCAL statements."""
    return f"{PROPAGATE}; {tenant_settings(tenant, role)}"
