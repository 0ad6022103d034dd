"""A new domain, as a developer adds one, in a copy of this project: a document with lines, a
state machine, a status without one, a derived total, a document number and a hand-owned hook,
with no test written for any of it. Built and migrated, the spec-driven suites run over it
(`pytest tests/api --domain tenants.mfg`, the command the README gives) and exercise its lines,
its transitions and its hook; only its tests run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

from sqlalchemy.engine import make_url

from tests.generator.helpers import REPO, copy_repository, cxg

SPECS = {
    "_domain.yaml": """\
code: mfg
label: {ko: 생산, en: Manufacturing}
""",
    "work_centers.yaml": """\
entity: WorkCenter
label: {ko: 작업장, en: Work center}
fields:
  code: {type: string, max_length: 20, unique: true, search: true, sort: true, label: {ko: 코드, en: Code}}
  name: {type: string, max_length: 100, search: true, sort: true, label: {ko: 이름, en: Name}}
  capacity: {type: integer, default: 1, min: 1, max: 1000, label: {ko: 동시 작업 수, en: Capacity}}
  status: {type: enum, values: [ACTIVE, IDLE, DOWN], default: ACTIVE, filter: true, status_endpoint: true, label: {ko: 상태, en: Status}}
""",
    "work_order_operations.yaml": """\
entity: WorkOrderOperation
label: {ko: 작업 공정, en: Work order operation}
soft_delete: false
default_sort: step_no
fields:
  work_order_id: {type: ref, to: mfg.work_orders, on_delete: cascade, parent: true, filter: true, label: {ko: 작업 지시, en: Work order}}
  step_no: {type: integer, min: 1, max: 999, sort: true, label: {ko: 순서, en: Step}}
  work_center_id: {type: ref, to: mfg.work_centers, filter: true, label: {ko: 작업장, en: Work center}}
  minutes: {type: integer, min: 1, max: 10000, label: {ko: 작업 시간(분), en: Minutes}}
unique_together:
  - [work_order_id, step_no]
""",
    "work_orders.yaml": """\
entity: WorkOrder
label: {ko: 작업 지시, en: Work order}
fields:
  order_no: {type: string, max_length: 30, unique: true, numbering: "WO-{yyyy}{mm}-{seq:4}", search: true, sort: true, label: {ko: 지시 번호, en: Order number}}
  product: {type: string, max_length: 100, search: true, label: {ko: 제품, en: Product}}
  work_center_id: {type: ref, to: mfg.work_centers, filter: true, label: {ko: 작업장, en: Work center}}
  planned_start: {type: date, sort: true, label: {ko: 시작 예정일, en: Planned start}}
  planned_end: {type: date, sort: true, label: {ko: 종료 예정일, en: Planned end}}
  total_minutes: {type: integer, default: 0, derived: "sum(operations.minutes)", label: {ko: 총 작업 시간(분), en: Total minutes}}
  origin: {type: string, max_length: 40, required: false, read_only: true, label: {ko: 출처, en: Origin}}
  status:
    type: enum
    values: [PLANNED, RELEASED, DONE, CANCELED]
    default: PLANNED
    filter: true
    status_endpoint: true
    transitions: {PLANNED: [RELEASED, CANCELED], RELEASED: [DONE, CANCELED]}
    editable: [PLANNED]
    label: {ko: 상태, en: Status}
checks:
  - {rule: "planned_end >= planned_start"}
""",
}

HOOK = """\
\"\"\"Work orders (mfg.work_orders): where a new order comes from, set by the server.\"\"\"

from __future__ import annotations

from typing import Any

from runtime.logic.extend import Context


async def before_create(ctx: Context, values: dict[str, Any]) -> None:
    values["origin"] = "scheduler"
"""

# what the spec-driven suites must have run for the new domain, each passing
EXERCISED = {
    "test_every_entity.test_crud[tenants:mfg.work_orders]",
    "test_every_entity.test_crud[tenants:mfg.work_order_operations]",
    "test_every_entity.test_crud[tenants:mfg.work_centers]",
    "test_every_document.test_document[tenants:mfg.work_orders]",
    "test_every_state_machine.test_status[tenants:mfg.work_orders]",
    "test_every_state_machine.test_status[tenants:mfg.work_centers]",
    "test_every_hook.test_hooks[tenants:mfg.work_orders]",
    "test_hot_path.test_hot_answers_equal_the_routers[tenants:mfg.work_orders]",
    "test_isolation.test_a_never_reaches_bs_rows[tenants:mfg.work_order_operations]",
    "test_permission_matrix.test_the_entitys_codes_let_the_user_through[tenants:mfg.work_orders]",
}


def _run(root, *args, env=None, timeout=900):
    return subprocess.run(
        [sys.executable, *args],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_new_domain_is_covered_by_the_spec_driven_suites(tmp_path, database_urls):
    root = copy_repository(tmp_path)
    shutil.copytree(REPO / "tests", root / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "pyproject.toml").write_bytes((REPO / "pyproject.toml").read_bytes())  # pytest's set-up
    domain = root / "specs/tenants/mfg"
    domain.mkdir()
    for name, text in SPECS.items():
        (domain / name).write_text(text)
    extended = cxg(root, "extend", "tenants", "mfg.work_orders")
    assert extended.returncode == 0, extended.stderr
    (root / "runtime/extensions/tenants/mfg/work_orders.py").write_text(HOOK)

    built = cxg(root, "build")
    assert built.returncode == 0, built.stdout + built.stderr
    assert (
        "tenant database: mfg.work_centers, mfg.work_order_operations, mfg.work_orders are new:"
        in built.stdout
    )
    # the status without transitions builds, and is said where it is written
    warnings = [line for line in built.stderr.splitlines() if ": warning: " in line]
    assert warnings == [
        "specs/tenants/mfg/work_centers.yaml:7:102: warning: fields.status.status_endpoint: no"
        " transitions, so PATCH /{id}/status takes any move between ACTIVE, IDLE, DOWN (add"
        " transitions: {FROM: [TO, ...]} to allow only some)"
    ]
    revised = _run(
        root, "-m", "generator.cli", "db", "revision", "-m", "mfg", "--database", "tenant"
    )
    assert revised.returncode == 0, revised.stderr

    server = make_url(database_urls["tenant"]).set(database="postgres")
    report = tmp_path / "report.xml"
    suites = _run(
        root,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        f"--basetemp={tmp_path / 'inner'}",
        f"--junitxml={report}",
        "-q",
        "-n",  # in one process: the selection is a few dozen tests, and each worker would
        "0",  # import the suite and migrate its own databases for a share of them
        "tests/api",
        "--domain",
        "tenants.mfg",
        env={"CXG_TEST_DATABASE_URL": server.render_as_string(hide_password=False)},
        timeout=1800,
    )
    assert suites.returncode == 0, suites.stdout[-5000:] + suites.stderr[-3000:]
    cases = ET.parse(report).getroot().iter("testcase")
    ran = {f"{c.get('classname').rsplit('.', 1)[-1]}.{c.get('name')}": c for c in cases}
    assert EXERCISED <= set(ran), sorted(EXERCISED - set(ran))
    assert all(len(case) == 0 for case in ran.values())  # no failure, error or skip
    assert all("tenants:mfg." in name or "mfg." in name for name in ran)  # only the new domain
