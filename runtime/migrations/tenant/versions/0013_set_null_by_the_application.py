"""set_null by the application: tenant keys' ON DELETE SET NULL (<ref>) becomes NO ACTION

Citus refuses ``ON DELETE SET NULL`` (and SET DEFAULT) on a foreign key that includes the
distribution column, and every foreign key between tenant tables includes tenant_id (0012).
The 27 keys whose spec says ``on_delete: set_null`` become ``NO ACTION``, under the same
names; the models carry the rule in the key's ``info`` and the application clears the
references itself: on a soft delete (as before) and before a hard one
(runtime.data.referrers.clear_before_hard_delete). A physical delete that bypasses the
application is refused while rows still refer to the row, rather than leaving them pointing
at nothing.

The keys are read from the catalog (every two-column SET NULL key between tenant tables);
the downgrade restores SET NULL (<ref>) on the keys named below, the ones 0012 made.
Keys are re-added NOT VALID, then validated (rows are checked without blocking writes).

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence
from typing import Any

from alembic import op
from sqlalchemy import text

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The keys 0012 left as ON DELETE SET NULL (<ref>), by table: the spec's set_null references.
SET_NULL_KEYS = frozenset(
    {
        ("adm.login_logs", "fk_login_logs_user_id_users"),
        ("asm.service_requests", "fk_service_requests_assignee_id_users"),
        ("asm.service_requests", "fk_service_requests_product_id_products"),
        ("asm.service_visits", "fk_service_visits_technician_id_users"),
        ("crm.activities", "fk_activities_opportunity_id_opportunities"),
        ("crm.leads", "fk_leads_converted_customer_id_customers"),
        ("fam.fixed_assets", "fk_fixed_assets_department_id_departments"),
        ("fim.accounts", "fk_accounts_parent_id_accounts"),
        ("fim.invoices", "fk_invoices_customer_id_customers"),
        ("fim.invoices", "fk_invoices_vendor_id_vendors"),
        ("hrm.departments", "fk_departments_parent_id_departments"),
        ("hrm.employees", "fk_employees_department_id_departments"),
        ("hrm.employees", "fk_employees_position_id_positions"),
        ("hrm.employees", "fk_employees_user_id_users"),
        ("ivm.products", "fk_products_category_id_categories"),
        ("lwm.steps", "fk_steps_approver_role_id_roles"),
        ("lwm.steps", "fk_steps_approver_user_id_users"),
        ("lwm.tasks", "fk_tasks_approval_id_approvals"),
        ("lwm.tasks", "fk_tasks_assignee_id_users"),
        ("pim.categories", "fk_categories_parent_id_categories"),
        ("pim.products", "fk_products_brand_id_brands"),
        ("pim.products", "fk_products_category_id_categories"),
        ("pim.products", "fk_products_inventory_product_id_products"),
        ("srm.sales_activities", "fk_sales_activities_sales_order_id_sales_orders"),
        ("srm.sales_orders", "fk_sales_orders_quote_id_quotes"),
        ("wms.inbounds", "fk_inbounds_receipt_id_receipts"),
        ("wms.outbounds", "fk_outbounds_sales_order_id_sales_orders"),
    }
)

# Two-column foreign keys (<ref>_id, tenant_id) between tables that have tenant_id, with
# their ON DELETE action ('n' SET NULL, 'a' NO ACTION).
KEYS = """
SELECT k.conname AS name, k.confdeltype::text AS action,
       quote_ident(sn.nspname) || '.' || quote_ident(s.relname) AS source_name,
       quote_ident(tn.nspname) || '.' || quote_ident(t.relname) AS target_name,
       (SELECT attname FROM pg_attribute WHERE attrelid = k.conrelid AND attnum = k.conkey[1])
           AS column_name
FROM pg_constraint k
JOIN pg_class s ON s.oid = k.conrelid JOIN pg_namespace sn ON sn.oid = s.relnamespace
JOIN pg_class t ON t.oid = k.confrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
WHERE k.contype = 'f' AND cardinality(k.conkey) = 2
  AND sn.nspname NOT IN ('pg_catalog', 'information_schema', 'public')
  AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = k.conrelid
              AND a.attname = 'tenant_id' AND a.attnum = k.conkey[2])
ORDER BY 1, 3
"""


def _keys(action: str) -> list[Any]:
    return [k for k in op.get_bind().execute(text(KEYS)) if k.action == action]


def _replace(k: Any, action: str) -> None:
    op.execute(
        f'ALTER TABLE {k.source_name} DROP CONSTRAINT "{k.name}",'
        f' ADD CONSTRAINT "{k.name}" FOREIGN KEY ("{k.column_name}", tenant_id)'
        f" REFERENCES {k.target_name} (id, tenant_id) ON DELETE {action} NOT VALID"
    )
    op.execute(f'ALTER TABLE {k.source_name} VALIDATE CONSTRAINT "{k.name}"')


def upgrade() -> None:
    for k in _keys("n"):
        _replace(k, "NO ACTION")


def downgrade() -> None:
    for k in _keys("a"):
        if (k.source_name, k.name) in SET_NULL_KEYS:
            _replace(k, f'SET NULL ("{k.column_name}")')
