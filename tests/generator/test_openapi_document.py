"""The OpenAPI document made at build time: current only for the code it was made from."""

from __future__ import annotations

from pathlib import Path

from generator.render import openapi


def project(tmp_path: Path) -> Path:
    (tmp_path / "runtime").mkdir()
    (tmp_path / "runtime/app.py").write_text("APP = 1\n")
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated/v1.py").write_text("ROUTES = 1\n")
    return tmp_path


def make(root: Path, document: bytes = b'{"openapi": "3.1.0"}\n') -> str:
    inputs = openapi.inputs_digest(openapi.generated_files(root), root)
    (root / openapi.DOCUMENT).write_bytes(document)
    (root / openapi.STAMP).write_text(openapi.stamp(inputs, document))
    return inputs


def test_current_until_the_code_or_the_document_changes(tmp_path):
    root = project(tmp_path)
    inputs = make(root)
    assert openapi.current(root, inputs)
    (root / openapi.DOCUMENT).write_bytes(b'{"openapi": "3.1.0", "edited": true}\n')
    assert not openapi.current(root, inputs)
    make(root)
    (root / "runtime/app.py").write_text("APP = 2\n")
    assert not openapi.current(root, openapi.inputs_digest(openapi.generated_files(root), root))
    make(root)
    (root / "generated/v1.py").write_text("ROUTES = 2\n")
    assert not openapi.current(root, openapi.inputs_digest(openapi.generated_files(root), root))


def test_only_a_project_with_its_runtime_has_a_document(tmp_path):
    assert not openapi.applies(tmp_path)
    assert openapi.applies(project(tmp_path))
