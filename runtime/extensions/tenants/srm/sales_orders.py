"""판매주문 (Sales order): business logic of srm.sales_orders (tenants), hand-owned.

The worked example of the extension hooks (runtime/logic/extend.py):

- an order ships only with at least one line (a rule that queries: 422);
- confirming it records a task on the customer's activity log, in the same transaction;
- an order of a BLOCKED customer cannot be confirmed: the refusal comes after the activity was
  written, and takes it back with the confirmation (409).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from generated.tenants.crm.activities.model import Activity
from generated.tenants.crm.customers.model import Customer
from generated.tenants.srm.sales_order_items.model import SalesOrderItem
from runtime.logic.extend import Context
from runtime.web.errors import ConflictError, ValidationError


async def before_update(ctx: Context, row: Any, values: dict[str, Any]) -> None:
    if values.get("status") != "SHIPPED":
        return
    lines = await ctx.db.scalar(select(func.count()).where(SalesOrderItem.sales_order_id == row.id))
    if not lines:
        raise ValidationError(
            detail=[
                {
                    "field": "status",
                    "source": "body",
                    "message": "an order needs at least one line to be shipped",
                    "type": "no_lines",
                }
            ]
        )


async def after_write(ctx: Context, row: Any, action: str) -> None:
    if action != "UPDATE" or row.status != "CONFIRMED":
        return
    ctx.db.add(
        Activity(
            id=uuid.uuid4(),
            tenant_id=row.tenant_id,
            customer_id=row.customer_id,
            activity_type="TASK",
            subject=f"Order {row.order_no} confirmed",
            activity_date=datetime.now(UTC),
            created_by=ctx.actor.user_id,
            updated_by=ctx.actor.user_id,
        )
    )
    await ctx.db.flush()
    customer = await ctx.get(Customer, row.customer_id)
    if customer is not None and customer.status == "BLOCKED":
        raise ConflictError(
            {
                "ko": "거래가 중지된 고객의 주문은 확정할 수 없습니다.",
                "en": "Orders of a blocked customer cannot be confirmed.",
            },
            detail={"customer_id": str(row.customer_id)},
        )
