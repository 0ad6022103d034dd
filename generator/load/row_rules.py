"""``checks:`` of an entity spec → typed rules: one CHECK constraint and one API rule each.

A rule compares a field with another field or a constant: ``end_date >= start_date``,
``quantity > 0`` (an exclusive bound), ``status != 'VOID'``. Both sides must be of one family
(numbers, dates, date-times or text); as in SQL, a rule with an empty side holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from generator.load.spec import CheckSpec, EntitySpec, FieldSpec, FieldType
from generator.model import CheckRule
from generator.model import types as F
from generator.model.types import TYPES

RULE = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*(<=|>=|!=|=|<|>)\s*(.+?)\s*$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
TEXT = re.compile(r"^'((?:[^']|'')*)'$")
IDENT = re.compile(r"^[a-z][a-z0-9_]*$")

COMPARABLE = ("number", "date", "datetime", "text")
OP_NAME = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "=": "eq", "!=": "ne"}
OP_EN = {
    "<": "less than",
    "<=": "at most",
    ">": "greater than",
    ">=": "at least",
    "=": "equal to",
    "!=": "different from",
}
OP_KO = {"<": "미만이어야", "<=": "이하여야", ">": "초과여야", ">=": "이상이어야"}


def _family(kind: FieldType) -> str | None:
    family = TYPES[kind].family  # what may be compared with what (types.TYPES)
    return family if family in COMPARABLE else None


def build_checks(
    spec: EntitySpec, table: str, bad: Callable[[int, str], None]
) -> tuple[CheckRule, ...]:
    """The entity's rules; ``bad(index, message)`` reports a problem with rule ``index``."""
    rules = []
    seen: set[str] = set()
    for i, check in enumerate(spec.checks):
        match = RULE.match(check.rule)
        if not match:
            bad(i, "a rule reads '<field> <op> <field or constant>', op one of < <= > >= = !=")
            continue
        left, op, right = match.groups()
        rule = _rule(spec, table, left, op, right, check, partial(bad, i))
        if rule is None:
            continue
        if rule.name in seen:  # reported at its own place in checks:, not among the valid
            bad(i, f"the same rule twice ({check.rule})")
            continue
        seen.add(rule.name)
        rules.append(rule)
    return tuple(rules)


def _rule(
    spec: EntitySpec,
    table: str,
    left: str,
    op: str,
    right: str,
    check: CheckSpec,
    bad: Callable[[str], None],
) -> CheckRule | None:
    fields: dict[str, FieldSpec] = spec.fields
    if left not in fields:
        bad(F.not_a_field(left))
        return None
    family = _family(fields[left].type)
    if family is None:
        bad(f"'{left}' ({fields[left].type.value}) cannot be compared")
        return None
    right_field: str | None = None
    right_value: str | int | float | None = None
    if IDENT.match(right):
        if right not in fields:
            bad(F.not_a_field(right))
            return None
        if _family(fields[right].type) != family:
            bad(f"'{left}' and '{right}' are not of one kind and cannot be compared")
            return None
        right_field, sql_right = right, right
    elif NUMBER.match(right) and family == "number":
        right_value = float(right) if "." in right else int(right)
        sql_right = right
    elif (text := TEXT.match(right)) and family == "text":
        right_value = text.group(1).replace("''", "'")
        sql_right = right
    else:
        bad(f"'{right}' is neither a field nor a constant '{left}' can be compared with")
        return None
    if family == "text" and op not in ("=", "!="):
        bad("text compares with = and != only")
        return None
    shown = right_field or str(right_value)
    slug = re.sub(r"[^a-z0-9]+", "_", f"{left}_{OP_NAME[op]}_{shown}".lower()).strip("_")
    name = slug[: max(8, 63 - len(f"ck_{table}_"))]

    def label(field: str) -> str:
        given = fields[field].label
        return given.ko if given else field

    right_ko = label(right_field) if right_field else str(right_value)
    if op in OP_KO:
        ko = f"{label(left)}은(는) {right_ko} {OP_KO[op]} 합니다."
    else:
        ko = f"{label(left)}은(는) {right_ko}와(과) {'같아야' if op == '=' else '달라야'} 합니다."
    en = f"{left} must be {OP_EN[op]} {shown}"
    return CheckRule(
        name=name,
        left=left,
        op=op,
        right_field=right_field,
        right_value=right_value,
        sql=f"{left} {'<>' if op == '!=' else op} {sql_right}",
        message_ko=check.message.ko if check.message else ko,
        message_en=check.message.en if check.message else en,
    )
