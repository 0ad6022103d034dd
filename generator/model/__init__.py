"""The typed domain model the templates read: Project → Scope → Domain → Entity → Field.

Everything a template needs is decided here (column types, Pydantic types, which schema a
field belongs to, URL paths, tags, permission codes, imports), so that templates only loop
and substitute. The classes live in generator.model.base (scopes), generator.model.field
(columns and table rules), generator.model.entity (tables) and generator.model.project (the
tree above them); this package is where everyone imports the model from.
"""

from __future__ import annotations

from generator.model.base import (
    RESERVED_PATHS,
    SCOPES,
    Action,
    Endpoint,
    Frozen,
    LineCollection,
    ScopeInfo,
)
from generator.model.entity import Entity
from generator.model.field import CheckRule, Field, IndexRule, UniqueRule
from generator.model.project import Domain, Project, Scope

__all__ = [
    "RESERVED_PATHS",
    "SCOPES",
    "Action",
    "CheckRule",
    "Domain",
    "Endpoint",
    "Entity",
    "Field",
    "Frozen",
    "IndexRule",
    "LineCollection",
    "Project",
    "Scope",
    "ScopeInfo",
    "UniqueRule",
]
