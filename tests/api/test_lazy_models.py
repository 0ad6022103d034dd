"""Models are imported the first time they are needed (runtime.data.catalog): the app starts
with the runtime's own tables only, and a fresh server still applies every rule that names a
table it has not imported yet (the tables that refer to a row being deleted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx

from runtime.data.tables import CONTRACT, TENANT_CONTRACT
from tests import live_server

TENANTS = "/api/v1/tenants"

IMPORTED_AT_START = """
import json, sys
from runtime.app import create_app
create_app()
print(json.dumps(sorted(m for m in sys.modules if m.startswith("generated.") and m.endswith(".model"))))
"""


def _module(scope: str, table: str) -> str:
    return f"generated.{scope}.{table}.model"


def test_the_app_starts_with_the_runtime_tables_and_not_every_model():
    from generated.manager.catalog import MODELS as MANAGER_MODELS
    from generated.tenants.catalog import MODELS as TENANT_MODELS

    made = subprocess.run(
        [sys.executable, "-c", IMPORTED_AT_START], capture_output=True, text=True, check=True
    )
    imported = set(json.loads(made.stdout.splitlines()[-1]))
    contract = {_module("manager", t) for t in CONTRACT} | {
        _module("tenants", t) for t in TENANT_CONTRACT
    }
    assert contract <= imported
    # nothing of a domain that neither the contract nor a hand-owned hook needs
    for table in ("asm.warranties", "fim.invoices", "hrm.employees", "crm.leads"):
        assert _module("tenants", table) not in imported
    for table in ("bill.plans", "noti.templates", "supt.tickets"):
        if table in MANAGER_MODELS:
            assert _module("manager", table) not in imported
    assert len(imported) < (len(MANAGER_MODELS) + len(TENANT_MODELS)) / 3


async def _create(client: httpx.AsyncClient, path: str, body: dict, headers: dict) -> dict:
    answer = await client.post(f"{TENANTS}{path}", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


async def test_a_fresh_server_settles_references_from_tables_it_has_not_imported(
    database_urls, client, tenant_a
):
    headers = tenant_a["headers"]
    product = await _create(client, "/ivm/products", {"code": "LZ-P1", "name": "Lazy"}, headers)
    kept = await _create(client, "/crm/customers", {"code": "LZ-C1", "name": "Kept"}, headers)
    warranty = {
        "customer_id": kept["id"],
        "product_id": product["id"],
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
    }
    await _create(client, "/asm/warranties", warranty, headers)  # restrict
    cleared = await _create(client, "/crm/customers", {"code": "LZ-C2", "name": "Gone"}, headers)
    invoice = {
        "direction": "RECEIVABLE",
        "customer_id": cleared["id"],
        "issue_date": "2026-01-05",
        "amount": "10.00",
        "currency": "KRW",
    }
    invoice_id = (await _create(client, "/fim/invoices", invoice, headers))["id"]

    env = {
        **os.environ,
        "CXG_MANAGER_DATABASE_URL": database_urls["manager"],
        "CXG_TENANT_DATABASE_URL": database_urls["tenant"],
    }
    with live_server.serving(env) as base:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as fresh:
            # the crm group imports crm's models; warranties and invoices are asm's and fim's
            refused = fresh.delete(f"{TENANTS}/crm/customers/{kept['id']}")
            assert refused.status_code == 409, refused.text
            assert "asm.warranties" in refused.json()["error"]["message"]
            deleted = fresh.delete(f"{TENANTS}/crm/customers/{cleared['id']}")
            assert deleted.status_code in (200, 204), deleted.text

    after = await client.get(f"{TENANTS}/fim/invoices/{invoice_id}", headers=headers)
    assert after.status_code == 200
    assert after.json()["data"]["customer_id"] is None
