"""The API's OpenAPI document, made at build time and served as bytes.

FastAPI builds the document of ~650 operations on the first request for it (about two
seconds; a minute and more for a thousand tables). `cxg-gen build` makes it once instead:
the generated entities' operations and schemas are written from the typed model
(apidoc_paths, apidoc_schemas); the hand-written routes' part and what every operation shares
are made by FastAPI in a child process (`python -m runtime.web.openapi`: this package never
imports FastAPI). The whole is written to
``generated/openapi.json`` with a stamp: the digest of everything the document is made from
(the generated code, the runtime's code but its migrations, the generator's own code, the
versions of FastAPI and Pydantic, which pyproject.toml pins) and the digest
of the document itself. `build` remakes it only when the first digest changed; `check` fails
when either digest disagrees, and the app serves the file only while its stamp matches the
code it runs (else it makes the document itself, as FastAPI would).

Only a project that carries its runtime (``runtime/`` beside ``specs/``) has a document.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from generator.model import Project
from generator.model.contract import CREATED
from generator.render.apidoc_paths import entity_paths
from generator.render.apidoc_schemas import PROBE, entity_schemas
from runtime.web import docstamp
from runtime.web.docstamp import DOCUMENT, STAMP, applies, generated_files, inputs_digest

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


def generator_digest() -> str:
    """The generator writes the entities' part of the document: its code is an input of the
    document too (wherever it is installed), which build compares and the app need not."""
    here = Path(__file__).resolve().parents[1]  # generator/: every .py in it and below
    paths = [p for p in here.rglob("*.py") if "__pycache__" not in p.parts]
    digest = hashlib.sha256()
    for name, path in sorted((p.relative_to(here).as_posix(), p) for p in paths):
        digest.update(f"generator/{name}".encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def stamp(inputs: str, document: bytes) -> str:
    return docstamp.stamp(inputs, document, generator_digest())


def current(root: Path, inputs: str) -> bool:
    """The document on disk was made from these inputs by this generator, unchanged since."""
    return docstamp.current(root, inputs, generator_digest())


def produce(root: Path, project: Project) -> bytes:
    """The document: the hand-written routes' part from the runtime and the generated code on
    disk (a child process), the generated entities' part from the model."""
    operations = {
        op.endpoint.operation_id: (entity, op)
        for scope in project.scopes
        for entity in scope.entities
        for op in scope.operations_of(entity).values()
    }
    asked = {
        op_id: {
            "facts": list(op.facts),
            "scope": entity.scope.name,
            "entity": entity.key,
            "method": op.endpoint.method,
            "success": 201 if CREATED in op.facts else 200,
            "links": op.link_map,
        }
        for op_id, (entity, op) in operations.items()
    }
    parts = json.loads(_runtime_parts(root, json.dumps(asked).encode()))
    document: dict[str, Any] = parts["runtime"]
    probe: dict[str, Any] = parts["probe"]
    answers: dict[str, Any] = parts["answers"]
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    shared = probe["components"]["schemas"]
    schemas.update({name: s for name, s in shared.items() if PROBE not in name})
    paths: dict[str, dict[str, Any]] = document["paths"]
    for scope in project.scopes:
        codes = scope.permission_codes
        for entity in (e for e in scope.entities if e.exposed):
            schemas.update(entity_schemas(entity, shared, codes))
            for path, item in entity_paths(entity, probe, answers, operations).items():
                paths.setdefault(path, {}).update(item)
    document["components"]["schemas"] = {
        name: schemas[name] for name in sorted(_named(document["paths"], schemas))
    }
    named = set(re.findall(r'"#/components/examples/([A-Z_]+)"', json.dumps(paths)))
    document["components"]["examples"] = {code: parts["examples"][code] for code in sorted(named)}
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


def _runtime_parts(root: Path, asked: bytes) -> bytes:
    result = subprocess.run(
        [sys.executable, "-m", "runtime.web.openapi"],
        input=asked,
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
