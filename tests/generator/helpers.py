"""Helpers for generator tests: throw-away project roots and the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import traceback
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


# commands that hand over to the runtime (a server, the databases): always their own process
RUNTIME_COMMANDS = ("serve", "db", "create-admin")


def cxg(root: Path, *args: str, seed: str | None = None) -> subprocess.CompletedProcess:
    """`cxg-gen <args> --root <root>`: its exit code, standard output and error. A generator
    command runs in this process, as the console script calls it: a new Python for each call
    was most of the generator tests' time, and the generator keeps nothing between calls but
    the formatter's version. A hash seed, a runtime command or `--watch` gets a new process."""
    if seed is None and args[0] not in RUNTIME_COMMANDS and "--watch" not in args:
        return _in_process(root, args)
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


def _in_process(root: Path, args: tuple[str, ...]) -> subprocess.CompletedProcess:
    from typer.testing import CliRunner

    from generator.cli import main

    argv = [*args, "--root", str(root)]
    result = CliRunner().invoke(main, argv)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # what the interpreter would have printed (exit code 1 either way), where tests look
        stderr += "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
    return subprocess.CompletedProcess(argv, result.exit_code, result.stdout, stderr)


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
