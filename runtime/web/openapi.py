"""The API's OpenAPI document: made by `cxg-gen build` (see generator/render/openapi.py), served as
bytes while its stamp matches the code this process runs.

    python -m runtime.web.openapi            # what build needs, on standard output (JSON):
                                             # the hand-written routes' document, the probe's,
                                             # the answers of the operations on standard input
    python -m runtime.web.openapi --fastapi  # the whole document as FastAPI makes it
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runtime.web import docstamp

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("cxg.openapi")
ROOT = Path(__file__).resolve().parents[2]


def render(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode()


def prebuilt(memo: Path) -> bytes | None:
    """The document `cxg-gen build` made, if it was made from exactly the code running now
    (``memo``: where the check is remembered between starts, runtime.web.docstamp)."""
    if not docstamp.applies(ROOT) or not (ROOT / docstamp.DOCUMENT).is_file():
        return None
    if not docstamp.verified(ROOT, memo):
        log.warning("generated/openapi.json is stale (run `cxg-gen build`); making it live")
        return None
    return (ROOT / docstamp.DOCUMENT).read_bytes()


def serve_prebuilt(app: FastAPI, document: bytes) -> None:
    """/openapi.json as the bytes `cxg-gen build` wrote, and the docs pages that read it
    (the app was made with FastAPI's own document and docs routes switched off)."""
    from starlette.responses import Response

    from runtime.web import docs

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_document() -> Response:
        return Response(document, media_type="application/json")

    docs.install(app)


def main() -> None:
    from runtime.app import create_app

    if "--fastapi" in sys.argv:
        sys.stdout.buffer.write(render(create_app(eager=True).openapi()))
        return
    from runtime.web.contract import for_generator
    from runtime.web.openapi_probe import probe_document

    # the routes written by hand (sign-in, provisioning, health, the domains' actions): the
    # generated entities' operations are written by the generator itself, which sends their
    # facts on standard input for their answers
    operations = json.loads(sys.stdin.read() or "{}")
    parts = {
        "runtime": create_app(eager=True, entities=False).openapi(),
        "probe": probe_document(),
        **for_generator(operations),
    }
    sys.stdout.buffer.write(render(parts))


if __name__ == "__main__":
    main()
