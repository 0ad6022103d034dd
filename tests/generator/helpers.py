"""Helpers for generator tests: throw-away project roots and the CLI as a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden"


def make_project(tmp: Path, specs: Path = GOLDEN / "project" / "specs") -> Path:
    """A project root with the repository's templates and the given specs."""
    root = tmp / "project"
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(specs, root / "specs")
    return root


def copy_of(built: Path, tmp: Path) -> Path:
    """A copy of a project built once per module, for one test to change: a build is a
    second or more of a new process, a copy a few milliseconds. Bytes and modification times
    are kept, so the copy is as up to date as the original."""
    return Path(shutil.copytree(built, tmp / "project"))


def copy_repository(tmp: Path) -> Path:
    """A project root holding this repository's specs, templates, runtime (with its hand-owned
    modules and migrations) and everything build wrote, to change and build in."""
    root = tmp / "project"
    for part in ("specs", "templates", "runtime", "generated", "docs"):
        shutil.copytree(REPO / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def cxg(root: Path, *args: str, seed: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if seed is not None:
        env["PYTHONHASHSEED"] = seed
    return subprocess.run(
        [sys.executable, "-m", "generator.cli", *args, "--root", str(root)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and modification time of every file under generated/ and docs/."""
    result = {}
    for base in ("generated", "docs"):
        for path in sorted((root / base).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                result[path.relative_to(root).as_posix()] = (
                    path.read_bytes(),
                    path.stat().st_mtime_ns,
                )
    return result
