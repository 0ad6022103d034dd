"""specs/ → validated, cross-referenced :class:`~generator.model.Project`.

Collects every problem in every file before giving up, like a compiler. Nothing here
renders or writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from generator import fields as F
from generator import numbering
from generator.checks import build_checks
from generator.diagnostics import Diagnostics, SpecError
from generator.model import (
    RESERVED_PATHS,
    SCOPES,
    Action,
    Domain,
    Entity,
    Field,
    IndexRule,
    LineCollection,
    Project,
    Scope,
    UniqueRule,
)
from generator.spec import DomainSpec, EntitySpec, FieldSpec, FieldType, OnDelete, Operation
from generator.yamlsource import SourceMap, YamlProblem, parse_yaml

DOMAIN_FILE = "_domain.yaml"


@dataclass
class Parsed:
    """One spec file, validated against the spec language, with its positions."""

    path: str  # relative to the project root, with forward slashes
    scope: str
    domain: str
    spec: EntitySpec | DomainSpec
    source: SourceMap

    def at(self, loc: tuple, *, key: bool = False) -> tuple[int, int]:
        return self.source.key(loc) if key else self.source.value(loc)


def load_project(root: Path) -> Project:
    """Load and check every spec under ``root/specs``; raise :class:`SpecError` on problems."""
    diags = Diagnostics()
    parsed = _parse_all(root, diags)
    project = _build(parsed, diags)
    if diags:
        raise SpecError(diags.sorted())
    return project


# -- parsing ---------------------------------------------------------------------------------


def _parse_all(root: Path, diags: Diagnostics) -> list[Parsed]:
    specs_dir = root / "specs"
    result: list[Parsed] = []
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
        model = DomainSpec if name == DOMAIN_FILE else EntitySpec
        item = _parse_file(file, rel, scope, domain, model, diags)
        if item:
            result.append(item)
        elif model is EntitySpec:
            diags.unreadable.add((scope, f"{domain}.{file.stem}"))
    return result


def _parse_file(file, rel, scope, domain, model, diags) -> Parsed | None:
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
        spec = _salvage(model, data, exc)
        return Parsed(rel, scope, domain, spec, source) if spec else None
    return Parsed(rel, scope, domain, spec, source)


def _salvage(model, data: dict, exc: ValidationError):
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


def _message(err: dict, loc: tuple) -> str:
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


# -- building --------------------------------------------------------------------------------


def _build(parsed: list[Parsed], diags: Diagnostics) -> Project:
    domains = {(p.scope, p.domain): p for p in parsed if isinstance(p.spec, DomainSpec)}
    entities = [p for p in parsed if isinstance(p.spec, EntitySpec)]
    for p in domains.values():
        if p.spec.code != p.domain:
            diags.add(
                p.path,
                *p.at(("code",)),
                f"domain code '{p.spec.code}' must match its directory '{p.domain}'",
            )
    index = _index_entities(entities, domains, diags)
    built: dict[tuple[str, str], list[Entity]] = {}
    for p in entities:
        entity = _build_entity(p, domains[(p.scope, p.domain)].spec, index, diags)
        if entity:
            built.setdefault((p.scope, p.domain), []).append(entity)
    _check_paths(built, index, diags)
    scopes = []
    for scope_name, info in SCOPES.items():
        scope_domains = []
        for (s, code), p in sorted(domains.items()):
            if s != scope_name:
                continue
            spec: DomainSpec = p.spec  # type: ignore[assignment]
            ents = tuple(sorted(built.get((s, code), []), key=lambda e: e.table))
            scope_domains.append(
                Domain(
                    scope_name=s,
                    code=code,
                    label_ko=spec.label.ko,
                    label_en=spec.label.en,
                    spec_path=p.path,
                    entities=ents,
                )
            )
        scopes.append(Scope(info=info, domains=tuple(scope_domains)))
    return Project(scopes=tuple(scopes))


def _table(p: Parsed) -> str:
    return p.spec.table or Path(p.path).stem  # type: ignore[union-attr]


def _index_entities(entities, domains, diags) -> dict[tuple[str, str], Parsed]:
    """Map (scope, 'domain.table') to its spec; report duplicates and missing domain files."""
    index: dict[tuple[str, str], Parsed] = {}
    class_names: dict[tuple[str, str], Parsed] = {}
    missing_domain_reported = set()
    for p in entities:
        if (p.scope, p.domain) not in domains and (
            p.scope,
            p.domain,
        ) not in missing_domain_reported:
            missing_domain_reported.add((p.scope, p.domain))
            diags.add(
                p.path,
                1,
                1,
                f"domain '{p.domain}' has no specs/{p.scope}/{p.domain}/"
                f"{DOMAIN_FILE} (code and labels)",
            )
        key = (p.scope, f"{p.domain}.{_table(p)}")
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


def _build_entity(p: Parsed, domain: DomainSpec, index, diags) -> Entity | None:
    spec: EntitySpec = p.spec  # type: ignore[assignment]
    errors_before = len(diags.items)
    table = _table(p)
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
        field = _build_field(p, name, fs, index, diags)
        if field:
            built_fields.append(field)
    names = set(spec.fields)
    _check_field_lists(p, spec, names, diags)
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
        singular=_snake(spec.entity),
        plural=table,
        url_path=_url_path(p, spec, table),
        soft_delete=spec.soft_delete,
        operations=tuple(dict.fromkeys(spec.operations)),
        fields=tuple(built_fields),
        uniques=_uniques(spec, table, scope.tenant_scoped),
        indexes=_indexes(spec, table, scope.tenant_scoped),
        default_sort=spec.default_sort,
        checks=checks,
        lines=_lines_of(p, index),
        actions=_actions(p, spec, diags),
        **_line_of(p, spec, index),
    )


def _actions(p: Parsed, spec: EntitySpec, diags) -> tuple[Action, ...]:
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


def _segment(header: Parsed, child_table: str) -> str:
    """items for sales_order_items under sales_orders; the whole name when no prefix fits."""
    singular = _snake(header.spec.entity)
    return child_table.removeprefix(singular + "_").replace("_", "-")


def _line_of(p: Parsed, spec: EntitySpec, index) -> dict:
    for name, fs in spec.fields.items():
        header = index.get((p.scope, fs.to)) if fs.parent else None
        if header is not None:
            attribute = _segment(header, _table(p)).replace("-", "_")
            rollups = tuple(
                (name, total, match.group(2))
                for total, hs in header.spec.fields.items()
                if hs.derived and (match := SUM.match(hs.derived)) and match.group(1) == attribute
            )
            locks = any(hs.editable for hs in header.spec.fields.values())
            return {
                "parent_url_path": _url_path(header, header.spec, _table(header)),
                "line_segment": _segment(header, _table(p)),
                "rollups": rollups,
                "locked_by": (name, f"{header.domain}.{_table(header)}") if locks else None,
            }
    return {}


PRODUCT = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*\*\s*([a-z][a-z0-9_]*)\s*$")
SUM = re.compile(r"^\s*sum\(\s*([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\s*\)\s*$")
NUMBERS = (FieldType.integer, FieldType.bigint, FieldType.decimal, FieldType.money)


def _derived(p: Parsed, name: str, fs: FieldSpec, index, bad) -> tuple[str, str, str] | None:
    """('product', a, b) or ('sum', line entity key, line field), checked; None otherwise."""
    if not fs.derived:
        return None
    if fs.type not in NUMBERS:
        bad("derived", "only number fields can be derived")
        return None
    if match := PRODUCT.match(fs.derived):
        a, b = match.groups()
        for operand in (a, b):
            other = p.spec.fields.get(operand)
            if other is None or other.type not in NUMBERS or operand == name:
                bad("derived", f"'{operand}' is not another number field of this entity")
                return None
        return ("product", a, b)
    if match := SUM.match(fs.derived):
        attribute, line_field = match.groups()
        lines = {c.attribute: c for c in _lines_of(p, index)}
        if attribute not in lines:
            known = ", ".join(sorted(lines)) or "none"
            bad("derived", f"'{attribute}' is not a collection of lines of this entity ({known})")
            return None
        child = index[(p.scope, lines[attribute].key)]
        if (
            child.spec.fields.get(line_field) is None
            or child.spec.fields[line_field].type not in NUMBERS
        ):
            bad("derived", f"'{line_field}' is not a number field of {lines[attribute].key}")
            return None
        return ("sum", lines[attribute].key, line_field)
    bad("derived", "write 'a * b' (two number fields) or 'sum(<lines>.<number field>)'")
    return None


def _lines_of(header: Parsed, index) -> tuple[LineCollection, ...]:
    """Entities of the same scope whose parent ref points at ``header``."""
    key = f"{header.domain}.{_table(header)}"
    found = []
    for (scope, child_key), child in sorted(index.items()):
        if scope != header.scope:
            continue
        for name, fs in child.spec.fields.items():
            if fs.parent and fs.embedded and fs.to == key:
                found.append(
                    LineCollection(
                        class_name=child.spec.entity,
                        package=f"generated.{scope}.{child_key}",
                        key=child_key,
                        parent_field=name,
                        segment=_segment(header, _table(child)),
                        label_ko=child.spec.label.ko,
                        creatable=Operation.create in child.spec.operations,
                        min_lines=fs.min_lines or 0,
                    )
                )
    return tuple(found)


def _check_field_lists(p: Parsed, spec: EntitySpec, names: set[str], diags) -> None:
    for key in ("unique_together", "indexes"):
        for i, group in enumerate(getattr(spec, key)):
            if len(group) == 0:
                diags.add(p.path, *p.at((key, i)), f"{key}[{i}] is empty")
            for j, col in enumerate(group):
                if col not in names and col not in F.MIXIN_COLUMNS:
                    diags.add(p.path, *p.at((key, i, j)), f"{key}: unknown field '{col}'")
    sort_field = spec.default_sort.lstrip("-")
    sortable = {n for n, f in spec.fields.items() if f.sort} | {"created_at", "updated_at"}
    if sort_field not in sortable:
        diags.add(
            p.path,
            *p.at(("default_sort",)),
            f"default_sort: '{sort_field}' is not a sortable field (add sort: true)",
        )
    if spec.display and (
        spec.display not in spec.fields or not F.TYPES[spec.fields[spec.display].type].text
    ):
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


def _build_field(p: Parsed, name: str, fs: FieldSpec, index, diags) -> Field | None:
    loc = ("fields", name)
    kind = fs.type
    info = F.TYPES[kind]
    problems: list[tuple[tuple, str]] = []

    def bad(key: str, message: str) -> None:
        problems.append(((*loc, key), message))

    if kind is FieldType.enum and not fs.values:
        bad("type", "enum fields need 'values'")
    if fs.values is not None and kind is not FieldType.enum:
        bad("values", "'values' is only for enum fields")
    if fs.values and len(set(fs.values)) != len(fs.values):
        bad("values", "enum values must be distinct")
    if kind is FieldType.ref and not fs.to:
        bad("type", "ref fields need 'to: <domain>.<table>'")
    if fs.to is not None and kind is not FieldType.ref:
        bad("to", "'to' is only for ref fields")
    if fs.on_delete is not None and kind is not FieldType.ref:
        bad("on_delete", "'on_delete' is only for ref fields")
    if fs.on_delete is OnDelete.set_null and fs.required:
        bad("on_delete", "on_delete: set_null needs required: false")
    if fs.parent and kind is not FieldType.ref:
        bad("parent", "parent is only for ref fields")
    if fs.parent and not fs.required:
        bad("parent", "a parent reference must be required")
    if not fs.embedded and not fs.parent:
        bad("embedded", "embedded is only for parent references")
    if fs.status_endpoint and kind is not FieldType.enum:
        bad("status_endpoint", "status_endpoint is only for enum fields")
    if fs.transitions is not None:
        _check_transitions(fs, bad)
    for key in ("editable", "approval"):
        if getattr(fs, key) is not None:
            _check_lifecycle(fs, key, bad)
    if fs.refers_by is not None:
        other = p.spec.fields.get(fs.refers_by)
        if kind is not FieldType.uuid:
            bad("refers_by", "refers_by is only for uuid fields")
        elif other is None or other.type is not FieldType.string or fs.refers_by == name:
            bad("refers_by", f"'{fs.refers_by}' is not another string field of this entity")
    if fs.min_lines is not None and not (fs.parent and fs.embedded):
        bad("min_lines", "min_lines is only for parent references of embedded lines")
    for key in ("min_length", "max_length"):
        if getattr(fs, key) is not None and not (info.text or kind is FieldType.secret):
            bad(key, f"'{key}' is only for text fields")
    for key in ("min", "max"):
        if getattr(fs, key) is not None and not info.numeric:
            bad(key, f"'{key}' is only for number fields")
    for key in ("precision", "scale"):
        if getattr(fs, key) is not None and kind not in (FieldType.decimal, FieldType.money):
            bad(key, f"'{key}' is only for decimal and money fields")
    if fs.pattern is not None:
        if not info.text:
            bad("pattern", "'pattern' is only for text fields")
        else:
            try:
                re.compile(fs.pattern)
            except re.error as exc:
                bad("pattern", f"invalid regular expression: {exc}")
    if (
        fs.example is not None
        and fs.pattern
        and info.text
        and (not isinstance(fs.example, str) or not _matches(fs.pattern, fs.example))
    ):
        bad("example", f"example {fs.example!r} does not match the pattern")
    if fs.example is not None and fs.values and fs.example not in fs.values:
        bad("example", f"example {fs.example!r} is not one of the enum values")
    if fs.min_length is not None and fs.max_length is not None and fs.min_length > fs.max_length:
        bad("min_length", "min_length is greater than max_length")
    if fs.min is not None and fs.max is not None and fs.min > fs.max:
        bad("min", "min is greater than max")
    if kind in (FieldType.password, FieldType.secret):
        # a secret may be unique or indexed (an API key's digest is looked up); never shown
        allowed = {"unique", "index"} if kind is FieldType.secret else set()
        for key in {"unique", "search", "filter", "sort", "index", "default"} - allowed:
            if getattr(fs, key):
                bad(key, f"'{key}' is not allowed on {kind.value} fields (write-only)")
        if fs.read_only:
            bad("read_only", f"{kind.value} fields are write-only; they cannot be read_only")
    if fs.search and not info.text:
        bad("search", "search is only for text fields")
    if fs.sort and not info.orderable:
        bad("sort", f"{kind.value} fields cannot be sorted")
    if fs.filter and kind in (FieldType.json, FieldType.text):
        bad("filter", f"{kind.value} fields cannot be filtered")
    if kind is FieldType.json and (fs.unique or fs.index):
        bad("type", "json fields cannot be unique or indexed")
    if fs.numbering is not None:
        _check_numbering(fs, p.scope, index, bad)
    default = F.effective_default(fs)
    if default is not None:
        _check_default(fs, default, bad)
    if fs.read_only and fs.required and default is None:
        bad(
            "read_only",
            "a read_only field must be optional or have a default (the API never writes it)",
        )
    ref_entity = ref_class = ref_module = ref_display = None
    if kind is FieldType.ref and fs.to:
        target = index.get((p.scope, fs.to))
        if target is None:
            if (p.scope, fs.to) not in diags.unreadable:  # else its own error says why
                bad("to", f"unknown entity '{fs.to}' in scope '{p.scope}'")
        else:
            ref_entity = fs.to
            ref_class = target.spec.entity
            ref_display = _display_of(target.spec)
            if f"{name.removesuffix('_id')}_name" in p.spec.fields:  # the spec names it already
                ref_display = None
            ref_module = f"generated.{p.scope}.{fs.to}.model"
    derived = _derived(p, name, fs, index, bad)
    for key, message in problems:
        where = key if key in p.source.values else (*loc, "type")
        diags.add(p.path, *p.at(where), f"{'.'.join(map(str, key))}: {message}")
    if problems:
        return None

    write_only = kind in (FieldType.password, FieldType.secret)
    nullable = not fs.required
    api_type = F.enum_annotation(fs.values) if kind is FieldType.enum else info.api_type
    label = fs.label
    return Field(
        name=name,
        kind=kind,
        label_ko=label.ko if label else name,
        label_en=label.en if label else name.replace("_", " ").capitalize(),
        description=fs.description,
        column_type=F.column_type(fs),
        python_type=info.python_type,
        nullable=nullable,
        default_repr=None if default is None else F.python_literal(fs, default),
        server_default=F.server_default_sql(fs, default),
        # a tenant's filters get (tenant_id, field) indexes instead (see _indexes)
        index=fs.index or fs.filter and not fs.unique and not SCOPES[p.scope].tenant_scoped,
        foreign_key=f"{fs.to.split('.')[0]}.{fs.to.split('.')[1]}.id" if fs.to else None,
        on_delete=F.ON_DELETE_SQL[
            fs.on_delete or (OnDelete.set_null if nullable else OnDelete.restrict)
        ]
        if kind is FieldType.ref
        else None,
        check_sql=F.check_sql(name, fs),
        api_type=api_type,
        constraints=F.api_constraints(fs),
        in_create=not fs.read_only and not fs.derived and not fs.transitions,  # machine: default
        in_update=not fs.read_only and not fs.derived and not fs.status_endpoint,
        in_response=not write_only,
        create_required=fs.required
        and default is None
        and not fs.read_only
        and not fs.derived
        and fs.numbering is None,
        derived=derived,
        hashed=kind is FieldType.password,
        write_only=write_only,
        search=fs.search,
        filter=fs.filter,
        sort=fs.sort,
        status_endpoint=fs.status_endpoint,
        enum_values=tuple(fs.values or ()),
        ref_entity=ref_entity,
        ref_class=ref_class,
        ref_module=ref_module,
        parent=fs.parent,
        ref_display=ref_display,
        pattern=fs.pattern,
        min_length=fs.min_length,
        max_length=fs.max_length,
        minimum=fs.min,
        maximum=fs.max,
        example=fs.example,
        numbering=fs.numbering,
        query_type=F.query_type(fs) if kind is not FieldType.enum else "",
        transitions=tuple(
            (state, tuple(targets)) for state, targets in (fs.transitions or {}).items()
        ),
        editable=tuple(fs.editable or ()),
        refers_by=fs.refers_by,
        approval=(fs.approval.approved, fs.approval.rejected) if fs.approval else None,
        range_filter=fs.filter
        and kind
        in (
            FieldType.integer,
            FieldType.bigint,
            FieldType.decimal,
            FieldType.money,
            FieldType.date,
            FieldType.datetime,
        ),
    )


def _check_transitions(fs: FieldSpec, bad) -> None:
    """A state machine names only the field's values, starts at its default and moves."""
    if not fs.status_endpoint:
        bad("transitions", "transitions need status_endpoint: true (the moves are taken there)")
    values = set(fs.values or ())
    for state, targets in fs.transitions.items():
        for name in (state, *targets):
            if values and name not in values:
                bad("transitions", f"'{name}' is not one of the enum values")
        if state in targets:
            bad("transitions", f"'{state}' moves to itself")
    if fs.default is None:
        bad("transitions", "a state machine needs a default (its initial state)")


def _check_lifecycle(fs: FieldSpec, key: str, bad) -> None:
    """editable and approval name states of the field's state machine."""
    if not fs.transitions:
        bad(key, f"{key} needs transitions (a state machine) on this field")
        return
    values = set(fs.values or ())
    named = fs.editable if key == "editable" else [fs.approval.approved, fs.approval.rejected]
    for state in named or ():
        if state is not None and state not in values:
            bad(key, f"'{state}' is not one of the enum values")
    if key == "editable" and fs.default is not None and fs.default not in named:
        bad(key, f"editable must include the initial state '{fs.default}' (new rows start there)")
    if key == "approval":
        reachable = {t for targets in fs.transitions.values() for t in targets}
        for state in (fs.approval.approved, fs.approval.rejected):
            if state is not None and state in values and state not in reachable:
                bad(key, f"no transition moves to '{state}'")


def _check_numbering(fs, scope: str, index, bad) -> None:
    """A document number must be a unique text field of a scope that keeps the counters, and
    every number the format can produce must fit the field."""
    fmt = fs.numbering
    if fs.type is not FieldType.string:
        bad("numbering", "numbering is only for string fields")
        return
    if not fs.unique:
        bad("numbering", "a numbered field must be unique (numbers are unique per tenant)")
    if (scope, numbering.COUNTERS) not in index:
        bad("numbering", f"numbering needs the counter entity {numbering.COUNTERS} in this scope")
    problem = numbering.problem(fmt)
    if problem:
        bad("numbering", problem)
        return
    widest = numbering.render(fmt, numbering.WIDEST_DAY, 10 ** numbering.width(fmt) - 1)
    if fs.max_length is not None and len(widest) > fs.max_length:
        bad("numbering", f"numbers like {widest!r} are longer than max_length {fs.max_length}")
    if fs.pattern and not _matches(fs.pattern, widest):
        bad("numbering", f"numbers like {widest!r} do not match the pattern")


def _matches(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return True  # the pattern itself is reported elsewhere


DISPLAY_CANDIDATES = ("name", "full_name", "title", "code", "username")


def _display_of(spec: EntitySpec) -> str | None:
    """The field that names a row of ``spec`` for people, if it has one."""
    if spec.display:
        return spec.display if spec.display in spec.fields else None
    return next((c for c in DISPLAY_CANDIDATES if c in spec.fields), None)


def _check_default(fs: FieldSpec, default, bad) -> None:
    kind = fs.type
    if kind is FieldType.enum and fs.values and default not in fs.values:
        bad("default", f"default {default!r} is not one of the enum values: {', '.join(fs.values)}")
    elif kind is FieldType.boolean and not isinstance(default, bool):
        bad("default", "default of a boolean field must be true or false")
    elif kind in (FieldType.integer, FieldType.bigint) and (
        isinstance(default, bool) or not isinstance(default, int)
    ):
        bad("default", "default of an integer field must be a whole number")
    elif kind in (FieldType.decimal, FieldType.money) and (
        isinstance(default, bool) or not isinstance(default, int | float | str)
    ):
        bad("default", "default of a number field must be a number")
    elif kind in (
        FieldType.string,
        FieldType.text,
        FieldType.currency,
        FieldType.email,
        FieldType.phone,
        FieldType.url,
    ) and not isinstance(default, str):
        bad("default", f"default of a {kind.value} field must be text")
    elif kind in (FieldType.date, FieldType.datetime, FieldType.uuid, FieldType.ref):
        bad("default", f"{kind.value} fields cannot have a default")
    elif kind is FieldType.json and not isinstance(default, dict | list):
        bad("default", "default of a json field must be a mapping or a list")


def _snake(class_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()


def _url_path(p: Parsed, spec: EntitySpec, table: str) -> str:
    path = spec.path or table.replace("_", "-")
    return path if path.startswith("/") else f"/{p.domain}/{path}"


def _check_paths(built: dict, index, diags) -> None:
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


def _uniques(spec: EntitySpec, table: str, tenant: bool) -> tuple[UniqueRule, ...]:
    groups = [[n] for n, f in spec.fields.items() if f.unique] + [
        list(g) for g in spec.unique_together
    ]
    rules = []
    for group in groups:
        columns = (["tenant_id"] if tenant and "tenant_id" not in group else []) + group
        rules.append(
            UniqueRule(
                name=_constraint_name("uq", table, columns),
                columns=tuple(columns),
                fields=tuple(group),
                partial=spec.soft_delete,
            )
        )
    return tuple(rules)


def _indexes(spec: EntitySpec, table: str, tenant: bool) -> tuple[IndexRule, ...]:
    rules = []
    for group in spec.indexes:
        columns = (["tenant_id"] if tenant and "tenant_id" not in group else []) + list(group)
        rules.append(IndexRule(name=_constraint_name("ix", table, columns), columns=tuple(columns)))
    # A tenant's list filtered by a field reads that tenant's entries of one index.
    for name, fs in spec.fields.items():
        wanted = ("tenant_id", name)
        if (
            tenant
            and fs.filter
            and not fs.unique
            and fs.type not in (FieldType.json, FieldType.text)
            and all(rule.columns != wanted for rule in rules)
        ):
            rules.append(
                IndexRule(
                    name=_constraint_name("ix", table, list(wanted)),
                    columns=wanted,
                    partial=spec.soft_delete,
                )
            )
    # Lists read live rows in the default order (ties broken by id), a tenant's rows in the
    # tenant scope: one index serves every page, and keyset pages too, without sorting.
    order = [*(["tenant_id"] if tenant else []), spec.default_sort.removeprefix("-"), "id"]
    if all(rule.columns != tuple(order) for rule in rules):
        rules.append(
            IndexRule(
                name=_constraint_name("ix", table, [*order, "order"]),
                columns=tuple(order),
                partial=spec.soft_delete,
            )
        )
    return tuple(rules)


def _constraint_name(prefix: str, table: str, columns: list[str]) -> str:
    """Stable, at most 63 bytes (PostgreSQL's limit), readable when it fits."""
    name = f"{prefix}_{table}_{'_'.join(columns)}"
    if len(name) <= 63:
        return name
    import hashlib

    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[:54]}_{digest}"
