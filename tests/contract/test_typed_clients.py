"""Clients generated from the document work: a Python client from `openapi-python-client` and
TypeScript types from `openapi-typescript`, each without a single warning; the types compile
under `tsc --strict`; and the README's first steps run through the Python client's typed
functions alone (no hand-made request) against a real server: the first administrator,
a tenant and its provisioning, the tenant's sign-in, a customer, a product, a sales order
with a line, its ETag, and a stale If-Match refused.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType

import pytest

from tests.contract.tools import BIN, DOCUMENT, create_admin, npm_tool, run, served

PACKAGE = "cxg_api_client"
ADMIN_PASSWORD = "Adm1n-Passw0rd"
TENANT_PASSWORD = "Acme-Passw0rd"


def _warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if re.search(r"warn", line, re.IGNORECASE)]


@pytest.fixture(scope="module")
def python_client(tmp_path_factory) -> Path:
    """The generated client package's parent folder (put on sys.path to import it)."""
    where = tmp_path_factory.mktemp("python-client")
    made = run(
        [BIN / "openapi-python-client", "generate", "--path", DOCUMENT,
         "--output-path", where / PACKAGE, "--meta", "none"],
        where,
    )  # fmt: skip
    output = made.stdout + made.stderr
    assert made.returncode == 0, output
    assert not _warnings(output), output  # includes "ruff is not in PATH" and skipped schemas
    assert (where / PACKAGE / "client.py").is_file()
    return where


def test_typescript_types_compile_strictly(tmp_path):
    types = tmp_path / "api.d.ts"
    made = run(
        [npm_tool("openapi-typescript"), DOCUMENT, "--output", types,
         # a default is the server's to fill: optional in a request body; answers list every
         # property as required, so nothing else depends on the option
         "--default-non-nullable=false"],
        tmp_path,
    )  # fmt: skip
    output = made.stdout + made.stderr
    assert made.returncode == 0, output
    assert not _warnings(output) and "⚠" not in output, output
    text = types.read_text()
    # a create body with server defaults: each of them optional, the rest required
    create = re.search(r"TenantCustomerCreate: \{(.*?)\n        \};", text, re.S)
    assert create is not None
    assert "\n            code: string;" in create.group(1)
    for defaulted in ("customer_type?:", "grade?:"):
        assert defaulted in create.group(1)
    answer = re.search(r"TenantCustomerResponse: \{(.*?)\n        \};", text, re.S)
    assert answer is not None and "customer_type:" in answer.group(1)
    (tmp_path / "use.ts").write_text(
        'import type { components, operations } from "./api";\n'
        'type Order = components["schemas"]["TenantSalesOrderResponse"];\n'
        'type Create = operations["tenants_srm_sales_orders_create"]["requestBody"];\n'
        "export const total = (o: Order): string => o.total_amount;\n"
        "export type Body = NonNullable<Create>;\n"
    )
    (tmp_path / "tsconfig.json").write_text(
        json.dumps(
            {
                "compilerOptions": {"strict": True, "noEmit": True, "target": "ES2022",
                                    "module": "ES2022", "moduleResolution": "bundler"},
                "files": ["api.d.ts", "use.ts"],
            }
        )  # fmt: skip
    )
    compiled = run([npm_tool("tsc"), "-p", tmp_path / "tsconfig.json"], tmp_path)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr


class Api:
    """The generated client's operations by operation id, and its models by name."""

    def __init__(self, where: Path) -> None:
        sys.path.insert(0, str(where))
        self.root = where / PACKAGE
        self.models = importlib.import_module(f"{PACKAGE}.models")
        self.client = importlib.import_module(f"{PACKAGE}.client")

    def __getitem__(self, operation_id: str) -> ModuleType:
        (found,) = self.root.glob(f"api/*/{operation_id}.py")
        group = found.parent.name
        return importlib.import_module(f"{PACKAGE}.api.{group}.{operation_id}")

    def close(self) -> None:
        sys.path.remove(str(self.root.parent))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_the_first_steps_through_the_typed_python_client(python_client, tmp_path_factory):
    api = Api(python_client)
    m = api.models
    try:
        with served(tmp_path_factory.mktemp("typed-client-pg")) as (base, environment):
            create_admin(environment, "admin", ADMIN_PASSWORD)
            anonymous = api.client.Client(base_url=base, raise_on_unexpected_status=True)
            signed = api["manager_auth_login"].sync(
                client=anonymous, body=m.LoginRequest(username="admin", password=ADMIN_PASSWORD)
            )
            # a sign-in answers one of three shapes; without MFA, the token pair
            assert isinstance(signed, m.EnvelopeSignedIn), signed
            assert isinstance(signed.data, m.TokenPair), signed.data
            manager = api.client.AuthenticatedClient(
                base_url=base, token=signed.data.access_token, raise_on_unexpected_status=True
            )
            tenant = api["manager_tnnt_tenants_create"].sync(
                client=manager, body=m.ManagerTenantCreate(code="acme", name="Acme Corp.")
            )
            assert isinstance(tenant, m.EnvelopeManagerTenantResponse), tenant
            provisioned = api["manager_tenants_provision"].sync_detailed(
                tenant.data.id,
                client=manager,
                body=m.ProvisionRequest(
                    username="acme.admin",
                    email="admin@acme.example",
                    full_name="Acme Admin",
                    password=TENANT_PASSWORD,
                ),
            )
            assert provisioned.status_code == 201
            assert isinstance(provisioned.parsed, m.EnvelopeProvisioned)
            assert provisioned.parsed.data.tenant_status == "ACTIVE"
            admin_id = provisioned.parsed.data.admin["id"]
            assert provisioned.headers["location"] == f"/api/v1/tenants/adm/users/{admin_id}"

            signed = api["tenants_auth_login"].sync(
                client=anonymous,
                body=m.TenantLoginRequest(
                    tenant_code="acme", username="acme.admin", password=TENANT_PASSWORD
                ),
            )
            # a sign-in answers one of three shapes; without MFA, the token pair
            assert isinstance(signed, m.EnvelopeSignedIn), signed
            assert isinstance(signed.data, m.TokenPair), signed.data
            acme = api.client.AuthenticatedClient(
                base_url=base, token=signed.data.access_token, raise_on_unexpected_status=True
            )
            customer = api["tenants_crm_customers_create"].sync_detailed(
                client=acme, body=m.TenantCustomerCreate(code="C001", name="First customer")
            )
            assert customer.status_code == 201
            made = customer.parsed.data
            assert made.customer_type == m.TenantCustomerCustomerType.CORPORATE  # the default
            assert customer.headers["location"] == f"/api/v1/tenants/crm/customers/{made.id}"
            product = api["tenants_ivm_products_create"].sync(
                client=acme, body=m.TenantProductCreate(code="P001", name="Widget")
            )
            assert isinstance(product, m.EnvelopeTenantProductResponse), product

            order = api["tenants_srm_sales_orders_create"].sync_detailed(
                client=acme,
                body=m.TenantSalesOrderCreate(
                    customer_id=made.id,
                    order_date=date(2026, 11, 29),
                    items=[
                        m.TenantSalesOrderItemLineCreate(
                            line_no=1, product_id=product.data.id, quantity="2", unit_price="9.50"
                        )
                    ],
                ),
            )
            assert order.status_code == 201, order.content
            created = order.parsed.data
            month = datetime.now(UTC).strftime("%Y%m")
            assert (created.order_no, created.total_amount) == (f"SO-{month}-00001", "19.00")
            assert [line.amount for line in created.items] == ["19.00"]

            get = api["tenants_srm_sales_orders_get"].sync_detailed(created.id, client=acme)
            assert get.status_code == 200
            tag = get.headers["etag"]
            assert tag == f'"{get.parsed.data.version}"'
            changed = api["tenants_srm_sales_orders_update"].sync_detailed(
                created.id,
                client=acme,
                body=m.TenantSalesOrderUpdate(delivery_date=date(2026, 12, 4)),
                if_match=tag,
            )
            assert changed.status_code == 200
            assert changed.headers["etag"] == f'"{get.parsed.data.version + 1}"'
            stale = api["tenants_srm_sales_orders_update"].sync_detailed(
                created.id,
                client=acme,
                body=m.TenantSalesOrderUpdate(delivery_date=date(2026, 12, 5)),
                if_match=tag,
            )
            assert stale.status_code == 412
            assert isinstance(stale.parsed, m.ErrorEnvelope)
            assert stale.parsed.error.code == "STALE_VERSION"
            assert stale.parsed.error.detail["current"] == changed.headers["etag"]
    finally:
        api.close()
