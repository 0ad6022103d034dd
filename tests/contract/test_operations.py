"""Every operation of the document has a unique English operation id, a description, and the
error answers it can really give: worked out here from each entity's mapped class as the
runtime runs it (its state machine, locks, approvals, unique keys, the references that may
refuse a delete, the hooks and guards registered for it), not from the generator's reasoning.
Redocly CLI's recommended rules pass with no error and no warning.
"""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

import pytest
from sqlalchemy import Index, UniqueConstraint

from tests.contract.tools import DOCUMENT, ROOT, npm_tool, run

ALWAYS = {"401", "403", "413", "422", "429", "500", "503"}  # every generated operation
KINDS = ("list_of_parent", "create_in_parent", "change_status", "list", "create", "get",
         "update", "delete")  # fmt: skip


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DOCUMENT.read_text())
    return loaded


@pytest.fixture(scope="module")
def runtime():
    """The app's registries filled (hooks, guards) and the mapped classes by (scope, key)."""
    from runtime.app import create_app
    from runtime.data import referrers
    from runtime.logic import extend, guards, lifecycle

    create_app()
    return extend, guards, lifecycle, referrers


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, op) for p, item in document["paths"].items() for m, op in item.items()]


def test_every_operation_has_a_unique_english_id_and_a_description(document):
    ids = [op["operationId"] for _, _, op in _operations(document)]
    assert len(ids) == len(set(ids)) > 600
    for _, _, op in _operations(document):
        assert re.fullmatch(r"[a-z][a-z0-9_]*", op["operationId"]), op["operationId"]
        assert len(op.get("description", "")) > 20, op["operationId"]
        assert op["summary"] and op["tags"]


def _model(scope: str, key: str) -> type:
    domain, table = key.split(".")
    module = importlib.import_module(f"generated.{scope}.{domain}.{table}.model")
    return next(
        v for v in vars(module).values()
        if isinstance(v, type) and v.__module__ == module.__name__ and hasattr(v, "__table__")
    )  # fmt: skip


def _unique_columns(model: type) -> list[set[str]]:
    table = model.__table__  # type: ignore[attr-defined]
    found = []
    for item in (*table.indexes, *table.constraints):
        if (isinstance(item, Index) and item.unique) or isinstance(item, UniqueConstraint):
            found.append({c.name for c in item.columns} - {"tenant_id"})
    return found


def _refused(referrers: Any, model: type, seen: frozenset[type] = frozenset()) -> bool:
    """A delete of a row of ``model`` can meet a live reference that refuses it."""
    for ref in referrers.referrers_of(model):
        if ref.rule == referrers.RESTRICT:
            return True
        if ref.rule == referrers.CASCADE and ref.model not in seen:
            if _refused(referrers, ref.model, seen | {model}):
                return True
    return False


def _conflicts(document, runtime, path: str, method: str, op: dict[str, Any]) -> set[str]:
    """The 409 codes an operation of a generated entity can answer."""
    extend, guards, lifecycle, referrers = runtime
    scope = path.split("/")[3]
    key = op["x-permission"].split(":")[0]
    kind = next(k for k in KINDS if op["operationId"].endswith("_" + k))
    model = _model(scope, key)
    cycle = lifecycle.of(model)
    locked_by = getattr(model, "__locked_by__", None)
    codes = set()
    uniques = _unique_columns(model)
    if kind in ("create", "create_in_parent"):
        body = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        lines = [
            p["items"]["$ref"].split("/")[-1].removesuffix("LineCreate")
            for p in document["components"]["schemas"][body]["properties"].values()
            if p.get("type") == "array" and "$ref" in p.get("items", {})
        ]
        if uniques or any(_line_uniques(scope, name) for name in lines):
            codes.add("RESOURCE_ALREADY_EXISTS")
    if kind == "update":
        body = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        names = set(document["components"]["schemas"][body]["properties"])
        if any(u & names for u in uniques):
            codes.add("RESOURCE_ALREADY_EXISTS")
    if kind == "delete" and _refused(referrers, model):
        codes.add("CONFLICT")
    method_name = method.upper()
    hand = extend.hooked(scope, key) | guards.guarded(model.__table__.fullname)  # type: ignore[attr-defined]
    if method_name in hand:
        codes.add("CONFLICT")
    if kind == "change_status" and cycle is not None:
        codes.add("INVALID_TRANSITION")
        if cycle.gated:
            codes.add("APPROVAL_REQUIRED")
    if (kind == "update" and cycle is not None and cycle.editable) or (
        locked_by and kind in ("create", "update", "delete", "create_in_parent")
    ):
        codes.add("DOCUMENT_LOCKED")
    return codes


def _line_uniques(scope: str, schema_name: str) -> bool:
    """The line entity the schema names (TenantSalesOrderItem) has a unique key."""
    name = schema_name.removeprefix("Tenant" if scope == "tenants" else "Manager")
    models = importlib.import_module(f"generated.{scope}.models")
    return bool(_unique_columns(getattr(models, name)))


def _codes(answer: dict[str, Any]) -> set[str]:
    return set(answer["content"]["application/json"]["examples"])


def test_each_generated_operation_lists_exactly_the_errors_it_can_answer(document, runtime):
    checked = 0
    for path, method, op in _operations(document):
        if not re.search(r"_(" + "|".join(KINDS) + ")$", op["operationId"]) or "/auth/" in path:
            continue
        if op["operationId"].endswith(("_approve", "_reject")):
            continue
        conflicts = _conflicts(document, runtime, path, method, op)
        expected = set(ALWAYS)
        expected |= {"404"} if "{" in path else set()
        expected |= (
            {"412"} if any(p["name"] == "if-match" for p in op.get("parameters", [])) else set()
        )
        expected |= {"409"} if conflicts else set()
        errors = {s for s in op["responses"] if s[0] in "45"}
        assert errors == expected, (op["operationId"], sorted(errors ^ expected))
        if conflicts:
            assert _codes(op["responses"]["409"]) == conflicts, op["operationId"]
        checked += 1
    assert checked > 600


def test_hand_written_operations_list_what_their_code_can_answer(document):
    by_id = {op["operationId"]: op for _, _, op in _operations(document)}

    def statuses(op_id: str) -> set[str]:
        return {s for s in by_id[op_id]["responses"] if s[0] in "45"}

    # no credential: no 401 unless the credentials sent are checked, no 403 at all
    assert statuses("manager_auth_register") == {"409", "413", "422", "429", "500", "503"}
    for system in ("manager", "tenants"):
        assert statuses(f"{system}_auth_login") == {"401", "413", "422", "429", "500", "503"}
        assert by_id[f"{system}_auth_login"]["security"] == []
    # a manager's own account: no permission is checked; 403 only where a token that may
    # only enrol in MFA is refused (me), not where it is taken (logout, the enrolment)
    assert statuses("manager_auth_me") == {"401", "403", "413", "429", "500", "503"}
    for name in ("logout", "mfa"):
        assert statuses(f"manager_auth_{name}") == {"401", "413", "429", "500", "503"}
    # a tenant token may be a manager's acting for the tenant, which has no account there
    assert "403" in statuses("tenants_auth_me")
    assert statuses("manager_tenants_provision") == {
        "401", "403", "404", "409", "413", "422", "429", "500", "503"
    }  # fmt: skip
    assert statuses("health") == {"413", "500", "503"}
    assert by_id["health"]["security"] == []
    assert document["security"] == [{"HTTPBearer": []}] and document["servers"]


def test_answers_declare_the_headers_the_server_sends(document):
    op = document["paths"]["/api/v1/tenants/srm/sales-orders"]["post"]
    created = op["responses"]["201"]
    assert set(created["headers"]) == {"ETag", "Location"}
    links = created["links"]
    assert links["tenants_srm_sales_orders_get"]["parameters"] == {
        "sales_order_id": "$response.body#/data/id"
    }
    assert "tenants_srm_sales_order_items_create_in_parent" in links
    get = document["paths"]["/api/v1/tenants/srm/sales-orders/{sales_order_id}"]["get"]
    assert set(get["responses"]["200"]["headers"]) == {"ETag"}
    assert set(op["responses"]["429"]["headers"]) == {
        "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining"
    }  # fmt: skip
    assert set(op["responses"]["503"]["headers"]) == {"Retry-After"}
    locked = get and document["paths"]["/api/v1/tenants/srm/sales-orders/{sales_order_id}"]
    assert _codes(locked["patch"]["responses"]["409"]) >= {"DOCUMENT_LOCKED"}
    examples = document["components"]["examples"]
    assert examples["STALE_VERSION"]["value"]["error"]["code"] == "STALE_VERSION"


def test_redocly_recommended_rules_pass_without_a_warning():
    linted = run([npm_tool("redocly"), "lint", DOCUMENT, "--format=json"], ROOT)
    report = json.loads(linted.stdout[linted.stdout.index("{") :])
    assert report["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}, report["problems"][:5]
    assert linted.returncode == 0
