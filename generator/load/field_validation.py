"""The rules of a field that need more than one look: state machines and what rides on them,
document numbers, defaults by type, derived values; each reports through ``bad(key, message)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from generator.load import numbering
from generator.load.documents import NUMBERS, PRODUCT, SUM, lines_of
from generator.load.parsing import Index, Parsed
from generator.load.spec import EntitySpec, FieldSpec, FieldType
from generator.model import types as F

Bad = Callable[[str, str], None]  # bad(key, message): a problem with the field's key


def check_transitions(fs: FieldSpec, bad: Bad) -> None:
    """A state machine names only the field's values, starts at its default and moves."""
    assert fs.transitions is not None  # checked for fields with transitions only
    if not fs.status_endpoint:
        bad("transitions", "transitions need status_endpoint: true (the moves are taken there)")
    values = set(fs.values or ())
    for state, targets in fs.transitions.items():
        for name in (state, *targets):
            if values and name not in values:
                bad("transitions", f"'{name}' is not one of the enum values")
        if state in targets:
            bad("transitions", f"'{state}' moves to itself")
    if fs.default is None and not fs.status_endpoint:  # else said of status_endpoint
        bad("transitions", "a state machine needs a default (its initial state)")


def check_lifecycle(fs: FieldSpec, key: str, bad: Bad) -> None:
    """editable and approval name states of the field's state machine."""
    if not fs.transitions:
        bad(key, f"{key} needs transitions (a state machine) on this field")
        return
    values = set(fs.values or ())  # an enum without values is reported once, by its type
    # called for a key the field has, so the one asked about is set
    ends = [fs.approval.approved, fs.approval.rejected] if fs.approval else []
    named = (fs.editable or []) if key == "editable" else ends
    for state in named:
        if values and state is not None and state not in values:
            bad(key, f"'{state}' is not one of the enum values")
    if key == "editable" and fs.default is not None and fs.default not in named:
        bad(key, f"editable must include the initial state '{fs.default}' (new rows start there)")
    if key == "approval":
        reachable = {t for targets in fs.transitions.values() for t in targets}
        for state in ends:
            if state is not None and (not values or state in values) and state not in reachable:
                bad(key, f"no transition moves to '{state}'")


def check_numbering(fs: FieldSpec, scope: str, index: Index, bad: Bad) -> None:
    """A document number must be a unique text field of a scope that keeps the counters, and
    every number the format can produce must fit the field."""
    fmt = fs.numbering
    assert fmt is not None  # checked for numbered fields only
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
    if fs.pattern and not matches(fs.pattern, widest):
        bad("numbering", f"numbers like {widest!r} do not match the pattern")


def matches(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return True  # the pattern itself is reported elsewhere


def check_default(fs: FieldSpec, default: Any, bad: Bad) -> None:
    """A default the column can hold, by the type's family (types.TYPES)."""
    kind = fs.type
    info = F.TYPES[kind]
    if kind is FieldType.enum and fs.values and default not in fs.values:
        bad("default", f"default {default!r} is not one of the enum values: {', '.join(fs.values)}")
    elif info.family == "boolean" and not isinstance(default, bool):
        bad("default", "default of a boolean field must be true or false")
    elif info.int_bound and (isinstance(default, bool) or not isinstance(default, int)):
        bad("default", "default of an integer field must be a whole number")
    elif info.int_bound and not -info.int_bound <= default < info.int_bound:
        bound = info.int_bound
        bad(
            "default",
            f"default {default} is out of range: {kind.value} holds {-bound} to {bound - 1}",
        )
    elif info.numeric and not info.int_bound and (problem := _decimal_default_problem(fs, default)):
        bad("default", problem)
    elif info.family == "text" and kind is not FieldType.enum and not isinstance(default, str):
        bad("default", f"default of a {kind.value} field must be text")
    elif info.family in ("date", "datetime", "uuid"):
        bad("default", f"{kind.value} fields cannot have a default")
    elif info.family == "json" and not isinstance(default, dict | list):
        bad("default", "default of a json field must be a mapping or a list")


def _decimal_default_problem(fs: FieldSpec, default: Any) -> str | None:
    """Why ``default`` cannot be the default of a decimal or money column, or None."""
    if isinstance(default, bool) or not isinstance(default, int | float | str):
        return "default of a number field must be a number"
    try:
        value = Decimal(str(default))
    except InvalidOperation:
        return f"default {default!r} is not a number"
    if not value.is_finite():
        return f"default {default!r} is not a finite number"
    precision, scale = F.decimal_shape(fs)
    if value != 0 and value.adjusted() >= precision - scale:  # digits before the point
        return (
            f"default {default!r} does not fit the column: numeric({precision}, {scale}) "
            f"holds at most {precision - scale} digits before the point"
        )
    return None


def derived_of(
    p: Parsed[EntitySpec], name: str, fs: FieldSpec, index: Index, bad: Bad
) -> tuple[str, str, str] | None:
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
            if other is None and operand in F.MIXIN_COLUMNS:
                bad("derived", f"{F.not_a_field(operand)}; derived values use its number fields")
                return None
            if other is None or other.type not in NUMBERS or operand == name:
                bad("derived", f"'{operand}' is not another number field of this entity")
                return None
        return ("product", a, b)
    if match := SUM.match(fs.derived):
        attribute, line_field = match.groups()
        lines = {c.attribute: c for c in lines_of(p, index)}
        if attribute not in lines:
            known = ", ".join(sorted(lines)) or "none"
            bad("derived", f"'{attribute}' is not a collection of lines of this entity ({known})")
            return None
        child = index[(p.scope, lines[attribute].key)]
        if child.spec.fields.get(line_field) is None and line_field in F.MIXIN_COLUMNS:
            where = f"a column every table has, not a field of {lines[attribute].key}"
            bad("derived", f"'{line_field}' is {F.BUILTIN_MEANING[line_field]}, {where}")
            return None
        if (
            child.spec.fields.get(line_field) is None
            or child.spec.fields[line_field].type not in NUMBERS
        ):
            bad("derived", f"'{line_field}' is not a number field of {lines[attribute].key}")
            return None
        return ("sum", lines[attribute].key, line_field)
    bad("derived", "write 'a * b' (two number fields) or 'sum(<lines>.<number field>)'")
    return None
