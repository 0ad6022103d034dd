"""The contract, fuzzed: schemathesis generates requests for every operation of both systems
from the served OpenAPI document and sends them to a real `cxg-gen serve` on fresh databases
(a MASTER and a provisioned tenant of its own). Any 5xx, any status the document does not
declare for the operation, any body that breaks the declared schema fails the test.

Bounded so the suite stays quick: a fixed seed and a few examples per operation, valid and
invalid ones alike. Logout and change-password are fuzzed too; when a request ends the
session whose token the run uses, the run signs in again.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from tests import live_server
from tests.database import fresh_databases, run_sync

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_PER_OPERATION = 3
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
ENDS_SESSION = ("/logout", "/change-password")
PASSWORD = "Fuzz-Adm1n-Passw0rd"


class Tokens:
    """A manager and a tenant session, renewed when a fuzzed request ended one."""

    def __init__(self, base: str, admin: str, tenant_code: str, tenant_admin: str) -> None:
        self.base, self.admin, self.code, self.tenant_admin = base, admin, tenant_code, tenant_admin
        self.manager = self.tenant = ""
        self.renew_manager()
        self.renew_tenant()

    def _post(self, path: str, body: dict) -> str:
        answer = httpx.post(f"{self.base}{path}", json=body, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]["access_token"]

    def renew_manager(self) -> None:
        body = {"username": self.admin, "password": PASSWORD}
        self.manager = self._post("/api/v1/manager/auth/login", body)

    def renew_tenant(self) -> None:
        body = {"tenant_code": self.code, "username": self.tenant_admin, "password": PASSWORD}
        self.tenant = self._post("/api/v1/tenants/auth/login", body)

    def for_path(self, path: str) -> str:
        return self.tenant if path.startswith("/api/v1/tenants/") else self.manager

    def still_alive(self, path: str) -> None:
        """Sign in again if the session behind this path's token is over."""
        token = self.for_path(path)
        scope = "tenants" if token == self.tenant else "manager"
        me = httpx.get(
            f"{self.base}/api/v1/{scope}/auth/me",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        if me.status_code == 401:
            self.renew_tenant() if scope == "tenants" else self.renew_manager()


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    from runtime.cli import _insert_admin, upgrade
    from runtime.data.db import async_url

    with fresh_databases(tmp_path_factory.mktemp("fuzz-pg")) as urls:
        upgrade({k: async_url(v) for k, v in urls.items()})
        admin = "fuzz_" + uuid.uuid4().hex[:8]
        assert (
            run_sync(
                _insert_admin(
                    async_url(urls["manager"]), admin, f"{admin}@cxg.example", "Fuzz", PASSWORD
                )
            )
            == 0
        )
        env = {
            **os.environ,
            "CXG_MANAGER_DATABASE_URL": urls["manager"],
            "CXG_TENANT_DATABASE_URL": urls["tenant"],
            "CXG_RATE_LIMIT_ANONYMOUS": "100000000",
            "CXG_RATE_LIMIT_AUTHENTICATED": "100000000",
            "CXG_LOGIN_FAILURES_PER_ADDRESS": "100000000",
            "CXG_LOGIN_FAILURES_PER_ACCOUNT": "100000000",
            "CXG_LOGIN_MAX_FAILURES": "100000000",
        }
        with live_server.serving(env) as base:
            yield base, _tenant_for(base, admin)


def _tenant_for(base: str, admin: str) -> Tokens:
    manager = httpx.post(
        f"{base}/api/v1/manager/auth/login", json={"username": admin, "password": PASSWORD}
    ).json()["data"]["access_token"]
    headers = {"Authorization": f"Bearer {manager}"}
    code = "F" + uuid.uuid4().hex[:8]
    tenant = httpx.post(
        f"{base}/api/v1/manager/tenants", json={"code": code, "name": "Fuzz"}, headers=headers
    ).json()["data"]
    tenant_admin = f"admin.{code.lower()}"
    provisioned = httpx.post(
        f"{base}/api/v1/manager/tenants/{tenant['id']}/provision",
        json={
            "username": tenant_admin,
            "email": f"{tenant_admin}@cxg.example",
            "full_name": "Fuzz Admin",
            "password": PASSWORD,
        },
        headers=headers,
        timeout=30,
    )
    assert provisioned.status_code == 201, provisioned.text
    return Tokens(base, admin, code, tenant_admin)


def _fuzz(operation, mode: GenerationMode, base: str, tokens: Tokens, seen: Counter) -> str | None:
    """Run one operation's cases in one generation mode; the first failure, described."""

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,  # a fixed seed: the same cases on every run
        database=None,
        phases=[Phase.explicit, Phase.generate],  # report the first failure as found
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        token = tokens.for_path(case.path)
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
        response = case.call_and_validate(base_url=base, checks=CHECKS, timeout=30)
        seen[response.status_code // 100 * 100] += 1
        if response.status_code == 401 or case.path.endswith(ENDS_SESSION):
            tokens.still_alive(case.path)

    try:
        run()
    except Unsatisfiable:  # nothing invalid can be sent (GET /health takes no input)
        return None
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected: one run, every operation
        return f"{operation.label} ({mode.value}): {exc}"
    return None


def test_every_operation_keeps_its_contract(fuzz_server):
    base, tokens = fuzz_server
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {op.label for op in operations}
    # both systems, and the operations that end or change what a session is
    assert len(operations) > 500
    for needed in (
        "POST /api/v1/manager/auth/logout",
        "POST /api/v1/tenants/auth/change-password",
        "PATCH /api/v1/tenants/srm/sales-orders/{sales_order_id}/status",
        "DELETE /api/v1/manager/idam/users/{user_id}",
    ):
        assert needed in labels
    seen: Counter = Counter()
    failures = [
        failure
        for operation in operations
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        if (failure := _fuzz(operation, mode, base, tokens, seen))
    ]
    print(f"responses by class: {dict(sorted(seen.items()))}")
    # the run really signed in and got through: many answers were successes
    assert seen[200] > 300 and seen[400] > 1000, seen
    assert not failures, f"{len(failures)} operation(s) broke the contract:\n" + "\n\n".join(
        failures
    )
