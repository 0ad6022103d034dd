"""What the spec-driven suites share: the project's model, loaded from the specs beside these
tests (not a hand-kept list), and how they name and mark each entity's tests.

Every test parametrized by :func:`by_entity` carries the mark ``spec_entity("<scope>.<domain>.
<table>")``; ``pytest --domain tenants.crm`` (or ``--domain tenants.crm.customers``, repeatable)
runs only the spec-driven tests of that domain or entity (tests/conftest.py). A new domain's
entities are in every suite the moment its specs are: no test is written for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from generator.load.loader import load_project
from generator.model import Entity

ROOT = Path(__file__).resolve().parents[2]
PROJECT = load_project(ROOT)
ENTITIES = {(e.scope.name, e.key): e for e in PROJECT.entities}
PREFIX = {"manager": "/api/v1/manager", "tenants": "/api/v1/tenants"}
MARK = "spec_entity"


def ident(entity: Entity) -> str:
    return f"{entity.scope.name}:{entity.key}"


def mark(entity: Entity) -> pytest.MarkDecorator:
    return getattr(pytest.mark, MARK)(f"{entity.scope.name}.{entity.key}")


def by_entity(entities: Iterable[Entity]) -> list[Any]:
    """One parameter per entity, named ``scope:domain.table`` and marked with its entity."""
    return [pytest.param(e, id=ident(e), marks=mark(e)) for e in entities]


def url(entity: Entity) -> str:
    return PREFIX[entity.scope.name] + entity.url_path


def hook_module(entity: Entity) -> Path:
    """Where an entity's hand-owned hooks live (runtime/logic/extend.py)."""
    return ROOT / "runtime/extensions" / entity.scope.name / entity.domain / f"{entity.table}.py"
