"""The cxg-gen CLI as users run it: build, check, schema, determinism, idempotency."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.generator.helpers import copy_of, cxg, make_project, snapshot


@pytest.fixture(scope="module")
def built_once(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("built"))
    result = cxg(root, "build")
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def built(built_once, tmp_path):
    return copy_of(built_once, tmp_path)


def test_build_is_deterministic_across_hash_seeds(tmp_path):
    first, second = make_project(tmp_path / "a"), make_project(tmp_path / "b")
    assert cxg(first, "build", seed="0").returncode == 0
    assert cxg(second, "build", seed="12345").returncode == 0
    a = {k: v[0] for k, v in snapshot(first).items()}
    b = {k: v[0] for k, v in snapshot(second).items()}
    assert len(a) > 20
    assert a == b


def test_warm_format_cache_writes_the_same_bytes(built):
    """The second build takes formatted files from .cxg/cache/format: same bytes as ruff's."""
    cold = {k: v[0] for k, v in snapshot(built).items()}
    cached = list((built / ".cxg/cache/format").rglob("*"))
    assert len([p for p in cached if p.is_file()]) >= 20
    shutil.rmtree(built / "generated")
    assert cxg(built, "build").returncode == 0
    assert {k: v[0] for k, v in snapshot(built).items()} == cold


def test_check_reads_the_format_cache_but_never_writes_it(built):
    shutil.rmtree(built / ".cxg/cache/format")
    assert cxg(built, "check").returncode == 0
    assert not (built / ".cxg/cache/format").exists()


def test_second_build_writes_nothing(built):
    before = snapshot(built)
    again = cxg(built, "build")
    assert again.returncode == 0
    assert ": 0 written, 0 removed," in again.stdout
    assert snapshot(built) == before  # same bytes, same modification times


def test_removed_spec_removes_its_outputs(built):
    (built / "specs/manager/shop/price_logs.yaml").unlink()
    result = cxg(built, "build")
    assert result.returncode == 0, result.stderr
    said = result.stdout.splitlines()
    # each removed file is named (an entity's folder on one line), then what the table needs
    assert said[:2] == [
        "removed generated/manager/shop/price_logs/ (__init__.py, model.py, router.py,"
        " schemas.py, service.py)",
        "manager database: the table of shop.price_logs stays until a migration drops it:"
        ' `cxg-gen db revision -m "drop shop.price_logs"` writes it; it refuses to drop a table'
        " that still holds live rows (`cxg-gen db upgrade --allow-data-loss` drops them anyway)",
    ]
    assert ", 5 removed," in said[2]
    as_json = json.loads(cxg(built, "build", "--format", "json").stdout)
    assert as_json["removed"] == 0 and as_json["tables_removed"] == []  # nothing left to do
    assert not (built / "generated/manager/shop/price_logs").exists()
    assert (built / "generated/manager/shop/products/model.py").exists()
    v1 = (built / "generated/manager/v1.py").read_text()
    assert "price_logs" not in v1


def test_check_clean_exits_0_and_writes_nothing(built):
    before = snapshot(built)
    result = cxg(built, "check")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "up to date" in result.stdout
    assert snapshot(built) == before


def test_check_reports_a_changed_file_with_a_diff(built):
    target = built / "generated/manager/shop/products/schemas.py"
    target.write_text(target.read_text().replace("상품", "HAND EDIT", 1))
    before = snapshot(built)
    result = cxg(built, "check")
    assert result.returncode == 1
    assert "changed: generated/manager/shop/products/schemas.py" in result.stderr
    assert "--- a/generated/manager/shop/products/schemas.py" in result.stdout
    assert "-" in result.stdout and "HAND EDIT" in result.stdout
    assert snapshot(built) == before  # check never writes


def test_check_reports_missing_and_extra_files(built):
    (built / "generated/manager/shop/categories/router.py").unlink()
    (built / "generated/manager/shop/stray.py").write_text("x = 1\n")
    result = cxg(built, "check")
    assert result.returncode == 1
    assert "missing: generated/manager/shop/categories/router.py" in result.stderr
    assert "extra: generated/manager/shop/stray.py" in result.stderr
    assert "+++ /dev/null" in result.stdout  # the extra file shown as removed
    fixed = cxg(built, "build")
    assert fixed.returncode == 0
    assert cxg(built, "check").returncode == 0
    assert not (built / "generated/manager/shop/stray.py").exists()


def test_check_covers_the_er_diagrams(built):
    diagram = built / "docs/er/manager-shop.md"
    assert "erDiagram" in diagram.read_text()
    assert "shop_categories |o--o{ shop_categories" in diagram.read_text()  # optional self-ref
    assert "shop_categories ||--o{ shop_products" in diagram.read_text()  # required ref
    diagram.unlink()
    result = cxg(built, "check")
    assert result.returncode == 1 and "missing: docs/er/manager-shop.md" in result.stderr
    assert cxg(built, "graph").returncode == 0
    assert diagram.exists() and cxg(built, "check").returncode == 0


FREE_STATUS = (
    "specs/manager/shop/products.yaml:20:106: warning: fields.status.status_endpoint: no"
    " transitions, so PATCH /{id}/status takes any move between DRAFT, ON_SALE, RETIRED (add"
    " transitions: {FROM: [TO, ...]} to allow only some)"
)


def test_a_status_without_transitions_is_a_located_warning_not_an_error(tmp_path):
    """shop.products has a status endpoint and no state machine: build and check succeed and
    say so where it is written, every time (the short way repeats what the build said); the
    status starts at its default, never taken from a create body, like a state machine's."""
    root = make_project(tmp_path)
    for command in ("build", "build", "check"):
        result = cxg(root, command)
        assert result.returncode == 0, result.stderr
        assert result.stderr.splitlines() == [FREE_STATUS], (command, result.stderr)
    as_json = json.loads(cxg(root, "check", "--format", "json").stdout)
    assert [w["line"] for w in as_json["warnings"]] == [20]
    schemas = (root / "generated/manager/shop/products/schemas.py").read_text()
    create = schemas.split("class ManagerProductBase", 1)[1].split("class ManagerProductUpdate")[0]
    assert "status" not in create  # neither Base nor Create (nor LineCreate) takes it
    response = schemas.split("class ManagerProductResponse", 1)[1].split("\nclass ")[0]
    assert "status: ManagerProductStatus = " in response  # the answer shows it (a named enum)
    service = (root / "generated/manager/shop/products/service.py").read_text()
    assert '"status", status, actor, expected=expected' in service  # no moves: any move
    spec = root / "specs/manager/shop/products.yaml"
    spec.write_text(spec.read_text().replace("status_endpoint: true}", "status_endpoint: true,"
                                             " transitions: {DRAFT: [ON_SALE]}}"))  # fmt: skip
    machine = cxg(root, "build")
    assert machine.returncode == 0 and machine.stderr == ""  # a state machine: nothing to say


def test_a_status_without_a_default_is_refused(tmp_path):
    root = make_project(tmp_path)
    spec = root / "specs/manager/shop/products.yaml"
    spec.write_text(spec.read_text().replace("default: DRAFT, ", ""))
    result = cxg(root, "build")
    assert result.returncode == 2
    assert (
        "specs/manager/shop/products.yaml:20:90: fields.status.status_endpoint: a status field"
        " needs a default: new rows start there (create does not take it)"
    ) in result.stderr


def test_a_new_spec_is_named_with_the_migration_it_needs(built):
    spec = built / "specs/manager/shop/orders.yaml"
    (built / "specs/manager/shop/returns.yaml").write_text(
        spec.read_text().replace("entity: Order", "entity: Return").replace("Order}", "Return}")
    )
    result = cxg(built, "build", "--format", "json")
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["tables_added"] == [{"database": "manager", "table": "shop.returns"}]
    assert outcome["tables_removed"] == [] and outcome["removed_files"] == []


def test_schema_command_matches_the_kept_schema_file(built):
    result = cxg(built, "schema", "entity")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"entity", "label", "fields"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False
    assert result.stdout == (built / "specs/entity.schema.json").read_text()


def test_check_needs_no_database(built, monkeypatch):
    """check runs with no database settings at all and without the runtime's machinery."""
    shutil.rmtree(built / "generated/manager/shop/products")
    result = cxg(built, "check", "-q")
    assert result.returncode == 1
    assert "missing: generated/manager/shop/products/model.py" in result.stderr
    import subprocess
    import sys

    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, generator.cli, generator.render.pipeline; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('fastapi', 'sqlalchemy', 'asyncpg', 'runtime')))",
        ],
        capture_output=True,
        text=True,
    )
    # the one runtime module the generator shares: the document's stamp (standard library only)
    assert probe.stdout.strip() == "['runtime', 'runtime.web', 'runtime.web.docstamp']"


def test_the_runtime_never_imports_the_generator():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "runtime"
    found = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            found += [
                f"{path.relative_to(root)}: {n}" for n in names if n.split(".")[0] == "generator"
            ]
    assert found == []
