"""The documentation pages, /docs (Swagger UI) and /redoc (ReDoc), and the scripts, style and
icon they load: served by this app from the copies the fastapi-offline wheel ships, so the pages
work offline and name no other host (no CDN, no Google Fonts).

FastAPI's own docs routes stay off (`docs_url=None, redoc_url=None`): they load from a CDN.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib.metadata import version
from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import FileResponse, Response

OPENAPI_URL = "/openapi.json"
# Under /docs so the rate limit's exemption of /docs covers them. The package's version is in
# the path: an upgrade is a new URL, so browsers may keep each file for a year.
ASSETS = f"/docs/assets/{version('fastapi-offline')}"
FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
CACHE = "public, max-age=31536000, immutable"


def install(app: FastAPI) -> None:
    """/docs, /redoc and their files under ASSETS, reading the document at OPENAPI_URL."""
    static = files("fastapi_offline") / "static"
    for name, media_type in FILES.items():
        app.get(f"{ASSETS}/{name}", include_in_schema=False)(_asset(str(static / name), media_type))

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> Response:
        root = _root(request)
        return get_swagger_ui_html(
            openapi_url=root + OPENAPI_URL,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
            # else Swagger UI may ask validator.swagger.io about the document
            swagger_ui_parameters={"validatorUrl": None, **(app.swagger_ui_parameters or {})},
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> Response:
        root = _root(request)
        return get_redoc_html(
            openapi_url=root + OPENAPI_URL,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
            with_google_fonts=False,
        )


def _root(request: Request) -> str:
    """The prefix a proxy mounts the app under, as FastAPI's own docs routes honour it."""
    root_path: str = request.scope.get("root_path", "")
    return root_path.rstrip("/")


def _asset(path: str, media_type: str) -> Callable[[], Awaitable[Response]]:
    async def asset() -> Response:
        return FileResponse(path, media_type=media_type, headers={"Cache-Control": CACHE})

    return asset
