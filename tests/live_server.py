"""A real `cxg-gen serve` process for tests that need one (proxy headers, the contract fuzz,
the process table): a free port, the start, the wait for /health, the stop."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(env: dict[str, str], *args: str, cwd: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """Launch `cxg-gen serve <args>` in the project at ``cwd`` and wait until /health answers
    200."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "generator.cli", "serve", *args, "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                return server, base
        except httpx.TransportError:
            pass
        if server.poll() is not None:
            raise AssertionError(f"serve ended: {server.stderr.read()}")
        assert time.monotonic() < deadline, "serve did not answer /health"
        time.sleep(0.1)


@contextmanager
def serving(env: dict[str, str], *args: str, cwd: Path = ROOT) -> Iterator[str]:
    """The base URL of a server that lives for the block (started with --no-migrate)."""
    server, base = start(env, "--no-migrate", *args, cwd=cwd)
    try:
        yield base
    finally:
        server.terminate()
        server.wait(30)
