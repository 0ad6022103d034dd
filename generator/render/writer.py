"""Compare rendered files with the tree, write only what changed, remove what is stale."""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

GENERATED_DIR = "generated"
# Directories whose every file belongs to cxg-gen: stale files there are removed.
MANAGED_DIRS = (GENERATED_DIR, "docs/er")
IGNORED_DIRS = {"__pycache__"}


@dataclass
class Plan:
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.changed or self.missing or self.extra)


def existing_outputs(root: Path, managed_dirs: tuple[str, ...] = MANAGED_DIRS) -> set[str]:
    """Every file currently in the managed directories (all of it belongs to cxg-gen)."""
    found = set()
    for managed in managed_dirs:
        base = root / managed
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if d not in IGNORED_DIRS]
            for name in filenames:
                if name.endswith((".pyc", ".pyo")):
                    continue
                found.add((Path(dirpath) / name).relative_to(root).as_posix())
    return found


def plan(root: Path, files: dict[str, str], managed_dirs: tuple[str, ...] = MANAGED_DIRS) -> Plan:
    result = Plan()
    for rel, text in files.items():
        target = root / rel
        if not target.exists():
            result.missing.append(rel)
        elif target.read_bytes() != text.encode("utf-8"):
            result.changed.append(rel)
    result.extra = sorted(existing_outputs(root, managed_dirs) - set(files))
    return result


@dataclass
class Undo:
    """What :func:`apply` changed, to put back when a later step of the build fails (the
    OpenAPI document is made by starting the app on the files just written)."""

    root: Path
    previous: dict[str, tuple[bytes, int]]  # changed and removed files: content, mtime (ns)
    created: list[str]

    def restore(self) -> None:
        for rel in self.created:
            (self.root / rel).unlink(missing_ok=True)
        for rel, (content, modified) in self.previous.items():
            target = self.root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            os.utime(target, ns=(modified, modified))
        for managed in MANAGED_DIRS:
            _remove_empty_dirs(self.root / managed)


def apply(root: Path, files: dict[str, str], p: Plan) -> Undo:
    """Write each changed file atomically (temp file + rename), then delete stale ones;
    returns what puts the tree back as it was."""
    undo = Undo(root, {rel: _as_is(root / rel) for rel in [*p.changed, *p.extra]}, [])
    for rel in [*p.missing, *p.changed]:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(files[rel].encode("utf-8"))
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            undo.restore()
            raise
        if rel in p.missing:
            undo.created.append(rel)
    for rel in p.extra:
        (root / rel).unlink(missing_ok=True)
    for managed in MANAGED_DIRS:
        _remove_empty_dirs(root / managed)
    return undo


def _as_is(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def _remove_empty_dirs(base: Path) -> None:
    if not base.is_dir():
        return
    for dirpath, _dirs, _files in os.walk(base, topdown=False):
        path = Path(dirpath)
        if path == base:
            continue
        entries = [e for e in path.iterdir() if e.name not in IGNORED_DIRS]
        if not entries:
            for cache in path.glob("__pycache__"):
                for f in cache.iterdir():
                    f.unlink()
                cache.rmdir()
            path.rmdir()


def diff(root: Path, files: dict[str, str], p: Plan, *, context: int = 3) -> str:
    """A unified diff from the tree to what the specs say it should be."""
    chunks: list[str] = []
    for rel in p.changed:
        old = (root / rel).read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
        new = files[rel].splitlines(keepends=True)
        chunks.extend(difflib.unified_diff(old, new, f"a/{rel}", f"b/{rel}", n=context))
    for rel in p.missing:
        chunks.extend(
            difflib.unified_diff(
                [], files[rel].splitlines(keepends=True), "/dev/null", f"b/{rel}", n=context
            )
        )
    for rel in p.extra:
        old = (root / rel).read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
        chunks.extend(difflib.unified_diff(old, [], f"a/{rel}", "/dev/null", n=context))
    return "".join(c if c.endswith("\n") else c + "\n" for c in chunks)
