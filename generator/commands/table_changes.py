"""What a build's writing means beyond generated/: the files it removed, by name, and the
tables that now need a migration (or may: a model written anew).

An entity is its model module (``generated/<scope>/<domain>/<table>/model.py``). When a build
removes one, the entity left the specs, but its table and rows stay in the database until a
migration drops them; when it writes a new one, the table does not exist yet. Either way the
database needs `cxg-gen db revision` (and a dropping revision refuses live rows:
runtime/migrations/guards.py). Only the build knows this at the moment it happens; `db check`
would tell much later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from generator.model import SCOPES
from generator.render.writer import Plan

MODEL = re.compile(r"^generated/([a-z]+)/([a-z][a-z0-9_]*)/([a-z][a-z0-9_]*)/model\.py$")


@dataclass
class TableChanges:
    removed_files: list[str] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)  # (database, domain.table)
    added: list[tuple[str, str]] = field(default_factory=list)
    changed: list[tuple[str, str]] = field(default_factory=list)  # models written anew

    def as_data(self) -> dict[str, Any]:
        return {
            "removed_files": self.removed_files,
            "tables_removed": [{"database": d, "table": t} for d, t in self.removed],
            "tables_added": [{"database": d, "table": t} for d, t in self.added],
            "models_changed": [{"database": d, "table": t} for d, t in self.changed],
        }


def _entities(paths: list[str]) -> list[tuple[str, str]]:
    found = []
    for path in paths:
        match = MODEL.match(path)
        if match and match.group(1) in SCOPES:
            scope, domain, table = match.groups()
            found.append((SCOPES[scope].database, f"{domain}.{table}"))
    return sorted(found)


def of(plan: Plan) -> TableChanges:
    return TableChanges(
        removed_files=sorted(plan.extra),
        removed=_entities(plan.extra),
        added=_entities(plan.missing),
        changed=_entities(plan.changed),
    )


def lines(changes: TableChanges) -> list[str]:
    """What a person reads after a build: each removed file (an entity's folder as one line),
    then, per database, the tables that need a migration and how to write it."""
    out = []
    folders: dict[str, list[str]] = {}
    for path in changes.removed_files:
        folder, _, name = path.rpartition("/")
        if MODEL.match(f"{folder}/model.py") and f"{folder}/model.py" in changes.removed_files:
            folders.setdefault(folder, []).append(name)
        else:
            out.append(f"removed {path}")
    out = [f"removed {f}/ ({', '.join(names)})" for f, names in sorted(folders.items())] + out
    for database in sorted({d for d, _ in changes.removed + changes.added + changes.changed}):
        gone = [t for d, t in changes.removed if d == database]
        new = [t for d, t in changes.added if d == database]
        changed = [t for d, t in changes.changed if d == database]
        if gone:
            out.append(
                f"{database} database: the table{'s' if len(gone) > 1 else ''} of"
                f" {', '.join(gone)} stay{'' if len(gone) > 1 else 's'} until a migration drops"
                f' {"them" if len(gone) > 1 else "it"}: `cxg-gen db revision -m "drop'
                f' {gone[0]}"` writes it; it refuses to drop a table that still holds live rows'
                " (`cxg-gen db upgrade --allow-data-loss` drops them anyway)"
            )
        if new:
            out.append(
                f"{database} database: {', '.join(new)} {'are' if len(new) > 1 else 'is'} new:"
                f' `cxg-gen db revision -m "add {new[0]}"` writes the migration that creates'
                f" {'them' if len(new) > 1 else 'it'}"
            )
        if changed:
            # a model rewritten may change its table (a field, a rule) or only its words
            out.append(
                f"{database} database: the model{'s' if len(changed) > 1 else ''} of"
                f" {', '.join(changed)} changed: `cxg-gen db check` says whether the"
                f" table{'s' if len(changed) > 1 else ''} need{'' if len(changed) > 1 else 's'}"
                f' a migration, and `cxg-gen db revision -m "change {changed[0]}"` writes it'
            )
    return out
