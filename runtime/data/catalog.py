"""Models imported the first time they are needed, by table name.

Mapping a model costs SQLAlchemy a few milliseconds; at a thousand tables, importing them all
would be most of the app's start. So the app imports none of them up front but the tables the
runtime itself reads (runtime.data.tables); a generated router imports its own model when its
group is first built, and each model imports the models its keys point at. What needs a table
by its name (a row of another entity named by ``document_type``, the tables that refer to a
row being deleted) asks here, and this module imports it from ``generated/<scope>/catalog.py``.

Migrations and `db check` import every model (``generated.<scope>.models``) as before.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from functools import cache
from types import ModuleType
from typing import Any

from sqlalchemy import Table

from runtime.data.models import TenantBase


def scope_of(anchor: type[Any]) -> str:
    """The generated scope (manager | tenants) of a declarative base or a mapped class."""
    return "tenants" if issubclass(anchor, TenantBase) else "manager"


@cache
def _catalog(scope: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"generated.{scope}.catalog")
    except ModuleNotFoundError:  # a scope without specs
        return None


def _modules(scope: str) -> dict[str, str]:
    catalog = _catalog(scope)
    return dict(getattr(catalog, "MODELS", {}))


def load(anchor: type[Any], names: Iterable[str]) -> None:
    """Import the models of these tables (``crm.customers``); unknown names are left out
    (callers that need a table check for it, as runtime.data.tables does)."""
    modules = _modules(scope_of(anchor))
    for name in names:
        module = modules.get(name)
        if module is not None:
            importlib.import_module(module)


def table(anchor: type[Any], name: str) -> Table:
    """The table ``name`` of ``anchor``'s database, its model imported if it was not."""
    load(anchor, (name,))
    found: Table = anchor.metadata.tables[name]
    return found


def referrers(anchor: type[Any], name: str) -> tuple[str, ...]:
    """The tables whose keys point at table ``name``, their models imported."""
    catalog = _catalog(scope_of(anchor))
    found: tuple[str, ...] = getattr(catalog, "REFERRERS", {}).get(name, ())
    load(anchor, found)
    return found


def model_named(anchor: type[Any], name: Any) -> type[Any] | None:
    """The mapped class of table ``<domain>.<table>`` in ``anchor``'s database, or None."""
    if not isinstance(name, str) or name not in _modules(scope_of(anchor)):
        return None
    key = (anchor.metadata, name)
    if key not in _FOUND:
        load(anchor, (name,))
        for mapper in anchor.registry.mappers:
            _FOUND[(anchor.metadata, mapper.local_table.fullname)] = mapper.class_
    return _FOUND.get(key)


# (metadata, table) -> its mapped class: a model, once imported, stays for the process
_FOUND: dict[tuple[Any, str], type[Any]] = {}


def referenced_model(model: type[Any], via: str) -> type[Any]:
    """The mapped class a foreign-key column of ``model`` points at (a line's header)."""
    (fk,) = model.__table__.c[via].foreign_keys
    found = model_named(model, fk.column.table.fullname)
    assert found is not None, via
    return found
