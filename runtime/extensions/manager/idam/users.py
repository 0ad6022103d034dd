"""사용자 (User): business logic of idam.users (manager), hand-owned.

A changed e-mail address is no longer verified (runtime.security.links): a verification
proves the address it was sent to, not the account.
"""

from __future__ import annotations

from typing import Any

from runtime.logic.extend import Context
from runtime.security.links import unverify_a_new_address


async def before_update(ctx: Context, row: Any, values: dict[str, Any]) -> None:
    unverify_a_new_address(row, values)
