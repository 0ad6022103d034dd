"""What the last build was made from and what it wrote: ``generated/manifest.json``.

Rendering a thousand entities takes seconds however little changed. The manifest holds two
digests: of everything a build reads (the specs, the templates, the generator's own code,
the hand-owned extension modules, the versions of the libraries that shape the output) and of
everything it wrote (every file under the managed folders and the few outside them). When
both still match, the files on disk are what a build would write, byte for byte (the build
is deterministic), so `build` has nothing to do and `check` nothing to report, after reading
the inputs and outputs once. When either differs, both render everything as before. `check
--full` always renders. The manifest is committed with the rest of generated/, so a fresh
clone takes the short way too; it is a cache, never compared itself.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from generator.render.writer import MANAGED_DIRS, existing_outputs

MANIFEST = "generated/manifest.json"
LIBRARIES = ("jinja2", "pyyaml", "pydantic", "ruff")
GENERATOR = Path(__file__).resolve().parents[1]  # generator/, every sub-package within


def _digest(items: Iterable[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for path, content in sorted(items):
        digest.update(path.encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()


def _files(base: Path, patterns: tuple[str, ...], relative_to: Path) -> list[tuple[str, bytes]]:
    found = []
    for pattern in patterns:
        for path in base.rglob(pattern):
            if path.is_file() and "__pycache__" not in path.parts:
                found.append((path.relative_to(relative_to).as_posix(), path.read_bytes()))
    return found


def inputs_digest(root: Path, templates: Path) -> str:
    items = _files(root / "specs", ("*.yaml", "*.yml"), root)
    items += [("templates/" + p, c) for p, c in _files(templates, ("*",), templates)]
    items += [("generator/" + p, c) for p, c in _files(GENERATOR, ("*.py",), GENERATOR)]
    if (root / "runtime" / "extensions").is_dir():
        items += _files(root / "runtime" / "extensions", ("*.py",), root)
    versions = [f"python {sys.version_info.major}.{sys.version_info.minor}"]
    for name in LIBRARIES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} none")
    items.append(("versions", "\n".join(versions).encode()))
    return _digest(items)


def outputs_digest(files: Mapping[str, bytes]) -> str:
    return _digest((p, c) for p, c in files.items() if p != MANIFEST)


def text(
    entities: int,
    inputs: str,
    files: Mapping[str, str],
    warnings: Iterable[dict[str, Any]] = (),
) -> str:
    """The manifest of a build that wrote ``files`` (the manifest itself left out) and said
    ``warnings`` (repeated by a build that takes the short way)."""
    written = {p: t.encode() for p, t in files.items() if p != MANIFEST}
    outside = sorted(p for p in written if not p.startswith(tuple(d + "/" for d in MANAGED_DIRS)))
    body = {
        "entities": entities,
        "files": len(written) + 1,
        "inputs": inputs,
        "outputs": outputs_digest(written),
        "outside": outside,
        "warnings": list(warnings),
    }
    return json.dumps(body, indent=1, sort_keys=True) + "\n"


def current(root: Path, inputs: str) -> tuple[dict[str, Any], dict[str, bytes]] | None:
    """The manifest and the files it covers as read, when the inputs and the files on disk
    are those it records."""
    path = root / MANIFEST
    if not path.is_file():
        return None
    try:
        recorded: dict[str, Any] = json.loads(path.read_text())
    except ValueError:
        return None
    if recorded.get("inputs") != inputs:
        return None
    paths = (existing_outputs(root) - {MANIFEST}) | set(recorded.get("outside", ()))
    try:
        on_disk = {p: (root / p).read_bytes() for p in paths}
    except OSError:  # an outside file is gone
        return None
    return (recorded, on_disk) if outputs_digest(on_disk) == recorded.get("outputs") else None
