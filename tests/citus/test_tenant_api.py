"""The tenant API on Citus: the spec-driven tests of tests/api, run against a distributed
tenant database. Each test here is one of those, called as it is, for the tenant scope only
(the manager database stays on plain PostgreSQL): CRUD of every tenant entity over HTTP, the
hot path answering as the routers do, isolation with the application's filter and with
row-level security alone, documents with lines, derived totals, approvals, references on
delete, and a refused row answered 403. Simple creates, which the hot path answers in one
statement on plain PostgreSQL, go through the routers on Citus (and are checked to).
"""

from __future__ import annotations

import pytest

from tests.api import test_every_entity as every
from tests.api import test_hot_path as hot
from tests.api import test_isolation as isolation
from tests.api.conftest import headers_of  # noqa: F401 - the fixture
from tests.api.test_approvals import (  # noqa: F401 - the tests and their fixture
    flow,
    test_a_rejection_ends_the_request_and_rejects_the_document,
    test_the_actions_need_their_codes_and_stay_in_the_tenant,
    test_two_approvers_in_order_approve_the_document,
)
from tests.api.test_derived import (  # noqa: F401
    test_amounts_and_the_total_follow_every_line_change,
    test_twenty_concurrent_line_writes_keep_the_total,
)
from tests.api.test_documents import (  # noqa: F401
    test_a_detail_shows_the_first_lines_and_counts_them_all,
    test_concurrent_documents_never_share_a_number,
    test_tenant_order_with_its_items_in_one_request,
)
from tests.api.test_isolation import (  # noqa: F401
    rows,
    test_body_cannot_choose_the_tenant_or_the_bookkeeping,
)
from tests.api.test_rls import (  # noqa: F401
    test_every_tenant_table_has_forced_rls_and_the_policy,
    test_the_app_role_sees_and_writes_only_its_tenant,
)
from tests.api.test_row_security_errors import (  # noqa: F401
    test_a_refused_row_from_the_driver_is_403,
    test_a_refused_row_in_the_unit_of_work_is_403,
)
from tests.api.test_set_null_keys import (  # noqa: F401
    test_a_physical_delete_is_refused_then_cleared_by_the_application,
)
from tests.api.test_soft_delete_references import (  # noqa: F401
    test_a_refused_delete_changes_nothing,
    test_restrict_refuses_while_live_rows_refer,
    test_set_null_clears_the_reference,
)

TENANT = [e for e in every.SERVED if e.scope.name == "tenants"]
CREATABLE = [e for e in TENANT if e.has("create")]
READ_ONLY = [e for e in TENANT if not e.has("create")]
READABLE = [e for e in TENANT if e.has("list")]
HOT_CREATES = [e for e in TENANT if e.hot_create]
REFERENCES = [(e, f) for e, f in isolation.REFERENCES if e.scope.name == "tenants"]


@pytest.mark.parametrize("entity", CREATABLE, ids=every.ident)
async def test_crud(client, headers_of, entity):  # noqa: F811
    await every.test_crud(client, headers_of, entity)


@pytest.mark.parametrize("entity", READ_ONLY, ids=every.ident)
async def test_read_only_resources(client, headers_of, entity):  # noqa: F811
    await every.test_read_only_resources(client, headers_of, entity)


@pytest.mark.parametrize("entity", READABLE, ids=every.ident)
async def test_hot_answers_equal_the_routers(client, long_way, headers_of, entity):  # noqa: F811
    await hot.test_hot_answers_equal_the_routers(client, long_way, headers_of, entity)


@pytest.mark.parametrize("entity", HOT_CREATES, ids=every.ident)
async def test_simple_creates_go_the_long_way(client, headers_of, entity):  # noqa: F811
    """On Citus the hot path's one-statement create (INSERT ... SELECT with its audit row) is
    run by Citus through COPY, which row-level security refuses, and some forms of it crashed
    the coordinator: there every create goes through the routers, and succeeds."""
    auth = headers_of[entity.scope.name]
    body = await every.valid_body(client, auth, entity)
    state = hot.hot(client)
    served = state.served
    created = await client.post(every.url(entity), json=body, headers=auth)
    assert created.status_code == 201, f"{entity.key}: {created.text}"
    assert state.served == served  # not answered by the hot path


@pytest.mark.parametrize("entity", TENANT, ids=every.ident)
async def test_a_never_reaches_bs_rows(client, rows, tenant_a, tenant_b, entity):  # noqa: F811
    await isolation.test_a_never_reaches_bs_rows(client, rows, tenant_a, tenant_b, entity)


@pytest.mark.parametrize("entity", TENANT, ids=every.ident)
async def test_row_level_security_alone_hides_bs_rows(owner, rows, tenant_a, entity):  # noqa: F811
    await isolation.test_row_level_security_alone_hides_bs_rows(owner, rows, tenant_a, entity)


@pytest.mark.parametrize(
    "entity,field", REFERENCES, ids=lambda v: getattr(v, "key", None) or v.name
)
async def test_a_cannot_reference_bs_rows(client, rows, tenant_a, entity, field):  # noqa: F811
    await isolation.test_a_cannot_reference_bs_rows(client, rows, tenant_a, entity, field)
