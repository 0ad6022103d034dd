"""The parts every generated operation shares, as FastAPI documents them: a probe app.

`cxg-gen build` writes the operations of the generated entities itself, from the typed model
(generator/render/apidoc_*.py): FastAPI takes about 30 ms per route to document one, a minute and
more for a project of a thousand tables. What those operations share comes from here, made by
FastAPI from the runtime's own classes, so it has one definition: the list parameters
(ListParams), the If-Match header, the envelope and page around a row (Envelope, Page), the
deleted answer, each scope's security schemes and permission mark, and the error answers
(ERROR_RESPONSES). The probe's row is ``CxgProbeResponse``; the generator puts each entity's
own schema name where ``CxgProbe`` stands.
"""

# no `from __future__ import annotations`: FastAPI reads the endpoints' local aliases
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import FastAPI, Query, status

from runtime.security.access import manager_permission, tenant_permission
from runtime.security.principal import Actor
from runtime.web.envelope import Envelope
from runtime.web.router import audited_router
from runtime.web.schemas import Deleted, EntityModel, Input, Page, SearchableListParams
from runtime.web.versions import IfMatch

PROBE = "CxgProbe"


class CxgProbeResponse(EntityModel):
    pass


class CxgProbeListResponse(Page[CxgProbeResponse]):
    pass


class CxgProbeListParams(SearchableListParams):
    pass


class CxgProbeBody(Input, EntityModel):
    pass


def _scope_routes(app: FastAPI, scope: str, permission: Callable[[str], Any]) -> None:
    router = audited_router(scope=scope, entity=None)
    Reader = Annotated[Actor, permission("probe:read")]
    Writer = Annotated[Actor, permission("probe:write")]

    @router.get(
        "/rows", response_model=Envelope[CxgProbeListResponse], operation_id=f"{scope}_list"
    )
    async def list_rows(params: Annotated[CxgProbeListParams, Query()], actor: Reader) -> Any:
        raise NotImplementedError

    @router.post(
        "/rows",
        response_model=Envelope[CxgProbeResponse],
        status_code=status.HTTP_201_CREATED,
        operation_id=f"{scope}_create",
    )
    async def create_row(data: CxgProbeBody, actor: Writer) -> Any:
        raise NotImplementedError

    @router.get(
        "/rows/{row_id}", response_model=Envelope[CxgProbeResponse], operation_id=f"{scope}_get"
    )
    async def get_row(row_id: uuid.UUID, actor: Reader) -> Any:
        raise NotImplementedError

    @router.patch(
        "/rows/{row_id}", response_model=Envelope[CxgProbeResponse], operation_id=f"{scope}_update"
    )
    async def update_row(
        row_id: uuid.UUID, data: CxgProbeBody, actor: Writer, expected: IfMatch
    ) -> Any:
        raise NotImplementedError

    @router.delete(
        "/rows/{row_id}", response_model=Envelope[Deleted], operation_id=f"{scope}_delete"
    )
    async def delete_row(row_id: uuid.UUID, actor: Writer, expected: IfMatch) -> Any:
        raise NotImplementedError

    @router.get(
        "/rows/{row_id}/lines",
        response_model=Envelope[CxgProbeListResponse],
        operation_id=f"{scope}_lines",
    )
    async def list_lines(
        row_id: uuid.UUID, params: Annotated[CxgProbeListParams, Query()], actor: Reader
    ) -> Any:
        raise NotImplementedError

    app.include_router(router, prefix=f"/{scope}")


def probe_document() -> dict[str, Any]:
    app = FastAPI()
    _scope_routes(app, "manager", manager_permission)
    _scope_routes(app, "tenants", tenant_permission)
    return app.openapi()
