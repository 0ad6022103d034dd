"""specs/ → validated, cross-referenced :class:`~generator.model.Project`.

Collects every problem in every file before giving up, like a compiler. Nothing here
renders or writes. The steps, each in a module of its own:

- generator.load.parsing: the files, read with positions and checked against the spec language;
- generator.load.field_rules (with field_validation): each field's rules and its typed Field;
- generator.load.documents: headers, their lines and the totals lines feed;
- generator.load.naming and generator.load.table_rules: derived names, unique constraints, indexes;
- here: the entities and domains built from those, and the checks across entities
  (duplicates, paths, field lists).
"""

from __future__ import annotations

from pathlib import Path

from generator.load.diagnostics import Diagnostics, SpecError
from generator.load.documents import line_of, lines_of
from generator.load.field_rules import build_field
from generator.load.naming import snake, table_of, url_path
from generator.load.parsing import (
    DOMAIN_FILE,
    AnyParsed,
    Index,
    Parsed,
    is_domain,
    is_entity,
    parse_all,
)
from generator.load.row_rules import build_checks
from generator.load.spec import DomainSpec, EntitySpec
from generator.load.table_rules import check_groups, indexes, uniques
from generator.model import (
    RESERVED_PATHS,
    SCOPES,
    Action,
    Domain,
    Entity,
    Project,
    Scope,
)
from generator.model import types as F


def load_project(root: Path) -> Project:
    """Load and check every spec under ``root/specs``; raise :class:`SpecError` on problems."""
    diags = Diagnostics()
    parsed = parse_all(root, diags)
    project = _build(parsed, diags)
    if diags:
        raise SpecError(diags.sorted())
    return project.model_copy(update={"warnings": tuple(sorted(set(diags.warnings)))})


def _build(parsed: list[AnyParsed], diags: Diagnostics) -> Project:
    domains = {(p.scope, p.domain): p for p in parsed if is_domain(p)}
    entities = [p for p in parsed if is_entity(p)]
    for d in domains.values():
        if d.spec.code != d.domain:
            diags.add(
                d.path,
                *d.at(("code",)),
                f"domain code '{d.spec.code}' must match its directory '{d.domain}'",
            )
    index = _index_entities(entities, domains, diags)
    built: dict[tuple[str, str], list[Entity]] = {}
    for p in entities:
        if (p.scope, p.domain) not in domains:  # reported by _index_entities
            continue
        entity = _build_entity(p, domains[(p.scope, p.domain)].spec, index, diags)
        if entity:
            built.setdefault((p.scope, p.domain), []).append(entity)
    _check_paths(built, index, diags)
    scopes = []
    for scope_name, info in SCOPES.items():
        scope_domains = []
        for (s, code), d in sorted(domains.items()):
            if s != scope_name:
                continue
            spec = d.spec
            ents = tuple(sorted(built.get((s, code), []), key=lambda e: e.table))
            scope_domains.append(
                Domain(
                    scope_name=s,
                    code=code,
                    label_ko=spec.label.ko,
                    label_en=spec.label.en,
                    spec_path=d.path,
                    entities=ents,
                )
            )
        scopes.append(Scope(info=info, domains=tuple(scope_domains)))
    return Project(scopes=tuple(scopes))


def _index_entities(
    entities: list[Parsed[EntitySpec]],
    domains: dict[tuple[str, str], Parsed[DomainSpec]],
    diags: Diagnostics,
) -> Index:
    """Map (scope, 'domain.table') to its spec; report duplicates and missing domain files."""
    index: Index = {}
    class_names: dict[tuple[str, str], Parsed[EntitySpec]] = {}
    for p in entities:
        key = (p.scope, f"{p.domain}.{table_of(p)}")
        if (p.scope, p.domain) not in domains:
            diags.unreadable.add(key)  # not built: a reference to it is not "unknown" as well
            domain_file = (p.scope, f"{p.domain}/{DOMAIN_FILE}")
            if domain_file not in diags.unreadable:  # else the file's own problems say why
                diags.unreadable.add(domain_file)  # once per domain
                missing = f"specs/{p.scope}/{domain_file[1]} (code and labels)"
                diags.add(p.path, 1, 1, f"domain '{p.domain}' has no {missing}")
        if key in index:
            first = index[key]
            diags.add(
                p.path,
                *p.at(("table",)) if p.spec.table else (1, 1),
                f"duplicate table '{key[1]}' (already defined in {first.path})",
            )
            continue
        index[key] = p
        cls_key = (p.scope, p.spec.entity)
        if cls_key in class_names:
            diags.add(
                p.path,
                *p.at(("entity",)),
                f"duplicate entity name '{p.spec.entity}' "
                f"(already defined in {class_names[cls_key].path})",
            )
        else:
            class_names[cls_key] = p
    return {k: v for k, v in index.items() if (v.scope, v.domain) in domains}


def _build_entity(
    p: Parsed[EntitySpec], domain: DomainSpec, index: Index, diags: Diagnostics
) -> Entity | None:
    spec = p.spec
    errors_before = len(diags.items)
    table = table_of(p)
    scope = SCOPES[p.scope]
    built_fields = []
    for name, fs in spec.fields.items():
        loc = ("fields", name)
        if name in F.MIXIN_COLUMNS:
            diags.add(
                p.path,
                *p.at(loc, key=True),
                f"field '{name}' is provided by every table; remove it from the spec",
            )
            continue
        if reason := F.reserved_name(name):
            diags.add(p.path, *p.at(loc, key=True), reason)
            continue
        field = build_field(p, name, fs, index, diags)
        if field:
            built_fields.append(field)
    _check_field_lists(p, spec, diags)
    checks = build_checks(
        spec,
        table,
        lambda i, message: diags.add(
            p.path, *p.at(("checks", i, "rule")), f"checks[{i}]: {message}"
        ),
    )
    if len(diags.items) > errors_before:
        return None
    return Entity(
        scope=scope,
        domain=p.domain,
        domain_label_ko=domain.label.ko,
        domain_label_en=domain.label.en,
        spec_path=p.path,
        class_name=spec.entity,
        table=table,
        label_ko=spec.label.ko,
        label_en=spec.label.en,
        description=spec.description,
        singular=snake(spec.entity),
        plural=table,
        url_path=url_path(p, spec, table),
        soft_delete=spec.soft_delete,
        operations=tuple(dict.fromkeys(spec.operations)),
        fields=tuple(built_fields),
        uniques=uniques(spec, table, scope.tenant_scoped),
        indexes=indexes(spec, table, scope.tenant_scoped),
        default_sort=spec.default_sort,
        checks=checks,
        lines=lines_of(p, index),
        actions=_actions(p, spec, diags),
        **line_of(p, spec, index),
    )


def _actions(p: Parsed[EntitySpec], spec: EntitySpec, diags: Diagnostics) -> tuple[Action, ...]:
    """Custom endpoints; their names become permission codes beside the generated ones."""
    taken = {"read", "create", "update", "delete"}
    taken |= {name for name, fs in spec.fields.items() if fs.status_endpoint}
    actions = []
    for name, action in spec.actions.items():
        if name in taken:
            diags.add(
                p.path,
                *p.at(("actions", name), key=True),
                f"action '{name}' has the name of a generated permission ({', '.join(sorted(taken))})",
            )
            continue
        actions.append(
            Action(
                name=name,
                label_ko=action.label.ko,
                label_en=action.label.en,
                description=action.description,
            )
        )
    return tuple(actions)


def _check_field_lists(p: Parsed[EntitySpec], spec: EntitySpec, diags: Diagnostics) -> None:
    check_groups(p, diags)
    sort_field = spec.default_sort.lstrip("-")
    sortable = {n for n, f in spec.fields.items() if f.sort} | {"created_at", "updated_at"}
    if sort_field not in sortable:
        reason = (
            f"'{sort_field}' is not a sortable field (add sort: true)"
            if sort_field in spec.fields
            else f"{F.not_a_field(sort_field)}; lists sort by fields with sort: true,"
            " created_at or updated_at"
        )
        diags.add(p.path, *p.at(("default_sort",)), f"default_sort: {reason}")
    if spec.display and spec.display not in spec.fields:
        reason = f"{F.not_a_field(spec.display)}; display names a text field of this entity"
        diags.add(p.path, *p.at(("display",)), f"display: {reason}")
    elif spec.display and not F.TYPES[spec.fields[spec.display].type].lengths:
        diags.add(
            p.path,
            *p.at(("display",)),
            f"display: '{spec.display}' is not a text field of this entity",
        )
    parents = [n for n, f in spec.fields.items() if f.parent]
    if len(parents) > 1:
        diags.add(
            p.path,
            *p.at(("fields", parents[1], "parent")),
            "only one field per entity may be its parent",
        )
    status = [n for n, f in spec.fields.items() if f.status_endpoint]
    if len(status) > 1:
        diags.add(
            p.path,
            *p.at(("fields", status[1], "status_endpoint")),
            "only one field per entity may have status_endpoint",
        )


def _check_paths(
    built: dict[tuple[str, str], list[Entity]], index: Index, diags: Diagnostics
) -> None:
    seen: dict[tuple[str, str], Entity] = {}
    for ents in built.values():
        for e in ents:
            p = index[(e.scope.name, e.key)]
            where = p.at(("path",)) if p.spec.path else (1, 1)
            if any(e.url_path == r or e.url_path.startswith(r + "/") for r in RESERVED_PATHS):
                diags.add(e.spec_path, *where, f"path '{e.url_path}' is reserved by the runtime")
            key = (e.scope.name, e.url_path)
            other = seen.get(key)
            if other:
                diags.add(
                    e.spec_path, *where, f"path '{e.url_path}' collides with {other.spec_path}"
                )
            else:
                seen[key] = e
            for other_key, o in seen.items():
                if (
                    other_key[0] == e.scope.name
                    and o is not e
                    and (
                        o.url_path.startswith(e.url_path + "/")
                        or e.url_path.startswith(o.url_path + "/")
                    )
                ):
                    diags.add(
                        e.spec_path,
                        *where,
                        f"path '{e.url_path}' overlaps '{o.url_path}' of {o.spec_path}",
                    )
