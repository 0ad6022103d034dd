"""FastAPI's cache of the fields of query-parameter models, made as large as the app.

A list endpoint takes its paging, sort and filters as one Pydantic model (``Query()``).
FastAPI reads a model's fields through ``get_cached_model_fields``, an ``lru_cache`` of 128
entries, both when it builds the OpenAPI document (it keys the schema of each field by the
field object's identity) and on every request. With more than 128 list endpoints the cache
evicts: the document fails with a ``KeyError`` in ``get_schema_from_model_field`` (a field
made again is not the one the schema was keyed by), and every request rebuilds its fields.
The models live as long as the process, so the cache holds one entry per model, unbounded.
FastAPI is pinned (pyproject.toml); tests/api/test_query_models.py checks the hook still fits.
"""

from __future__ import annotations

import functools
from typing import Any

import fastapi._compat as compat
import fastapi._compat.v2 as v2
import fastapi.dependencies.utils as dependencies

# every module that took the name at import time
_HOLDERS = (v2, compat, dependencies)


def make_unbounded() -> None:
    """Idempotent: replaces the bounded cache wherever FastAPI looks it up."""
    if getattr(getattr(dependencies, "get_cached_model_fields", None), "cxg_unbounded", False):
        return
    cached: Any = functools.cache(v2.get_model_fields)
    cached.cxg_unbounded = True
    for module in _HOLDERS:
        setattr(module, "get_cached_model_fields", cached)  # noqa: B010
