"""How the suite runs, as hooks registered by tests/conftest.py.

- In parallel (pytest-xdist, `-n auto --dist loadfile` in pyproject): a worker per core and
  one more, each test file on one worker, so a file's module fixtures (a live server, PgBouncer, rows in every
  table) are made once. Every worker has its own databases (tests/database.py) on the run's
  one embedded server, which the top process names before the workers start and stops at the
  end.
- The longest files first (SLOWEST_FIRST), in that order: a worker that picked up the contract
  fuzz last would finish minutes after the others.
- The run keeps the bytecode of what it imports, whatever PYTHONDONTWRITEBYTECODE says.
- The smoke selection (`-m smoke`, SMOKE): a few tests that cover the generator, one round trip
  in each system, the hot path and one CLI command.
- The Citus suite's line in the summary, counted from the reports (with workers, only the top
  process prints, and it never imports tests/citus/conftest.py); with CXG_TEST_CITUS_URL set
  the run is serial: the suite replaces the session's tenant database with one cluster's.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests import database

# Files by their time in a serial run, longest first (`pytest --durations`): xdist hands out
# files in collection order, and one long file started last would be the whole run's tail.
SLOWEST_FIRST = (
    "tests/api/test_contract_fuzz.py",
    "tests/cli/test_removed_table.py",
    "tests/cli/test_scratch_domain.py",
    "tests/cli/test_processes.py",
    "tests/cli/test_changed_fields.py",
    "tests/generator/test_precommit.py",
    "tests/generator/test_bad_specs.py",
    "tests/api/test_permission_matrix.py",
    "tests/api/test_docs_offline.py",
    "tests/cli/test_hand_owned_build.py",
    "tests/api/test_isolation.py",
    "tests/api/test_tenant_keys.py",
    "tests/cli/test_scale_out.py",
    "tests/api/test_every_entity.py",
    "tests/api/test_tenant_statements.py",
    "tests/generator/test_cli.py",
    "tests/api/test_hot_path.py",
    "tests/generator/test_wheel.py",
    "tests/cli/test_scale_build.py",
)

# (file, test function): `pytest -m smoke`, documented in the README
SMOKE = (
    ("tests/generator/test_golden.py", "test_golden_output"),  # specs to generated code
    ("tests/api/test_users_flow.py", "test_user_lifecycle"),  # the manager system
    ("tests/api/test_documents.py", "test_tenant_order_with_its_items_in_one_request"),
    ("tests/api/test_hot_path.py", "test_filters_search_sort_and_pages_agree"),
    ("tests/generator/test_tools.py", "test_check_as_json_lists_the_drift"),  # build, check
)

CITUS = "tests/citus/"
_SERVER_DIR = pytest.StashKey[Path]()
_LOAD_AT_START = pytest.StashKey[str]()


def _load() -> str:
    """The load averages (1, 5, 15 minutes): other work on the machine slows the suite."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def _top(config: pytest.Config) -> bool:
    """The run's top process: the xdist controller, or the only process."""
    return not hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "smoke: the quick selection (`pytest -m smoke`)")
    database.configure_process()
    if os.environ.get("CXG_TEST_CITUS_URL") and config.getoption("dist", "no") != "no":
        # one cluster database for the session: the Citus suite runs in one process
        config.option.numprocesses, config.option.dist, config.option.tx = 0, "no", []
    if _top(config):
        # This machine sets PYTHONDONTWRITEBYTECODE=1, and then every process of the run (the
        # workers, and the servers and commands they start) compiled the project's modules
        # anew, some 600 generated ones among them. The run keeps their bytecode; the workers
        # and their children inherit this environment.
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        sys.dont_write_bytecode = False
        config.stash[_LOAD_AT_START] = _load()
        directory = database.share_server()
        if directory is not None:
            config.stash[_SERVER_DIR] = directory


def pytest_unconfigure(config: pytest.Config) -> None:
    if _top(config) and _SERVER_DIR in config.stash:
        database.stop_shared_server(config.stash[_SERVER_DIR])


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: PYTEST_XDIST_AUTO_NUM_WORKERS when set, else one worker more than there are
    cores: the tests wait on the servers and commands they start (PostgreSQL, `cxg-gen`,
    Chromium, pip), and a third worker on two cores keeps both busy meanwhile. A pytest that a
    test runs inside a worker (tests/cli/test_scratch_domain.py) runs in its one process."""
    wanted = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS")
    if wanted:
        return int(wanted)
    if os.environ.get("PYTEST_XDIST_WORKER"):  # a pytest a test started: the run has the cores
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) + 1


def _file(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {name: n for n, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(_file(item), len(rank)))  # stable: files keep order
    smoke = set(SMOKE)
    for item in items:
        if (_file(item), getattr(item, "originalname", item.name)) in smoke:
            item.add_marker(pytest.mark.smoke)
    # a renamed smoke test must not silently leave the selection
    for item in {_file(i): i for i in items}.values():
        module = getattr(item, "module", None)
        for path, name in SMOKE:
            if path == _file(item) and module is not None and not hasattr(module, name):
                raise pytest.UsageError(f"smoke test {path}::{name} is gone (tests/running.py)")


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """The machine's load around the run (a wall time means little without it); the Citus
    suite never passes silently: skipped, it says so and why; run, it says how many tests ran
    on the cluster and what its set-up printed."""
    if _LOAD_AT_START in config.stash:
        workers = getattr(config.option, "numprocesses", 0) or 0
        terminalreporter.write_line(
            f"load average {config.stash[_LOAD_AT_START]} at the start, {_load()} at the end;"
            f" {workers or 'no'} parallel workers"
        )
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if r.nodeid.startswith(CITUS)]
    ran = {
        r.nodeid
        for key in ("passed", "failed", "error")
        for r in terminalreporter.stats.get(key, [])
        if r.nodeid.startswith(CITUS)
    }
    if skipped:
        reason = skipped[0].longrepr[2] if isinstance(skipped[0].longrepr, tuple) else ""
        reason = reason.removeprefix("Skipped: ")
        terminalreporter.section("Citus suite", sep="!", red=True, bold=True)
        terminalreporter.line(f"{len(skipped)} Citus tests SKIPPED. {reason}", red=True, bold=True)
    elif ran:
        terminalreporter.section("Citus suite")
        terminalreporter.line(f"{len(ran)} tests ran on the cluster CXG_TEST_CITUS_URL names")
        conftest = sys.modules.get("tests.citus.conftest")
        for line in getattr(conftest, "SETUP_LOG", []):
            terminalreporter.line(line)
