"""The generator and the served API as the project grows: 114, 300 and 1,000 entities.

    .venv/bin/python -m tests.benchmarks.scale [N ...]      # default: 114 300 1000

For each N, a project of N entities is made from the real specs (tests/benchmarks/synth.py)
in a temporary folder, then timed as a developer and CI meet it: the cold `cxg-gen build`
(nothing generated yet), a no-op build, `cxg-gen check` (and `check --full`), and `cxg-gen serve --no-migrate` on
fresh databases migrated to head (found like the tests find theirs): launch to the first
answer of /health (as deployed, bytecode kept; the first start after the build, which
compiles it, is start_first_s), the first GET /openapi.json, the server's resident memory a second after
start (the process and its children) and once its idle warm-up has built every route group
(models, schemas and routes of every entity: what a server that has answered every kind of
request holds), and the document's size. Writes docs/benchmarks/scale.json
(the figures of the last run of each N are kept, the others replaced).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from tests import live_server
from tests.benchmarks.synth import synthesize

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "docs/benchmarks/scale.json"
GOALS_AT_1000 = {
    "cold_build_s": 30,
    "noop_build_s": 1,
    "check_s": 5,
    "start_s": 2,
    "openapi_first_s": 0.3,
    "rss_mb": 400,
}


def timed(root: Path, *args: str) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "generator.cli", *args, "--root", str(root)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"cxg-gen {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return round(elapsed, 2)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS"))
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, StopIteration, ProcessLookupError):
            continue
    return round(total / 1024, 1)


def warmed_up(pid: int, launched: float) -> tuple[float, float]:
    """Seconds from launch until the idle warm-up has built every route group (memory steady
    for six seconds), and the resident memory then."""
    last, steady, at = rss_mb(pid), 0, time.perf_counter()
    while steady < 3:
        time.sleep(2)
        now = rss_mb(pid)
        if abs(now - last) < 1:
            steady += 1
        else:
            last, steady, at = now, 0, time.perf_counter()
    return round(at - launched, 1), last


def serve_figures(root: Path, env: dict[str, str]) -> dict[str, float]:
    """The server as deployed keeps its bytecode (a deployment compiles it once, as pip does
    on install): the first start after a build compiles every module it imports
    (``start_first_s``); the figures are those of the start after it."""
    import httpx

    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(root)
    launched = time.perf_counter()
    server, base = live_server.start(env, "--no-migrate", cwd=root)
    first_start = time.perf_counter() - launched
    server.terminate()
    server.wait(30)
    launched = time.perf_counter()
    server, base = live_server.start(env, "--no-migrate", cwd=root)
    try:
        start = time.perf_counter() - launched
        started = time.perf_counter()
        document = httpx.get(f"{base}/openapi.json", timeout=120)
        first = time.perf_counter() - started
        document.raise_for_status()
        time.sleep(1)
        after_start = rss_mb(server.pid)
        warm, rss_warm = warmed_up(server.pid, launched)
        return {
            "start_first_s": round(first_start, 2),
            "start_s": round(start, 2),
            "openapi_first_s": round(first, 3),
            "rss_mb": after_start,
            "warm_up_s": warm,
            "rss_warm_mb": rss_warm,
            "document_mb": round(len(document.content) / 2**20, 1),
            "operations": sum(len(item) for item in document.json()["paths"].values()),
        }
    finally:
        server.terminate()
        server.wait(30)


def one_project(n: int, env: dict[str, str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        entities = synthesize(root, n)
        figures: dict[str, float] = {"entities": entities}
        figures["cold_build_s"] = timed(root, "build")
        figures["noop_build_s"] = timed(root, "build")
        figures["check_s"] = timed(root, "check")  # the manifest's short way
        figures["check_full_s"] = timed(root, "check", "--full")  # renders everything (CI)
        figures.update(serve_figures(root, env))
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[114, 300, 1000])
    args = parser.parse_args()

    from runtime.cli import upgrade
    from runtime.data.db import async_url
    from tests.database import fresh_databases

    report = json.loads(OUTPUT.read_text()) if OUTPUT.is_file() else {"projects": {}}
    with tempfile.TemporaryDirectory() as tmp, fresh_databases(Path(tmp)) as urls:
        env = {
            **os.environ,
            "CXG_MANAGER_DATABASE_URL": urls["manager"],
            "CXG_TENANT_DATABASE_URL": urls["tenant"],
            "CXG_JWT_SECRET": "bench-" + uuid.uuid4().hex,
        }
        upgrade({k: async_url(v) for k, v in urls.items()})
        for n in args.sizes:
            figures = one_project(n, env)
            report["projects"][str(n)] = figures
            print(n, json.dumps(figures), flush=True)
    report["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_1min": round(os.getloadavg()[0], 2),
    }
    report["goals_at_1000"] = GOALS_AT_1000
    report["projects"] = dict(sorted(report["projects"].items(), key=lambda kv: int(kv[0])))
    OUTPUT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
