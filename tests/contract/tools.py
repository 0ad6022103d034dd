"""The contract tools the tests run, and a served API on fresh databases to run them against.

The npm tools (openapi-typescript, the TypeScript compiler, Redocly CLI) come from
tests/contract/package.json and its lock file: `.ci/run` installs them with `npm ci`. A test
that needs one fails, never skips, when it is missing, and says how to install it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests import live_server
from tests.database import databases_at_head

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DOCUMENT = ROOT / "generated/openapi.json"
BIN = Path(sys.executable).parent  # openapi-python-client and ruff (the dev extra)
QUIET = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "CI": "true"}


def npm_tool(name: str) -> Path:
    tool = HERE / "node_modules/.bin" / name
    assert tool.exists(), f"{name} is missing: run `npm ci --prefix tests/contract` (.ci/run does)"
    assert shutil.which("node"), "Node.js is missing (the contract tools run on it)"
    return tool


def run(command: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env={**os.environ, **QUIET, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@contextmanager
def served(workdir: Path, **env: str) -> Iterator[tuple[str, dict[str, str]]]:
    """`cxg-gen serve` on two new databases (migrated, no users): its base URL and the
    environment that points a command at the same databases."""
    with databases_at_head(workdir) as urls:
        environment = {
            **os.environ,
            "CXG_MANAGER_DATABASE_URL": urls["manager"],
            "CXG_TENANT_DATABASE_URL": urls["tenant"],
            "CXG_JWT_SECRET": "contract-" + uuid.uuid4().hex,
            **env,
        }
        with live_server.serving(environment) as base:
            yield base, environment


def create_admin(environment: dict[str, str], username: str, password: str) -> None:
    """`cxg-gen create-admin`, as the README runs it (the password on standard input)."""
    made = subprocess.run(
        [sys.executable, "-m", "generator.cli", "create-admin", "--username", username,
         "--email", f"{username}@example.com", "--password-stdin"],
        input=password + "\n",
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr

