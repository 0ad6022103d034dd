"""What `build` and `check` find wrong in the hand-owned modules (runtime/extensions/), before
anything is written: every problem that would stop the app, located like a spec error.

- a hook module of an entity the specs no longer have (its spec was removed or renamed);
- an action router of a domain that declares no actions, or one missing where a domain does;
- a module that does not parse, a hook that is not one of the four or is not ``async``;
- an ``@router.action(...)`` for an action its entity's spec does not declare.

The app refuses each of these when it starts (runtime.logic.extend, runtime.logic.actions),
and `build` makes the OpenAPI document by starting it: found after writing, they used to leave
generated/ half rewritten. They are read here from the files, with ``ast``; nothing is
imported, so a module's own imports cannot run at build time.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from generator.load.diagnostics import Diagnostic
from generator.load.yamlsource import YamlProblem, parse_yaml
from generator.model import Project

DIRECTORY = "runtime/extensions"
ACTIONS = "_actions"  # the domain's hand-owned router of custom endpoints (runtime.logic.actions)

# runtime.logic.extend.HOOKS (the generator never imports the runtime; a test holds them equal)
HOOKS = ("before_create", "before_update", "before_delete", "after_write")


def path_of(root: Path, scope: str, key: str) -> Path:
    """Where the hook module of the entity ``key`` (<domain>.<table>) of ``scope`` lives."""
    domain, table = key.split(".")
    return root / DIRECTORY / scope / domain / f"{table}.py"


def actions_path(root: Path, scope: str, domain: str) -> Path:
    """Where the router of a domain's custom endpoints lives."""
    return root / DIRECTORY / scope / domain / f"{ACTIONS}.py"


def problems(root: Path, project: Project) -> list[Diagnostic]:
    """Every problem of the hand-owned modules under ``root``, sorted."""
    found = _missing_routers(root, project)
    known = {(e.scope.name, e.key) for e in project.entities}
    declared = {
        (e.scope.name, e.domain, e.permission(a.name)) for e in project.entities for a in e.actions
    }
    acting = {(scope, domain) for scope, domain, _ in declared}
    for path in sorted((root / DIRECTORY).glob("*/*/*.py")):
        if path.stem == "__init__":
            continue
        rel = path.relative_to(root).as_posix()
        scope, domain = path.parent.parent.name, path.parent.name
        if path.stem == ACTIONS:
            if (scope, domain) not in acting:
                found.append(
                    Diagnostic(
                        rel,
                        1,
                        1,
                        f"action router of {scope}.{domain}, whose specs declare no actions"
                        " any more: delete it, or declare its actions again (`actions:` in"
                        f" a spec of specs/{scope}/{domain}/)",
                    )
                )
                continue
            found += _router_problems(path, rel, scope, domain, declared)
        elif path.stem.startswith("_"):
            continue  # a private module beside the hooks (shared code of the hooks)
        elif (scope, f"{domain}.{path.stem}") not in known:
            found.append(
                Diagnostic(
                    rel,
                    1,
                    1,
                    f"hook module of {domain}.{path.stem}, an entity specs/{scope} does not have"
                    f" (specs/{scope}/{domain}/{path.stem}.yaml is gone): the app refuses to"
                    " start with it. Delete it (move the rules it still needs to the module of"
                    f" the entity that takes them over: `cxg-gen extend {scope}"
                    " <domain>.<table>`), or restore the spec",
                )
            )
        else:
            found += _hook_problems(path, rel)
    return sorted(found)


def _parse(path: Path, rel: str) -> ast.Module | Diagnostic:
    try:
        return ast.parse(path.read_bytes(), filename=rel)
    except SyntaxError as exc:
        return Diagnostic(rel, exc.lineno or 1, exc.offset or 1, f"syntax error: {exc.msg}")


def _hook_problems(path: Path, rel: str) -> list[Diagnostic]:
    tree = _parse(path, rel)
    if isinstance(tree, Diagnostic):
        return [tree]
    found = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if not node.name.startswith(("before_", "after_")):
            continue
        where = (rel, node.lineno, node.col_offset + 1)
        if node.name not in HOOKS:
            found.append(
                Diagnostic(*where, f"unknown hook {node.name} (hooks: {', '.join(HOOKS)})")
            )
        elif isinstance(node, ast.FunctionDef):
            found.append(Diagnostic(*where, f"hooks are awaited: write `async def {node.name}`"))
    return found


def _router_problems(
    path: Path, rel: str, scope: str, domain: str, declared: set[tuple[str, str, str]]
) -> list[Diagnostic]:
    tree = _parse(path, rel)
    if isinstance(tree, Diagnostic):
        return [tree]
    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "action"
            and len(node.args) >= 2
            and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args[:2])
        ):
            continue
        table, name = (str(a.value) for a in node.args[:2] if isinstance(a, ast.Constant))
        code = f"{domain}.{table}:{name}"
        if (scope, domain, code) not in declared:
            found.append(
                Diagnostic(
                    rel,
                    node.lineno,
                    node.col_offset + 1,
                    f"{code} is not declared: add `actions: {{{name}: ...}}` to"
                    f" specs/{scope}/{domain}/{table}.yaml (the app refuses the router otherwise)",
                )
            )
    return found


def _missing_routers(root: Path, project: Project) -> list[Diagnostic]:
    """A domain that declares actions and has no router: located at the first `actions:`."""
    found = []
    for scope in project.scopes:
        for domain in scope.domains:
            acting = [e for e in domain.entities if e.actions]
            target = actions_path(root, scope.info.name, domain.code)
            if not acting or target.is_file():
                continue
            spec = acting[0].spec_path
            line, col = _key_position(root / spec, "actions")
            found.append(
                Diagnostic(
                    spec,
                    line,
                    col,
                    f"actions need their router: {target.relative_to(root).as_posix()} is"
                    f" missing (`cxg-gen extend {scope.info.name} {domain.code}` writes it)",
                )
            )
    return found


def _key_position(path: Path, key: str) -> tuple[int, int]:
    try:
        _, source = parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, YamlProblem):  # it was read moments ago: the loader reported it then
        return 1, 1
    return source.key((key,))


def startup_failure(root: Path, output: str) -> tuple[list[Diagnostic], bool]:
    """Where the app stopped when build started it to make the OpenAPI document (a hook
    module's import that fails, say). The runtime names a hand-owned module it cannot use as
    ``<path>:<line>: <error>`` (runtime.logic.extend); anything else is located at the last
    frame of the traceback in the project's own files, with the error it ends in. The flag
    says whether the traceback has more to tell (it had to be read for a frame)."""
    tail = output.rsplit("Traceback (most recent call last):", 1)[-1]
    named = [
        Diagnostic(m.group(1), int(m.group(2)), 1, f"the app does not start: {m.group(3)}")
        for m in re.finditer(r"(runtime/extensions/\S+\.py):(\d+): (.+)", tail)
    ]
    if named:
        return named, False
    lines = [line for line in output.splitlines() if line.strip()]
    error = lines[-1].strip() if lines else "it exited without saying why"
    message = f"the app does not start on the generated code: {error}"
    for file, line in reversed(re.findall(r'File "([^"]+)", line (\d+)', output)):
        try:
            rel = Path(file).resolve().relative_to(root.resolve())
        except ValueError:
            continue
        if any(part.startswith(".") or part == "site-packages" for part in rel.parts):
            continue  # the project's virtual environment: a library's frame
        return [Diagnostic(rel.as_posix(), int(line), 1, message)], True
    return [Diagnostic("runtime/app.py", 1, 1, message)], True
