"""Rules across fields (``checks:`` in a spec), answered before the database is asked.

Each rule is also a CHECK constraint, so the database holds it against any writer; here it
becomes a 422 naming both fields, checked on create against the values sent and on update
against the row as it will be. As in SQL, a rule with an empty side holds.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from runtime.web.context import language_var
from runtime.web.errors import ValidationError

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True)
class Check:
    name: str
    left: str
    op: str
    field: str | None = None  # the right side, when it is a field
    value: Any = None  # ... or a constant
    message: dict[str, str] | None = None

    def holds(self, value_of: Callable[[str], Any]) -> bool:
        left = value_of(self.left)
        right = value_of(self.field) if self.field else self.value
        if left is None or right is None:
            return True
        if isinstance(left, Decimal) and isinstance(right, float):
            right = Decimal(str(right))
        return OPS[self.op](left, right)

    def detail(self) -> list[dict[str, Any]]:
        lang = language_var.get()
        text = (self.message or {}).get(lang) or (self.message or {}).get("ko", "")
        fields = [self.left, *([self.field] if self.field else [])]
        return [
            {"field": f, "source": "body", "message": text, "type": "check", "rule": self.name}
            for f in fields
        ]


def _of(model: type[Any]) -> tuple[Check, ...]:
    checks: tuple[Check, ...] = getattr(model, "__checks__", ())  # the generated model's
    return checks


def enforce(model: type[Any], value_of: Callable[[str], Any]) -> None:
    """422 naming the fields of every rule of ``model`` the values break."""
    broken = [c for c in _of(model) if not c.holds(value_of)]
    if broken:
        raise ValidationError(detail=[d for c in broken for d in c.detail()])


def by_constraint(model: type[Any], constraint: str | None) -> Check | None:
    """The rule behind a CHECK constraint the database refused (ck_<table>_<name>)."""
    prefix = f"ck_{model.__table__.name}_"
    for check in _of(model):
        if constraint == prefix + check.name:
            return check
    return None
