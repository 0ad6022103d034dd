"""State machines beyond the moves themselves: documents locked outside their editable states,
and moves that only an approval may take.

A generated model whose status field has ``transitions:`` carries its :class:`Lifecycle`
(``__lifecycle__``); a line of a header whose lifecycle locks it names its parent field
(``__locked_by__``). runtime.data.crud asks this module before every write:

- ``editable: [DRAFT]``: the row's other fields change only in those states, and so do its
  lines (create, update, delete) — a CONFIRMED order is settled (409 DOCUMENT_LOCKED). Status
  moves and deleting the document itself stay open; the state machine governs those.
- ``approval: {approved: APPROVED, rejected: REJECTED}``: those states are reached only when
  an approval request ends (runtime.logic.approvals); the status endpoint refuses them with 409
  APPROVAL_REQUIRED.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.data.catalog import referenced_model
from runtime.data.models import same_tenant
from runtime.security.principal import Actor
from runtime.web.errors import ApprovalRequiredError, LockedError


@dataclass(frozen=True)
class Lifecycle:
    field: str  # the status field
    moves: dict[str, list[str]]  # allowed moves by state; terminal states move nowhere
    editable: tuple[str, ...] = ()  # empty: never locked
    approved: str | None = None  # reached only by an approval
    rejected: str | None = None
    gated: frozenset[str] = dataclasses.field(init=False)  # `field` above is the status field

    def __post_init__(self) -> None:
        object.__setattr__(self, "gated", frozenset(s for s in (self.approved, self.rejected) if s))

    def locked(self, state: str) -> bool:
        return bool(self.editable) and state not in self.editable


def of(model: type[Any]) -> Lifecycle | None:
    return getattr(model, "__lifecycle__", None)


def refuse_if_locked(model: type[Any], row: object) -> None:
    """The row's own fields are settled outside its editable states."""
    cycle = of(model)
    if cycle is not None and cycle.locked(getattr(row, cycle.field)):
        raise LockedError(detail=_detail(model, cycle, getattr(row, cycle.field)))


async def refuse_if_header_locked(
    db: AsyncSession, model: type[Any], values: object, actor: Actor
) -> None:
    """A line changes only while its header is editable. ``values`` gives the line's parent
    id (a dict of values, or the row). The header row is locked like derived totals lock it,
    so a concurrent move out of the editable state waits for this write, or this write sees
    the new state."""
    via = getattr(model, "__locked_by__", None)
    if via is None:
        return
    parent_id = values.get(via) if isinstance(values, dict) else getattr(values, via)
    if parent_id is None:
        return
    header: type[Any] = referenced_model(model, via)
    cycle = of(header)
    if cycle is None:
        return
    state = await db.scalar(
        select(getattr(header, cycle.field))
        .where(header.id == parent_id, *same_tenant(header, actor))
        .with_for_update(key_share=True)
    )
    if state is not None and cycle.locked(state):
        raise LockedError(
            detail={**_detail(header, cycle, state), "line": model.__table__.fullname}
        )


def refuse_if_gated(model: type[Any], target: str, *, by_approval: bool) -> None:
    cycle = of(model)
    if cycle is not None and target in cycle.gated and not by_approval:
        raise ApprovalRequiredError(
            detail={"field": cycle.field, "to": target, "via": "apm.approval_requests"}
        )


def _detail(model: type[Any], cycle: Lifecycle, state: str) -> dict[str, Any]:
    return {
        "entity": model.__table__.fullname,
        "field": cycle.field,
        "state": state,
        "editable": list(cycle.editable),
    }
