"""The opt-in Citus suite: the tenant database on a Citus cluster, the manager database where
the other tests find PostgreSQL (CXG_TEST_DATABASE_URL or the embedded server).

Set ``CXG_TEST_CITUS_URL`` to a coordinator (``postgresql://postgres@127.0.0.1:9700/postgres``)
and run ``pytest tests/citus`` on its own. Each session makes a fresh database on the cluster
(every node, the workers added), upgrades it with ``cxg-gen db upgrade``, distributes it with
``cxg-gen db citus --apply`` and drops it at the end. Without the variable every test here is
skipped with the reason, and the terminal summary says the suite did not run: it never passes
silently (tests/running.py prints that line, from the reports, with or without workers).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.conftest import long_way, owner, reader  # noqa: F401 - the API tests' fixtures
from tests.citus.cluster import citus_database
from tests.database import fresh_databases, use_databases

CITUS_URL = os.environ.get("CXG_TEST_CITUS_URL", "")
HERE = Path(__file__).parent
UNSET = (
    "CXG_TEST_CITUS_URL is not set: the Citus suite DID NOT RUN. Set it to a coordinator, "
    "e.g. postgresql://postgres@127.0.0.1:9700/postgres, and run pytest tests/citus"
)
MIXED = (
    "the Citus suite replaces the session's tenant database: it DID NOT RUN beside other "
    "tests; run pytest tests/citus on its own"
)
# what the session's set-up printed (db upgrade, db citus --apply), for the summary
SETUP_LOG: list[str] = []


def _mine(item: pytest.Item) -> bool:
    return HERE in Path(str(item.path)).parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mine = [item for item in items if _mine(item)]
    if not mine:
        return
    reason = UNSET if not CITUS_URL else MIXED if len(mine) != len(items) else ""
    if reason:
        for item in mine:
            item.add_marker(pytest.mark.skip(reason=reason))


def _cli(*args: str) -> str:
    cli = Path(sys.executable).with_name("cxg-gen")
    done = subprocess.run([cli, *args], capture_output=True, text=True, env=os.environ.copy())
    shown = f"$ cxg-gen {' '.join(args)}\n{done.stdout}{done.stderr}".rstrip()
    SETUP_LOG.append(shown)
    assert done.returncode == 0, shown
    return done.stdout + done.stderr


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory):
    """The manager database on plain PostgreSQL, the tenant database on the Citus cluster,
    upgraded and distributed by the commands an operator runs."""
    with (
        fresh_databases(tmp_path_factory.mktemp("pg")) as plain,
        citus_database(CITUS_URL) as tenant,
    ):
        urls = {"manager": plain["manager"], "tenant": tenant}
        use_databases(urls)
        _cli("db", "upgrade")
        _cli("db", "citus", "--apply")
        _cli("db", "upgrade")  # again on the distributed tables: RLS re-applied, no error
        yield urls
