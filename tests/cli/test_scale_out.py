"""Many API processes, one truth: two real `cxg-gen serve` processes against one PostgreSQL,
reached through PgBouncer in transaction mode, and one Redis.

Through the pooler, every transaction may run on a different server connection, so nothing a
request relies on may live in a database session: the tenant context and the role are set per
transaction (CXG_DB_POOLER=transaction), prepared statements are not kept, and LISTEN, which
needs a session of its own, goes straight to PostgreSQL (CXG_*_LISTEN_URL). The test shows
that tenants stay apart under concurrent load, a logout on one process is refused by the
other at once, a role change on one reaches the other, rate limits are counted once across
both, and document numbers are unique and gapless across both.

PgBouncer is Debian's package (.ci/run installs it); the test fails, never skips, without it.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.api.test_every_entity import ENTITIES, create_row, url, valid_body
from tests.api.test_rate_limit import redis_url  # noqa: F401 - the fixture: a real Redis
from tests.api.test_tenant_permissions import make_tenant_user
from tests.conftest import login, new_tenant
from tests.live_server import free_port, serving

RATE_LIMIT = 400  # above what the other tests spend per user
CUSTOMERS = "/api/v1/tenants/crm/customers"


@pytest.fixture(scope="module")
def pgbouncer(database_urls, tmp_path_factory) -> Iterator[dict[str, str]]:
    """PgBouncer (transaction pooling) in front of the test server: URLs of both databases
    through it."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    assert Path(binary).exists(), "pgbouncer is not installed: apt-get install pgbouncer"
    server = make_url(database_urls["manager"])
    socket_dir = server.query.get("host")
    if socket_dir:  # the embedded server: its socket, reached as the user that owns it
        target = f"host={socket_dir}"
        runs_as = pwd.getpwuid(Path(str(socket_dir)).stat().st_uid).pw_name
    else:
        target = f"host={server.host} port={server.port or 5432}"
        runs_as = "nobody"
    password = f" password={server.password}" if server.password else ""
    port = free_port()
    workdir = tmp_path_factory.mktemp("pgbouncer")
    workdir.chmod(0o755)  # read by PgBouncer after it drops root
    ini = workdir / "pgbouncer.ini"
    ini.write_text(
        "[databases]\n"
        f"* = {target} user={server.username}{password}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        "auth_type = any\npool_mode = transaction\n"
        "default_pool_size = 6\nmax_client_conn = 400\n"
    )
    ini.chmod(0o644)
    args = [binary, str(ini)] if os.geteuid() else [binary, "-u", runs_as, str(ini)]
    bouncer = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            assert bouncer.poll() is None, f"pgbouncer ended: {bouncer.stderr.read()}"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "pgbouncer did not listen"
                time.sleep(0.1)
        yield {
            name: f"postgresql://{server.username}@127.0.0.1:{port}/{make_url(u).database}"
            for name, u in database_urls.items()
        }
    finally:
        bouncer.terminate()
        bouncer.wait(10)


@pytest.fixture(scope="module")
def servers(database_urls, pgbouncer, redis_url) -> Iterator[list[str]]:  # noqa: F811
    env = {
        **os.environ,
        "CXG_MANAGER_DATABASE_URL": pgbouncer["manager"],
        "CXG_TENANT_DATABASE_URL": pgbouncer["tenant"],
        "CXG_DB_POOLER": "transaction",
        "CXG_MANAGER_LISTEN_URL": database_urls["manager"],
        "CXG_TENANT_LISTEN_URL": database_urls["tenant"],
        "CXG_REDIS_URL": redis_url,
        "CXG_RATE_LIMIT_AUTHENTICATED": str(RATE_LIMIT),
        "CXG_RATE_LIMIT_WINDOW_SECONDS": str(10**9),  # no window ends during the test
    }
    with serving(env) as one, serving(env) as two:
        yield [one, two]


@pytest.fixture(scope="module")
async def clients(servers) -> list[httpx.AsyncClient]:
    made = [httpx.AsyncClient(base_url=base, timeout=60) for base in servers]
    yield made
    for client in made:
        await client.aclose()


@pytest.fixture(scope="module")
async def tenants(clients, admin) -> list[dict]:
    tokens = await login(clients[0], admin["username"], admin["password"])
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    return [await new_tenant(clients[i], auth) for i in (0, 1)]


async def test_tenants_stay_apart_under_concurrent_load_through_the_pooler(clients, tenants):
    """Reads of two tenants interleaved on both processes, many at once: a session-level
    tenant on a pooled server connection would show up here as another tenant's rows."""
    rows: dict[int, list[dict]] = {0: [], 1: []}
    for side, tenant in enumerate(tenants):
        for key in ("crm.customers", "hrm.employees", "ivm.products"):
            entity = ENTITIES[("tenants", key)]
            rows[side].append(
                (entity, (await create_row(clients[side], tenant["headers"], entity))[1])
            )

    async def read(side: int, via: int, entity, row: dict, other: dict) -> None:
        headers, client = tenants[side]["headers"], clients[via]
        listed = await client.get(url(entity), headers=headers, params={"page_size": 100})
        assert listed.status_code == 200, listed.text
        assert {i["tenant_id"] for i in listed.json()["data"]["items"]} == {tenants[side]["id"]}
        mine = await client.get(f"{url(entity)}/{row['id']}", headers=headers)
        assert mine.status_code == 200 and mine.json()["data"]["tenant_id"] == tenants[side]["id"]
        theirs = await client.get(f"{url(entity)}/{other['id']}", headers=headers)
        assert theirs.status_code == 404, theirs.text

    work = [
        read(side, via, entity, row, rows[1 - side][n][1])
        for _ in range(6)
        for side in (0, 1)
        for via in (0, 1)
        for n, (entity, row) in enumerate(rows[side])
    ]
    await asyncio.gather(*work)


async def test_a_logout_on_one_process_is_refused_by_the_other(clients, tenants):
    one, two = clients
    tenant = tenants[0]
    user = await make_tenant_user(one, tenant, ["crm.customers:read"])
    customer = (await create_row(one, tenant["headers"], ENTITIES[("tenants", "crm.customers")]))[1]
    detail = f"{CUSTOMERS}/{customer['id']}"
    assert (await two.get("/api/v1/tenants/auth/me", headers=user["headers"])).status_code == 200
    assert (await two.get(detail, headers=user["headers"])).status_code == 200  # the hot path
    out = await one.post("/api/v1/tenants/auth/logout", headers=user["headers"])
    assert out.status_code == 200, out.text
    assert (await two.get("/api/v1/tenants/auth/me", headers=user["headers"])).status_code == 401
    assert (await two.get(detail, headers=user["headers"])).status_code == 401
    assert (await two.get(CUSTOMERS, headers=user["headers"])).status_code == 401


async def test_a_role_change_on_one_process_reaches_the_other(clients, tenants):
    one, two = clients
    tenant = tenants[1]
    user = await make_tenant_user(one, tenant, ["crm.customers:read"])
    assert (await two.get(CUSTOMERS, headers=user["headers"])).status_code == 200  # cached in two
    taken = await one.patch(
        f"/api/v1/tenants/adm/roles/{user['role_id']}",
        json={"permissions": []},
        headers=tenant["headers"],
    )
    assert taken.status_code == 200, taken.text
    # the change commits with a NOTIFY; two drops its cache when it arrives (milliseconds)
    answers = []
    deadline = time.monotonic() + 5
    while not answers or answers[-1] != 403:
        answers.append((await two.get(CUSTOMERS, headers=user["headers"])).status_code)
        assert time.monotonic() < deadline, f"two still answers {answers[-1]}"
    assert set(answers[:-1]) <= {200}
    # and nothing loaded before the change is cached again after it
    assert [(await two.get(CUSTOMERS, headers=user["headers"])).status_code for _ in range(10)] == [
        403
    ] * 10


async def test_rate_limits_are_counted_once_across_processes(clients, tenants):
    tenant = tenants[0]
    user = await make_tenant_user(clients[0], tenant, ["crm.customers:read"])
    answers = await asyncio.gather(
        *(clients[n % 2].get(CUSTOMERS, headers=user["headers"]) for n in range(RATE_LIMIT + 20))
    )
    codes = [a.status_code for a in answers]
    assert codes.count(200) == RATE_LIMIT and codes.count(429) == 20, codes
    # both processes refuse from now on: the one count is shared
    for client in clients:
        refused = await client.get(CUSTOMERS, headers=user["headers"])
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "RATE_LIMITED"


async def test_document_numbers_are_unique_and_gapless_across_processes(clients, tenants):
    orders = ENTITIES[("tenants", "srm.sales_orders")]
    numbering = next(f for f in orders.fields if f.numbering)
    tenant = tenants[1]
    bodies = [await valid_body(clients[0], tenant["headers"], orders) for _ in range(24)]
    created = await asyncio.gather(
        *(
            clients[n % 2].post(url(orders), json=body, headers=tenant["headers"])
            for n, body in enumerate(bodies)
        )
    )
    assert [c.status_code for c in created] == [201] * len(bodies), created[0].text
    numbers = [c.json()["data"][numbering.name] for c in created]
    assert len(set(numbers)) == len(numbers)
    sequence = sorted(int(re.findall(r"\d+", n)[-1]) for n in numbers)
    assert sequence == list(range(sequence[0], sequence[0] + len(numbers)))
    assert sequence[0] == 1  # a new tenant's first number
    assert uuid.UUID(created[0].json()["data"]["id"])
