"""Formatting with ruff: one process for all files, in a scratch directory.

ruff is pinned in pyproject.toml and run with ``--isolated`` and explicit options, so the
bytes do not depend on the machine or on anyone's configuration. The result is also
black-stable at the same line length (tested).
"""

from __future__ import annotations

import subprocess
import tempfile
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


def format_python(files: dict[str, str]) -> dict[str, str]:
    """Return ``files`` with every ``.py`` entry sorted-imports-fixed and ruff-formatted."""
    python = {p: t for p, t in files.items() if p.endswith(".py")}
    if not python:
        return dict(files)
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
        formatted = {rel: (root / rel).read_text(encoding="utf-8") for rel in python}
    return {**files, **formatted}
