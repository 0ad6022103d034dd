"""Who is calling: the authenticated principal every generated endpoint receives."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

MANAGER = "manager"
TENANT = "tenant"
# user_type of a manager user acting for a tenant with an act token (runtime.tenancy.provisioning)
ACTING_MANAGER = "MANAGER"


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: uuid.UUID
    username: str
    system: str  # manager | tenant: which user table and which database the token belongs to
    user_type: str
    session_id: uuid.UUID | None = None
    tenant_id: uuid.UUID | None = None  # set for tenant principals; confines every query
    scopes: frozenset[str] | None = None  # an API key's permission codes; None for users
    # a token that can only enrol in MFA (runtime.security.policy): the enrolment endpoints
    # take it, every other endpoint refuses it before this is made
    enrolling: bool = False


def tenant_of(actor: Actor) -> uuid.UUID:
    """The tenant a tenant principal is confined to (authentication sets it for every one)."""
    if actor.tenant_id is None:
        raise RuntimeError(f"a {actor.system} principal without a tenant")
    return actor.tenant_id
