"""The hook this repository offers (.pre-commit-hooks.yaml), as another project uses it:
`pre-commit try-repo <this repository> cxg-gen-check` from a scratch git repository that
keeps specs and their generated code. pre-commit installs the hook's own environment from
this repository (a real install of the package and its dependencies: uv's, as pre-commit-uv
from the dev dependencies has pre-commit do it, pip's without it), so the test also shows that
the package installs and runs as the hook declares it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.generator.helpers import GOLDEN, REPO

CASE = GOLDEN / "cases" / "numbering" / "specs"


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def _try_repo(project: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "cxg-gen-check", "--all-files"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_try_repo_check_passes_on_fresh_code_and_fails_on_a_stale_spec(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(CASE, project / "specs")
    cli = Path(sys.executable).with_name("cxg-gen")
    subprocess.run([cli, "build", "--root", str(project)], check=True, capture_output=True)
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "specs and their generated code")
    # a cache of its own: the hook's environment is built from this checkout, not reused
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("VIRTUAL_ENV", None)

    fresh = _try_repo(project, env)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "cxg-gen check" in fresh.stdout and "Passed" in fresh.stdout

    spec = next((project / "specs").rglob("invoices.yaml"))
    text = spec.read_text()
    spec.write_text(text.replace("en: Invoice}", "en: Invoice issued}", 1))
    assert spec.read_text() != text, "the edit must change the spec"
    _git(project, "add", "-A")

    stale = _try_repo(project, env)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "Failed" in stale.stdout
    assert "invoices" in stale.stdout  # the report names what is out of date
