"""The operations of one entity (:attr:`generator.model.Entity.endpoints`): method, path,
permission code, operation id and summary of each, as the routers serve them and the API
document and `cxg-gen show` list them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.model.base import Endpoint

if TYPE_CHECKING:
    from generator.model.entity import Entity


def endpoints_of(entity: Entity) -> list[Endpoint]:
    op, label, read = (
        f"{entity.scope.name}_{entity.domain}_{entity.plural}",
        entity.label_ko,
        entity.read_permission,
    )
    one = f"{entity.url_path}/{{{entity.id_param}}}"
    rows = []
    if entity.has("list"):
        rows.append(("GET", entity.url_path, read, "list", "목록 조회"))
    if entity.has("create"):
        rows.append(("POST", entity.url_path, entity.permission("create"), "create", "생성"))
    if entity.has("get"):
        rows.append(("GET", one, read, "get", "상세 조회"))
    if entity.has("update"):
        rows.append(("PATCH", one, entity.permission("update"), "update", "수정"))
    if entity.status_field:
        name = entity.status_field.name
        rows.append(
            ("PATCH", f"{one}/{name}", entity.permission(name), f"change_{name}", "상태 변경")
        )
    if entity.has("delete"):
        rows.append(("DELETE", one, entity.permission("delete"), "delete", "삭제"))
    parent = entity.parent_field
    if parent is not None and entity.parent_url_path and entity.line_segment:
        lines = f"{entity.parent_url_path}/{{{parent.name}}}/{entity.line_segment}"
        rows.append(("GET", lines, read, "list_of_parent", "목록 (상위 문서별)"))
        if entity.has("create"):
            rows.append(
                (
                    "POST",
                    lines,
                    entity.permission("create"),
                    "create_in_parent",
                    "추가 (상위 문서별)",
                )
            )
    endpoints = [
        Endpoint(
            method=m,
            path=path,
            permission=code,
            operation_id=f"{op}_{suffix}",
            summary=f"{label} {words}",
            kind="change_status" if suffix.startswith("change_") else suffix,
            route=_under(path, entity.url_path, entity.parent_url_path, suffix),
        )
        for m, path, code, suffix, words in rows
    ]
    endpoints += [
        Endpoint(
            method="POST",
            path=f"{one}/{a.name.replace('_', '-')}",
            permission=entity.permission(a.name),
            operation_id=f"{op}_{a.name}",
            summary=f"{label} {a.label_ko}",
            kind="action",
        )
        for a in entity.actions
    ]
    return endpoints


def _under(path: str, own: str, parent: str | None, suffix: str) -> str:
    """``path`` under the prefix of the router that serves it: a line's own router is
    mounted at its path, its nested router at its header's."""
    prefix = parent if suffix.endswith("_parent") and parent else own
    return path.removeprefix(prefix)
