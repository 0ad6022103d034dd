"""Hand-owned extension modules (runtime/logic/extend.py explains the hooks): the skeletons
`cxg-gen extend` writes once (generator.load.handowned says where they live and checks them).

This side needs no runtime: it only reads and writes files.
"""

from __future__ import annotations

from pathlib import Path

from generator.load.handowned import actions_path, path_of
from generator.model import Project

SKELETON = '''"""{label}: business logic of {key} ({scope}), hand-owned.

Written once by `cxg-gen extend`; `cxg-gen build` never touches it. Define any of the hooks
below (runtime/logic/extend.py says when each runs); delete the ones you do not need. Raise an
error of runtime.web.errors to refuse (ValidationError: 422, ConflictError: 409).
"""

from __future__ import annotations

from typing import Any

from runtime.logic.extend import Context


async def before_create(ctx: Context, values: dict[str, Any]) -> None:
    pass


async def before_update(ctx: Context, row: Any, values: dict[str, Any]) -> None:
    pass


async def before_delete(ctx: Context, row: Any) -> None:
    pass


async def after_write(ctx: Context, row: Any, action: str) -> None:
    pass
'''


ACTIONS_SKELETON = '''"""{label}: the custom endpoints of {scope}.{domain}, hand-owned.

Written once by `cxg-gen extend {scope} {domain}`; `cxg-gen build` never touches it. One endpoint
per action the domain's specs declare (`actions:`); runtime/logic/actions.py says what each route gets
(its permission check, the unit of work, the audit row named after the action).
"""

from __future__ import annotations

from uuid import UUID

from runtime.logic.actions import ActionActor, ActionRouter
from runtime.deps import {db}

router = ActionRouter("{scope}", "{domain}")
{endpoints}'''

ENDPOINT = '''

@router.action("{table}", "{name}", "/{path}/{{row_id}}/{segment}")
async def {function}(row_id: UUID, db: {db}, actor: ActionActor) -> None:
    """{label}"""
    raise NotImplementedError("{key}:{name}")
'''


def write_actions_skeleton(root: Path, project: Project, scope: str, domain: str) -> Path:
    """The domain's action router, with a stub per declared action; never overwrites."""
    found = next(
        d for s in project.scopes if s.info.name == scope for d in s.domains if d.code == domain
    )
    target = actions_path(root, scope, domain)
    if target.exists():
        raise FileExistsError(target)
    _packages(root, target)
    db = "TenantDb" if scope == "tenants" else "ManagerDb"
    endpoints = "".join(
        ENDPOINT.format(
            table=e.table,
            name=a.name,
            path=e.url_path.rsplit("/", 1)[-1],
            segment=a.name.replace("_", "-"),
            function=f"{a.name}_{e.singular}",
            label=f"{e.label_ko} {a.label_ko} ({a.label_en})",
            key=e.key,
            db=db,
        )
        for e in found.entities
        for a in e.actions
    )
    label = f"{found.label_ko} ({found.label_en})"
    target.write_text(
        ACTIONS_SKELETON.format(label=label, scope=scope, domain=domain, db=db, endpoints=endpoints)
    )
    return target


def write_skeleton(root: Path, project: Project, scope: str, key: str) -> Path:
    """The new module's path; raises FileExistsError (never overwrites) or KeyError."""
    entity = next(e for e in project.entities if e.scope.name == scope and e.key == key)
    target = path_of(root, scope, key)
    if target.exists():
        raise FileExistsError(target)
    _packages(root, target)
    label = f"{entity.label_ko} ({entity.label_en})"
    target.write_text(SKELETON.format(label=label, key=key, scope=scope))
    return target


def _packages(root: Path, target: Path) -> None:
    for package in (target.parent.parent.parent, target.parent.parent, target.parent):
        init = package / "__init__.py"
        if not init.exists():
            package.mkdir(parents=True, exist_ok=True)
            init.write_text(f'"""Extension modules under {package.relative_to(root)}."""\n')
