"""What PostgreSQL said, wherever the layers between put it: SQLAlchemy wraps the driver's
adapted error (``exc.orig``), which wraps asyncpg's own (its ``__cause__``)."""

from __future__ import annotations


def sqlstate(exc: BaseException) -> str | None:
    """The error's SQLSTATE (23505, 42501, ...), or None when PostgreSQL gave none."""
    for candidate in (getattr(exc, "orig", None), exc.__cause__, exc):
        code = getattr(candidate, "sqlstate", None)
        if code is None and candidate is not None:
            code = getattr(getattr(candidate, "__cause__", None), "sqlstate", None)
        if code:
            return str(code)
    return None


def driver_error(exc: BaseException) -> object | None:
    """asyncpg's own error under SQLAlchemy's (its constraint, table, column and detail)."""
    orig = getattr(exc, "orig", None)
    return orig.__cause__ if orig is not None else None
