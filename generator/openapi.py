"""The API's OpenAPI document, made at build time and served as bytes.

FastAPI builds the document of ~650 operations on the first request for it (about two
seconds; a minute and more for a thousand tables). `cxg-gen build` makes it once instead:
the generated entities' operations and schemas are written from the typed model
(apidoc_paths, apidoc_schemas); the hand-written routes' part and what every operation shares
are made by FastAPI in a child process (`python -m runtime.web.openapi`: this package never
imports FastAPI). The whole is written to
``generated/openapi.json`` with a stamp: the digest of everything the document is made from
(the generated code, the runtime's code but its migrations, the versions of FastAPI and
Pydantic, which pyproject.toml pins) and the digest
of the document itself. `build` remakes it only when the first digest changed; `check` fails
when either digest disagrees, and the app serves the file only while its stamp matches the
code it runs (else it makes the document itself, as FastAPI would).

Only a project that carries its runtime (``runtime/`` beside ``specs/``) has a document.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from generator.apidoc_paths import entity_paths
from generator.apidoc_schemas import PROBE, entity_schemas
from generator.model import Project

DOCUMENT = "generated/openapi.json"
STAMP = "generated/openapi.stamp"
LIBRARIES = ("fastapi", "pydantic", "pydantic-core")  # pinned in pyproject.toml


def applies(root: Path) -> bool:
    return (root / "runtime" / "app.py").is_file()


def inputs_digest(generated: Iterable[tuple[str, bytes]], root: Path) -> str:
    """Digest of what the document is made from: ``generated`` is (path, content) of every
    generated Python file; the runtime's sources and the library versions are read here."""
    digest = hashlib.sha256()
    sources = [(p, c) for p, c in generated if p.endswith(".py")]
    sources += [
        (path.relative_to(root).as_posix(), path.read_bytes())
        for path in (root / "runtime").rglob("*.py")
        if "migrations" not in path.parts  # they change the database, not the API
    ]
    for path, content in sorted(sources):
        digest.update(path.encode() + b"\0" + hashlib.sha256(content).digest())
    for name in LIBRARIES:
        try:
            digest.update(f"{name}=={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}==none".encode())
    return digest.hexdigest()


def stamp(inputs: str, document: bytes) -> str:
    return f"inputs {inputs}\ndocument {hashlib.sha256(document).hexdigest()}\n"


def current(root: Path, inputs: str) -> bool:
    """The document on disk was made from these inputs and nobody changed it since."""
    doc, mark = root / DOCUMENT, root / STAMP
    if not (doc.is_file() and mark.is_file()):
        return False
    return mark.read_text() == stamp(inputs, doc.read_bytes())


def produce(root: Path, project: Project) -> bytes:
    """The document: the hand-written routes' part from the runtime and the generated code on
    disk (a child process), the generated entities' part from the model."""
    parts = json.loads(_runtime_parts(root))
    document: dict[str, Any] = parts["runtime"]
    probe: dict[str, Any] = parts["probe"]
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    shared = probe["components"]["schemas"]
    schemas.update({name: s for name, s in shared.items() if PROBE not in name})
    paths: dict[str, dict[str, Any]] = document["paths"]
    for entity in (e for e in project.entities if e.exposed):
        schemas.update(entity_schemas(entity, shared))
        for path, item in entity_paths(entity, probe).items():
            paths.setdefault(path, {}).update(item)
    document["components"]["schemas"] = {
        name: schemas[name] for name in sorted(_named(document["paths"], schemas))
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode()


def _named(paths: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    """The schemas the operations name, and the ones those name (an entity without an
    update has no Update schema in the document)."""
    found: set[str] = set()
    todo: list[Any] = [paths]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            target = node.get("$ref")
            if isinstance(target, str) and target.startswith(_REF):
                name = target[len(_REF) :]
                if name not in found:
                    found.add(name)
                    todo.append(schemas[name])
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return found


_REF = "#/components/schemas/"


def _runtime_parts(root: Path) -> bytes:
    result = subprocess.run(
        [sys.executable, "-m", "runtime.web.openapi"],
        cwd=root,
        env={**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(root)},
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            "making the OpenAPI document failed:\n" + result.stderr.decode(errors="replace")
        )
    return result.stdout


def generated_files(root: Path) -> list[tuple[str, bytes]]:
    base = root / "generated"
    return [
        (path.relative_to(root).as_posix(), path.read_bytes())
        for path in base.rglob("*.py")
        if "__pycache__" not in path.parts
    ]
