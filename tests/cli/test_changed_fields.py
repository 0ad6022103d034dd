"""Changing a table's fields, in a copy of this project, as a developer does it: a field
removed, a required field added without a default, an optional one made required. `db revision` writes the revision
(checking the dropped column first, and saying that the new column needs a default); `db
upgrade` on a database whose live rows would lose values, or cannot take the new column,
stops with what to do (exit 2, no traceback) and applies nothing: the version, the rows and
the table's row-level security stay as they were. With a default, and the values moved away
(soft-deleted rows are not live), the upgrade goes through and fills the old rows."""

from __future__ import annotations

import re
import uuid

from tests.api.test_migrations import _execute, _fetch
from tests.cli.test_removed_table import Databases, _run
from tests.database import run_sync
from tests.generator.helpers import copy_repository, cxg

SPEC = "specs/tenants/crm/customers.yaml"
PHONE = "  phone: {type: phone, required: false, label: {ko: 전화번호, en: Phone}}\n"
ADDRESS = (
    "  address: {type: string, max_length: 300, required: false, label: {ko: 주소, en: Address}}\n"
)
REGION = "  region: {{type: string, max_length: 40{default}, label: {{ko: 지역, en: Region}}}}\n"
VERSIONS = "runtime/migrations/tenant/versions"


def _with_fields(root, default: str = "") -> None:
    spec = root / SPEC
    text = spec.read_text()
    required = PHONE.replace("required: false", "required: true")
    text = text.replace(ADDRESS, "").replace(PHONE, required)
    if "  region:" in text:
        text = "".join(line for line in text.splitlines(True) if not line.startswith("  region:"))
    spec.write_text(text.replace("  grade:", REGION.format(default=default) + "  grade:"))


def _revision(root):
    for old in (root / VERSIONS).glob("*_customers_region.py"):
        old.unlink()
    built = cxg(root, "build")
    assert built.returncode == 0, built.stderr
    assert (
        "tenant database: the model of crm.customers changed: `cxg-gen db check` says whether"
        ' the table needs a migration, and `cxg-gen db revision -m "change crm.customers"`'
        " writes it"
    ) in built.stdout.splitlines()
    revised = _run(root, "db", "revision", "-m", "customers region", "--database", "tenant")
    assert revised.returncode == 0, revised.stderr
    (written,) = (root / VERSIONS).glob("*_customers_region.py")
    return revised, written


def _insert(env, columns: str, rows: str) -> None:
    """Rows of crm.customers, of one new tenant: ``rows`` without the tenant column."""
    tenant = f"'{uuid.uuid4()}', "
    values = rows.replace("('", f"({tenant}'")
    statement = f"INSERT INTO crm.customers (tenant_id, {columns}) VALUES {values}"
    run_sync(_execute(env.urls["tenant"], statement))


def _customers(env) -> list[tuple]:
    query = "SELECT code, address, is_deleted FROM crm.customers ORDER BY code"
    return run_sync(_fetch(env.urls["tenant"], query))


def _forced(env) -> bool:
    query = "SELECT relforcerowsecurity FROM pg_class WHERE oid = 'crm.customers'::regclass"
    return run_sync(_fetch(env.urls["tenant"], query)) == [(True,)]


def test_a_removed_field_and_a_required_one_stop_the_upgrade_with_what_to_do(
    tmp_path, database_urls
):
    root = copy_repository(tmp_path)
    _with_fields(root)
    revised, written = _revision(root)
    assert (
        "note: crm.customers.region is required and has no default: upgrading a database where"
        " crm.customers holds rows will stop there. Give the field a `default:` in its spec"
    ) in revised.stderr
    assert (
        "note: crm.customers.phone is now required: upgrading a database where a row of"
        " crm.customers has no value in it will stop there."
    ) in revised.stderr
    upgrade = written.read_text().split("def upgrade()", 1)[1].split("def downgrade()")[0]
    assert upgrade.index('refuse_data_loss(columns=("crm.customers.address",))') < upgrade.index(
        'op.drop_column("customers", "address", schema="crm")'
    )
    before = f"{int(written.name[:4]) - 1:04d}"

    env = Databases(database_urls["tenant"])
    try:
        _insert(
            env,
            "code, name, address, is_deleted, phone",
            "('C1', 'One', 'Seoul', false, '010-1111-2222'),"
            " ('C2', 'Two', NULL, false, '010-3333-4444'),"
            " ('C3', 'Three', 'Busan', true, '010-5555-6666')",
        )
        rows = _customers(env)
        assert rows == [("C1", "Seoul", False), ("C2", None, False), ("C3", "Busan", True)]

        refused = _run(root, "db", "upgrade", env=env.variables)
        assert refused.returncode == 2, refused.stderr
        assert "Traceback" not in refused.stderr
        assert (
            "tenant database: this migration drops the column crm.customers.address (1 live row"
            " holds a value): the values would be lost. A renamed field is a rename, not a drop:"
            " say `renamed_from: <old name>` on it in its spec, `cxg-gen build`, delete this"
            " revision and write it again."
        ) in refused.stderr
        assert "; nothing of it was applied" in refused.stderr
        assert (env.version(), _customers(env), _forced(env)) == (before, rows, True)

        # allowed to lose the addresses, the new column still cannot be filled
        unfilled = _run(root, "db", "upgrade", "--allow-data-loss", env=env.variables)
        assert unfilled.returncode == 2, unfilled.stderr
        assert "Traceback" not in unfilled.stderr
        assert (
            'tenant database: PostgreSQL refused a migration\'s statement: column "region" of'
            ' relation "customers" contains null values [ALTER TABLE crm.customers ADD COLUMN'
            " region VARCHAR(40) NOT NULL]. A required field added to a table that holds rows"
            " needs a `default:` in its spec"
        ) in unfilled.stderr
        assert (env.version(), _customers(env), _forced(env)) == (before, rows, True)

        # what the messages say to do: a default, the revision again, the live value moved
        _with_fields(root, default=", default: SEOUL")
        again, written = _revision(root)
        assert "is required and has no default" not in again.stderr
        run_sync(
            _execute(
                env.urls["tenant"], "UPDATE crm.customers SET address = NULL WHERE code = 'C1'"
            )
        )
        applied = _run(root, "db", "upgrade", env=env.variables)
        assert applied.returncode == 0, applied.stderr
        assert env.version() == written.name[:4]
        query = "SELECT code, region FROM crm.customers ORDER BY code"
        assert run_sync(_fetch(env.urls["tenant"], query)) == [
            ("C1", "SEOUL"),
            ("C2", "SEOUL"),
            ("C3", "SEOUL"),
        ]
        assert _forced(env)
    finally:
        env.drop()


def test_a_renamed_field_keeps_its_values(tmp_path, database_urls):
    """`renamed_from:` turns the drop and the add into one rename, both ways, with what else
    changed (here the length); the old rows keep their values and `db check` agrees."""
    root = copy_repository(tmp_path)
    spec = root / SPEC
    street = ADDRESS.replace("address:", "street:").replace("max_length: 300", "max_length: 400")
    spec.write_text(
        spec.read_text().replace(ADDRESS, street.replace("required: false", "required: false,"
                                                          " renamed_from: address"))
    )  # fmt: skip
    built = cxg(root, "build")
    assert built.returncode == 0, built.stderr
    revised = _run(root, "db", "revision", "-m", "customers street", "--database", "tenant")
    assert revised.returncode == 0, revised.stderr
    assert "renamed crm.customers.address -> street (renamed_from in its spec)" in revised.stderr
    (written,) = (root / VERSIONS).glob("*_customers_street.py")
    upgrade, downgrade = written.read_text().split("def upgrade()", 1)[1].split("def downgrade()")
    assert "drop_column" not in upgrade and "add_column" not in upgrade
    assert "refuse_data_loss" not in upgrade
    for part, old, new, length in (
        (upgrade, "address", "street", 400),
        (downgrade, "street", "address", 300),
    ):
        call = part[part.index("op.alter_column(") :]
        assert call.startswith(f'op.alter_column(\n        "customers",\n        "{old}",'), call
        assert f'new_column_name="{new}"' in call
        assert re.search(rf"\btype_=sa\.\w+\(length={length}\)", call), call

    env = Databases(database_urls["tenant"])
    try:
        _insert(env, "code, name, address", "('C1', 'One', 'Seoul'), ('C2', 'Two', NULL)")
        applied = _run(root, "db", "upgrade", env=env.variables)
        assert applied.returncode == 0, applied.stderr
        query = "SELECT code, street FROM crm.customers ORDER BY code"
        assert run_sync(_fetch(env.urls["tenant"], query)) == [("C1", "Seoul"), ("C2", None)]
        assert _forced(env)
    finally:
        env.drop()
    checked = _run(root, "db", "check")
    assert checked.returncode == 0, checked.stderr
    assert "tenant: migrations match the models" in checked.stderr
