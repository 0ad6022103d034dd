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

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from generator.apidoc_paths import entity_paths
from generator.apidoc_schemas import PROBE, entity_schemas
from generator.model import Project
from runtime.web.docstamp import (  # the app checks the file it serves with it (stdlib only)
    DOCUMENT,
    STAMP,
    applies,
    current,
    generated_files,
    inputs_digest,
    stamp,
)

__all__ = [
    "DOCUMENT",
    "STAMP",
    "applies",
    "current",
    "generated_files",
    "inputs_digest",
    "produce",
    "stamp",
]


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
    for entity in project.entities:
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
        raise DocumentError(result.stderr.decode(errors="replace"))
    return result.stdout


class DocumentError(RuntimeError):
    """The runtime could not make its part of the document: the app does not start on the
    code just written. ``output`` is what the child process said (its traceback)."""

    def __init__(self, output: str):
        self.output = output
        super().__init__("making the OpenAPI document failed:\n" + output)
