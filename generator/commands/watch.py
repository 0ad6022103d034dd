"""`cxg-gen build --watch`: build again whenever a spec, a template or a hand-owned extension
changes, until Ctrl-C.

It polls modification times (twice a second) rather than using file-system events: nothing to
install, the same on every platform and inside containers, and a few hundred files cost
nothing to stat. A failed build (a bad spec) is reported and the watch goes on.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

WATCHED = ("specs", "templates", "runtime/extensions")
INTERVAL = 0.5


def fingerprint(root: Path) -> dict[str, int]:
    """Modification time of every watched file."""
    found = {}
    for folder in WATCHED:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                found[path.relative_to(root).as_posix()] = path.stat().st_mtime_ns
    return found


def watch(root: Path, build: Callable[[], None], out: Any) -> None:
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    seen: dict[str, int] | None = None
    try:
        while not stopping:
            now = fingerprint(root)
            if now != seen:
                seen = now
                try:
                    build()
                except typer.Exit:  # reported already; wait for the next change
                    pass
                out.print(f"watching {', '.join(WATCHED)} (Ctrl-C stops)")
            time.sleep(INTERVAL)
    except KeyboardInterrupt:
        pass
