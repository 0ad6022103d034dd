"""Switches for tests only: nothing in the application imports this module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from runtime.reading import ApplicationCheck


@contextmanager
def without_application_tenant_check() -> Iterator[None]:
    """Run with the generated query path's tenant filter off: only RLS stands in the way."""
    ApplicationCheck.enabled = False
    try:
        yield
    finally:
        ApplicationCheck.enabled = True
