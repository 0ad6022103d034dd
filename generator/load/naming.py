"""Names derived from specs: tables, snake_case, URL paths, line segments, constraint names,
and the field that names a row for people."""

from __future__ import annotations

import re
from pathlib import Path

from generator.load.parsing import Parsed
from generator.load.spec import EntitySpec


def table_of(p: Parsed[EntitySpec]) -> str:
    return p.spec.table or Path(p.path).stem


def snake(class_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()


def url_path(p: Parsed[EntitySpec], spec: EntitySpec, table: str) -> str:
    path = spec.path or table.replace("_", "-")
    return path if path.startswith("/") else f"/{p.domain}/{path}"


def singular(table: str) -> str:
    """order_items → order_item, categories → category, addresses → address."""
    for plural, one in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("s", "")):
        if table.endswith(plural) and len(table) > len(plural):
            return table[: -len(plural)] + one
    return table


def segment(header: Parsed[EntitySpec], child_table: str) -> str:
    """items for sales_order_items under sales_orders (by the header's class name or, when the
    class is named otherwise, its table); the whole name when no prefix fits."""
    for one in (snake(header.spec.entity), singular(table_of(header))):
        if child_table.startswith(one + "_"):
            return child_table.removeprefix(one + "_").replace("_", "-")
    return child_table.replace("_", "-")


DISPLAY_CANDIDATES = ("name", "full_name", "title", "code", "username")


def display_of(spec: EntitySpec) -> str | None:
    """The field that names a row of ``spec`` for people, if it has one."""
    if spec.display:
        return spec.display if spec.display in spec.fields else None
    return next((c for c in DISPLAY_CANDIDATES if c in spec.fields), None)


def constraint_name(prefix: str, table: str, columns: list[str]) -> str:
    """Stable, at most 63 bytes (PostgreSQL's limit), readable when it fits."""
    name = f"{prefix}_{table}_{'_'.join(columns)}"
    if len(name) <= 63:
        return name
    import hashlib

    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[:54]}_{digest}"
