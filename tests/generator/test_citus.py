"""The Citus distribution DDL (docs/citus/tenants.sql): what build writes and `db citus`
prints, one call per tenant table, each table after the tables its foreign keys reference,
all co-located by tenant_id."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from generator.load.loader import load_project
from tests.generator.helpers import REPO

DDL = REPO / "docs" / "citus" / "tenants.sql"
CALL = re.compile(
    r"^SELECT create_distributed_table\('([a-z_]+\.[a-z_]+)', 'tenant_id', "
    r"colocate_with => '([a-z_.]+)'\);$",
    re.M,
)


def test_every_tenant_table_is_distributed_after_what_it_references():
    project = load_project(REPO)
    (tenants,) = [s for s in project.scopes if s.info.tenant_scoped]
    calls = CALL.findall(DDL.read_text())
    order = [table for table, _ in calls]
    assert sorted(order) == sorted(f"{e.domain}.{e.table}" for e in tenants.entities)
    first = order[0]
    assert calls[0][1] == "none" and {c for _, c in calls[1:]} == {first}
    position = {table: i for i, table in enumerate(order)}
    for entity in tenants.entities:
        me = f"{entity.domain}.{entity.table}"
        for key in entity.foreign_keys:
            target = key.references[0].rsplit(".", 1)[0]
            assert key.columns[-1] == "tenant_id" and key.references[-1].endswith(".tenant_id")
            if target != me:
                assert position[target] < position[me], f"{me} before {target}"


def test_db_citus_prints_what_build_wrote():
    cli = Path(sys.executable).with_name("cxg-gen")
    printed = subprocess.run(
        [cli, "db", "citus", "--root", str(REPO)], capture_output=True, text=True, check=True
    )
    assert printed.stdout == DDL.read_text()


def test_apply_runs_the_files_statements_in_its_order():
    """`db citus --apply` runs what the file says, statement by statement, in its order."""
    from runtime.tenancy import citus

    statements = citus.statements(DDL.read_text())
    assert statements[0] == "CREATE EXTENSION IF NOT EXISTS citus"
    assert [s + ";" for s in statements[1:]] == [m.group(0) for m in CALL.finditer(DDL.read_text())]
