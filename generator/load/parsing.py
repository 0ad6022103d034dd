"""Reading spec files: YAML with positions, validated against the spec language.

Each file under ``specs/<scope>/<domain>/`` becomes a :class:`Parsed` (its spec and where every
key and value was written); problems are collected with their positions, and what is valid in
a broken file is kept so the cross-file checks still run (one root cause, one report).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeGuard, TypeVar

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from generator.load.diagnostics import Diagnostics
from generator.load.spec import DomainSpec, EntitySpec
from generator.load.yamlsource import Loc, Position, SourceMap, YamlProblem, parse_yaml
from generator.model import (
    SCOPES,
)
from generator.model import types as F

DOMAIN_FILE = "_domain.yaml"

S = TypeVar("S", EntitySpec, DomainSpec)


@dataclass
class Parsed(Generic[S]):
    """One spec file, validated against the spec language, with its positions."""

    path: str  # relative to the project root, with forward slashes
    scope: str
    domain: str
    spec: S
    source: SourceMap

    def at(self, loc: Loc, *, key: bool = False) -> Position:
        return self.source.key(loc) if key else self.source.value(loc)


AnyParsed = Parsed[EntitySpec] | Parsed[DomainSpec]
# (scope, "domain.table") → the entity's file: what references and lines are looked up in
Index = dict[tuple[str, str], Parsed[EntitySpec]]


def is_entity(p: AnyParsed) -> TypeGuard[Parsed[EntitySpec]]:
    return isinstance(p.spec, EntitySpec)


def is_domain(p: AnyParsed) -> TypeGuard[Parsed[DomainSpec]]:
    return isinstance(p.spec, DomainSpec)


def parse_all(root: Path, diags: Diagnostics) -> list[AnyParsed]:
    specs_dir = root / "specs"
    result: list[AnyParsed] = []
    if not specs_dir.is_dir():
        diags.add("specs", 1, 1, "no specs/ directory in the project root")
        return result
    for file in sorted(specs_dir.rglob("*.y*ml")):
        rel = file.relative_to(root).as_posix()
        parts = file.relative_to(specs_dir).parts
        if len(parts) != 3:
            diags.add(rel, 1, 1, "spec files belong at specs/<scope>/<domain>/<table>.yaml")
            continue
        scope, domain, name = parts
        if scope not in SCOPES:
            diags.add(rel, 1, 1, f"unknown scope '{scope}' (expected one of: {', '.join(SCOPES)})")
            continue
        if not F.is_identifier(domain):
            diags.add(rel, 1, 1, f"invalid domain directory name '{domain}'")
            continue
        if file.suffix != ".yaml":
            diags.add(rel, 1, 1, "spec files use the .yaml extension")
            continue
        if name != DOMAIN_FILE and not F.is_identifier(file.stem):
            diags.add(rel, 1, 1, f"invalid table file name '{file.stem}' (use snake_case)")
            continue
        item: AnyParsed | None
        if name == DOMAIN_FILE:
            item = _parse_file(file, rel, scope, domain, DomainSpec, diags)
            if item is None:  # its domain is not reported again as having no _domain.yaml
                diags.unreadable.add((scope, f"{domain}/{DOMAIN_FILE}"))
        else:
            item = _parse_file(file, rel, scope, domain, EntitySpec, diags)
            if item is None:
                diags.unreadable.add((scope, f"{domain}.{file.stem}"))
        if item:
            result.append(item)
    return result


def _parse_file(
    file: Path, rel: str, scope: str, domain: str, model: type[S], diags: Diagnostics
) -> Parsed[S] | None:
    try:
        data, source = parse_yaml(file.read_text(encoding="utf-8"))
    except YamlProblem as exc:
        diags.add(rel, exc.line, exc.col, exc.message)
        return None
    except UnicodeDecodeError:
        diags.add(rel, 1, 1, "spec files must be UTF-8")
        return None
    if not isinstance(data, dict):
        diags.add(rel, 1, 1, "a spec file must be a mapping")
        return None
    try:
        spec = model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            is_key = err["type"] == "extra_forbidden" or "[key]" in loc
            loc = tuple(p for p in loc if p != "[key]")
            line, col = source.key(loc) if is_key else source.value(loc)
            if "[key]" in err["loc"]:
                kind = "field" if loc[:1] == ("fields",) else "key"
                diags.add(rel, line, col, f"invalid {kind} name {loc[-1]!r} (use snake_case)")
                continue
            diags.add(rel, line, col, _message(err, loc))
        # Keep going with what is valid, so that the cross-file checks (references, enum
        # defaults, duplicates) still report their problems in this same run.
        salvaged = _salvage(model, data, exc)
        return Parsed(rel, scope, domain, salvaged, source) if salvaged else None
    return Parsed(rel, scope, domain, spec, source)


def _salvage(model: type[S], data: dict[str | int, Any], exc: ValidationError) -> S | None:
    """The spec without the keys and fields that failed validation, or None."""
    trimmed = {**data, "fields": dict(data.get("fields") or {})} if "fields" in data else dict(data)
    for err in exc.errors():
        loc = [p for p in err["loc"] if p != "[key]"]
        if len(loc) >= 2 and loc[0] == "fields" and isinstance(trimmed.get("fields"), dict):
            trimmed["fields"].pop(loc[1], None)
        elif loc and loc[0] != "fields":
            trimmed.pop(loc[0], None)
    try:
        return model.model_validate(trimmed)
    except ValidationError:
        return None


def _message(err: ErrorDetails, loc: Loc) -> str:
    where = ".".join(str(p) for p in loc) or "(file)"
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"unknown key '{loc[-1]}' in {'.'.join(str(p) for p in loc[:-1]) or 'spec'}"
    if kind == "missing":
        return f"missing required key '{where}'"
    if kind == "enum":
        expected = err.get("ctx", {}).get("expected", "")
        return f"{where}: invalid value {err.get('input')!r}; expected {expected}"
    if kind == "string_pattern_mismatch":
        return f"{where}: invalid identifier {err.get('input')!r}"
    return f"{where}: {err['msg']}"
