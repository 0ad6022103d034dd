"""The stamp of the prebuilt OpenAPI document: what it was made from, so that `cxg-gen build`
remakes it only when that changed, `cxg-gen check` finds it stale or edited, and the app
serves it only while it describes the code the app runs.

The stamp (generated/openapi.stamp) holds the digest of everything the document is made from
(the generated code, the runtime's code but its migrations, the versions of FastAPI and
Pydantic, which pyproject.toml pins) and the digest of the document itself. Standard library
only: the generator imports it (and never loads FastAPI or a driver); the runtime never
imports the generator.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path

DOCUMENT = "generated/openapi.json"
STAMP = "generated/openapi.stamp"
LIBRARIES = ("fastapi", "pydantic", "pydantic-core")  # pinned in pyproject.toml
SETTLED_S = 2.0  # a file changed more recently than this may change again unseen by its stat


def applies(root: Path) -> bool:
    """Only a project that carries its runtime (``runtime/`` beside ``specs/``) has one."""
    return (root / "runtime" / "app.py").is_file()


def inputs_digest(generated: Iterable[tuple[str, bytes]], root: Path) -> str:
    """Digest of what the document is made from: ``generated`` is (path, content) of every
    generated Python file; the runtime's sources and the library versions are read here."""
    digest = hashlib.sha256()
    sources = [(p, c) for p, c in generated if p.endswith(".py")]
    sources += [(rel, path.read_bytes()) for rel, path in _sources(root, "runtime")]
    for path, content in sorted(sources):
        digest.update(path.encode() + b"\0" + hashlib.sha256(content).digest())
    digest.update(_libraries().encode())
    return digest.hexdigest()


def stamp(inputs: str, document: bytes, generator: str = "") -> str:
    """``generator``: the digest of the code that wrote the entities' part (build compares
    it; the app, which only asks whether the document describes its code, does not)."""
    return (
        f"inputs {inputs}\ngenerator {generator}\n"
        f"document {hashlib.sha256(document).hexdigest()}\n"
    )


def current(root: Path, inputs: str, generator: str | None = None) -> bool:
    """The document on disk was made from these inputs (and by this generator, when given)
    and nobody changed it since."""
    doc, mark = root / DOCUMENT, root / STAMP
    if not (doc.is_file() and mark.is_file()):
        return False
    found = dict(line.split(" ", 1) for line in mark.read_text().splitlines() if " " in line)
    return (
        found.get("inputs") == inputs
        and found.get("document") == hashlib.sha256(doc.read_bytes()).hexdigest()
        and (generator is None or found.get("generator") == generator)
    )


def generated_files(root: Path) -> list[tuple[str, bytes]]:
    return [(rel, path.read_bytes()) for rel, path in _sources(root, "generated")]


def verified(root: Path, memo: Path) -> bool:
    """``current`` for the files on disk, remembered in ``memo`` by their stat (size, times,
    inode), as git's index remembers a clean work tree: hashing every generated file costs
    the app a third of a second at each start at a thousand tables, a stat of each a tenth of
    that. Files changed in the last seconds are never taken on their stat."""
    signature, settled = _signature(root)
    try:
        if memo.read_text() == signature:
            return True
    except OSError:
        pass
    if not current(root, inputs_digest(generated_files(root), root)):
        return False
    if settled:
        _remember(memo, signature)
    return True


def _sources(root: Path, top: str) -> Iterator[tuple[str, Path]]:
    """(relative path, path) of the Python files under ``root/top``, sorted; no caches, no
    migrations (they change the database, not the API)."""
    for folder, dirs, files in os.walk(root / top):
        dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", "migrations"))
        for name in sorted(files):
            if name.endswith(".py"):
                path = Path(folder, name)
                yield path.relative_to(root).as_posix(), path


def _signature(root: Path) -> tuple[str, bool]:
    digest = hashlib.sha256(_libraries().encode())
    newest = 0
    paths = [*_sources(root, "generated"), *_sources(root, "runtime")]
    paths += [(rel, root / rel) for rel in (DOCUMENT, STAMP)]
    for rel, path in paths:
        try:
            st = path.stat()
        except OSError:
            return "", False
        newest = max(newest, st.st_mtime_ns, st.st_ctime_ns)
        digest.update(
            f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}\n".encode()
        )
    settled = time.time_ns() - newest > SETTLED_S * 1e9
    return digest.hexdigest(), settled


def _libraries() -> str:
    found = []
    for name in LIBRARIES:
        try:
            found.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}==none")
    return "".join(found)


def _remember(memo: Path, signature: str) -> None:
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=memo.parent, prefix=".stamp-")
        with os.fdopen(fd, "w") as handle:
            handle.write(signature)
        os.replace(tmp, memo)
    except OSError:  # a read-only deployment hashes at every start
        pass
