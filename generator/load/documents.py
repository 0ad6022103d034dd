"""Headers and their lines: which entities are lines of which header (``parent: true``), the
collection names, and the totals a line feeds into its header (``derived: sum(...)``)."""

from __future__ import annotations

import re
from typing import TypedDict

from generator.load.naming import segment, table_of, url_path
from generator.load.parsing import Index, Parsed
from generator.load.spec import EntitySpec, Operation
from generator.model import (
    LineCollection,
)
from generator.model.types import TYPES

PRODUCT = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*\*\s*([a-z][a-z0-9_]*)\s*$")


SUM = re.compile(r"^\s*sum\(\s*([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\s*\)\s*$")


NUMBERS = tuple(kind for kind, info in TYPES.items() if info.numeric)


class LineOf(TypedDict, total=False):
    """The keywords of a line's Entity that come from its header (none for other entities)."""

    parent_url_path: str
    line_segment: str
    rollups: tuple[tuple[str, str, str], ...]
    locked_by: tuple[str, str] | None


def line_of(p: Parsed[EntitySpec], spec: EntitySpec, index: Index) -> LineOf:
    for name, fs in spec.fields.items():
        header = index.get((p.scope, fs.to)) if fs.parent and fs.to else None
        if header is not None:
            attribute = segment(header, table_of(p)).replace("-", "_")
            rollups = tuple(
                (name, total, match.group(2))
                for total, hs in header.spec.fields.items()
                if hs.derived and (match := SUM.match(hs.derived)) and match.group(1) == attribute
            )
            locks = any(hs.editable for hs in header.spec.fields.values())
            return {
                "parent_url_path": url_path(header, header.spec, table_of(header)),
                "line_segment": segment(header, table_of(p)),
                "rollups": rollups,
                "locked_by": (name, f"{header.domain}.{table_of(header)}") if locks else None,
            }
    return {}


def lines_of(header: Parsed[EntitySpec], index: Index) -> tuple[LineCollection, ...]:
    """Entities of the same scope whose parent ref points at ``header``."""
    key = f"{header.domain}.{table_of(header)}"
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
                        segment=segment(header, table_of(child)),
                        label_ko=child.spec.label.ko,
                        creatable=Operation.create in child.spec.operations,
                        min_lines=fs.min_lines or 0,
                    )
                )
    return tuple(found)
