"""The generation gap: hand-owned modules that generated code calls, and `build` never touches.

An entity that needs business logic gets one module of its own,
``runtime/extensions/<scope>/<domain>/<table>.py`` (``cxg-gen extend`` writes its skeleton
once; from then on it is yours). The app imports every such module at start-up and runtime.data.crud,
which every generated service goes through, calls the hooks it defines, by name:

- ``async def before_create(ctx, values)``: the values about to be inserted (a dict you may
  change);
- ``async def before_update(ctx, row, values)``: the row as it is and the values about to be
  written (status changes included, as ``{<status field>: <new state>}``);
- ``async def before_delete(ctx, row)``;
- ``async def after_write(ctx, row, action)``: the row as written, ``action`` one of CREATE,
  UPDATE, DELETE; in the same transaction as the write (and its audit row), so whatever it does
  is kept or rolled back with it.

A hook refuses by raising an error of runtime.web.errors (``ValidationError`` → 422,
``ConflictError`` → 409, ...). ``ctx`` is a :class:`Context`: the request's database session
(already inside the tenant, with row-level security) and the acting principal. That, the row
(the entity's mapped class in ``generated/``) and runtime.web.errors are the whole interface.
An extended entity's creates always take the long way (the hot path cannot call Python).
"""

from __future__ import annotations

import importlib
import inspect
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.data.models import is_tenant_scoped
from runtime.security.principal import Actor

HOOKS = ("before_create", "before_update", "before_delete", "after_write")
ROOT = Path(__file__).resolve().parents[1] / "extensions"

_BY_TABLE: dict[Table, ModuleType] = {}
_HOOKS_OF: dict[tuple[str, str], frozenset[str]] = {}  # (scope, domain.table) -> its hooks
# the methods of the generated endpoints each hook runs for (a status change is a PATCH)
HOOK_METHODS = {
    "before_create": frozenset({"POST"}),
    "before_update": frozenset({"PATCH"}),
    "before_delete": frozenset({"DELETE"}),
    "after_write": frozenset({"POST", "PATCH", "DELETE"}),
}
M = TypeVar("M")


@dataclass(frozen=True)
class Context:
    db: AsyncSession
    actor: Actor

    async def get(self, model: type[M], row_id: uuid.UUID) -> M | None:
        """A row of the actor's by its id: tenant tables are keyed by (tenant_id, id), so
        ``db.get`` needs the pair; this is the one-id lookup hooks want."""
        if not is_tenant_scoped(model):
            return await self.db.get(model, row_id)
        if self.actor.tenant_id is None:
            return None
        return await self.db.get(model, (self.actor.tenant_id, row_id))


class ExtensionError(Exception):
    """An extension module that cannot be used (wrong place, unknown hook)."""


def modules(root: Path = ROOT) -> list[tuple[str, str, str, Path]]:
    """(scope, domain, table, path) of every extension module under ``root``."""
    found: list[tuple[str, str, str, Path]] = []
    for path in sorted(root.glob("*/*/*.py")):
        scope, domain, table = path.parent.parent.name, path.parent.name, path.stem
        if not table.startswith("_"):  # __init__, and _actions (runtime.logic.actions)
            found.append((scope, domain, table, path))
    return found


def discover(root: Path = ROOT) -> None:
    """Import every extension module and attach it to its entity's table; ExtensionError
    names every module that cannot be used, each with what to do about it."""
    problems = []
    for scope, domain, table, path in modules(root):
        where = _shown(path)
        try:
            model = _model(scope, domain, table, where)
            module = importlib.import_module(f"runtime.extensions.{scope}.{domain}.{table}")
        except ExtensionError as exc:
            problems.append(str(exc))
            continue
        except (ImportError, SyntaxError) as exc:  # the module's own code: said, not raised
            problems.append(f"{where}:{_line_in(exc, path)}: {type(exc).__name__}: {exc}")
            continue
        for name, value in vars(module).items():
            if not name.startswith(("before_", "after_")) or not callable(value):
                continue
            if name not in HOOKS:
                problems.append(f"{where}: unknown hook {name} (hooks: {', '.join(HOOKS)})")
            elif not inspect.iscoroutinefunction(value):
                problems.append(f"{where}: hooks are awaited: write `async def {name}`")
        _BY_TABLE[model.__table__] = module
        _HOOKS_OF[(scope, f"{domain}.{table}")] = frozenset(
            name for name in HOOKS if inspect.iscoroutinefunction(getattr(module, name, None))
        )
    if problems:
        raise ExtensionError("\n".join(problems))


def _line_in(exc: BaseException, path: Path) -> int:
    """The line of ``path`` where ``exc`` was raised (an import it makes), else 1."""
    if isinstance(exc, SyntaxError) and exc.filename and Path(exc.filename) == path:
        return exc.lineno or 1
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == path]
    return (frames[-1].lineno or 1) if frames else 1


def _shown(path: Path) -> str:
    """The module's path as people know it: from the project root."""
    try:
        return path.relative_to(ROOT.parents[1]).as_posix()
    except ValueError:
        return str(path)


def _model(scope: str, domain: str, table: str, path: str) -> type[Any]:
    try:
        generated = importlib.import_module(f"generated.{scope}.{domain}.{table}.model")
    except ModuleNotFoundError:
        raise ExtensionError(
            f"{path}: hook module of {domain}.{table}, an entity the generated code does not"
            f" have (specs/{scope}/{domain}/{table}.yaml removed?): delete the module or"
            " restore the spec, then `cxg-gen build`"
        ) from None
    for value in vars(generated).values():
        if isinstance(value, type) and getattr(value, "__module__", "") == generated.__name__:
            if hasattr(value, "__table__"):
                return value
    raise ExtensionError(f"{path}: no mapped class in {generated.__name__}")


def is_extended(table: Table) -> bool:
    return table in _BY_TABLE


def hooked(scope: str, key: str) -> frozenset[str]:
    """The methods whose generated endpoints run a hook of the entity (which may refuse)."""
    hooks = _HOOKS_OF.get((scope, key), frozenset())
    return frozenset(method for hook in hooks for method in HOOK_METHODS[hook])


def extended() -> list[tuple[str, str]]:
    """(scope, domain.table) of every entity with a hand-owned module."""
    return sorted(_HOOKS_OF)


async def run(hook: str, model: type[Any], db: AsyncSession, actor: Actor, *args: Any) -> None:
    module = _BY_TABLE.get(model.__table__)
    function = getattr(module, hook, None) if module is not None else None
    if function is not None:
        await function(Context(db, actor), *args)
