"""Every PostgreSQL a command starts is gone when the command ends: `db check` and
`db revision` (their throw-away servers) and `serve` (the embedded server), whether it is
stopped by SIGINT or SIGTERM. Checked on the process table."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests import live_server

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = [ROOT / "runtime/migrations" / db / "versions" for db in ("manager", "tenant")]


def _embedded_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXG_")}
    return {**env, "CXG_DATA_DIR": str(data_dir), "CXG_JWT_SECRET": "p" * 40}


def _postgres_of(marker: str) -> list[psutil.Process]:
    """Running postgres processes whose command line mentions ``marker``."""
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        try:
            line = " ".join(proc.info["cmdline"] or [])
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if "postgres" in (proc.info["name"] or "") and marker in line:
            found.append(proc)
    return found


def _scratch_env(tmp_path: Path) -> dict[str, str]:
    """The embedded environment, with the command's throw-away directories under ``tmp_path``
    (TMPDIR), so the servers found are this command's, not another run's on the machine."""
    (tmp_path / "tmp").mkdir()
    return {**_embedded_env(tmp_path), "TMPDIR": str(tmp_path / "tmp")}


def _scratch_servers(tmp_path: Path) -> set[int]:
    return {p.pid for p in _postgres_of(str(tmp_path / "tmp" / "cxg-scratch-"))}


def _cxg(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "generator.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_db_check_leaves_no_server_behind(tmp_path):
    result = _cxg("db", "check", env=_scratch_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "manager: migrations match the models" in result.stderr
    assert _scratch_servers(tmp_path) == set()


def test_db_revision_without_changes_writes_nothing(tmp_path):
    files = {db: sorted(p.name for p in d.glob("*.py")) for db, d in enumerate(VERSIONS)}
    result = _cxg("db", "revision", "-m", "nothing changed", env=_scratch_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "manager: models and migrations agree; no revision written" in result.stderr
    assert "tenant: models and migrations agree; no revision written" in result.stderr
    assert {db: sorted(p.name for p in d.glob("*.py")) for db, d in enumerate(VERSIONS)} == files
    assert _scratch_servers(tmp_path) == set()


@pytest.fixture(scope="module")
def serve_data(tmp_path_factory) -> Path:
    """One data directory for both stops: the first `serve` makes its server there, the
    second starts the one the first left (a restart, as in use), and neither leaves it up."""
    return tmp_path_factory.mktemp("serve-data")


@pytest.mark.parametrize("stop_with", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_its_embedded_server(serve_data, stop_with):
    data_dir = serve_data
    server, _ = live_server.start(_embedded_env(data_dir))  # migrates, then serves
    try:
        assert _postgres_of(str(data_dir)), "serve should run on its embedded server"
        server.send_signal(stop_with)
        server.wait(60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode in (0, 128 + stop_with, -stop_with)
    leftover = _postgres_of(str(data_dir))
    assert not leftover, [p.info["cmdline"] for p in leftover]
