"""Formatting with ruff: one process for all files, in a scratch directory.

ruff is pinned in pyproject.toml and run with ``--isolated`` and explicit options, so the
bytes do not depend on the machine or on anyone's configuration. The result is also
black-stable at the same line length (tested).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

from ruff.__main__ import find_ruff_bin

LINE_LENGTH = 100
COMMON = [
    "--isolated",
    "--no-cache",
    "--target-version",
    "py311",
    "--line-length",
    str(LINE_LENGTH),
]


class FormatError(Exception):
    pass


def format_python(
    files: dict[str, str], cache: Path | None = None, *, remember: bool = True
) -> dict[str, str]:
    """Return ``files`` with every ``.py`` entry sorted-imports-fixed and ruff-formatted.

    With ``cache`` (a directory), a file formatted before is taken from there: formatting is
    most of a build, and most builds change a few files of hundreds. ``remember`` adds what
    was formatted now (`check` only reads: it writes nothing anywhere).
    """
    python = {p: t for p, t in files.items() if p.endswith(".py")}
    done: dict[str, str] = {}
    keys: dict[str, str] = {}
    if cache:
        keys = {rel: _key(rel, text) for rel, text in python.items()}
        for rel, key in keys.items():
            hit = cache / key[:2] / key
            if hit.is_file():
                done[rel] = hit.read_text(encoding="utf-8")
    todo = {rel: text for rel, text in python.items() if rel not in done}
    formatted = _run_ruff(todo) if todo else {}
    if cache and remember:
        for rel, text in formatted.items():
            _store(cache / keys[rel][:2] / keys[rel], text)
    return {**files, **done, **formatted}


@lru_cache(maxsize=1)
def _salt() -> str:
    return f"{version('ruff')}\0{COMMON}\0"


def _key(rel: str, text: str) -> str:
    digest = hashlib.sha256(f"{_salt()}{rel}\0".encode())
    digest.update(text.encode())
    return digest.hexdigest()


def _store(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def _run_ruff(python: dict[str, str]) -> dict[str, str]:
    ruff = find_ruff_bin()
    with tempfile.TemporaryDirectory(prefix="cxg-fmt-") as tmp:
        root = Path(tmp)
        for rel, text in python.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        isort = [
            ruff,
            "check",
            *COMMON,
            "--select",
            "I,F401",
            "--fix",
            "--exit-zero",
            "--quiet",
            "--config",
            "lint.isort.known-first-party=['runtime','generated']",
            ".",
        ]
        fmt = [ruff, "format", *COMMON, "--quiet", "."]
        for cmd in (isort, fmt):
            proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
            if proc.returncode != 0:
                raise FormatError(f"ruff failed on generated code:\n{proc.stdout}{proc.stderr}")
        return {rel: (root / rel).read_text(encoding="utf-8") for rel in python}
