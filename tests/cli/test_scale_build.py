"""A project of 300 entities builds, serves its OpenAPI document, and names every schema once.

The project is made from the real specs (tests/benchmarks/synth.py): copies of whole domains
under new codes, so two domains of a scope share table names (crm.customers, crm2.customers)
and both scopes share entity names (users). Past 128 list endpoints FastAPI's cache of query
models used to evict and the document failed (runtime/web/querymodels.py).
"""

from __future__ import annotations

import collections
import os

import httpx

from tests import live_server
from tests.benchmarks.synth import synthesize
from tests.generator.helpers import cxg


def test_a_300_entity_project_builds_and_serves_a_document_with_unique_names(
    tmp_path, database_urls
):
    root = tmp_path / "project"
    root.mkdir()
    entities = synthesize(root, 300)
    assert entities >= 300

    built = cxg(root, "build")
    assert built.returncode == 0, built.stdout + built.stderr
    assert f"{entities} entities" in built.stdout
    on_disk = (root / "generated/openapi.json").read_bytes()

    env = {**os.environ, "PYTHONPATH": str(root)}
    with live_server.serving(env, cwd=root) as base:
        served = httpx.get(f"{base}/openapi.json", timeout=60)
    assert served.status_code == 200
    assert served.content == on_disk  # the prebuilt document, current for this code
    document = served.json()

    # a copied domain's table of the same name is a path of its own, with its own schemas
    paths = document["paths"]
    assert "/api/v1/tenants/crm/customers" in paths
    assert "/api/v1/tenants/crm2/customers" in paths
    assert "/api/v1/manager/idam/users" in paths
    assert "/api/v1/tenants/adm/users" in paths
    operations = [op for item in paths.values() for op in item.values()]
    assert len(operations) > 5 * 200

    schemas = document["components"]["schemas"]
    titles = collections.Counter(s.get("title") for s in schemas.values())
    assert not [t for t, n in titles.items() if n > 1]
    assert all(t for t in titles)
    assert not [n for n in schemas if n.startswith(("generated__", "runtime__"))]  # no fallbacks
    for name in ("ManagerUserResponse", "TenantUserResponse", "TenantV2CustomerResponse"):
        assert schemas[name]["title"] == name
    detail = paths["/api/v1/tenants/crm2/customers/{v2_customer_id}"]["get"]
    envelope = detail["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    data = schemas[envelope.rsplit("/", 1)[1]]["properties"]["data"]
    assert "TenantV2CustomerResponse" in str(data)
