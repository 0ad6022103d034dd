"""결재 요청 (Approval request): business logic of apm.approval_requests (tenants), hand-owned.

Making a request checks what it carries and copies the approval line's approvers into its
steps, in the same transaction:

- the line is ACTIVE, is made for the document's type and has at least one step (422);
- the document needs approval (its status declares ``approval:``), is ours and live, and is in
  a state its approval may move it from (422 / 409);
- a document has at most one PENDING request (409).

The steps are decided by the approve / reject actions (``_actions.py`` beside this file).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from generated.tenants.apm.approval_line_steps.model import ApprovalLineStep
from generated.tenants.apm.approval_lines.model import ApprovalLine
from generated.tenants.apm.approval_request_steps.model import ApprovalRequestStep
from generated.tenants.apm.approval_requests.model import ApprovalRequest
from runtime.data import crud
from runtime.data.models import TenantBase
from runtime.logic import approvals
from runtime.logic.extend import Context
from runtime.web.errors import ConflictError, NotFoundError, ValidationError


def _refuse(field: str, message: str, kind: str) -> ValidationError:
    return ValidationError(
        detail=[{"field": field, "source": "body", "message": message, "type": kind}]
    )


async def before_create(ctx: Context, values: dict[str, Any]) -> None:
    line = await ctx.get(ApprovalLine, values["approval_line_id"])  # checked as a reference
    if line is None or line.status != "ACTIVE":
        raise _refuse("approval_line_id", "the approval line is not active", "inactive_line")
    if line.document_type != values["document_type"]:
        raise _refuse(
            "document_type",
            f"the approval line is for {line.document_type}",
            "wrong_document_type",
        )
    model = approvals.document_model(TenantBase, values["document_type"])
    try:
        document = await crud.get_live(ctx.db, model, values["document_id"], ctx.actor, lock=True)
    except NotFoundError:
        raise _refuse("document_id", "no such document", "reference_not_found") from None
    if not approvals.awaits_approval(model, document):
        raise ConflictError(
            {
                "ko": "결재를 요청할 수 없는 상태의 문서입니다.",
                "en": "The document is not in a state that awaits approval.",
            },
            detail={"document_id": str(document.id), "status": document.status},
        )
    pending = await ctx.db.scalar(
        select(ApprovalRequest.id).where(
            ApprovalRequest.document_id == values["document_id"],
            ApprovalRequest.status == "PENDING",
            *crud.visible(ApprovalRequest, ctx.actor),
        )
    )
    if pending is not None:
        raise ConflictError(
            {
                "ko": "이 문서에는 진행 중인 결재 요청이 있습니다.",
                "en": "The document already has a pending approval request.",
            },
            detail={"approval_request_id": str(pending)},
        )
    if not await _line_steps(ctx, line.id):
        raise _refuse("approval_line_id", "the approval line has no steps", "empty_line")
    values["current_step"] = 1


async def after_write(ctx: Context, row: Any, action: str) -> None:
    if action != "CREATE":
        return
    for step in await _line_steps(ctx, row.approval_line_id):
        ctx.db.add(
            ApprovalRequestStep(
                id=uuid.uuid4(),
                tenant_id=row.tenant_id,
                approval_request_id=row.id,
                step_no=step.step_no,
                approver_id=step.approver_id,
                decision="PENDING",
                created_by=ctx.actor.user_id,
                updated_by=ctx.actor.user_id,
            )
        )
    await ctx.db.flush()


async def _line_steps(ctx: Context, line_id: uuid.UUID) -> list[ApprovalLineStep]:
    rows = await ctx.db.scalars(
        select(ApprovalLineStep)
        .where(
            ApprovalLineStep.approval_line_id == line_id,
            *crud.visible(ApprovalLineStep, ctx.actor),
        )
        .order_by(ApprovalLineStep.step_no)
    )
    return list(rows)
