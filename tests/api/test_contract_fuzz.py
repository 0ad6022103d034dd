"""The contract, fuzzed: schemathesis generates requests for every operation of both systems
from the served OpenAPI document and sends them to a real `cxg-gen serve` on fresh databases
(a MASTER and two provisioned tenants). It fails on:

- any 5xx, any status the document does not declare, any body or header that breaks the
  declared schema (not_a_server_error, status_code_conformance, response_schema_conformance);
- invalid data accepted, or valid data refused (negative_data_rejection,
  positive_data_acceptance): the request schemas say exactly what the server takes;
- an `Allow` on 405 that does not list the path's methods (allow_header_conformance, one
  OPTIONS per path);
- in the stateful phase, which follows the document's links from each create to the
  operations that take its `data.id`: a created row that cannot be found, or a deleted one
  that still can (ensure_resource_availability, use_after_free);
- a tenant's row that another tenant can read (every 200 on a tenant path that names a row
  is asked again with the second tenant's token, which must get 404).

What a schema cannot say is allowed to answer 4xx through one narrow hook,
:func:`schema_cannot_say`: a valid-looking id of a row that does not exist, an opaque cursor,
password strength, the NUL character (PostgreSQL text cannot hold it), an e-mail address in a
special-use domain (.test), rules across fields or
rows (checks, hooks), and an If-Match naming a version the row does not have (412). Every such
answer must still name its reason; anything else refused is a failure.

Bounded so the suite stays quick (a few minutes): a fixed seed (CXG_FUZZ_SEED) and a few
examples per operation, both printed with the count of requests. Logout and change-password
are fuzzed too; when a request ends the session whose token the run uses, it signs in again.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Flaky, Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    ensure_resource_availability,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from tests import live_server
from tests.database import databases_at_head, run_sync

ROOT = Path(__file__).resolve().parents[2]
SEED = int(os.environ.get("CXG_FUZZ_SEED", "20261207"))
EXAMPLES_PER_OPERATION = 3
STATEFUL_SCENARIOS, STATEFUL_STEPS, STATEFUL_SUITES = 40, 8, 10
ENDS_SESSION = ("/logout", "/change-password")
PASSWORD = "Fuzz-Adm1n-Passw0rd"
# The reasons a request the schema admits may still be refused: each is the `type` of a 422
# problem (runtime.data.references, runtime.data.reading, runtime.logic.row_rules, the hooks).
CANNOT_SAY = {
    "reference_not_found": "an id of the right form naming no live row of the caller's",
    "unknown_entity": "a document type naming no entity (document_type + document_id)",
    "cursor": "a cursor the server did not hand out (opaque)",
    "check": "a rule across fields (end_date >= start_date)",
    "nul_character": "text with U+0000, which PostgreSQL text cannot hold",
    "no_lines": "a hook's business rule (an order ships only with a line)",
    "inactive_line": "a hook's business rule (approval lines)",
    "empty_line": "a hook's business rule (approval lines)",
    "not_approvable": "a document whose state awaits no approval",
    "scope": "an API key scope the caller does not hold",
    "past": "an expiry in the past",
}
# Values only the server issues, refused as unknown (400): like an id naming no row, a
# schema cannot say which exist. Only the "unknown" reason: a spent or expired one the fuzz
# never holds.
UNKNOWN_ISSUED = {
    "TOKEN_INVALID": "a mailed link's one-time token (e-mail verification, password reset)",
    "SSO_STATE_INVALID": "the state of a single sign-on the server started",
}


class Tokens:
    """The manager's session and two tenants' (the second for object-level checks), renewed
    when a fuzzed request ended one."""

    def __init__(self, base: str, admin: str, tenants: list[tuple[str, str]]) -> None:
        self.base, self.admin, self.tenants = base, admin, tenants
        self.manager, self.tenant, self.other = "", "", ""
        self.renew_manager()
        self.renew_tenant()
        self.other = self._sign_in_tenant(*tenants[1])

    def _post(self, path: str, body: dict) -> str:
        answer = httpx.post(f"{self.base}{path}", json=body, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]["access_token"]

    def _sign_in_tenant(self, code: str, username: str) -> str:
        body = {"tenant_code": code, "username": username, "password": PASSWORD}
        return self._post("/api/v1/tenants/auth/login", body)

    def renew_manager(self) -> None:
        body = {"username": self.admin, "password": PASSWORD}
        self.manager = self._post("/api/v1/manager/auth/login", body)

    def renew_tenant(self) -> None:
        self.tenant = self._sign_in_tenant(*self.tenants[0])

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
    from runtime.cli import _insert_admin
    from runtime.data.db import async_url

    with databases_at_head(tmp_path_factory.mktemp("fuzz-pg")) as urls:
        admin = "fuzz_" + uuid.uuid4().hex[:8]
        made = _insert_admin(
            async_url(urls["manager"]), admin, f"{admin}@cxg.example", "Fuzz", PASSWORD
        )
        assert run_sync(made) == 0
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
            yield base, Tokens(base, admin, [_tenant_for(base, admin) for _ in range(2)])


def _tenant_for(base: str, admin: str) -> tuple[str, str]:
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
    return code, tenant_admin


PASSWORDS = {"password", "new_password"}  # strength: letters, digits, 72 bytes (not characters)
# e-mail addresses in special-use domains (RFC 6761: .test, .invalid...), which email-validator
# refuses and `format: email` admits
RESERVED_DOMAIN = "special-use or reserved name"


def schema_cannot_say(response) -> bool:
    """The narrow hook: a 422 whose every problem is one a schema cannot state (CANNOT_SAY,
    or a password's strength), a 412 for a version the row does not have, or a 400 for a
    value only the server issues that it does not know (UNKNOWN_ISSUED)."""
    error = response.json().get("error") or {}
    if response.status_code == 400:
        reason = (error.get("detail") or {}).get("reason")
        return error.get("code") in UNKNOWN_ISSUED and reason == "unknown"
    if response.status_code == 412:
        return error.get("code") == "STALE_VERSION"
    if response.status_code != 422:
        return False
    detail = error.get("detail") or []
    return bool(detail) and all(
        problem.get("type") in CANNOT_SAY
        or (problem.get("field") in PASSWORDS and problem.get("type") == "value_error")
        or RESERVED_DOMAIN in str(problem.get("message"))
        for problem in detail
    )


def positive_data_acceptance_but_what_schemas_cannot_say(ctx, response, case):
    if schema_cannot_say(response):
        return None
    return positive_data_acceptance(ctx, response, case)


class Run:
    """What the run saw: answers by class, requests, object-level probes, failures."""

    def __init__(self, base: str, tokens: Tokens) -> None:
        self.base, self.tokens = base, tokens
        self.seen: Counter = Counter()
        self.probes = 0
        self.scenarios = 0  # stateful scenarios started
        self.failures: list[str] = []
        # one keep-alive connection for all requests: a new client per request made a TLS
        # context each time (the CA bundle read again), a tenth of the run's time
        self.session = requests.Session()
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # none kept
        self.http = httpx.Client(timeout=30)

    def close(self) -> None:
        self.session.close()
        self.http.close()

    def other_tenant_cannot_see(self, ctx, response, case):
        """A tenant's row is not found with another tenant's token: every row a tenant read
        by its id, and every row it created (at its Location)."""
        path = case.operation.path
        if not path.startswith("/api/v1/tenants/") or "/auth/" in path:
            return None
        if case.method == "GET" and "{" in path and response.status_code == 200:
            url = self.base + case.formatted_path
        elif response.status_code == 201 and "location" in response.headers:
            url = self.base + response.headers["location"][0]  # each header: its values
        else:
            return None
        self.probes += 1
        other = self.http.get(url, headers={"Authorization": f"Bearer {self.tokens.other}"})
        assert other.status_code == 404, f"another tenant read {url}: {other.status_code}"
        return None

    @property
    def checks(self) -> list:
        return [
            not_a_server_error,
            status_code_conformance,
            response_schema_conformance,
            negative_data_rejection,
            positive_data_acceptance_but_what_schemas_cannot_say,
            self.other_tenant_cannot_see,
        ]

    def sign(self, case) -> None:
        token = self.tokens.for_path(case.path)
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}

    def after(self, case, status: int) -> None:
        self.seen[status // 100 * 100] += 1
        if status == 401 or case.path.endswith(ENDS_SESSION):
            self.tokens.still_alive(case.path)


def _fuzz(operation, mode: GenerationMode, run: Run) -> None:
    """Run one operation's cases in one generation mode; the first failure is recorded."""

    @seed(SEED)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # report the first failure as found
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case) -> None:
        run.sign(case)
        response = case.call_and_validate(
            base_url=run.base, session=run.session, checks=run.checks, timeout=30
        )
        run.after(case, response.status_code)

    try:
        fuzz()
    except Unsatisfiable:  # nothing invalid can be sent (GET /health takes no input)
        return
    except (
        Exception,
        BaseExceptionGroup,
    ) as exc:  # noqa: BLE001 - collected: one run, every operation
        run.failures.append(f"{operation.label} ({mode.value}): {exc}")


def _allow(schema, run: Run) -> int:
    """OPTIONS on every path: 405 with an Allow that lists exactly its documented methods."""
    paths = {}
    for operation in (result.ok() for result in schema.get_all_operations()):
        paths.setdefault(operation.path, operation)
    for operation in paths.values():
        parameters = {p.name: str(uuid.uuid4()) for p in operation.path_parameters}
        case = operation.Case(method="OPTIONS", path_parameters=parameters)
        run.sign(case)
        try:
            response = case.call_and_validate(
                base_url=run.base,
                session=run.session,
                checks=[allow_header_conformance],
                timeout=30,
            )
            assert response.status_code == 405, (operation.path, response.status_code)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected
            run.failures.append(f"OPTIONS {operation.path}: {exc}")
    return len(paths)


def _stateful(schema, run: Run) -> None:
    """Scenarios along the document's links: create, then read, change, delete the row."""
    checks = [*run.checks, use_after_free, ensure_resource_availability]

    class Scenarios(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self):
            run.scenarios += 1

        def get_call_kwargs(self, case):
            run.sign(case)
            return {"base_url": run.base, "session": run.session, "timeout": 30}

        def after_call(self, response, case):
            super().after_call(response, case)
            run.after(case, response.status_code)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # collected, not raised: a scenario replayed meets another server state, so
            # Hypothesis could only report that its data differed
            try:
                case.validate_response(
                    response, checks=checks, recorder=getattr(self, "recorder", None)
                )
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected
                run.failures.append(f"stateful {case.method} {case.formatted_path}: {exc}")

    # Scenarios change the server, so Hypothesis may meet a rule it drew before disabled (a
    # bundle still empty) and stop the suite as flaky data; as schemathesis's own runner does,
    # the next suite then starts from the next seed, until enough scenarios ran.
    scenarios = 0
    for suite in range(STATEFUL_SUITES):
        Suite = seed(SEED + suite)(type("Suite", (Scenarios,), {}))
        started = run.scenarios
        try:
            Suite.run(
                settings=settings(
                    max_examples=STATEFUL_SCENARIOS - scenarios,
                    stateful_step_count=STATEFUL_STEPS,
                    deadline=None,
                    database=None,
                    # the first failure as found: a replay meets another server state
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
            )
        except Flaky:
            pass
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected
            run.failures.append(f"stateful: {exc}")
            return
        scenarios += run.scenarios - started
        if scenarios >= STATEFUL_SCENARIOS:
            return


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
    run = Run(base, tokens)
    try:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _fuzz(operation, mode, run)
        paths = _allow(schema, run)
        before = sum(run.seen.values())
        _stateful(schema, run)
        stateful = sum(run.seen.values()) - before
    finally:
        run.close()
    print(
        f"seed {SEED}: {len(operations)} operations x {EXAMPLES_PER_OPERATION} examples x 2"
        f" modes, {paths} paths asked OPTIONS, {run.scenarios} stateful scenarios of"
        f" {stateful} requests;"
        f" {sum(run.seen.values())} requests in all, by class {dict(sorted(run.seen.items()))};"
        f" {run.probes} tenant rows asked for by another tenant"
    )
    assert not run.failures, f"{len(run.failures)} failure(s):\n" + "\n\n".join(run.failures)
    # the run really signed in and got through: many answers were successes, the scenarios
    # made rows and read them, and another tenant was asked for some of them
    assert run.seen[200] > 300 and run.seen[400] > 1000, run.seen
    assert run.scenarios >= STATEFUL_SCENARIOS and stateful > 100, (run.scenarios, stateful)
    assert run.probes > 50, run.probes
