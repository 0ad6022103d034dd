"""How long the served API takes to start, and to answer its first /openapi.json.

    .venv/bin/python -m tests.benchmarks.startup [--runs 3]

Starts `cxg-gen serve --no-migrate` as a real process on fresh, migrated databases (found
like the tests find theirs) and times, per run: from launch to the first answer of /health,
and the first and second GET /openapi.json. Writes docs/benchmarks/startup.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "docs/benchmarks/startup.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
    return time.perf_counter() - started


def one_run(env: dict) -> dict:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    launched = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "generator.cli", "serve", "--no-migrate", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                get(f"{base}/health")
                break
            except OSError:
                if server.poll() is not None or time.perf_counter() - launched > 60:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.01)
        start = time.perf_counter() - launched
        first = get(f"{base}/openapi.json")
        second = get(f"{base}/openapi.json")
    finally:
        server.terminate()
        server.wait(10)
    return {"start_s": round(start, 3), "openapi_first_s": round(first, 3),
            "openapi_again_s": round(second, 4)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from tests.database import fresh_databases

    with tempfile.TemporaryDirectory() as tmp, fresh_databases(Path(tmp)) as urls:
        env = {
            **os.environ,
            "CXG_MANAGER_DATABASE_URL": urls["manager"],
            "CXG_TENANT_DATABASE_URL": urls["tenant"],
            "CXG_JWT_SECRET": "bench-" + uuid.uuid4().hex,
        }
        from runtime.cli import upgrade
        from runtime.data.db import async_url

        upgrade({k: async_url(v) for k, v in urls.items()})
        runs = [one_run(env) for _ in range(args.runs)]

    summary = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    report = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "targets": {"start_s": 1.5, "openapi_first_s": 0.3},
        "median": summary,
        "runs": runs,
    }
    OUTPUT.write_text(json.dumps(report, indent=2) + "\n")
    for key, value in summary.items():
        print(f"{key:<18} {value}")
    print(f"written to {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
