"""The whole pipe, in memory: specs → model → rendered text → formatted text."""

from __future__ import annotations

from pathlib import Path

from generator.fmt import format_python
from generator.loader import load_project
from generator.model import Project
from generator.render import render_project

# formatted files by the digest of their unformatted text (see generator.fmt); never committed
FORMAT_CACHE = ".cxg/cache/format"


def generate(root: Path, *, remember: bool = True) -> tuple[Project, dict[str, str]]:
    """Everything ``generated/`` should hold, by relative path. Raises SpecError on bad specs."""
    project = load_project(root)
    files = render_project(project, root / "templates")
    return project, format_python(files, cache=root / FORMAT_CACHE, remember=remember)


def find_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` that has specs/ and templates/."""
    for candidate in (start, *start.parents):
        if (candidate / "specs").is_dir() and (candidate / "templates").is_dir():
            return candidate
    return start
