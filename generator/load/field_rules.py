"""The rules of one field of a spec: which keys go with which types and with each other, state
machines, numbering, defaults, derived values; then the typed :class:`~generator.model.Field`.

The rules a look at one field decides ("key X is only for type Y") are a table (``RULES``);
the ones that need more (state machines, numbering, defaults, derived values) are in
generator.load.field_validation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from generator.load.diagnostics import Diagnostics
from generator.load.documents import NUMBERS
from generator.load.field_validation import (
    check_default,
    check_lifecycle,
    check_numbering,
    check_transitions,
    derived_of,
    matches,
)
from generator.load.naming import display_of
from generator.load.parsing import Index, Parsed
from generator.load.spec import EntitySpec, FieldSpec, FieldType, OnDelete
from generator.load.yamlsource import Loc
from generator.model import SCOPES, Field
from generator.model import types as F

Rule = tuple[str, Callable[[FieldSpec, F.TypeInfo], Any], str]
DECIMALS = (FieldType.decimal, FieldType.money)

# Rules that a look at one field decides: (the key reported, when the field breaks it, what is
# said; {kind} is the field's type).
RULES: tuple[Rule, ...] = (
    (
        "type",
        lambda fs, t: fs.type is FieldType.enum and not fs.values,
        "enum fields need 'values'",
    ),
    (
        "values",
        lambda fs, t: fs.values is not None and fs.type is not FieldType.enum,
        "'values' is only for enum fields",
    ),
    (
        "values",
        lambda fs, t: fs.values and len(set(fs.values)) != len(fs.values),
        "enum values must be distinct",
    ),
    (
        "type",
        lambda fs, t: fs.type is FieldType.ref and not fs.to,
        "ref fields need 'to: <domain>.<table>'",
    ),
    (
        "to",
        lambda fs, t: fs.to is not None and fs.type is not FieldType.ref,
        "'to' is only for ref fields",
    ),
    (
        "items",
        lambda fs, t: fs.items is not None and fs.type is not FieldType.json,
        "'items' is only for json fields",
    ),  # fmt: skip
    (
        "on_delete",
        lambda fs, t: fs.on_delete is not None and fs.type is not FieldType.ref,
        "'on_delete' is only for ref fields",
    ),
    (
        "on_delete",
        lambda fs, t: fs.on_delete is OnDelete.set_null and fs.required,
        "on_delete: set_null needs required: false",
    ),
    (
        "parent",
        lambda fs, t: fs.parent and fs.type is not FieldType.ref,
        "parent is only for ref fields",
    ),
    ("parent", lambda fs, t: fs.parent and not fs.required, "a parent reference must be required"),
    (
        "embedded",
        lambda fs, t: not fs.embedded and not fs.parent,
        "embedded is only for parent references",
    ),
    (
        "min_lines",
        lambda fs, t: fs.min_lines is not None and not (fs.parent and fs.embedded),
        "min_lines is only for parent references of embedded lines",
    ),
    (
        "status_endpoint",
        lambda fs, t: fs.status_endpoint and fs.type is not FieldType.enum,
        "status_endpoint is only for enum fields",
    ),
    (
        "status_endpoint",
        lambda fs, t: fs.status_endpoint and F.effective_default(fs) is None,
        "a status field needs a default: new rows start there (create does not take it)",
    ),
    (
        "refers_by",
        lambda fs, t: fs.refers_by is not None and fs.type is not FieldType.uuid,
        "refers_by is only for uuid fields",
    ),
    (
        "min_length",
        lambda fs, t: fs.min_length is not None and not (t.lengths or t.family == "secret"),
        "'min_length' is only for text fields",
    ),
    (
        "max_length",
        lambda fs, t: fs.max_length is not None and not (t.lengths or t.family == "secret"),
        "'max_length' is only for text fields",
    ),
    ("min", lambda fs, t: fs.min is not None and not t.numeric, "'min' is only for number fields"),
    ("max", lambda fs, t: fs.max is not None and not t.numeric, "'max' is only for number fields"),
    (
        "precision",
        lambda fs, t: fs.precision is not None and fs.type not in DECIMALS,
        "'precision' is only for decimal and money fields",
    ),
    (
        "scale",
        lambda fs, t: fs.scale is not None and fs.type not in DECIMALS,
        "'scale' is only for decimal and money fields",
    ),
    (
        "pattern",
        lambda fs, t: fs.pattern is not None and not t.lengths,
        "'pattern' is only for text fields",
    ),
    (
        "min_length",
        lambda fs, t: (
            fs.min_length is not None
            and fs.max_length is not None
            and fs.min_length > fs.max_length
        ),
        "min_length is greater than max_length",
    ),
    (
        "min",
        lambda fs, t: fs.min is not None and fs.max is not None and fs.min > fs.max,
        "min is greater than max",
    ),
    (
        "read_only",
        # a read_only secret is the server's own (an MFA secret): never written nor shown
        lambda fs, t: fs.read_only and fs.type is FieldType.password,
        "{kind} fields are write-only; they cannot be read_only",
    ),
    ("search", lambda fs, t: fs.search and not t.lengths, "search is only for text fields"),
    ("sort", lambda fs, t: fs.sort and not t.orderable, "{kind} fields cannot be sorted"),
    (
        "filter",
        lambda fs, t: fs.filter and fs.type in (FieldType.json, FieldType.text),
        "{kind} fields cannot be filtered",
    ),
    (
        "type",
        lambda fs, t: fs.type is FieldType.json and (fs.unique or fs.index),
        "json fields cannot be unique or indexed",
    ),
    (
        "read_only",
        lambda fs, t: fs.read_only and fs.required and F.effective_default(fs) is None,
        "a read_only field must be optional or have a default (the API never writes it)",
    ),
)


def build_field(
    p: Parsed[EntitySpec], name: str, fs: FieldSpec, index: Index, diags: Diagnostics
) -> Field | None:
    loc = ("fields", name)
    kind = fs.type
    info = F.TYPES[kind]
    problems: list[tuple[Loc, str]] = []

    def bad(key: str, message: str) -> None:
        problems.append(((*loc, key), message))

    for key, broken, message in RULES:
        if broken(fs, info):
            bad(key, message.format(kind=kind.value))
    if fs.transitions is not None:
        check_transitions(fs, bad)
    elif fs.status_endpoint and fs.values:
        diags.warn(
            p.path,
            *p.at((*loc, "status_endpoint")),
            f"fields.{name}.status_endpoint: no transitions, so PATCH /{{id}}/{name} takes"
            f" any move between {', '.join(fs.values)} (add transitions: {{FROM: [TO, ...]}}"
            " to allow only some)",
        )
    for key in ("editable", "approval"):
        if getattr(fs, key) is not None:
            check_lifecycle(fs, key, bad)
    if fs.refers_by is not None and kind is FieldType.uuid:
        other = p.spec.fields.get(fs.refers_by)
        if other is None and fs.refers_by in F.MIXIN_COLUMNS:
            bad("refers_by", f"{F.not_a_field(fs.refers_by)}; refers_by names a string field")
        elif other is None or other.type is not FieldType.string or fs.refers_by == name:
            bad("refers_by", f"'{fs.refers_by}' is not another string field of this entity")
    if fs.renamed_from is not None:
        old = fs.renamed_from
        if old in p.spec.fields:
            bad("renamed_from", f"'{old}' is a field of this entity; renamed_from names the"
                " field's name before the rename")  # fmt: skip
        elif old in F.MIXIN_COLUMNS:
            bad("renamed_from", f"{F.not_a_field(old)}; no field was ever called that")
        elif [f.renamed_from for f in p.spec.fields.values()].count(old) > 1:
            bad("renamed_from", f"another field is renamed from '{old}' too")
    if fs.pattern is not None and info.lengths:
        try:
            re.compile(fs.pattern)
        except re.error as exc:
            bad("pattern", f"invalid regular expression: {exc}")
    if (
        fs.example is not None
        and fs.pattern
        and info.lengths
        and (not isinstance(fs.example, str) or not matches(fs.pattern, fs.example))
    ):
        bad("example", f"example {fs.example!r} does not match the pattern")
    if fs.example is not None and fs.values and fs.example not in fs.values:
        bad("example", f"example {fs.example!r} is not one of the enum values")
    if kind in (FieldType.password, FieldType.secret):
        # a secret may be unique or indexed (an API key's digest is looked up); never shown
        allowed = {"unique", "index"} if kind is FieldType.secret else set()
        for key in {"unique", "search", "filter", "sort", "index", "default"} - allowed:
            if getattr(fs, key):
                bad(key, f"'{key}' is not allowed on {kind.value} fields (write-only)")
    if fs.numbering is not None:
        check_numbering(fs, p.scope, index, bad)
    default = F.effective_default(fs)
    if default is not None:
        check_default(fs, default, bad)
    ref_entity = ref_class = ref_module = ref_display = None
    if kind is FieldType.ref and fs.to:
        target = index.get((p.scope, fs.to))
        if target is None:
            if (p.scope, fs.to) not in diags.unreadable:  # else its own error says why
                bad("to", f"unknown entity '{fs.to}' in scope '{p.scope}'")
        else:
            ref_entity = fs.to
            ref_class = target.spec.entity
            ref_display = display_of(target.spec)
            if f"{name.removesuffix('_id')}_name" in p.spec.fields:  # the spec names it already
                ref_display = None
            ref_module = f"generated.{p.scope}.{fs.to}.model"
    derived = derived_of(p, name, fs, index, bad)
    for at, message in problems:
        where = at if at in p.source.values else (*loc, "type")
        diags.add(p.path, *p.at(where), f"{'.'.join(map(str, at))}: {message}")
    if problems:
        return None

    write_only = kind in (FieldType.password, FieldType.secret)
    nullable = not fs.required
    api_type = info.api_type
    if kind is FieldType.enum and fs.values:  # an enum without values was reported above
        api_type = F.enum_annotation(fs.values)
    if fs.items is not None:  # a list of strings; the codes themselves: Entity.typed
        api_type = "list[str]"
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
        # a tenant's filters get (tenant_id, field) indexes instead (see indexes)
        index=fs.index or fs.filter and not fs.unique and not SCOPES[p.scope].tenant_scoped,
        foreign_key=f"{fs.to.split('.')[0]}.{fs.to.split('.')[1]}.id" if fs.to else None,
        on_delete=(
            F.ON_DELETE_SQL[fs.on_delete or (OnDelete.set_null if nullable else OnDelete.restrict)]
            if kind is FieldType.ref
            else None
        ),
        check_sql=F.check_sql(name, fs),
        api_type=api_type,
        constraints=F.api_constraints(fs),
        constraint_values=F.constraint_values(fs),
        default_value=default,
        digits=F.decimal_shape(fs) if kind in (FieldType.decimal, FieldType.money) else None,
        # a status starts at its default, machine or not: moves go through its endpoint
        in_create=not fs.read_only and not fs.derived and not fs.status_endpoint,
        in_update=not fs.read_only and not fs.derived and not fs.status_endpoint,
        in_response=not write_only,
        create_required=fs.required
        and default is None
        and not fs.read_only
        and not fs.derived
        and fs.numbering is None,
        derived=derived,
        renamed_from=fs.renamed_from,
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
        items=fs.items,
        approval=(fs.approval.approved, fs.approval.rejected) if fs.approval else None,
        range_filter=fs.filter and kind in (*NUMBERS, FieldType.date, FieldType.datetime),
    )
