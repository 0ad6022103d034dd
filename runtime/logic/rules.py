"""Write rules the spec language cannot say, registered per table by the runtime.

A rule looks at the values about to be written and returns problems (API error details);
runtime.data.crud runs the rules of a table on every create and update and answers 422 when there
are any. The app registers them at start-up, e.g. that a tenant role lists only codes of the
tenant permission catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Rule = Callable[[dict[str, Any]], list[dict[str, Any]]]
_RULES: dict[str, dict[str, Rule]] = {}


def register(table: str, name: str, rule: Rule) -> None:
    """Add (or replace) the rule ``name`` of ``table`` ("schema.table")."""
    _RULES.setdefault(table, {})[name] = rule


def has_rules(table: str) -> bool:
    return bool(_RULES.get(table))


def problems(table: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for rule in _RULES.get(table, {}).values():
        found += rule(values)
    return found


def known_codes(field: str, catalog: Iterable[str]) -> Rule:
    """``field`` (a JSON list) may hold only codes of ``catalog``."""
    allowed = frozenset(catalog)

    def rule(values: dict[str, Any]) -> list[dict[str, Any]]:
        if field not in values or values[field] is None:
            return []
        listed = values[field]
        if not isinstance(listed, list) or not all(isinstance(c, str) for c in listed):
            return [
                {
                    "field": field,
                    "source": "body",
                    "type": "list_of_codes",
                    "message": "must be a list of permission codes",
                }
            ]
        return [
            {
                "field": field,
                "source": "body",
                "type": "unknown_code",
                "message": f"{code}: not a permission code of this system",
            }
            for code in listed
            if code not in allowed
        ]

    return rule
