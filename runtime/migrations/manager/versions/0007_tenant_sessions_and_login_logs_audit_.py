"""tenant sessions and login logs; audit actions for provisioning

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # the audit action enum gained PROVISION and ACT_FOR_TENANT (CHECK constraints are not
    # compared by autogenerate, so this part is written by hand)
    op.drop_constraint(op.f("ck_audit_logs_action"), "audit_logs", schema="audt", type_="check")
    op.create_check_constraint(
        op.f("ck_audit_logs_action"),
        "audit_logs",
        "action IN ('CREATE', 'UPDATE', 'DELETE', 'STATUS_CHANGE', 'LOGIN', 'LOGOUT', 'PASSWORD_CHANGE', 'PROVISION', 'ACT_FOR_TENANT')",
        schema="audt",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_audit_logs_action"), "audit_logs", schema="audt", type_="check")
    op.create_check_constraint(
        op.f("ck_audit_logs_action"),
        "audit_logs",
        "action IN ('CREATE', 'UPDATE', 'DELETE', 'STATUS_CHANGE', 'LOGIN', 'LOGOUT', 'PASSWORD_CHANGE')",
        schema="audt",
    )
