"""`cxg-gen db citus --apply` where the database refuses it (here: plain PostgreSQL, which has
no Citus extension to create): the database's words and exit 1, no traceback, nothing applied."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.database import databases_at_head


def test_a_refused_distribution_is_a_clear_error_and_applies_nothing(tmp_path_factory):
    cli = Path(sys.executable).with_name("cxg-gen")
    with databases_at_head(tmp_path_factory.mktemp("citus-refused-pg")) as urls:
        env = {
            **os.environ,
            "CXG_MANAGER_DATABASE_URL": urls["manager"],
            "CXG_TENANT_DATABASE_URL": urls["tenant"],
        }
        ran = subprocess.run(
            [cli, "db", "citus", "--apply"], capture_output=True, text=True, env=env, timeout=120
        )
        policy = subprocess.run(
            [sys.executable, "-c", _POLICY, urls["tenant"]], capture_output=True, text=True
        )
    said = ran.stdout + ran.stderr
    assert ran.returncode == 1, said
    assert "Traceback" not in said
    assert "db citus:" in said and "citus" in said.split("db citus:", 1)[1]
    assert "nothing was applied" in said
    # one transaction: the policies' rewrite for Citus that came first was rolled back too
    assert "SELECT" in policy.stdout, policy.stdout + policy.stderr


_POLICY = """
import asyncio, sys, asyncpg
async def main():
    conn = await asyncpg.connect(sys.argv[1])
    print(await conn.fetchval(
        "SELECT pg_get_expr(polqual, polrelid) FROM pg_policy"
        " WHERE polrelid = 'crm.customers'::regclass"))
    await conn.close()
asyncio.run(main())
"""
