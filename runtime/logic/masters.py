"""The manager system always keeps an administrator: the last active MASTER cannot be
suspended, deleted or demoted, and nobody suspends or deletes their own account through the
generic endpoints (both 409). Without this, one request could lock everyone out of the
manager API until someone with shell access runs `cxg-gen create-admin`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.logic.guards import Guard
from runtime.security.principal import Actor
from runtime.web.errors import ConflictError

OWN_ACCOUNT = {
    "ko": "자신의 계정은 정지하거나 삭제할 수 없습니다.",
    "en": "You cannot suspend or delete your own account.",
}
LAST_MASTER = {
    "ko": "마지막 활성 MASTER 관리자는 정지, 삭제 또는 강등할 수 없습니다.",
    "en": "The last active MASTER administrator cannot be suspended, deleted or demoted.",
}


def keep_a_master(users: Table) -> Guard:
    """The guard of idam.users (see runtime.logic.guards)."""

    async def guard(
        db: AsyncSession, row: Any, values: dict[str, Any] | None, actor: Actor
    ) -> None:
        changes = values or {}
        leaves = values is None or changes.get("status", row.status) != "ACTIVE"
        if row.id == actor.user_id and leaves:
            raise ConflictError(OWN_ACCOUNT, detail={"id": str(row.id)})
        demoted = changes.get("user_type", row.user_type) != "MASTER"
        if row.user_type != "MASTER" or row.status != "ACTIVE" or not (leaves or demoted):
            return
        # lock every active MASTER: two requests demoting the last two wait for each other
        masters = await db.scalars(
            select(users.c.id)
            .where(
                users.c.user_type == "MASTER",
                users.c.status == "ACTIVE",
                users.c.is_deleted.is_(False),
            )
            .with_for_update()
        )
        if not [m for m in masters if m != row.id]:
            raise ConflictError(LAST_MASTER, detail={"id": str(row.id)})

    return guard
