"""Removing a table whose entity has a hand-owned hook module, in a copy of this project: build
and check refuse before writing anything (the app would refuse to start with the module), say
where and what to do, and serve says the same plainly instead of failing with a traceback. A
failure only the starting app finds (a hook importing the model of a removed table) puts
generated/ back as it was."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from tests.generator.helpers import copy_repository, cxg, snapshot

HOOK = "runtime/extensions/tenants/crm/leads.py"


def test_removing_a_table_with_a_hook_writes_nothing_and_says_what_to_do(tmp_path):
    root = copy_repository(tmp_path)
    assert cxg(root, "extend", "tenants", "crm.leads").returncode == 0
    built = cxg(root, "build")
    assert built.returncode == 0, built.stderr
    (root / "specs/tenants/crm/leads.yaml").unlink()
    before = snapshot(root)
    assert "generated/openapi.json" in before and "generated/tenants/crm/leads/model.py" in before
    for command in ("build", "check"):
        result = cxg(root, command)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        problems = [line for line in result.stderr.splitlines() if line.startswith("runtime/")]
        assert problems == [
            f"{HOOK}:1:1: hook module of crm.leads, an entity specs/tenants does not have"
            " (specs/tenants/crm/leads.yaml is gone): the app refuses to start with it. Delete it"
            " (move the rules it still needs to the module of the entity that takes them over:"
            " `cxg-gen extend tenants <domain>.<table>`), or restore the spec"
        ]
        assert "1 problem(s) in hand-owned modules; nothing written." in result.stderr
    assert snapshot(root) == before  # generated/ and its OpenAPI document untouched

    # generated/ without the table (as a build that stopped half-way used to leave it): serve
    # names the module and stops, before any database or worker is started
    shutil.rmtree(root / "generated/tenants/crm/leads")
    served = subprocess.run(
        [sys.executable, "-m", "generator.cli", "serve"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert served.returncode == 2, served.stderr
    assert "Traceback" not in served.stderr
    assert served.stderr.splitlines() == [
        f"{HOOK}: hook module of crm.leads, an entity the generated code does not have"
        " (specs/tenants/crm/leads.yaml removed?): delete the module or restore the spec,"
        " then `cxg-gen build`",
        "cannot serve: the hand-owned modules above do not fit the code",
    ]

    (root / HOOK).unlink()  # what the message says: then the table goes
    done = cxg(root, "build")
    assert done.returncode == 0, done.stderr
    assert not (root / "generated/tenants/crm/leads").exists()


def test_a_failure_only_the_starting_app_finds_puts_generated_back(tmp_path):
    """The shipped hook of srm.sales_orders imports crm.activities' model: removing that spec
    passes every check of the files, and the app fails when build starts it for the document.
    Build then restores every file it had written or removed (bytes and times) and says where
    the app stopped."""
    root = copy_repository(tmp_path)
    (root / "specs/tenants/crm/activities.yaml").unlink()
    before = snapshot(root)
    result = cxg(root, "build")
    assert result.returncode == 2, result.stderr
    hook = (root / "runtime/extensions/tenants/srm/sales_orders.py").read_text().splitlines()
    line = hook.index("from generated.tenants.crm.activities.model import Activity") + 1
    assert (
        f"runtime/extensions/tenants/srm/sales_orders.py:{line}:1: the app does not start:"
        " ModuleNotFoundError: No module named 'generated.tenants.crm.activities'"
    ) in result.stderr
    assert "nothing written." in result.stderr
    assert snapshot(root) == before
