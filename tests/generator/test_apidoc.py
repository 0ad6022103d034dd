"""The document `cxg-gen build` writes from the typed model says what FastAPI would say.

The generated entities' operations and schemas are written by the generator (apidoc_paths,
apidoc_schemas) rather than by FastAPI, which takes a minute and more at a thousand tables.
Here the whole document FastAPI makes from the running code (every route included, as it
would serve it) is compared with the one on disk, operation by operation and schema by schema:
paths and methods, parameters, bodies, answers, tags, permission marks and every property of
every component. Numbers compare as numbers (Pydantic writes the bigint bound 2**63 - 1 as a
float that rounds up; the generator writes it exactly).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.generator.helpers import REPO


def _numbers_as_floats(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _numbers_as_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers_as_floats(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def _by_name(operation: dict[str, Any]) -> dict[str, Any]:
    return {**operation, "parameters": {p["name"]: p for p in operation.get("parameters", [])}}


def test_the_written_document_is_the_one_fastapi_makes():
    made = subprocess.run(
        [sys.executable, "-m", "runtime.web.openapi", "--fastapi"],
        cwd=REPO,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        capture_output=True,
        check=True,
    )
    fastapi = _numbers_as_floats(json.loads(made.stdout))
    written = _numbers_as_floats(json.loads((REPO / "generated/openapi.json").read_text()))

    operations = {
        (path, method): op for path, item in fastapi["paths"].items() for method, op in item.items()
    }
    ours = {
        (path, method): op for path, item in written["paths"].items() for method, op in item.items()
    }
    assert sorted(ours) == sorted(operations)
    assert len(ours) > 600
    for key, op in operations.items():
        assert _by_name(ours[key]) == _by_name(op), key

    theirs, mine = fastapi["components"]["schemas"], written["components"]["schemas"]
    assert sorted(mine) == sorted(theirs)
    for name, schema in theirs.items():
        assert mine[name] == schema, name
    assert written["components"]["securitySchemes"] == fastapi["components"]["securitySchemes"]
    assert written["tags"] == fastapi["tags"]
    assert written["info"] == fastapi["info"]
    # the root both finish alike (runtime.web.contract.finish): servers, default security,
    # contact and license, and exactly the error examples the operations point to
    for key in ("servers", "security"):
        assert written[key] == fastapi[key], key
    assert written["components"]["examples"] == fastapi["components"]["examples"]
    assert {"contact", "license"} <= set(written["info"])
