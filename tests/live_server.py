"""A real `cxg-gen serve` process for tests that need one (proxy headers, the contract fuzz,
the process table): a free port, the start, the wait for /health, the stop."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(env: dict[str, str], *args: str, cwd: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """Launch `cxg-gen serve <args>` in the project at ``cwd`` and wait until /health answers
    200. A port taken between choosing it and binding it (by another worker or program) gets
    another try on a new port."""
    for attempt in range(3):
        try:
            return _start(env, args, cwd)
        except PortTaken:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


class PortTaken(AssertionError):
    pass


def _start(env: dict[str, str], args: tuple[str, ...], cwd: Path) -> tuple[subprocess.Popen, str]:
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
        if server.poll() is not None:
            err = server.stderr.read() if server.stderr else ""
            if "address already in use" in err.lower():
                raise PortTaken(err)
            raise AssertionError(f"serve ended: {err}")
        if _healthy(base) and server.poll() is None:  # ours, not another program's on the port
            return server, base
        if time.monotonic() >= deadline:
            server.kill()
            server.wait()
            raise AssertionError("serve did not answer /health")
        time.sleep(0.1)


def _healthy(base: str) -> bool:
    """/health answers 200. Plain urllib: an httpx client per poll made a TLS context each
    time (some 30 ms of CPU), taken from the server it waits for."""
    try:
        with urllib.request.urlopen(f"{base}/health", timeout=5) as response:
            return bool(response.status == 200)
    except (OSError, http.client.HTTPException):  # refused, reset, or not 2xx (HTTPError)
        return False


@contextmanager
def serving(env: dict[str, str], *args: str, cwd: Path = ROOT) -> Iterator[str]:
    """The base URL of a server that lives for the block (started with --no-migrate)."""
    server, base = start(env, "--no-migrate", *args, cwd=cwd)
    try:
        yield base
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:  # never left behind
            server.kill()
            server.wait()
