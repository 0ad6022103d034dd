"""전자결재 (Approvals): the custom endpoints of tenants.apm, hand-owned.

Written once by `cxg-gen extend tenants apm`; `cxg-gen build` never touches it. One endpoint
per action the domain's specs declare (`actions:`); runtime/logic/actions.py says what each route gets
(its permission check, the unit of work, the audit row named after the action).

A request's steps are decided in order, each by its own approver only (403 for anyone else,
whatever their roles). Approving the last step approves the request and moves the document to
its approved state; a rejection at any step ends the request and moves the document to its
rejected state. Both happen in the caller's transaction, audited: the request as APPROVE or
REJECT, the document as a STATUS_CHANGE.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from generated.tenants.apm.approval_request_steps.model import ApprovalRequestStep
from generated.tenants.apm.approval_request_steps.schemas import ApprovalRequestStepResponse
from generated.tenants.apm.approval_requests.model import ApprovalRequest
from generated.tenants.apm.approval_requests.schemas import ApprovalRequestResponse
from runtime.data import crud
from runtime.data.models import TenantBase
from runtime.deps import TenantDb
from runtime.logic import approvals, lifecycle
from runtime.logic.actions import ActionActor, ActionRouter
from runtime.security.principal import Actor
from runtime.web.contract import answers
from runtime.web.envelope import Envelope, ok
from runtime.web.errors import ConflictError, ForbiddenError

router = ActionRouter("tenants", "apm")


class Decision(BaseModel):
    """What the approver says with the decision."""

    model_config = ConfigDict(extra="forbid")
    comment: str | None = Field(None, max_length=2000, title="의견")


@router.action(
    "approval_requests",
    "approve",
    "/approval-requests/{request_id}/approve",
    response_model=Envelope[ApprovalRequestResponse],
)
@answers(raises=[ConflictError])
async def approve_approval_request(
    request_id: UUID, request: Request, db: TenantDb, actor: ActionActor, body: Decision
) -> Envelope[ApprovalRequestResponse]:
    """결재 요청 승인 (Approve): the current step's approver approves."""
    return ok(await _decide(request, db, actor, request_id, body, "APPROVED"))


@router.action(
    "approval_requests",
    "reject",
    "/approval-requests/{request_id}/reject",
    response_model=Envelope[ApprovalRequestResponse],
)
@answers(raises=[ConflictError])
async def reject_approval_request(
    request_id: UUID, request: Request, db: TenantDb, actor: ActionActor, body: Decision
) -> Envelope[ApprovalRequestResponse]:
    """결재 요청 반려 (Reject): the current step's approver rejects."""
    return ok(await _decide(request, db, actor, request_id, body, "REJECTED"))


async def _decide(
    request: Request,
    db: TenantDb,
    actor: Actor,
    request_id: UUID,
    body: Decision,
    decision: Literal["APPROVED", "REJECTED"],
) -> ApprovalRequestResponse:
    row = await crud.get_live(db, ApprovalRequest, request_id, actor, lock=True)
    if row.status != "PENDING":
        raise ConflictError(
            {
                "ko": "이미 종결된 결재 요청입니다.",
                "en": "The approval request is already decided.",
            },
            detail={"status": row.status},
        )
    steps = await _steps(db, actor, row.id)
    step = next(s for s in steps if s.step_no == row.current_step)
    if step.approver_id != actor.user_id:
        raise ForbiddenError(
            {"ko": "현재 결재 차례가 아닙니다.", "en": "It is not your turn to decide."},
            detail={"step_no": step.step_no, "reason": "not_the_current_approver"},
        )
    now = datetime.now(UTC)
    step.decision, step.comment, step.decided_at = decision, body.comment, now
    step.updated_by, step.version = actor.user_id, step.version + 1
    last = step.step_no == max(s.step_no for s in steps)
    if decision == "APPROVED" and not last:
        row = await crud.update(
            db, ApprovalRequest, row.id, {"current_step": step.step_no + 1}, actor
        )
    else:
        cycle = lifecycle.of(ApprovalRequest)
        assert cycle is not None
        row = await crud.change_status(
            db,
            ApprovalRequest,
            row.id,
            "status",
            decision,
            actor,
            moves=cycle.moves,
            by_approval=True,
        )
        row.decided_at = now
        for later in steps:  # a rejection ends the request: nobody after decides
            if later.decision == "PENDING":
                later.decision = "SKIPPED"
        model = approvals.document_model(TenantBase, row.document_type)
        outcome: Literal["approved", "rejected"] = (
            "approved" if decision == "APPROVED" else "rejected"
        )
        await approvals.settle(request, db, model, row.document_id, outcome, actor)
    await db.flush()
    response = ApprovalRequestResponse.model_validate(
        await crud.get_live(db, ApprovalRequest, row.id, actor)
    )
    response.steps = [ApprovalRequestStepResponse.model_validate(s) for s in steps]
    response.steps_total = len(steps)
    return response


async def _steps(db: TenantDb, actor: Actor, request_id: UUID) -> list[ApprovalRequestStep]:
    rows = await db.scalars(
        select(ApprovalRequestStep)
        .where(
            ApprovalRequestStep.approval_request_id == request_id,
            *crud.visible(ApprovalRequestStep, actor),
        )
        .order_by(ApprovalRequestStep.step_no)
        .with_for_update()
    )
    return list(rows)
