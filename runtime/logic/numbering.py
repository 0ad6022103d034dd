"""Document numbers: the next number of a tenant's counter, e.g. ``SO-202611-00042``.

The generator compiles a spec's format (``SO-{yyyy}{mm}-{seq:5}``) into a strftime template
with a ``{seq}`` marker and a width (``"SO-%Y%m-{seq}"``, 5). Each tenant has its own counter
per document field and per period, the period being the template with today's date filled in:
``SO-202611-{seq}`` counts November 2026 and the next month starts again at 1. The counter row
is incremented with an upsert in the creating transaction, so numbers are gapless among
committed documents and two concurrent requests never get the same one (the second waits for
the first's row lock).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

COUNTERS = "adm.document_sequences"


async def next_number(
    db: AsyncSession,
    counters: Table,
    *,
    tenant_id: uuid.UUID,
    key: str,
    template: str,
    width: int,
    user_id: uuid.UUID,
) -> str:
    """Take the tenant's next number for ``key`` (entity.field) in today's period (UTC)."""
    period = datetime.now(UTC).strftime(template)
    statement = (
        insert(counters)
        .values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            code=key,
            period=period,
            last_value=1,
            created_by=user_id,
            updated_by=user_id,
        )
        .on_conflict_do_update(
            index_elements=["tenant_id", "code", "period"],
            set_={
                "last_value": counters.c.last_value + 1,
                "updated_by": user_id,
                "version": counters.c.version + 1,
            },
        )
        .returning(counters.c.last_value)
    )
    value = (await db.execute(statement)).scalar_one()
    return period.replace("{seq}", str(value).zfill(width))
