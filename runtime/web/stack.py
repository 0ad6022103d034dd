"""The app's class: FastAPI, less the outer layers of its middleware stack that this app
does itself.

FastAPI wraps the app's own middlewares in three layers of its own: Starlette's error
middleware, its exception telemetry and its request body limit. Here
RequestContextMiddleware, the outermost of the app's own, answers every unexpected error
with the envelope (so the first two never see one), and BodyLimitMiddleware limits bodies
(FastAPI's ``max_body_size`` is left unset). Each layer is a call and a wrapped ``send`` on
every request, which on the hot path's answers of a fraction of a millisecond counted.
"""

from __future__ import annotations

import fastapi.applications
from fastapi import FastAPI
from starlette.types import ASGIApp

# looked up by name: a FastAPI without one of them simply has nothing to leave out
DONE_HERE = tuple(
    found
    for found in (
        getattr(fastapi.applications, name, None)
        for name in (
            "ServerErrorMiddleware",
            "ExceptionTelemetryMiddleware",
            "AppBodyLimitMiddleware",
        )
    )
    if isinstance(found, type)
)


class Api(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        app = super().build_middleware_stack()
        if self.max_body_size is not None:  # FastAPI's own limit is in use: keep its layers
            return app
        while isinstance(app, DONE_HERE):
            app = app.app  # type: ignore[attr-defined]  # each wraps the next as .app
        return app
