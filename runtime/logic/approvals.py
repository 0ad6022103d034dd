"""Documents that need approval, and what the end of an approval does to them.

A document declares it on its status field (``approval: {approved: APPROVED, rejected:
REJECTED}``, see runtime.logic.lifecycle): those states are closed to the status endpoint and are
taken here, when the approval request that carries the document ends. The approval requests
themselves (who approves, in which order) are the apm domain, hand-owned in
runtime/extensions/tenants/apm; this is the part every document shares.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.data import audit, crud
from runtime.data.catalog import model_named
from runtime.data.db import TENANT
from runtime.logic import lifecycle
from runtime.security.principal import Actor
from runtime.state import app_state
from runtime.web.errors import ValidationError


def document_model(base: type[Any], document_type: str) -> type[Any]:
    """The mapped class of ``<domain>.<table>`` when it needs approval, else a 422 naming
    document_type."""
    model = model_named(base, document_type)
    cycle = lifecycle.of(model) if model is not None else None
    if model is not None and cycle is not None and cycle.approved:
        return model
    raise ValidationError(
        detail=[
            {
                "field": "document_type",
                "source": "body",
                "message": f"{document_type} is not a document that needs approval",
                "type": "not_approvable",
            }
        ]
    )


def awaits_approval(model: type[Any], row: object) -> bool:
    """The document is in a state from which its approval may move it."""
    cycle = lifecycle.of(model)
    return cycle is not None and cycle.approved in cycle.moves.get(getattr(row, cycle.field), ())


async def settle(
    request: Request,
    db: AsyncSession,
    model: type[Any],
    document_id: uuid.UUID,
    outcome: Literal["approved", "rejected"],
    actor: Actor,
) -> Any:
    """Move the document to its approved or rejected state (along its state machine, in the
    caller's transaction) and audit the move as the document's own status change. A document
    without a rejected state is left as it is on a rejection."""
    cycle = lifecycle.of(model)
    assert cycle is not None
    target = cycle.approved if outcome == "approved" else cycle.rejected
    if target is None:
        return None
    row = await crud.change_status(
        db, model, document_id, cycle.field, target, actor, moves=cycle.moves, by_approval=True
    )
    audit_logs = app_state(request).audit_tables[TENANT]
    assert audit_logs is not None  # a document of the tenant system, which has its audit log
    await audit.record(
        db,
        audit_logs,
        actor=actor,
        action="STATUS_CHANGE",
        entity=model.__table__.fullname,
        entity_id=document_id,
        request=request,
        status_code=200,
    )
    return row
