"""Who must use MFA: the manager system's MASTER accounts when ``CXG_MFA_REQUIRED_FOR_MASTERS``
is set, and in each tenant whom its administrators say, by the tenant setting
``auth.mfa_required`` in ``adm.settings``: ``NONE`` (the default), ``ADMINS`` (accounts of
user type ADMIN) or ``ALL``.

An account under a policy without MFA signs in to a session whose access token carries
``scope: mfa_enrolment`` and no refresh token: it reaches the enrolment endpoints (and
logout) only; everything else answers ``403 MFA_ENROLMENT_REQUIRED``, and the hot path never
answers for it. Confirming the enrolment hands the same session a full token pair. The policy
is read at every sign-in and every refresh, so a session opened before it was turned on ends
within one access token's life; it cannot be met by turning MFA off.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.security.accounts import Accounts
from runtime.security.principal import Actor
from runtime.state import app_state, tenant_tables
from runtime.web.errors import ValidationError

KEY = "auth.mfa_required"
VALUES = ("NONE", "ADMINS", "ALL")
ENROLMENT_SCOPE = "mfa_enrolment"  # the scope claim of a token that can only enrol


async def tenant_policy(db: AsyncSession, request: Request, accounts: Accounts) -> str:
    settings = tenant_tables(request).settings
    value = await db.scalar(
        select(settings.c.setting_value).where(
            settings.c.setting_key == KEY,
            settings.c.is_deleted.is_(False),
            *accounts.mine(settings),
        )
    )
    return value if value in VALUES else "NONE"


async def requires_mfa(
    db: AsyncSession, request: Request, accounts: Accounts, user_type: str
) -> bool:
    """Whether a policy requires MFA of an account of ``user_type`` in ``accounts``."""
    if accounts.tenant_id is None:
        return app_state(request).settings.mfa_required_for_masters and user_type == "MASTER"
    policy = await tenant_policy(db, request, accounts)
    return policy == "ALL" or (policy == "ADMINS" and user_type == "ADMIN")


def _problem(key: Any, value: Any) -> list[dict[str, Any]]:
    if key != KEY or value in VALUES:
        return []
    return [
        {
            "field": "setting_value",
            "source": "body",
            "type": "enum",
            "message": f"{KEY} is one of {', '.join(VALUES)}",
        }
    ]


def setting_rule(values: dict[str, Any]) -> list[dict[str, Any]]:
    """A new setting (runtime.logic.rules): the policy's value must be one it knows."""
    if "setting_key" not in values or "setting_value" not in values:
        return []  # an update of one of them: the guard sees the row
    return _problem(values["setting_key"], values.get("setting_value"))


async def setting_guard(
    db: AsyncSession, row: Any, values: dict[str, Any] | None, actor: Actor
) -> None:
    """A changed setting (runtime.logic.guards): the same, with the row's key and value."""
    if values is None:
        return  # deleting the setting turns the policy off
    key = values.get("setting_key", row.setting_key)
    problems = _problem(key, values.get("setting_value", row.setting_value))
    if problems:
        raise ValidationError(detail=problems)
