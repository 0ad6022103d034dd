"""The whole pipe, in memory: specs → model → rendered text → formatted text."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from generator.load.loader import load_project
from generator.model import Project
from generator.render.fmt import format_python
from generator.render.templates import render_project

# formatted files by the digest of their unformatted text (see generator.render.fmt); never committed
FORMAT_CACHE = ".cxg/cache/format"


def generate(root: Path, *, remember: bool = True) -> tuple[Project, dict[str, str]]:
    """Everything ``generated/`` should hold, by relative path. Raises SpecError on bad specs."""
    project = load_project(root)
    files = render_project(project, templates_dir(root))
    return project, format_python(files, cache=root / FORMAT_CACHE, remember=remember)


def templates_dir(root: Path) -> Path:
    """The project's own templates/ when it has one (this repository, a project that forks
    them), else the ones installed with cxg-gen (``generator.templates``)."""
    if (root / "templates").is_dir():
        return root / "templates"
    # a wheel: setup.py ships templates/ as the generator.templates (namespace) package
    spec = find_spec("generator.templates")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[2] / "templates"  # an editable install


def find_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` that has specs/."""
    for candidate in (start, *start.parents):
        if (candidate / "specs").is_dir():
            return candidate
    return start
