"""The generated resources' routes, in one of two ways.

- ``include_all``: every router included up front, as FastAPI's own document needs
  (`python -m runtime.web.openapi`, and an app whose prebuilt document is stale).
- ``mount_lazily``: one route per first path segment (``/api/v1/tenants/crm``...), whose
  routers are imported and built the first time a request reaches it. Importing ~100 routers builds ~1,000 Pydantic models and ~600
  routes, two thirds of the app's start-up; served apps warm the groups up in the background
  while it is idle (runtime.hot.warmup), so requests seldom wait. Everything runs on the event
  loop (no threads): a build is a few milliseconds per resource, and Pydantic's deferred
  model building is not made for concurrent callers. Route lookup then scans the
  hand-written routes and one group, not every route of the API.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from re import Pattern
from types import ModuleType
from typing import cast

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send


@dataclass(frozen=True)
class Resource:
    """One generated router, at a path relative to its scope (/crm/customers)."""

    path: str
    module: str
    attribute: str  # router | nested_router
    tag: str | None  # None: the routes carry their own (a domain's hand-owned actions)

    @property
    def tags(self) -> list[str | Enum] | None:
        return [self.tag] if self.tag else None

    @property
    def group(self) -> str:
        return self.path.split("/", 2)[1]

    def router(self) -> APIRouter:
        # The entity's models first, complete: FastAPI wraps them in adapters of its own
        # when the routes are made, and those should see finished models.
        if self.module.startswith("generated."):  # hand-owned routers build their own
            complete_models(importlib.import_module(self.module.rsplit(".", 1)[0] + ".schemas"))
        return cast(APIRouter, getattr(importlib.import_module(self.module), self.attribute))


def complete_models(module: ModuleType) -> None:
    """Build the deferred Pydantic models a module defines (see runtime.web.schemas)."""
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, BaseModel)
            and value.__module__ == module.__name__
            and not value.__pydantic_complete__
        ):
            value.model_rebuild(force=True)


def include_all(app: FastAPI, prefix: str, resources: Iterable[Resource]) -> None:
    for resource in resources:
        router = resource.router()
        lifespan = app.router.lifespan_context
        app.include_router(router, prefix=prefix + resource.path, tags=resource.tags)
        if isinstance(router.lifespan_context, _NO_LIFESPAN):
            # FastAPI wraps the app's lifespan once more per included router, lifespan or
            # not: a thousand wrappers overflow the stack when the app starts
            app.router.lifespan_context = lifespan


_NO_LIFESPAN = type(APIRouter().lifespan_context)  # what a router without a lifespan has


class LazyGroup(BaseRoute):
    """Every route under ``prefix``; built on first use (or bit by bit, by ``warm_up``)."""

    def __init__(
        self, prefix: str, resources: list[Resource], foreign: tuple[Pattern[str], ...] = ()
    ) -> None:
        self.prefix = prefix
        self.resources = resources
        # paths under the prefix that hand-written routes serve (/manager/tenants/{id}/provision):
        # not the group's, so a method they do not take is their 405, not the group's 404
        self.foreign = foreign
        self._router: APIRouter | None = None  # set once every resource is in
        self._building = APIRouter()
        self._left = list(resources)

    @property
    def built(self) -> bool:
        return self._router is not None

    def build_one(self) -> bool:
        """Include the next resource; True once the group is complete."""
        if self._left:
            resource = self._left.pop(0)
            self._building.include_router(
                resource.router(),
                prefix=self.prefix.rsplit("/", 1)[0] + resource.path,
                tags=resource.tags,
            )
            _realize(self._building.routes[-1])
        if not self._left:
            self._router = self._building
        return self._router is not None

    def build(self) -> APIRouter:
        while self._router is None:
            self.build_one()
        return self._router

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http":
            path = scope["path"]
            if path == self.prefix or path.startswith(self.prefix + "/"):
                if any(p.match(path) for p in self.foreign):
                    return Match.NONE, {}
                return Match.FULL, {}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        router = self._router or self.build()
        await router(scope, receive, send)  # its own lookup: 404, 405, trailing slashes

    def url_path_for(self, name: str, /, **path_params: object) -> URLPath:
        if self._router is None:
            raise NoMatchFound(name, path_params)
        return self._router.url_path_for(name, **path_params)


def _realize(route: BaseRoute) -> None:
    """Build an included router's routes as they will be matched. FastAPI builds each included
    route again (its dependencies, parameters, response model) the first time a request is
    matched against it: left to that request, the first request into a group built by
    ``warm_up`` still stopped its process for some 50 ms, and the requests behind it waited."""
    for _ in _routes((route,)):  # walking the included routes is what builds them
        pass


def mount_lazily(app: FastAPI, prefix: str, resources: Iterable[Resource]) -> list[LazyGroup]:
    groups: dict[str, list[Resource]] = {}
    for resource in resources:
        groups.setdefault(resource.group, []).append(resource)
    served = _route_paths(app)
    mounted = []
    for name, members in groups.items():
        at = f"{prefix}/{name}"
        foreign = tuple(regex for path, regex in served if path.startswith(at + "/"))
        mounted.append(LazyGroup(at, members, foreign))
    app.router.routes.extend(mounted)
    return mounted


def _routes(routes: Iterable[BaseRoute]) -> Iterable[BaseRoute]:
    """Every route as included (FastAPI, pinned, keeps an included router whole and hands
    out its routes with their full paths), lazy groups as themselves."""
    todo: list[BaseRoute] = list(routes)
    while todo:
        route = todo.pop()
        included = getattr(route, "effective_candidates", None)
        if callable(included):
            todo.extend(included())
            todo.extend(route.effective_low_priority_routes())  # type: ignore[attr-defined]
        else:
            yield route


def _route_paths(app: FastAPI) -> list[tuple[str, Pattern[str]]]:
    found = []
    for route in _routes(app.router.routes):
        regex = getattr(route, "path_regex", None)
        path = getattr(route, "path_format", None)
        if regex is not None and path is not None:
            found.append((path, regex))
    return found


def allowed_methods(app: FastAPI, scope: Scope) -> list[str]:
    """Every method the path in ``scope`` is served for (the Allow of a 405, RFC 9110): the
    methods of each route whose path matches, in the lazily mounted group too (a group's own
    router only knows the first route that matched the path)."""
    found: set[str] = set()
    todo = list(_routes(app.router.routes))
    while todo:
        route = todo.pop()
        if isinstance(route, LazyGroup):
            if route.matches(scope)[0] is Match.FULL:
                todo.extend(_routes(route.build().routes))
            continue
        methods = getattr(route, "methods", None)
        if methods and route.matches(scope)[0] is not Match.NONE:
            found |= set(methods)
    return sorted(found)
