"""Hand-owned extension modules (runtime/extend.py explains the hooks): where they live,
the skeleton `cxg-gen extend` writes once, and the check that each belongs to an entity.

This side needs no runtime: it only reads and writes files.
"""

from __future__ import annotations

from pathlib import Path

from generator.model import Project

DIRECTORY = "runtime/extensions"

SKELETON = '''"""{label}: business logic of {key} ({scope}), hand-owned.

Written once by `cxg-gen extend`; `cxg-gen build` never touches it. Define any of the hooks
below (runtime/extend.py says when each runs); delete the ones you do not need. Raise an
error of runtime.errors to refuse (ValidationError: 422, ConflictError: 409).
"""

from __future__ import annotations

from typing import Any

from runtime.extend import Context


async def before_create(ctx: Context, values: dict[str, Any]) -> None:
    pass


async def before_update(ctx: Context, row: Any, values: dict[str, Any]) -> None:
    pass


async def before_delete(ctx: Context, row: Any) -> None:
    pass


async def after_write(ctx: Context, row: Any, action: str) -> None:
    pass
'''


def path_of(root: Path, scope: str, key: str) -> Path:
    domain, table = key.split(".")
    return root / DIRECTORY / scope / domain / f"{table}.py"


def write_skeleton(root: Path, project: Project, scope: str, key: str) -> Path:
    """The new module's path; raises FileExistsError (never overwrites) or KeyError."""
    entity = next(e for e in project.entities if e.scope.name == scope and e.key == key)
    target = path_of(root, scope, key)
    if target.exists():
        raise FileExistsError(target)
    for package in (target.parent.parent.parent, target.parent.parent, target.parent):
        init = package / "__init__.py"
        if not init.exists():
            package.mkdir(parents=True, exist_ok=True)
            init.write_text(f'"""Extension modules under {package.relative_to(root)}."""\n')
    label = f"{entity.label_ko} ({entity.label_en})"
    target.write_text(SKELETON.format(label=label, key=key, scope=scope))
    return target


def orphans(root: Path, project: Project) -> list[str]:
    """Extension modules whose entity is not (or no longer) in the specs."""
    known = {(e.scope.name, e.key) for e in project.entities}
    found = []
    for path in sorted((root / DIRECTORY).glob("*/*/*.py")):
        if path.stem == "__init__":
            continue
        scope, domain = path.parent.parent.name, path.parent.name
        if (scope, f"{domain}.{path.stem}") not in known:
            rel = path.relative_to(root).as_posix()
            found.append(f"{rel}: no entity {domain}.{path.stem} in specs/{scope}")
    return found
