"""set_null on tenant keys (migration 0013): the database holds NO ACTION (Citus refuses SET
NULL on a key that includes the distribution column), the application clears references.

The migration goes up and down on a scratch database with the same 27 keys; on the suite's
database a physical delete that bypasses the application is refused while a row refers to
the row, and the application's clearing before a hard delete lets it go with the reference
cleared, as ON DELETE SET NULL did.
"""

from __future__ import annotations

import uuid

import asyncpg
from alembic import command
from sqlalchemy import select

from generated.tenants.models import metadata
from runtime import migrations
from runtime.data import referrers
from tests.api.test_soft_delete_references import T, _scene
from tests.api.test_tenant_keys import _run, scratch  # noqa: F401 - the scratch database
from tests.database import _asyncpg_args, run_sync

# Tenant keys whose spec says set_null, by (table, name), read from the models.
SET_NULL = {
    (t.fullname, c.name)
    for t in metadata.tables.values()
    for c in t.constraints
    if c.info.get("on_delete") == "SET NULL"
}
ACTIONS = """
SELECT n.nspname || '.' || c.relname AS table_name, k.conname, k.confdeltype::text AS action,
       pg_get_constraintdef(k.oid) AS definition
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE k.contype = 'f' AND cardinality(k.conkey) = 2
"""


async def _actions(conn) -> dict[tuple[str, str], tuple[str, str]]:
    return {(r[0], r[1]): (r[2], r[3]) for r in await conn.fetch(ACTIONS)}


def test_the_migration_moves_set_null_to_the_application_and_back(scratch):  # noqa: F811
    cfg = migrations.config("tenant", scratch)
    command.upgrade(cfg, "0012")
    at_0012 = run_sync(_run(scratch, _actions))
    moved = {k for k in SET_NULL if k in at_0012}  # later tables' keys are NO ACTION from birth
    assert len(moved) == 27
    assert {k for k, (action, _) in at_0012.items() if action == "n"} == moved
    command.upgrade(cfg, "head")
    at_head = run_sync(_run(scratch, _actions))
    assert not [k for k, (action, _) in at_head.items() if action in ("n", "d")]
    assert {k: at_head[k][0] for k in SET_NULL} == dict.fromkeys(SET_NULL, "a")  # NO ACTION
    assert {k: v for k, v in at_head.items() if k in at_0012 and k not in SET_NULL} == {
        k: v for k, v in at_0012.items() if k not in SET_NULL
    }  # no other key changed
    command.check(cfg)  # `cxg-gen db check`: the models say NO ACTION too
    command.downgrade(cfg, "0012")
    assert run_sync(_run(scratch, _actions)) == at_0012  # SET NULL (<ref>) again, as it was


async def test_a_physical_delete_is_refused_then_cleared_by_the_application(
    client, tenant_a, database_urls, app
):
    headers = tenant_a["headers"]
    scene = await _scene(client, headers)
    quote_id = uuid.UUID(scene["quote"]["id"])
    conn = await asyncpg.connect(**_asyncpg_args(database_urls["tenant"]))
    try:
        # straight SQL, past the application: the order still refers to the quote
        try:
            await conn.execute("DELETE FROM srm.quotes WHERE id = $1", quote_id)
            raise AssertionError("the database let a referenced quote go")
        except asyncpg.ForeignKeyViolationError as exc:
            # on Citus the shard's key refuses it, named with the shard's suffix
            assert "fk_sales_orders_quote_id_quotes" in str(exc)
    finally:
        await conn.close()

    # the application's hard delete clears the reference first, as SET NULL would have
    from generated.tenants.srm.quotes.model import Quote
    from runtime.data.db import UnitOfWork
    from runtime.security.principal import Actor

    unit = UnitOfWork(app.state.databases, tenant_id=uuid.UUID(tenant_a["id"]))
    try:
        db = unit.session("tenant")
        quote = (await db.scalars(select(Quote).where(Quote.id == quote_id))).one()
        actor = Actor(
            user_id=uuid.UUID(tenant_a["admin_id"]),
            username=tenant_a["username"],
            system="tenant",
            user_type="ADMIN",
            tenant_id=quote.tenant_id,
        )
        await referrers.clear_before_hard_delete(db, Quote, quote, actor)
        await db.delete(quote)
        await unit.commit()
    finally:
        await unit.close()
    order = await client.get(f"{T}/srm/sales-orders/{scene['order']['id']}", headers=headers)
    assert order.json()["data"]["quote_id"] is None
    assert order.json()["data"]["version"] == scene["order"]["version"] + 1
