"""Removing a table, in a copy of this project, as a developer does it: `build` names the files
it removed and says the table needs a migration; `db revision` writes one whose upgrade first
checks the table it drops, and `db upgrade` refuses while the table still holds live rows
(nothing applied, the rows kept) until told to let them go; soft-deleted rows are not live."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid

from sqlalchemy.engine import make_url

from runtime import migrations
from tests.api.test_migrations import _execute, _fetch
from tests.database import create_databases, run_sync
from tests.generator.helpers import copy_repository, cxg

LEADS = ("__init__.py", "model.py", "router.py", "schemas.py", "service.py")


def _run(root, *args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "generator.cli", *args],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root), **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_removed_table_is_named_and_its_dropping_revision_refuses_live_rows(
    tmp_path, database_urls
):
    root = copy_repository(tmp_path)
    (root / "specs/tenants/crm/leads.yaml").unlink()
    built = cxg(root, "build")
    assert built.returncode == 0, built.stderr
    said = built.stdout.splitlines()
    assert f"removed generated/tenants/crm/leads/ ({', '.join(LEADS)})" in said
    assert (
        "tenant database: the table of crm.leads stays until a migration drops it:"
        ' `cxg-gen db revision -m "drop crm.leads"` writes it; it refuses to drop a table that'
        " still holds live rows (`cxg-gen db upgrade --allow-data-loss` drops them anyway)"
    ) in said
    assert not (root / "generated/tenants/crm/leads").exists()

    revised = _run(root, "db", "revision", "-m", "drop crm.leads", "--database", "tenant")
    assert revised.returncode == 0, revised.stderr
    (written,) = (root / "runtime/migrations/tenant/versions").glob("*_drop_crm_leads.py")
    upgrade = written.read_text().split("def upgrade()", 1)[1].split("def downgrade()")[0]
    assert upgrade.index('refuse_data_loss("crm.leads")') < upgrade.index(
        'op.drop_table("leads", schema="crm")'
    )

    env = Databases(database_urls["tenant"])
    try:
        tenant = env.insert_leads(live=2, deleted=1)
        refused = _run(root, "db", "upgrade", env=env.variables)
        assert refused.returncode == 2, refused.stderr
        assert "Traceback" not in refused.stderr
        assert (
            "tenant database: this migration drops crm.leads (2 live rows): their data would be"
            " lost. Move or export the rows first (or delete them), or drop them knowingly:"
            " `cxg-gen db upgrade --allow-data-loss`"
        ) in refused.stderr
        assert env.leads() == [(tenant, "deleted 0", True), (tenant, "live 0", False),
                               (tenant, "live 1", False)]  # fmt: skip
        assert env.version() == f"{int(written.name[:4]) - 1:04d}"  # nothing of it applied

        allowed = _run(root, "db", "upgrade", "--allow-data-loss", env=env.variables)
        assert allowed.returncode == 0, allowed.stderr
        assert env.version() == written.name[:4]
        assert env.leads() is None  # the table is gone, rows and all
    finally:
        env.drop()

    # rows that are all soft-deleted are not live: an ordinary upgrade drops the table
    env = Databases(database_urls["tenant"])
    try:
        env.insert_leads(live=0, deleted=2)
        dropped = _run(root, "db", "upgrade", env=env.variables)
        assert dropped.returncode == 0, dropped.stderr
        assert env.leads() is None
    finally:
        env.drop()


class Databases:
    """A new manager and tenant database at the repository's head (where crm.leads exists)."""

    def __init__(self, any_url: str) -> None:
        server = make_url(any_url).set(database="postgres")
        self.admin = server.render_as_string(hide_password=False)
        names = {d: f"cxg_test_drop_{d}_{uuid.uuid4().hex[:8]}" for d in migrations.DATABASES}
        self.names = list(names.values())
        self.urls = create_databases(self.admin, names, at_head=True)
        self.variables = {
            "CXG_MANAGER_DATABASE_URL": self.urls["manager"],
            "CXG_TENANT_DATABASE_URL": self.urls["tenant"],
        }

    def insert_leads(self, *, live: int, deleted: int) -> str:
        tenant = str(uuid.uuid4())
        rows = [f"('{tenant}', 'live {i}', false)" for i in range(live)]
        rows += [f"('{tenant}', 'deleted {i}', true)" for i in range(deleted)]
        insert = "INSERT INTO crm.leads (tenant_id, name, is_deleted) VALUES " + ", ".join(rows)
        run_sync(_execute(self.urls["tenant"], insert))
        return tenant

    def leads(self) -> list[tuple] | None:
        """Every row of crm.leads (owner's view), or None when the table is gone."""
        url = self.urls["tenant"]
        if run_sync(_fetch(url, "SELECT to_regclass('crm.leads') IS NULL")) == [(True,)]:
            return None
        query = "SELECT tenant_id::text, name, is_deleted FROM crm.leads ORDER BY name"
        return run_sync(_fetch(url, query))

    def version(self) -> str:
        query = "SELECT version_num FROM public.alembic_version"
        ((version,),) = run_sync(_fetch(self.urls["tenant"], query))
        return str(version)

    def drop(self) -> None:
        for name in self.names:
            run_sync(_execute(self.admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_a_removed_domain_gets_its_dropping_revision(tmp_path):
    """Every spec of a domain removed: no model names its schema any more, yet `db revision`
    sees its tables (and replays the old revisions that made them on a new database), drops
    them behind the same check, and `db check` then finds models and migrations agreeing."""
    root = copy_repository(tmp_path)
    shutil.rmtree(root / "specs/tenants/bim")
    built = cxg(root, "build")
    assert built.returncode == 0, built.stderr
    assert (
        "tenant database: the tables of bim.dashboard_widgets, bim.dashboards, bim.reports stay"
        " until a migration drops them"
    ) in built.stdout
    revised = _run(root, "db", "revision", "-m", "drop bim", "--database", "tenant")
    assert revised.returncode == 0, revised.stderr
    (written,) = (root / "runtime/migrations/tenant/versions").glob("*_drop_bim.py")
    upgrade = written.read_text().split("def upgrade()", 1)[1].split("def downgrade()")[0]
    guard = upgrade.index(
        'refuse_data_loss("bim.dashboard_widgets", "bim.dashboards", "bim.reports")'
    )
    for table in ("dashboard_widgets", "dashboards", "reports"):
        assert guard < upgrade.index(f'op.drop_table("{table}", schema="bim")')
    checked = _run(root, "db", "check")
    assert checked.returncode == 0, checked.stderr
    assert "tenant: migrations match the models" in checked.stderr
